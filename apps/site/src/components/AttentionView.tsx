import React, { useEffect, useMemo, useRef, useState } from 'react';
import { useEncoderTask } from './useEncoder';

/** Largest probability above the diagonal (j > i) and in the padding columns (j >= length). */
function maxima(p: Float32Array, offset: number, seq: number, length: number): { upper: number; pad: number } {
  let upper = 0;
  let pad = 0;
  for (let i = 0; i < seq; i++) {
    for (let j = 0; j < seq; j++) {
      const v = p[offset + i * seq + j] ?? 0;
      if (j > i) upper = Math.max(upper, v);
      if (j >= length) pad = Math.max(pad, v);
    }
  }
  return { upper, pad };
}

/**
 * The attention probabilities of one prompt padded to 77 (with its attention mask), per layer and
 * head: a row per query position, a column per key. Above the diagonal is the causal mask, the
 * right-hand columns the padding, and the EOS row (the one `pooler_output` takes) is outlined.
 */
export default function AttentionView({ initial = 'a photo of a cat' }: { initial?: string }): React.JSX.Element {
  const [text, setText] = useState(initial);
  const [layer, setLayer] = useState(0);
  const [head, setHead] = useState(0);
  const canvas = useRef<HTMLCanvasElement>(null);
  // Computed in the cells' worker: `encode({ ..., outputAttentions: true }).attentions`, one [1, heads, 77, 77] per layer.
  const task = useMemo(() => ({ kind: 'attention' as const, text }), [text]);
  const { run, result, busy, error } = useEncoderTask(task);
  const l = result ? Math.min(layer, result.layers.length - 1) : 0;
  const h = result ? Math.min(head, result.heads - 1) : 0;
  const stats = result ? maxima(result.layers[l] ?? new Float32Array(), h * result.seq * result.seq, result.seq, result.length) : null;
  // The EOS row's weights on the prompt's positions (what pooler_output's position attends to): the e2e test holds the engines to each other with it.
  const eosRow = result ? Array.from((result.layers[l] ?? new Float32Array()).subarray(h * result.seq * result.seq + (result.length - 1) * result.seq, h * result.seq * result.seq + (result.length - 1) * result.seq + result.length)) : [];

  useEffect(() => {
    const el = canvas.current;
    if (!result || !el) return;
    const data = result.layers[l];
    if (!data) return;
    const { seq, length } = result;
    el.width = seq;
    el.height = seq;
    const ctx = el.getContext('2d');
    if (!ctx) return;
    const image = ctx.createImageData(seq, seq);
    const offset = h * seq * seq;
    for (let i = 0; i < seq; i++) {
      for (let j = 0; j < seq; j++) {
        const v = Math.sqrt(Math.max(0, Math.min(1, data[offset + i * seq + j] ?? 0))); // sqrt: small weights stay visible
        const k = Math.round(255 * (1 - v));
        // Masked-out cells (above the diagonal, padding columns) are grey when exactly 0.
        const masked = (j > i || j >= length) && v === 0;
        image.data.set(masked ? [200, 200, 200, 255] : [255, k, k, 255], 4 * (i * seq + j));
      }
    }
    ctx.putImageData(image, 0, 0);
    // The EOS row, outlined.
    ctx.strokeStyle = 'rgb(0, 90, 200)';
    ctx.lineWidth = 1;
    ctx.strokeRect(0, length - 1, seq, 1);
  }, [result, l, h]);

  return (
    <div className="sd-widget" data-testid="attention-view">
      <label className="sd-widget__label">
        Prompt
        <input className="sd-widget__input" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <button type="button" className="button button--primary button--sm" disabled={busy} onClick={() => void run()}>
        {busy ? 'Encoding…' : 'Encode and draw the attention'}
      </button>
      {error && <p className="sd-runtime__error">{error}</p>}
      {result && (
        <div className="sd-widget__inline sd-attn__pickers">
          <label>
            Layer{' '}
            <select value={l} onChange={(e) => setLayer(Number(e.target.value))} aria-label="layer">
              {result.layers.map((_, i) => (
                <option key={i} value={i}>
                  {i}
                </option>
              ))}
            </select>
          </label>
          <label>
            Head{' '}
            <select value={h} onChange={(e) => setHead(Number(e.target.value))} aria-label="head">
              {Array.from({ length: result.heads }, (_, i) => (
                <option key={i} value={i}>
                  {i}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {result && stats && (
        <>
          <canvas
            ref={canvas}
            className="sd-attn__canvas"
            data-testid="attention-map"
            data-layer={l}
            data-head={h}
            data-seq={result.seq}
            data-length={result.length}
            data-upper-max={String(stats.upper)}
            data-padding-max={String(stats.pad)}
            data-eos-row={JSON.stringify(eosRow)}
            aria-label={`attention probabilities, layer ${l}, head ${h}`}
          />
          <p className="sd-widget__hint">
            Layer {l}, head {h} of {result.layers.length} × {result.heads} on {result.backend}: {result.seq} query rows × {result.seq} key columns; the
            prompt fills {result.length} positions ({result.tokens.slice(0, result.length).join(' ')}), the rest is padding. Largest weight above the
            diagonal: {stats.upper}; in the padding columns: {stats.pad}. The outlined row {result.length - 1} is the end token&apos;s, the one
            pooler_output reads.
          </p>
        </>
      )}
    </div>
  );
}
