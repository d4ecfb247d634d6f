import { useEffect, useState } from 'react';
import type { Tokenizer } from '../lib/contracts';

/** The bundled SD2 tokenizer, loaded after hydration (null until then). */
export function useTokenizer(): { tokenizer: Tokenizer | null; error: string | null } {
  const [tokenizer, setTokenizer] = useState<Tokenizer | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    import('../lib/runtime')
      .then((m) => m.loadTokenizer())
      .then((t) => live && setTokenizer(t))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, []);
  return { tokenizer, error };
}

/** A stable, readable colour per token id. */
export function tokenColor(id: number): string {
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 70% 85%)`;
}
