import React, { useCallback, useState } from 'react';
import type { Encoder } from '../lib/runtime';
import { useEncoderTask } from './useEncoder';

interface Step {
  label: string;
  /** The line of the module tree this step runs (index into `lines`). */
  line: number;
  /** What the values shown are. */
  state: string;
  shape: number[];
  values: number[];
}

interface Trace {
  lines: string[];
  steps: Step[];
  backend: string;
}

const SUB_STEPS = [
  { label: 'layer_norm1', find: '(layer_norm1)' },
  { label: 'self_attn (causal + padding mask)', find: '(self_attn)' },
  { label: 'residual: x = x + self_attn(layer_norm1(x))', find: null },
  { label: 'layer_norm2', find: '(layer_norm2)' },
  { label: 'mlp (fc1, GELU, fc2)', find: '(mlp)' },
  { label: 'residual: x = x + mlp(layer_norm2(x))', find: null },
] as const;

/**
 * CLIPTextTransformer's forward pass one step at a time, beside its printed module tree
 * (`describeCLIPTextTransformer` of the loaded model's config): embeddings, each layer's six
 * sub-steps, final_layer_norm, pooling; the hidden state's shape and first values at each step
 * (from `outputHiddenStates`; inside a layer the values are the layer's input until its last residual).
 */
export default function ForwardStepper({ initial = 'a photo of a cat' }: { initial?: string }): React.JSX.Element {
  const [text, setText] = useState(initial);
  const [at, setAt] = useState(0);
  const work = useCallback(
    async ({ tf, model, backend }: Encoder): Promise<Trace> => {
      const { loadTokenizer } = await import('../lib/runtime');
      const { loadTextEncoderPackage } = await import('../lib/lazy');
      const { describeCLIPTextTransformer } = await loadTextEncoderPackage();
      const tokenizer = await loadTokenizer();
      const lines = describeCLIPTextTransformer(model.config).split('\n');
      const enc = tokenizer.encode([text], { padding: 'max_length', truncation: true, maxLength: tokenizer.modelMaxLength });
      const out = model.forward({ inputIds: enc.inputIds, attentionMask: enc.attentionMask, outputHiddenStates: true });
      const states = out.hiddenStates ?? [];
      try {
        const first = async (t: { data(): Promise<unknown>; shape: number[] }): Promise<{ shape: number[]; values: number[] }> => {
          const d = (await t.data()) as Float32Array;
          return { shape: [...t.shape], values: Array.from(d.subarray(0, 4)) };
        };
        const hidden = await Promise.all(states.map(first));
        const last = await first(out.lastHiddenState);
        const pooled = await first(out.poolerOutput);
        const find = (needle: string, from = 0): number => {
          const i = lines.findIndex((line, k) => k >= from && line.includes(needle));
          return i < 0 ? 0 : i;
        };
        const steps: Step[] = [];
        const emb = hidden[0] ?? last;
        steps.push({ label: 'embeddings: token_embedding(ids) + position_embedding', line: find('(embeddings)'), state: 'hidden_states[0]', ...emb });
        const layers = states.length - 1;
        for (let n = 0; n < layers; n++) {
          const header = find(`(${n}): CLIPEncoderLayer`);
          SUB_STEPS.forEach((s, k) => {
            const done = k === SUB_STEPS.length - 1;
            const state = done ? hidden[n + 1] : hidden[n];
            steps.push({
              label: `layer ${n}: ${s.label}`,
              line: s.find ? find(s.find, header) : header,
              state: done ? `hidden_states[${n + 1}] (layer ${n}'s output)` : `hidden_states[${n}] (layer ${n}'s input)`,
              ...(state ?? last),
            });
          });
        }
        steps.push({ label: 'final_layer_norm', line: find('(final_layer_norm)'), state: 'last_hidden_state', ...last });
        steps.push({ label: "pooling: the row at each prompt's end token", line: 0, state: 'pooler_output', ...pooled });
        return { lines, steps, backend };
      } finally {
        tf.dispose([out.lastHiddenState, out.poolerOutput, ...states]);
      }
    },
    [text],
  );
  const { run, result, busy, error } = useEncoderTask(work);
  const count = result?.steps.length ?? 0;
  const i = Math.min(at, Math.max(0, count - 1));
  const step = result?.steps[i];
  return (
    <div className="sd-widget" data-testid="forward-stepper">
      <label className="sd-widget__label">
        Prompt
        <input className="sd-widget__input" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <button
        type="button"
        className="button button--primary button--sm"
        disabled={busy}
        onClick={() => {
          setAt(0);
          void run();
        }}
      >
        {busy ? 'Encoding…' : 'Run the forward pass'}
      </button>
      {error && <p className="sd-runtime__error">{error}</p>}
      {result && step && (
        <>
          <div className="sd-widget__inline sd-stepper__controls">
            <button type="button" className="button button--secondary button--sm" disabled={i === 0} onClick={() => setAt(i - 1)}>
              ◀ Back
            </button>
            <input type="range" min={0} max={count - 1} value={i} aria-label="forward step" onChange={(e) => setAt(Number(e.target.value))} />
            <button type="button" className="button button--secondary button--sm" disabled={i === count - 1} onClick={() => setAt(i + 1)} data-testid="forward-next">
              Next ▶
            </button>
          </div>
          <p className="sd-widget__hint" data-testid="forward-step" data-step={i}>
            Step {i + 1} of {count}: <strong>{step.label}</strong>
            <br />
            {step.state} [{step.shape.join(', ')}], first values {step.values.map((v) => v.toFixed(4)).join(', ')} (on {result.backend})
          </p>
          <pre className="sd-forward__tree" aria-label="module tree">
            {result.lines.map((line, k) => (
              <span key={k} className={k === step.line ? 'sd-forward__line sd-forward__line--on' : 'sd-forward__line'} data-line={k} data-on={k === step.line ? 'true' : undefined}>
                {line}
                {'\n'}
              </span>
            ))}
          </pre>
        </>
      )}
    </div>
  );
}
