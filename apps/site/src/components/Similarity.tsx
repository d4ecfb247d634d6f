import React, { useCallback, useState } from 'react';
import type { Encoder } from '../lib/runtime';
import { useEncoderTask } from './useEncoder';

const DEFAULT_PROMPTS = ['a photo of a cat', 'a photo of a kitten', 'a photo of a woman wearing a red dress', 'a red dress', 'an oil painting of a harbour at night'];

interface Matrix {
  prompts: string[];
  values: number[][];
  model: string;
}

/** Cosine similarity between the prompts' pooled embeddings (pooler_output, the EOS row). */
export default function Similarity(): React.JSX.Element {
  const [text, setText] = useState(DEFAULT_PROMPTS.join('\n'));
  const work = useCallback(
    async ({ tf, model, modelChoice }: Encoder): Promise<Matrix> => {
      const { loadTokenizer } = await import('../lib/runtime');
      const tokenizer = await loadTokenizer();
      const prompts = text.split('\n').map((s) => s.trim()).filter(Boolean);
      const enc = tokenizer.encode(prompts, { padding: 'longest', truncation: true, maxLength: tokenizer.modelMaxLength });
      const out = model.forward({ inputIds: enc.inputIds, attentionMask: enc.attentionMask });
      const sims = tf.tidy(() => {
        const pooled = out.poolerOutput;
        const unit = tf.div(pooled, tf.norm(pooled, 2, 1, true));
        return tf.matMul(unit, unit, false, true);
      });
      const values = (await sims.array()) as number[][];
      tf.dispose([sims, out.lastHiddenState, out.poolerOutput]);
      return { prompts, values, model: modelChoice };
    },
    [text],
  );
  const { run, result, busy, error } = useEncoderTask(work);
  return (
    <div className="sd-widget" data-testid="similarity">
      <label className="sd-widget__label">
        Prompts, one per line
        <textarea className="sd-widget__text" rows={5} value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <button type="button" className="button button--primary button--sm" disabled={busy} onClick={() => void run()}>
        {busy ? 'Encoding…' : 'Compare'}
      </button>
      {error && <p className="sd-runtime__error">{error}</p>}
      {result && (
        <div className="sd-sim">
          <table>
            <thead>
              <tr>
                <th />
                {result.prompts.map((_, j) => (
                  <th key={j}>{j + 1}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.values.map((row, i) => (
                <tr key={i}>
                  <th className="sd-sim__prompt">
                    {i + 1}. {result.prompts[i]}
                  </th>
                  {row.map((v, j) => (
                    <td key={j} style={{ background: `hsl(${(120 * Math.max(0, v)).toFixed(0)} 70% ${(92 - 30 * Math.max(0, v)).toFixed(0)}%)` }}>
                      {v.toFixed(3)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {result.model === 'tiny' && (
            <p className="sd-widget__hint">
              The demo model is random: these similarities mean nothing. Load the real SD2 text encoder above to see related prompts score higher.
            </p>
          )}
        </div>
      )}
    </div>
  );
}
