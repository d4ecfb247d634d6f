import React, { useCallback, useEffect, useRef, useState } from 'react';
import type { Encoder } from '../lib/runtime';
import { useEncoderTask } from './useEncoder';

interface Attn {
  tokens: string[];
  /** Per layer, [heads * S * S] (batch 1). */
  layers: Float32Array[];
  heads: number;
  seq: number;
  /** Positions holding text (BOS .. EOS); the EOS row is `length - 1`. */
  length: number;
  backend: string;
}

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
  const work = useCallback(
    async ({ tf, model, backend }: Encoder): Promise<Attn> => {
      const { loadTokenizer } = await import('../lib/runtime');
      const tokenizer = await loadTokenizer();
      const enc = tokenizer.encode([text], { padding: 'max_length', truncation: true, maxLength: tokenizer.modelMaxLength });
      const out = model.forward({ inputIds: enc.inputIds, attentionMask: enc.attentionMask, outputAttentions: true });
      const attentions = out.attentions ?? [];
      try {
        const layers = await Promise.all(attentions.map((t) => t.data() as Promise<Float32Array>));
        const [, heads = 0, seq = 0] = attentions[0]?.shape ?? [];
        const length = (enc.attentionMask[0] ?? []).reduce((a, b) => a + b, 0);
        return { tokens: tokenizer.convertIdsToTokens(enc.inputIds[0] ?? []), layers, heads, seq, length, backend };
      } finally {
        tf.dispose([out.lastHiddenState, out.poolerOutput, ...attentions]);
      }
    },
    [text],
  );
  const { run, result, busy, error } = useEncoderTask(work);
  const l = result ? Math.min(layer, result.layers.length - 1) : 0;
  const h = result ? Math.min(head, result.heads - 1) : 0;
  const stats = result ? maxima(result.layers[l] ?? new Float32Array(), h * result.seq * result.seq, result.seq, result.length) : null;

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
