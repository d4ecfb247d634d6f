import { useCallback, useState } from 'react';
import type { EncoderTask, TaskResults } from '../lib/tasks';

/**
 * Asks the cells' worker (where the model is) to compute what a widget draws, tracking busy/error
 * state; the worker loads the model on first use.
 */
export function useEncoderTask<K extends EncoderTask['kind']>(task: Extract<EncoderTask, { kind: K }>): {
  run: () => Promise<void>;
  result: TaskResults[K] | null;
  busy: boolean;
  error: string | null;
} {
  const [result, setResult] = useState<TaskResults[K] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      const { encoderTask } = await import('../lib/worker-client');
      setResult(await encoderTask<K>(task));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }, [task]);
  return { run, result, busy, error };
}
