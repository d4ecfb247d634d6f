import { useEffect, useRef, useState, type RefObject } from 'react';
import type { Tokenizer } from '../lib/contracts';

/**
 * The bundled SD2 tokenizer, loaded once the element comes near the viewport (so the vocabulary is
 * not part of the page's first download); null until then.
 */
export function useTokenizer<T extends Element>(): { ref: RefObject<T | null>; tokenizer: Tokenizer | null; error: string | null } {
  const ref = useRef<T | null>(null);
  const [tokenizer, setTokenizer] = useState<Tokenizer | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const load = (): void => {
      import('../lib/tokenizer')
        .then((m) => m.loadTokenizer())
        .then((t) => live && setTokenizer(t))
        .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    };
    const el = ref.current;
    if (!el || typeof IntersectionObserver === 'undefined') {
      load();
      return () => {
        live = false;
      };
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          observer.disconnect();
          load();
        }
      },
      { rootMargin: '200px' },
    );
    observer.observe(el);
    return () => {
      live = false;
      observer.disconnect();
    };
  }, []);
  return { ref, tokenizer, error };
}

/** A stable, readable colour per token id. */
export function tokenColor(id: number): string {
  const hue = (id * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 70% 85%)`;
}
