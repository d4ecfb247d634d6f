import React, { useMemo, useState } from 'react';
import { useEncoderTask } from './useEncoder';

const DEFAULT_PROMPTS = ['a photo of a cat', 'a photo of a kitten', 'a photo of a woman wearing a red dress', 'a red dress', 'an oil painting of a harbour at night'];

/** Cosine similarity between the prompts' pooled embeddings (pooler_output, the EOS row). */
export default function Similarity(): React.JSX.Element {
  const [text, setText] = useState(DEFAULT_PROMPTS.join('\n'));
  // Computed in the cells' worker: pooler_output of each prompt, then cosine similarity.
  const task = useMemo(() => ({ kind: 'similarity' as const, prompts: text.split('\n').map((s) => s.trim()).filter(Boolean) }), [text]);
  const { run, result, busy, error } = useEncoderTask(task);
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
          {/* The prompts as a numbered list, the table by number: on a phone the numbers fit the screen. */}
          <ol className="sd-sim__legend" data-testid="similarity-legend">
            {result.prompts.map((prompt, i) => (
              <li key={i}>{prompt}</li>
            ))}
          </ol>
          <table aria-label="cosine similarity of the prompts' pooler_output, by prompt number">
            <thead>
              <tr>
                <th />
                {result.prompts.map((_, j) => (
                  <th key={j} scope="col">
                    {j + 1}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.values.map((row, i) => (
                <tr key={i}>
                  <th scope="row" title={result.prompts[i]}>
                    {i + 1}
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
          <p className="sd-widget__hint">Computed on {result.backend}.</p>
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
