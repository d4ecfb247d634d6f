import React, { useMemo, useState } from 'react';
import { tokenColor, useTokenizer } from './useTokenizer';

/**
 * CLIP's BPE on one word, step by step: the word's UTF-8 bytes, their GPT-2 byte symbols, then
 * each merge (the lowest-ranked adjacent pair, merged wherever it occurs), from
 * `tokenizer.bpeTrace(word)`; the words are `tokenizer.preTokenize(text)`'s.
 */
export default function BpeStepper({ initial = 'highres' }: { initial?: string }): React.JSX.Element {
  const { ref, tokenizer, error } = useTokenizer<HTMLDivElement>();
  const [text, setText] = useState(initial);
  const [pick, setPick] = useState(0);
  // Opens on step 0 (the bytes as symbols): the reader steps through the merges from the start.
  const [step, setStep] = useState(0);
  const words = useMemo(() => (tokenizer ? tokenizer.preTokenize(text) : []), [tokenizer, text]);
  const word = words[Math.min(pick, words.length - 1)] ?? null;
  const trace = useMemo(() => (tokenizer && word ? tokenizer.bpeTrace(word) : null), [tokenizer, word]);
  const last = trace?.steps.length ?? 0;
  const at = Math.min(step, last);
  const symbols = trace ? (at === 0 ? trace.byteSymbols : (trace.steps[at - 1]?.symbols ?? [])) : [];
  const current = trace && at > 0 ? trace.steps[at - 1] : null;
  return (
    <div className="sd-widget" data-testid="bpe-stepper" ref={ref}>
      <label className="sd-widget__label">
        Text
        <input
          className="sd-widget__input"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setPick(0);
            setStep(0);
          }}
        />
      </label>
      {error && <p className="sd-runtime__error">{error}</p>}
      {!tokenizer && !error && <p className="sd-widget__hint">Loading the tokenizer…</p>}
      {tokenizer && words.length > 1 && (
        <div className="sd-bpe__words" role="group" aria-label="words">
          {words.map((w, i) => (
            <button
              key={i}
              type="button"
              className={`button button--sm ${i === Math.min(pick, words.length - 1) ? 'button--primary' : 'button--secondary'}`}
              onClick={() => {
                setPick(i);
                setStep(0);
              }}
            >
              {w}
            </button>
          ))}
        </div>
      )}
      {trace && (
        <>
          <table className="sd-bpe__bytes" aria-label="UTF-8 bytes and their byte symbols">
            <tbody>
              <tr>
                <th scope="row">UTF-8 byte</th>
                {trace.bytes.map((b, i) => (
                  <td key={i}>{b.toString(16).padStart(2, '0')}</td>
                ))}
              </tr>
              <tr>
                <th scope="row">byte symbol</th>
                {trace.byteSymbols.map((s, i) => (
                  <td key={i}>{s}</td>
                ))}
              </tr>
            </tbody>
          </table>
          <div className="sd-widget__inline sd-stepper__controls">
            <button type="button" className="button button--secondary button--sm" disabled={at === 0} onClick={() => setStep(Math.max(0, at - 1))}>
              ◀ Back
            </button>
            <input type="range" min={0} max={last} value={at} aria-label="merge step" onChange={(e) => setStep(Number(e.target.value))} />
            <button type="button" className="button button--secondary button--sm" disabled={at === last} onClick={() => setStep(at + 1)}>
              Merge ▶
            </button>
            <span data-testid="bpe-step">
              step {at} of {last}
            </span>
          </div>
          <p className="sd-widget__hint" data-testid="bpe-merge">
            {current
              ? `merge rank ${current.rank}: ${current.pair[0]} + ${current.pair[1]} → ${current.merged}${current.count > 1 ? ` (${current.count} times)` : ''}`
              : 'the bytes as symbols, before any merge'}
            {at === last && ` — no ranked pair left: ${symbols.length} token${symbols.length === 1 ? '' : 's'}, ids ${trace.ids.join(', ')}`}
          </p>
          <div className="sd-chips" data-testid="bpe-symbols" data-symbols={JSON.stringify(symbols)}>
            {symbols.map((s, i) => (
              <span key={i} className="sd-chip" style={{ background: tokenColor(s.length * 7919 + s.charCodeAt(0)) }}>
                <span className="sd-chip__text">{s}</span>
              </span>
            ))}
          </div>
        </>
      )}
    </div>
  );
}
