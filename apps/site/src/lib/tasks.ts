// What the page's widgets ask the cells' worker to compute (the model lives there only), and what
// comes back: plain arrays, whichever engine ran them.

export type EncoderTask =
  | { kind: 'hidden-states'; text: string }
  | { kind: 'similarity'; prompts: string[] }
  | { kind: 'attention'; text: string }
  | { kind: 'forward-trace'; text: string };

/** Where a result was computed, for the widgets' captions. */
interface Computed {
  /** e.g. "onnxruntime-web (wasm, 2 threads)". */
  backend: string;
  model: 'tiny' | 'sd2';
}

/** The hidden states of one prompt: embeddings, each layer's output, then last_hidden_state. */
export interface HiddenStatesResult extends Computed {
  tokens: string[];
  /** One [S*H] array per state. */
  layers: Float32Array[];
  seq: number;
  hidden: number;
}

/** Cosine similarity of the prompts' pooler_output. */
export interface SimilarityResult extends Computed {
  prompts: string[];
  values: number[][];
}

/** One prompt padded to 77 with its mask: each layer's attention probabilities. */
export interface AttentionResult extends Computed {
  tokens: string[];
  /** Per layer, [heads * S * S] (batch 1). */
  layers: Float32Array[];
  heads: number;
  seq: number;
  /** Positions holding text (BOS .. EOS); the EOS row is `length - 1`. */
  length: number;
}

export interface ForwardStep {
  label: string;
  /** The line of the module tree this step runs. */
  line: number;
  /** What the values shown are. */
  state: string;
  shape: number[];
  values: number[];
}

/** One forward pass along the printed module tree. */
export interface ForwardTrace extends Computed {
  lines: string[];
  steps: ForwardStep[];
}

export interface TaskResults {
  'hidden-states': HiddenStatesResult;
  similarity: SimilarityResult;
  attention: AttentionResult;
  'forward-trace': ForwardTrace;
}

export type TaskResult = TaskResults[keyof TaskResults];

/** The typed arrays' buffers of a result (each once), to transfer instead of copying. */
export function transferablesOf(result: TaskResult): ArrayBuffer[] {
  const layers = 'layers' in result ? result.layers : [];
  return [...new Set(layers.map((l) => l.buffer as ArrayBuffer))];
}
