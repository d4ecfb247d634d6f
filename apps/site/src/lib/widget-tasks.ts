// The widgets' computations, run in the cells' worker where the model is (src/lib/tasks.ts has the
// requests and results): each one forward pass through the engine interface, so the same code runs
// on TensorFlow.js and on ONNX Runtime Web, and only plain arrays go back to the page.
import type { Tokenizer } from './contracts';
import { loadTextEncoderPackage } from './lazy';
import type { SiteEncoder } from './site-encoder';
import type { AttentionResult, EncoderTask, ForwardStep, ForwardTrace, HiddenStatesResult, SimilarityResult, TaskResult } from './tasks';

type Encoded = Awaited<ReturnType<SiteEncoder['encoder']['encode']>>;
type FloatTensor = Encoded['lastHiddenState'];

const padded77 = (tokenizer: Tokenizer, text: string) => tokenizer.encode([text], { padding: 'max_length', truncation: true, maxLength: tokenizer.modelMaxLength });

function computed(loaded: SiteEncoder): { backend: string; model: 'tiny' | 'sd2' } {
  return { backend: loaded.inUse.label, model: loaded.inUse.model };
}

async function hiddenStates(text: string, tokenizer: Tokenizer, loaded: SiteEncoder): Promise<HiddenStatesResult> {
  const enc = tokenizer.encode([text], { padding: 'longest', truncation: true, maxLength: tokenizer.modelMaxLength });
  const out = await loaded.encoder.encode({ inputIds: enc.inputIds, attentionMask: enc.attentionMask, outputHiddenStates: true });
  const [, seq = 0, hidden = 0] = out.lastHiddenState.dims;
  // Fresh arrays, one buffer each, so every one can be transferred.
  const layers = [...(out.hiddenStates ?? []), out.lastHiddenState].map((t) => t.data.slice());
  return { tokens: tokenizer.convertIdsToTokens(enc.inputIds[0] ?? []), layers, seq, hidden, ...computed(loaded) };
}

async function similarity(prompts: string[], tokenizer: Tokenizer, loaded: SiteEncoder): Promise<SimilarityResult> {
  const enc = tokenizer.encode(prompts, { padding: 'longest', truncation: true, maxLength: tokenizer.modelMaxLength });
  const { poolerOutput } = await loaded.encoder.encode({ inputIds: enc.inputIds, attentionMask: enc.attentionMask });
  const width = poolerOutput.dims[1] ?? 0;
  const unit = prompts.map((_, i) => {
    const row = poolerOutput.data.subarray(i * width, (i + 1) * width);
    const norm = Math.hypot(...row) || 1;
    return Array.from(row, (v) => v / norm);
  });
  const values = unit.map((a) => unit.map((b) => a.reduce((s, v, k) => s + v * (b[k] ?? 0), 0)));
  return { prompts, values, ...computed(loaded) };
}

async function attention(text: string, tokenizer: Tokenizer, loaded: SiteEncoder): Promise<AttentionResult> {
  const enc = padded77(tokenizer, text);
  const out = await loaded.encoder.encode({ inputIds: enc.inputIds, attentionMask: enc.attentionMask, outputAttentions: true });
  const attentions = out.attentions ?? [];
  const [, heads = 0, seq = 0] = attentions[0]?.dims ?? [];
  const length = (enc.attentionMask[0] ?? []).reduce((a, b) => a + b, 0);
  return {
    tokens: tokenizer.convertIdsToTokens(enc.inputIds[0] ?? []),
    layers: attentions.map((t) => t.data.slice()),
    heads,
    seq,
    length,
    ...computed(loaded),
  };
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
 * CLIPTextTransformer's forward pass along its printed module tree: embeddings, each layer's six
 * sub-steps, final_layer_norm, pooling, with the hidden state's shape and first values at each
 * step (from `outputHiddenStates`: inside a layer the values are the layer's input until its last
 * residual).
 */
async function forwardTrace(text: string, tokenizer: Tokenizer, loaded: SiteEncoder): Promise<ForwardTrace> {
  const { describeCLIPTextTransformer } = await loadTextEncoderPackage();
  const lines = describeCLIPTextTransformer(loaded.encoder.config).split('\n');
  const enc = padded77(tokenizer, text);
  const out = await loaded.encoder.encode({ inputIds: enc.inputIds, attentionMask: enc.attentionMask, outputHiddenStates: true });
  const first = (t: FloatTensor): { shape: number[]; values: number[] } => ({ shape: [...t.dims], values: Array.from(t.data.subarray(0, 4)) });
  const hidden = (out.hiddenStates ?? []).map(first);
  const last = first(out.lastHiddenState);
  const find = (needle: string, from = 0): number => {
    const i = lines.findIndex((line, k) => k >= from && line.includes(needle));
    return i < 0 ? 0 : i;
  };
  const steps: ForwardStep[] = [{ label: 'embeddings: token_embedding(ids) + position_embedding', line: find('(embeddings)'), state: 'hidden_states[0]', ...(hidden[0] ?? last) }];
  const layers = hidden.length - 1;
  for (let n = 0; n < layers; n++) {
    const header = find(`(${n}): CLIPEncoderLayer`);
    SUB_STEPS.forEach((s, k) => {
      const done = k === SUB_STEPS.length - 1;
      steps.push({
        label: `layer ${n}: ${s.label}`,
        line: s.find ? find(s.find, header) : header,
        state: done ? `hidden_states[${n + 1}] (layer ${n}'s output)` : `hidden_states[${n}] (layer ${n}'s input)`,
        ...((done ? hidden[n + 1] : hidden[n]) ?? last),
      });
    });
  }
  steps.push({ label: 'final_layer_norm', line: find('(final_layer_norm)'), state: 'last_hidden_state', ...last });
  steps.push({ label: "pooling: the row at each prompt's end token", line: 0, state: 'pooler_output', ...first(out.poolerOutput) });
  return { lines, steps, ...computed(loaded) };
}

export function runTask(task: EncoderTask, tokenizer: Tokenizer, loaded: SiteEncoder): Promise<TaskResult> {
  switch (task.kind) {
    case 'hidden-states':
      return hiddenStates(task.text, tokenizer, loaded);
    case 'similarity':
      return similarity(task.prompts, tokenizer, loaded);
    case 'attention':
      return attention(task.text, tokenizer, loaded);
    case 'forward-trace':
      return forwardTrace(task.text, tokenizer, loaded);
  }
}
