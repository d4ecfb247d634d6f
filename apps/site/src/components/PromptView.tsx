import React, { useEffect, useState } from 'react';
import clsx from 'clsx';
import { useTokenizer } from './useTokenizer';
import type { Dialect, PromptExplanation, explainPrompt as ExplainPrompt } from '@sdtext/prompt';

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

// @sdtext/prompt is import()ed in the browser only (the server build aliases it to an empty module).
let explainModule: Promise<{ explainPrompt: typeof ExplainPrompt }> | null = null;
const loadExplain = (): Promise<{ explainPrompt: typeof ExplainPrompt }> => (explainModule ??= import('@sdtext/prompt'));

/** A chip's colour by weight: up-weighted warm, down-weighted cool, 1 neutral. */
function weightColor(w: number): string {
  if (w === 1) return 'hsl(0 0% 90%)';
  const strength = Math.min(1, Math.abs(Math.log(w)) / Math.log(1.6));
  return w > 1 ? `hsl(20 85% ${(88 - 22 * strength).toFixed(0)}%)` : `hsl(210 80% ${(90 - 20 * strength).toFixed(0)}%)`;
}

function formatWeight(w: number): string {
  return Number.isInteger(w) ? String(w) : String(Math.round(w * 1000) / 1000);
}

interface ChunkSummary {
  /** Tokens between BOS and the first EOS. */
  content: number;
  /** Padding after the EOS. */
  padding: number;
}

function summarize(tokens: number[], eos: number): ChunkSummary {
  const end = tokens.indexOf(eos, 1);
  const content = end < 0 ? tokens.length - 1 : end - 1;
  return { content, padding: Math.max(0, tokens.length - content - 2) };
}

/**
 * A prompt as a front end reads it: the weighted pieces and each 77-token chunk (BOS + 75 + EOS,
 * padded), every token coloured and labelled by its weight. Recomputed as the reader types.
 */
export default function PromptView({ initial = DEFAULT_PROMPT }: { initial?: string }): React.JSX.Element {
  const { ref, tokenizer, error: loadError } = useTokenizer<HTMLDivElement>();
  const [text, setText] = useState(initial);
  const [settled, setSettled] = useState(initial);
  const [dialect, setDialect] = useState<Dialect>('a1111');
  const [view, setView] = useState<PromptExplanation | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const timer = setTimeout(() => setSettled(text), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);

  useEffect(() => {
    if (!tokenizer) return;
    let live = true;
    loadExplain()
      .then(({ explainPrompt }) => {
        if (!live) return;
        try {
          setView(explainPrompt(settled, dialect, tokenizer));
          setError(null);
        } catch (e) {
          // A prompt the front end itself rejects (compel's syntax errors, `(a:1.2.3)` in A1111).
          setView(null);
          setError(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
        }
      })
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [tokenizer, settled, dialect]);

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
      {(loadError ?? error) && <p className="sd-runtime__error" data-testid="prompt-error">{loadError ?? error}</p>}
      {!view && !error && !loadError && <p className="sd-widget__hint">Loading the tokenizer…</p>}
      {view && tokenizer && (
        <div aria-live="polite" data-testid="prompt-result" data-chunks={view.chunks.length}>
          <p className="sd-widget__hint">Weighted pieces ({dialect === 'a1111' ? 'parsePromptAttention' : dialect === 'comfy' ? 'parseComfyPrompt' : "compel's parser"}):</p>
          <div className="sd-chips" data-testid="prompt-pieces">
            {view.pieces.map((p, i) =>
              p.weight === -1 && p.text === 'BREAK' ? (
                <span key={i} className="sd-chip sd-chip--special sd-prompt__break">BREAK</span>
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
          {view.chunks.map((chunk, c) => {
            const s = summarize(chunk.tokens, tokenizer.eosTokenId);
            const names = tokenizer.convertIdsToTokens(chunk.tokens.slice(1, s.content + 1));
            return (
              <div key={c} className="sd-prompt__chunk" data-testid="prompt-chunk">
                <p className="sd-widget__hint">
                  <strong>Chunk {c + 1}</strong>: {s.content} of 75 tokens
                  {c < view.chunks.length - 1 && s.content < 75 && ' (ended early: BREAK, or the words after a comma moved on to the next chunk)'}
                </p>
                <div className="sd-chips">
                  <span className="sd-chip sd-chip--special">
                    <span className="sd-chip__text">&lt;|startoftext|&gt;</span>
                    <span className="sd-chip__id">{chunk.tokens[0]}</span>
                  </span>
                  {names.map((t, i) => {
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
                    <span className="sd-chip__id">{tokenizer.eosTokenId}</span>
                  </span>
                  {s.padding > 0 && <span className="sd-widget__hint">+ {s.padding} padding</span>}
                </div>
                <div className="sd-budget" aria-label={`chunk ${c + 1}: ${s.content} of 75 tokens used`}>
                  {Array.from({ length: 77 }, (_, i) => {
                    const kind = i === 0 || i === s.content + 1 ? 'special' : i <= s.content ? 'used' : 'pad';
                    return <span key={i} className={`sd-budget__slot sd-budget__slot--${kind}`} />;
                  })}
                </div>
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
