import React, { useEffect, useRef, useState } from 'react';
import clsx from 'clsx';
import type { Dialect } from '@sdtext/prompt';
import type { ChunkEnding, PromptReport } from '../lib/prompt-explain';

const DEFAULT_PROMPT = 'a (red:1.3) cat, [blurry] BREAK masterpiece';
const DIALECTS: { id: Dialect; label: string }[] = [
  { id: 'a1111', label: 'A1111' },
  { id: 'comfy', label: 'ComfyUI' },
  { id: 'compel', label: 'compel' },
];
/** A long prompt of short comma-separated phrases: its first chunk fills up, and A1111 moves the words after the last comma on. */
const LONG_PROMPT = Array.from({ length: 14 }, (_, i) => `(a detailed picture:1.${i % 5}) of ${['a cat', 'a dog', 'red hair', 'a hat', 'the sea'][i % 5]}`).join(', ');
/** How long typing must pause before the view is recomputed. */
const DEBOUNCE_MS = 150;

const ENDINGS: Record<Exclude<ChunkEnding, null>, string> = {
  break: 'ended early at BREAK',
  comma: 'ended early: the chunk filled up and the words after its last comma moved on to the next chunk (comma backtrack)',
  word: 'ended early: the next word did not fit and moved on whole to the next chunk',
};

/** True once the element has come near the viewport (the worker and the vocabulary load only then). */
function useNearViewport(ref: React.RefObject<Element | null>): boolean {
  const [near, setNear] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof IntersectionObserver === 'undefined') {
      setNear(true);
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        observer.disconnect();
        setNear(true);
      }
    }, { rootMargin: '200px' });
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return near;
}

/** A chip's colour by weight: up-weighted warm, down-weighted cool, 1 neutral. */
function weightColor(w: number): string {
  if (w === 1) return 'hsl(0 0% 90%)';
  const strength = Math.min(1, Math.abs(Math.log(w)) / Math.log(1.6));
  return w > 1 ? `hsl(20 85% ${(88 - 22 * strength).toFixed(0)}%)` : `hsl(210 80% ${(90 - 20 * strength).toFixed(0)}%)`;
}

function formatWeight(w: number): string {
  return Number.isInteger(w) ? String(w) : String(Math.round(w * 1000) / 1000);
}

/**
 * A prompt as a front end reads it: the weighted pieces and each 77-token chunk (BOS + 75 + EOS,
 * padded), every token coloured and labelled by its weight. Recomputed as the reader types, by the
 * front end's parser in a worker of its own (src/lib/prompt-worker.ts), so typing never waits on it.
 */
export default function PromptView({ initial = DEFAULT_PROMPT }: { initial?: string }): React.JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const near = useNearViewport(ref);
  const [text, setText] = useState(initial);
  const [settled, setSettled] = useState(initial);
  const [dialect, setDialect] = useState<Dialect>('a1111');
  const [view, setView] = useState<PromptReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const timer = setTimeout(() => setSettled(text), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);

  useEffect(() => {
    if (!near) return;
    let live = true;
    import('../lib/prompt-client')
      .then(async ({ explainInWorker, SupersededError }) => {
        try {
          const report = await explainInWorker(settled, dialect);
          if (!live) return;
          setView(report);
          setError(null);
        } catch (e) {
          if (!live || e instanceof SupersededError) return;
          setView(null);
          setError(e instanceof Error ? e.message : String(e));
        }
      })
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [near, settled, dialect]);

  return (
    <div className="sd-widget" data-testid="prompt-view" ref={ref}>
      <label className="sd-widget__label">
        Type a prompt
        <textarea className="sd-widget__text" value={text} rows={2} onChange={(e) => setText(e.target.value)} data-testid="prompt-input" />
      </label>
      <div className="sd-prompt__controls">
        <div className="sd-tabs" role="radiogroup" aria-label="Front end">
          {DIALECTS.map((d) => (
            <button
              key={d.id}
              type="button"
              role="radio"
              aria-checked={dialect === d.id}
              className={clsx('sd-tab', dialect === d.id && 'sd-tab--active')}
              data-dialect={d.id}
              onClick={() => setDialect(d.id)}
            >
              {d.label}
            </button>
          ))}
        </div>
        <button type="button" className="button button--secondary button--sm" onClick={() => setText(DEFAULT_PROMPT)}>
          BREAK example
        </button>
        <button type="button" className="button button--secondary button--sm" onClick={() => setText(LONG_PROMPT)}>
          Long prompt
        </button>
      </div>
      {error && (
        <p className="sd-runtime__error" data-testid="prompt-error">
          {error}
        </p>
      )}
      {!view && !error && <p className="sd-widget__hint">Loading the tokenizer…</p>}
      {view && (
        <div aria-live="polite" data-testid="prompt-result" data-chunks={view.chunks.length}>
          <p className="sd-widget__hint">Weighted pieces ({view.dialect === 'a1111' ? 'parsePromptAttention' : view.dialect === 'comfy' ? 'parseComfyPrompt' : "compel's parser"}):</p>
          <div className="sd-chips" data-testid="prompt-pieces">
            {view.pieces.map((p, i) =>
              p.weight === -1 && p.text === 'BREAK' ? (
                <span key={i} className="sd-chip sd-chip--special sd-prompt__break">
                  BREAK
                </span>
              ) : (
                <span key={i} className="sd-chip" style={{ background: weightColor(p.weight) }}>
                  <span className="sd-chip__text">{p.text === '' ? '∅' : JSON.stringify(p.text)}</span>
                  <span className="sd-chip__id">×{formatWeight(p.weight)}</span>
                </span>
              ),
            )}
          </div>
          <p className="sd-widget__hint" data-testid="prompt-summary">
            {view.chunks.length} chunk{view.chunks.length === 1 ? '' : 's'} of 77 tokens → embeddings [1, {77 * view.chunks.length}, H]
          </p>
          {view.chunks.map((chunk, c) => (
            <div key={c} className="sd-prompt__chunk" data-testid="prompt-chunk" data-ending={chunk.ending ?? ''}>
              <p className="sd-widget__hint">
                <strong>Chunk {c + 1}</strong>: {chunk.content} of 75 tokens
                {chunk.ending && <span data-testid="prompt-ending"> ({ENDINGS[chunk.ending]})</span>}
              </p>
              <div className="sd-chips">
                <span className="sd-chip sd-chip--special">
                  <span className="sd-chip__text">&lt;|startoftext|&gt;</span>
                  <span className="sd-chip__id">{chunk.tokens[0]}</span>
                </span>
                {chunk.names.map((t, i) => {
                  const w = chunk.weights[i + 1] ?? 1;
                  const endOfWord = t.endsWith('</w>');
                  return (
                    <span key={i} className="sd-chip" style={{ background: weightColor(w) }} title={`id ${chunk.tokens[i + 1]}, weight ${formatWeight(w)}`}>
                      <span className="sd-chip__text">
                        {endOfWord ? t.slice(0, -4) : t}
                        {endOfWord && <span className="sd-chip__eow">&lt;/w&gt;</span>}
                      </span>
                      <span className={clsx('sd-chip__id', w !== 1 && 'sd-prompt__weight')}>×{formatWeight(w)}</span>
                    </span>
                  );
                })}
                <span className="sd-chip sd-chip--special">
                  <span className="sd-chip__text">&lt;|endoftext|&gt;</span>
                  <span className="sd-chip__id">{view.eosTokenId}</span>
                </span>
                {chunk.padding > 0 && <span className="sd-widget__hint">+ {chunk.padding} padding</span>}
              </div>
              <div className="sd-budget" aria-label={`chunk ${c + 1}: ${chunk.content} of 75 tokens used`}>
                {Array.from({ length: 77 }, (_, i) => {
                  const kind = i === 0 || i === chunk.content + 1 ? 'special' : i <= chunk.content ? 'used' : 'pad';
                  return <span key={i} className={`sd-budget__slot sd-budget__slot--${kind}`} />;
                })}
              </div>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
