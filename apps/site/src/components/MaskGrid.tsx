import React, { useMemo, useState } from 'react';
import { tokenColor, useTokenizer } from './useTokenizer';

const DEFAULTS = ['a highres photo of a woman wearing a red dress', ['a', ...Array<string>(100).fill('very'), 'text'].join(' ')];

/** The batch the tokenizer builds with padding="max_length", truncation: ids and attention mask per slot. */
export default function MaskGrid({ prompts = DEFAULTS }: { prompts?: string[] }): React.JSX.Element {
  const { ref, tokenizer } = useTokenizer<HTMLDivElement>();
  const [texts, setTexts] = useState(prompts);
  const batch = useMemo(
    () => tokenizer?.encode(texts, { padding: 'max_length', maxLength: tokenizer.modelMaxLength, truncation: true }) ?? null,
    [tokenizer, texts],
  );
  return (
    <div className="sd-widget" data-testid="mask-grid" ref={ref}>
      {texts.map((t, row) => (
        <label key={row} className="sd-widget__label">
          Prompt {row + 1}
          <input className="sd-widget__input" value={t} onChange={(e) => setTexts(texts.map((x, i) => (i === row ? e.target.value : x)))} />
        </label>
      ))}
      {!batch && <p className="sd-widget__hint">Loading the tokenizer…</p>}
      {batch && (
        <div className="sd-mask">
          {batch.inputIds.map((ids, row) => (
            <div key={row} className="sd-mask__row">
              <span className="sd-mask__label">
                row {row}: {batch.attentionMask[row]?.reduce((a, b) => a + b, 0)} ones
              </span>
              <div className="sd-mask__cells">
                {ids.map((id, i) => {
                  const on = batch.attentionMask[row]?.[i] === 1;
                  return (
                    <span
                      key={i}
                      className={on ? 'sd-mask__cell sd-mask__cell--on' : 'sd-mask__cell'}
                      style={on ? { background: tokenColor(id) } : undefined}
                      title={`position ${i}: id ${id}, mask ${on ? 1 : 0}`}
                    >
                      {on ? 1 : 0}
                    </span>
                  );
                })}
              </div>
            </div>
          ))}
          <p className="sd-widget__hint">Coloured: attention_mask = 1 (text and its start/end tokens). Grey: padding (id 0, the pad token &quot;!&quot;), mask 0. Hover a slot for its id.</p>
        </div>
      )}
    </div>
  );
}
