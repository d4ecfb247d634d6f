import React, { useEffect, useMemo, useRef, useState } from 'react';
import { useEncoderTask } from './useEncoder';

/** A diverging colour: blue (negative), white (0), red (positive); v in [-1, 1]. */
function diverging(v: number): [number, number, number] {
  const t = Math.max(-1, Math.min(1, v));
  const k = Math.round(255 * (1 - Math.abs(t)));
  return t >= 0 ? [255, k, k] : [k, k, 255];
}

/** The hidden states of one prompt as an image: a row per token, a column per channel. */
export default function Heatmap({ initial = 'a photo of a woman wearing a red dress' }: { initial?: string }): React.JSX.Element {
  const [text, setText] = useState(initial);
  const [layer, setLayer] = useState(-1);
  const canvas = useRef<HTMLCanvasElement>(null);
  // Computed in the cells' worker: embeddings, each layer's output, then last_hidden_state (after final_layer_norm).
  const task = useMemo(() => ({ kind: 'hidden-states' as const, text }), [text]);
  const { run, result, busy, error } = useEncoderTask(task);

  useEffect(() => {
    const el = canvas.current;
    if (!result || !el) return;
    const data = result.layers.at(layer) ?? result.layers[result.layers.length - 1];
    if (!data) return;
    el.width = result.hidden;
    el.height = result.seq;
    const ctx = el.getContext('2d');
    if (!ctx) return;
    const sorted = Array.from(data, Math.abs).sort((a, b) => a - b);
    const scale = sorted[Math.floor(0.99 * (sorted.length - 1))] || 1; // clip the few huge channels
    const image = ctx.createImageData(result.hidden, result.seq);
    for (let i = 0; i < data.length; i++) {
      const [r, g, b] = diverging((data[i] ?? 0) / scale);
      image.data.set([r, g, b, 255], 4 * i);
    }
    ctx.putImageData(image, 0, 0);
  }, [result, layer]);

  const count = result?.layers.length ?? 0;
  return (
    <div className="sd-widget" data-testid="heatmap">
      <label className="sd-widget__label">
        Prompt
        <input className="sd-widget__input" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <button type="button" className="button button--primary button--sm" disabled={busy} onClick={() => void run()}>
        {busy ? 'Encoding…' : 'Encode and draw'}
      </button>
      {error && <p className="sd-runtime__error">{error}</p>}
      {result && count > 1 && (
        <label className="sd-widget__label sd-widget__inline">
          Hidden state{' '}
          <input type="range" min={0} max={count - 1} value={layer < 0 ? count - 1 : layer} onChange={(e) => setLayer(Number(e.target.value))} />
          <span>
            {(layer < 0 ? count - 1 : layer) === 0
              ? 'embeddings (token + position)'
              : (layer < 0 ? count - 1 : layer) === count - 1
                ? 'last_hidden_state (after final_layer_norm)'
                : `after layer ${layer < 0 ? count - 1 : layer}`}
          </span>
        </label>
      )}
      {result && (
        <div className="sd-heatmap">
          <div className="sd-heatmap__tokens" style={{ gridTemplateRows: `repeat(${result.seq}, 1fr)` }}>
            {result.tokens.map((t, i) => (
              <span key={i}>{t}</span>
            ))}
          </div>
          <canvas ref={canvas} className="sd-heatmap__canvas" style={{ height: `${result.seq * 18}px` }} aria-label="hidden state heatmap" />
        </div>
      )}
      {result && (
        <p className="sd-widget__hint">
          {result.seq} tokens × {result.hidden} channels on {result.backend}. Blue negative, red positive, scaled to the 99th percentile of |value|.
        </p>
      )}
    </div>
  );
}
