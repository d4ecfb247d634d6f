import React from 'react';

// Inline SVG diagrams (no runtime, fine in the static build). Sizes are SD2's text encoder.

function Box({ x, y, w, h, label, sub, kind = 'op' }: { x: number; y: number; w: number; h: number; label: string; sub?: string; kind?: string }): React.JSX.Element {
  return (
    <g className={`sd-svg__box sd-svg__box--${kind}`}>
      <rect x={x} y={y} width={w} height={h} rx={6} />
      <text x={x + w / 2} y={y + (sub ? h / 2 - 3 : h / 2 + 4)} textAnchor="middle">
        {label}
      </text>
      {sub && (
        <text x={x + w / 2} y={y + h / 2 + 12} textAnchor="middle" className="sd-svg__sub">
          {sub}
        </text>
      )}
    </g>
  );
}

function Arrow({ x1, y1, x2, y2 }: { x1: number; y1: number; x2: number; y2: number }): React.JSX.Element {
  return <line x1={x1} y1={y1} x2={x2} y2={y2} className="sd-svg__arrow" markerEnd="url(#sd-arrow)" />;
}

function Defs(): React.JSX.Element {
  return (
    <defs>
      <marker id="sd-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
        <path d="M 0 0 L 10 5 L 0 10 z" className="sd-svg__head" />
      </marker>
    </defs>
  );
}

/** CLIPTextTransformer: embeddings, N pre-norm encoder layers with causal self-attention, final norm, EOS pooling. */
export function TextTransformerDiagram(): React.JSX.Element {
  const cx = 250;
  return (
    <figure className="sd-figure">
      <svg viewBox="0 0 640 620" role="img" aria-labelledby="sd-tt-title" className="sd-svg">
        <title id="sd-tt-title">The CLIP text transformer as used by Stable Diffusion 2</title>
        <Defs />
        <Box x={150} y={10} w={200} h={40} label="input_ids [B, S]" sub="from the tokenizer" kind="io" />
        <Arrow x1={cx} y1={50} x2={cx} y2={72} />
        <Box x={90} y={74} w={150} h={44} label="token_embedding" sub="Embedding(49408, 1024)" />
        <Box x={260} y={74} w={150} h={44} label="position_embedding" sub="Embedding(77, 1024)" />
        <text x={cx} y={138} textAnchor="middle" className="sd-svg__plus">+</text>
        <Arrow x1={cx} y1={142} x2={cx} y2={172} />
        <rect x={60} y={174} width={380} height={250} rx={10} className="sd-svg__layer" />
        <text x={70} y={194} className="sd-svg__caption">CLIPEncoderLayer × 23</text>
        <Box x={150} y={206} w={200} h={32} label="layer_norm1" />
        <Arrow x1={cx} y1={238} x2={cx} y2={252} />
        <Box x={150} y={254} w={200} h={44} label="self_attn: 16 heads" sub="causal mask + attention_mask" kind="attn" />
        <text x={372} y={282} className="sd-svg__plus">⊕ residual</text>
        <Arrow x1={cx} y1={298} x2={cx} y2={318} />
        <Box x={150} y={320} w={200} h={32} label="layer_norm2" />
        <Arrow x1={cx} y1={352} x2={cx} y2={366} />
        <Box x={150} y={368} w={200} h={44} label="mlp: fc1 → GELU → fc2" sub="1024 → 4096 → 1024" kind="mlp" />
        <text x={372} y={396} className="sd-svg__plus">⊕ residual</text>
        <Arrow x1={cx} y1={424} x2={cx} y2={446} />
        <Box x={150} y={448} w={200} h={32} label="final_layer_norm" />
        <Arrow x1={cx} y1={480} x2={cx} y2={502} />
        <Box x={130} y={504} w={240} h={44} label="last_hidden_state [B, S, 1024]" sub="what SD2's UNet cross-attends to" kind="io" />
        <Arrow x1={370} y1={526} x2={448} y2={526} />
        <Box x={450} y={504} w={180} h={44} label="pooler_output [B, 1024]" sub="the row at each EOS token" kind="io" />
        <text x={320} y={588} textAnchor="middle" className="sd-svg__caption">
          Each position attends only to itself and earlier positions (causal), so padding after the text never changes it.
        </text>
      </svg>
      <figcaption>The text encoder of Stable Diffusion 2 (OpenCLIP ViT-H/14&apos;s text tower, penultimate layer): pre-norm transformer blocks, x = x + attn(ln1(x)); x = x + mlp(ln2(x)).</figcaption>
    </figure>
  );
}

/** CLIP's contrastive training: matching (image, caption) pairs on the diagonal of a similarity matrix. */
export function ClipTrainingDiagram(): React.JSX.Element {
  const n = 4;
  return (
    <figure className="sd-figure">
      <svg viewBox="0 0 640 300" role="img" aria-labelledby="sd-clip-title" className="sd-svg">
        <title id="sd-clip-title">CLIP: a text encoder and an image encoder trained so matching pairs have similar embeddings</title>
        <Defs />
        <Box x={10} y={30} w={150} h={44} label="captions" sub='"a photo of a cat", …' kind="io" />
        <Arrow x1={160} y1={52} x2={200} y2={52} />
        <Box x={202} y={30} w={150} h={44} label="text encoder" sub="→ T₁ … Tₙ" kind="attn" />
        <Box x={10} y={110} w={150} h={44} label="images" sub="the photos" kind="io" />
        <Arrow x1={160} y1={132} x2={200} y2={132} />
        <Box x={202} y={110} w={150} h={44} label="image encoder" sub="→ I₁ … Iₙ" kind="mlp" />
        <Arrow x1={352} y1={52} x2={400} y2={80} />
        <Arrow x1={352} y1={132} x2={400} y2={110} />
        {Array.from({ length: n * n }, (_, k) => {
          const i = Math.floor(k / n);
          const j = k % n;
          return <rect key={k} x={410 + j * 44} y={30 + i * 44} width={40} height={40} rx={4} className={i === j ? 'sd-svg__match' : 'sd-svg__cell'} />;
        })}
        {Array.from({ length: n }, (_, i) => (
          <text key={i} x={432 + i * 44} y={22} textAnchor="middle" className="sd-svg__sub">
            T{i + 1}
          </text>
        ))}
        {Array.from({ length: n }, (_, i) => (
          <text key={i} x={398} y={56 + i * 44} textAnchor="end" className="sd-svg__sub">
            I{i + 1}
          </text>
        ))}
        <text x={320} y={240} textAnchor="middle" className="sd-svg__caption">
          cos(Iᵢ, Tⱼ) for a batch: training raises the diagonal (true pairs) and lowers the rest.
        </text>
        <text x={320} y={262} textAnchor="middle" className="sd-svg__caption">
          Stable Diffusion keeps only the text encoder, and uses its per-token hidden states.
        </text>
      </svg>
      <figcaption>Contrastive pre-training as in the CLIP paper (Radford et al., 2021, &quot;Learning Transferable Visual Models From Natural Language Supervision&quot;).</figcaption>
    </figure>
  );
}
