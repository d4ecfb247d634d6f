import { GraphBuilder, type ExternalFile } from '../onnx/graph-builder.js';
import { DataType } from '../onnx/onnx-proto.js';
import { fusedStyle } from './fused-style.js';
import { BATCH, SEQUENCE, type ClipGraphStyle, type GraphContext, type GraphWeights } from './graph-context.js';
import { standardStyle } from './standard-style.js';

export type GraphStyleName = 'fused' | 'standard';
const STYLES: Record<GraphStyleName, ClipGraphStyle> = { fused: fusedStyle, standard: standardStyle };

export interface ClipTextGraphOptions {
  /** 'fused': ONNX Runtime contrib ops (fast); 'standard': plain opset 17, as torch.onnx exports. */
  style: GraphStyleName;
  /** Weights inline in the protobuf (a file) or as in-memory external files (a session). */
  weights: 'inline' | 'external';
  /** Also output hidden_states.0 .. hidden_states.<layers> (for clip skip). */
  hiddenStates: boolean;
  /** Also output attentions.0 .. attentions.<layers - 1>, [B, nh, S, S] (HF's output_attentions). */
  attentions?: boolean;
  /** Fused style: store Linear weights transposed, [in, out] (onnxruntime-web), instead of as stored. */
  transposeWeights?: boolean;
  /** Fused style: 'q8' quantizes the encoder layers' Linear weights (see OnnxFromPretrainedOptions.dtype). */
  quantize?: 'q8' | null;
  /**
   * Also take HF's `inputs_embeds`: inputs `inputs_embeds` [B, S, H] and `inputs_embeds_mask`
   * [B, S, 1] (1 = use the given row instead of the token lookup; a run without them feeds
   * [1, 1, H] and [1, 1, 1] zeros, which broadcast), and output `token_embeddings` [B, S, H] (the
   * lookup alone, for building them). Ids are clamped to the table for the lookup, as rows given
   * this way need not have one.
   */
  inputsEmbeds?: boolean;
}

export interface ClipTextGraph {
  /** The encoded ModelProto, as chunks. */
  chunks: Uint8Array[];
  byteLength: number;
  externalFiles: ExternalFile[];
  outputNames: string[];
}

/**
 * HF's CLIPTextModel(WithProjection) as an ONNX graph, from the config and the checkpoint:
 * inputs input_ids and attention_mask (int64 [batch, sequence]); outputs last_hidden_state
 * [B, S, H], pooler_output [B, H], text_embeds [B, P] (projection models) and, optionally,
 * hidden_states.i [B, S, H].
 */
export function buildClipTextGraph(weights: GraphWeights, options: ClipTextGraphOptions): ClipTextGraph {
  const { config, withProjection } = weights;
  const style = STYLES[options.style];
  const g = new GraphBuilder(withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel', { weights: options.weights });
  const ctx: GraphContext = {
    g,
    config,
    w: (key) => weights.initializer(g, key),
    take: (key) => weights.take(key),
    wT: (key) => weights.transposed(g, key),
    transposeWeights: options.transposeWeights ?? false,
    quantize: options.quantize ?? null,
    attentions: options.attentions ?? false,
  };
  const H = config.hidden_size;
  const L = config.num_hidden_layers;
  const tm = 'text_model';

  const ids = g.input('input_ids', DataType.INT64, [BATCH, SEQUENCE]);
  const attentionMask = g.input('attention_mask', DataType.INT64, [BATCH, SEQUENCE]);
  const outputNames: string[] = [];
  const output = (name: string, dims: (number | string)[]): void => {
    g.output(name, DataType.FLOAT, dims);
    outputNames.push(name);
  };

  // Embeddings: token rows + the first S rows of the position table (position_ids = arange(S)).
  const S1 = g.op('Unsqueeze', [g.op('Gather', [g.op('Shape', [ids]), g.int64s('one', [1], true)]), g.int64s('axes', [0])]);
  const positions = g.op('Slice', [ctx.w(`${tm}.embeddings.position_embedding.weight`), g.int64s('zero', [0]), S1, g.int64s('axes', [0])]); // [S, H]
  let tokens: string;
  if (options.inputsEmbeds) {
    const inTable = g.op('Min', [ids, g.int64s('last_id', [config.vocab_size - 1], true)]);
    const looked = weights.embedding(g, `${tm}.embeddings.token_embedding.weight`, inTable); // [B, S, H]
    g.op('Identity', [looked], {}, { output: 'token_embeddings' });
    output('token_embeddings', [BATCH, SEQUENCE, H]);
    // Their own symbolic dims: [1, 1, ...] broadcasts when no rows are given.
    const given = g.input('inputs_embeds', DataType.FLOAT, ['embeds_batch', 'embeds_sequence', H]);
    const use = g.input('inputs_embeds_mask', DataType.FLOAT, ['embeds_batch', 'embeds_sequence', 1]);
    tokens = g.op('Where', [g.op('Cast', [use], { to: { int: DataType.BOOL } }), given, looked]); // [B, S, H]
  } else {
    tokens = weights.embedding(g, `${tm}.embeddings.token_embedding.weight`, ids); // [B, S, H]
  }
  let x = g.op('Add', [tokens, positions], {}, { output: options.hiddenStates ? 'hidden_states.0' : undefined }); // [B, S, H]
  if (options.hiddenStates) output('hidden_states.0', [BATCH, SEQUENCE, H]);

  const mask = style.attentionMask(ctx, ids, attentionMask);
  const norm = (l: number): string => (l < L ? `${tm}.encoder.layers.${l}.layer_norm1` : `${tm}.final_layer_norm`);
  let h = style.layerNorm(ctx, x, norm(0)); // ln1 of layer 0 (or the final norm with no layers)
  for (let l = 0; l < L; l++) {
    const layer = style.encoderLayer(ctx, `${tm}.encoder.layers.${l}`, x, h, mask, norm(l + 1));
    ({ x, h } = layer);
    if (layer.probs) {
      g.op('Identity', [layer.probs], {}, { output: `attentions.${l}` });
      output(`attentions.${l}`, [BATCH, config.num_attention_heads, SEQUENCE, SEQUENCE]);
    }
    if (options.hiddenStates) {
      g.op('Identity', [x], {}, { output: `hidden_states.${l + 1}` });
      output(`hidden_states.${l + 1}`, [BATCH, SEQUENCE, H]);
    }
  }
  const last = g.op('Identity', [h], {}, { output: 'last_hidden_state' }); // [B, S, H]
  output('last_hidden_state', [BATCH, SEQUENCE, H]);

  // Pooling (HF): eos_token_id == 2 (legacy configs) -> argmax(input_ids), the first maximum;
  // otherwise the first position equal to eos_token_id (0 when none, as torch's argmax of zeros).
  const key = config.eos_token_id === 2 ? ids : g.op('Cast', [g.op('Equal', [ids, g.int64s('eos', [config.eos_token_id], true)])], { to: { int: DataType.INT32 } });
  const position = g.op('ArgMax', [key], { axis: { int: 1 }, keepdims: { int: 1 }, select_last_index: { int: 0 } }); // [B, 1]
  const pooled = g.op('GatherND', [last, position], { batch_dims: { int: 1 } }, { output: 'pooler_output' }); // [B, H]
  output('pooler_output', [BATCH, H]);

  if (withProjection) {
    g.op('Gemm', [pooled, ctx.w('text_projection.weight')], { transB: { int: 1 } }, { output: 'text_embeds' }); // [B, P]
    output('text_embeds', [BATCH, config.projection_dim]);
  }

  const proto = g.encode({
    irVersion: 8,
    opsets: style.opsets,
    producerName: '@sdtext/onnx',
    producerVersion: '0.1.0',
    metadata: { hidden_act: config.hidden_act, eos_token_id: String(config.eos_token_id) },
  });
  return { chunks: proto.finish(), byteLength: proto.length, externalFiles: g.externalFiles, outputNames };
}
