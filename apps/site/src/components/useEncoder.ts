import { useCallback, useState } from 'react';
import type { Encoder } from '../lib/runtime';

/** Runs `work` with the page's encoder (loaded on first use), tracking busy/error state. */
export function useEncoderTask<T>(work: (encoder: Encoder) => Promise<T>): {
  run: () => Promise<void>;
  result: T | null;
  busy: boolean;
  error: string | null;
} {
  const [result, setResult] = useState<T | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      const { loadEncoder } = await import('../lib/runtime');
      setResult(await work(await loadEncoder()));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }, [work]);
  return { run, result, busy, error };
}
