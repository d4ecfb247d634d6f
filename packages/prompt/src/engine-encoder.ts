import type { EncodeInputs, EncodeOutputs, FloatTensor, TextEncoderEngine } from '@sdtext/core';
import type { EncodeOptions, EncoderOutput, PromptEncoder, TokenInsertion } from './encoder.js';

/**
 * An engine that takes HF's `inputs_embeds` (rows given instead of the token lookup; the ids then
 * only choose the pooled position) and looks token embeddings up on its own: @sdtext/text-encoder's
 * TfjsTextEncoder and the ONNX graphs @sdtext/onnx builds from a checkpoint.
 */
export interface InputsEmbedsEngine extends TextEncoderEngine {
  encode(inputs: EncodeInputs & { inputsEmbeds?: FloatTensor | null }): Promise<EncodeOutputs>;
  embedTokens(inputIds: EncodeInputs['inputIds']): Promise<FloatTensor>;
}

export function takesInputsEmbeds(engine: TextEncoderEngine): engine is InputsEmbedsEngine {
  return typeof (engine as Partial<InputsEmbedsEngine>).embedTokens === 'function';
}

export interface EngineEncoderOptions {
  /**
   * Rows for ids past the engine's vocabulary (tokens added after loading, diffusers'
   * `load_textual_inversion`): such ids are passed as inputs_embeds, and still pick the pooled
   * position as diffusers' grown table would (argmax of the ids).
   */
  extraTokens?: ReadonlyMap<number, Float32Array>;
}

/**
 * A PromptEncoder over any @sdtext engine (the tfjs TfjsTextEncoder or the ONNX Runtime
 * OnnxCLIPTextModel): clip skip n > 1 is `finalLayerNorm(hiddenStates[-n])` (`hiddenStates[-n]` itself
 * with `finalNorm: false`, n = 1 included), the pooled output
 * is `text_embeds` where the model projects (SDXL's second encoder), else `pooler_output`.
 * Inserted vectors and added tokens go in as inputs_embeds (the engine's lookup, then those rows).
 */
export function engineEncoder(engine: TextEncoderEngine, options: EngineEncoderOptions = {}): PromptEncoder {
  const extra = options.extraTokens ?? new Map<number, Float32Array>();
  return {
    async encode(inputIds: Int32Array, batch: number, seqLen: number, encodeOptions: EncodeOptions = {}): Promise<EncoderOutput> {
      const clipSkip = encodeOptions.clipSkip ?? 1;
      const finalNorm = encodeOptions.finalNorm ?? true;
      if (!Number.isInteger(clipSkip) || clipSkip < 1 || clipSkip > engine.config.num_hidden_layers + 1) {
        throw new RangeError(`clipSkip must be an integer from 1 to ${engine.config.num_hidden_layers + 1}, got ${clipSkip}`);
      }
      const inputsEmbeds = await embedsFor(engine, inputIds, batch, seqLen, encodeOptions.insertions, extra);
      const inputs = {
        inputIds: { data: inputIds, dims: [batch, seqLen] },
        // compel down-weights by masking fragments out of attention
        ...(encodeOptions.attentionMask ? { attentionMask: { data: encodeOptions.attentionMask, dims: [batch, seqLen] } } : {}),
        outputHiddenStates: clipSkip > 1 || !finalNorm,
      };
      const out = inputsEmbeds ? await (engine as InputsEmbedsEngine).encode({ ...inputs, inputsEmbeds }) : await engine.encode(inputs);
      const hidden = out.hiddenStates ?? [];
      const selected = hidden[hidden.length - clipSkip]!;
      const lastHiddenState = !finalNorm ? selected : clipSkip > 1 ? await engine.finalLayerNorm(selected) : out.lastHiddenState;
      return { lastHiddenState, pooled: out.textEmbeds ?? out.poolerOutput };
    },
  };
}

/**
 * The inputs_embeds for ids with inserted vectors or added tokens: the engine's own lookup (added
 * ids looked up as 0), then those rows written over. Null when there are none.
 */
async function embedsFor(
  engine: TextEncoderEngine,
  ids: Int32Array,
  batch: number,
  seqLen: number,
  insertions: EncodeOptions['insertions'],
  extra: ReadonlyMap<number, Float32Array>,
): Promise<FloatTensor | null> {
  const vocab = engine.config.vocab_size;
  const hasExtra = extra.size > 0 && ids.some((id) => id >= vocab);
  const hasInsertions = insertions?.some((row) => (row?.length ?? 0) > 0) ?? false;
  if (!hasExtra && !hasInsertions) return null;
  if (!takesInputsEmbeds(engine)) {
    throw new Error(`this ${engine.engine} encoder takes no inputs_embeds (${engine.backend}): textual inversion by name needs it; load the model from its safetensors checkpoint`);
  }
  const H = engine.config.hidden_size;
  const lookup = Int32Array.from(ids, (id) => (id >= vocab ? 0 : id));
  const embeds = await engine.embedTokens({ data: lookup, dims: [batch, seqLen] });
  ids.forEach((id, at) => {
    if (id < vocab) return;
    const row = extra.get(id);
    if (!row) throw new RangeError(`token id ${id} is past the encoder's ${vocab} embeddings and no added embedding has it`);
    put(embeds.data, at, row, H, `token id ${id}`);
  });
  insertions?.forEach((row, b) => row?.forEach(({ position, vector }: TokenInsertion) => {
    if (position < 0 || position >= seqLen) throw new RangeError(`an inserted vector at position ${position} is outside the ${seqLen}-token row`);
    put(embeds.data, b * seqLen + position, vector, H, `the vector at row ${b}, position ${position}`);
  }));
  return embeds;
}

function put(embeds: Float32Array, at: number, vector: Float32Array, hidden: number, what: string): void {
  if (vector.length !== hidden) throw new RangeError(`${what} is ${vector.length} wide, the encoder ${hidden}`);
  embeds.set(vector, at * hidden);
}
