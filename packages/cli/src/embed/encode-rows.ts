import type { SafetensorsEntry } from '@sdtext/core';
import type { EngineChoice, PromptDialect, TextPipeline } from '@sdtext/pipeline';
import type { CLIPTokenizer } from '@sdtext/tokenizer';

export type Tensors = Map<string, SafetensorsEntry & { data: Float32Array }>;

export interface EncodeRowsOptions {
  output: 'embeds' | 'pooled';
  dialect: PromptDialect | null;
  /** As the user gave it; undefined asks for no skip (and for last_hidden_state alone, not every layer's states). */
  clipSkip: number | undefined;
  batchSize: number;
}

export interface EncodedRows {
  tensors: Tensors;
  /** Index into `prompts` -> what truncation removed from it. */
  truncated: Map<number, string>;
  /** Distinct prompts, each encoded once. */
  distinct: number;
}

/**
 * One shard's prompts through the pipeline, each distinct prompt encoded once.
 *
 * - `embeds`, plain text: diffusers' `prompt_embeds` [N, 77, H] (SDXL: [N, 77, 2048] and
 *   `pooled_prompt_embeds` [N, 1280]) in batches of `batchSize` in input order. Every row is padded
 *   to 77, as the UNet reads all 77 states: CLIP is causal, so the states at the padding
 *   positions depend on the prompt and no shorter padding gives the same tensor.
 * - `embeds` in a dialect: the front end's conditioning, one prompt per call (A1111 rescales
 *   emphasis by the mean of the whole batch, so batching would change a prompt's result) and one
 *   tensor per row (`prompt_embeds.<row>`: prompts have different chunk counts).
 * - `pooled`: the first encoder's `pooler_output` (and `text_embeds` with a projection; SDXL: the
 *   second encoder's `text_embeds`, diffusers' pooled prompt embeds). There the model allows
 *   shorter padding: the pooled state sits on the EOS token, which attends to nothing after it,
 *   so prompts are sorted by length and each batch is padded only to its longest.
 */
export async function encodeRows(pipe: TextPipeline<EngineChoice>, prompts: readonly string[], rowIds: readonly number[], options: EncodeRowsOptions): Promise<EncodedRows> {
  // Shard-local dedup: rows of one shard, and so the batches, are the same whichever job runs it.
  const unique: string[] = [];
  const slotOf = new Map<string, number>();
  const slots = prompts.map((p) => {
    let slot = slotOf.get(p);
    if (slot === undefined) {
      slot = unique.length;
      slotOf.set(p, slot);
      unique.push(p);
    }
    return slot;
  });
  const truncated = new Map<number, string>();
  const tensors: Tensors = new Map();
  // Passed only when given: a clipSkip, even 0, makes the pipeline ask the encoder for every
  // layer's states (24 more [B, 77, H] outputs per batch on SD2), as diffusers' clip_skip path does.
  const clipSkipOption = options.clipSkip === undefined ? {} : { clipSkip: options.clipSkip };

  if (options.dialect !== null) {
    for (let i = 0; i < unique.length; i++) {
      const e = await pipe.encodePrompt({ prompt: [unique[i]!], dialect: options.dialect, guidance: false, ...clipSkipOption, output: 'array' });
      for (let r = 0; r < prompts.length; r++) {
        if (slots[r] !== i) continue;
        tensors.set(`prompt_embeds.${rowIds[r]}`, { shape: e.promptEmbeds.shape, data: e.promptEmbeds.data });
        if (e.pooledPromptEmbeds) tensors.set(`pooled_prompt_embeds.${rowIds[r]}`, { shape: e.pooledPromptEmbeds.shape, data: e.pooledPromptEmbeds.data });
      }
    }
    return { tensors, truncated, distinct: unique.length };
  }

  // Each tensor's [N, ...] array is made at its first row and filled in place: the shard is held
  // once (an SD2 shard of 1000 rows is 315 MB), not once per row and again when joined.
  const rowsOfSlot: number[][] = unique.map(() => []);
  slots.forEach((slot, r) => rowsOfSlot[slot]!.push(r));
  const put = (name: string, slot: number, data: Float32Array, shape: number[]): void => {
    let tensor = tensors.get(name);
    if (!tensor) {
      tensor = { shape: [prompts.length, ...shape], data: new Float32Array(prompts.length * data.length) };
      tensors.set(name, tensor);
    }
    for (const r of rowsOfSlot[slot]!) tensor.data.set(data, r * data.length);
  };
  const order = options.output === 'pooled' ? byLength(unique, pipe.tokenizer) : unique.map((_, i) => i);
  for (let start = 0; start < order.length; start += options.batchSize) {
    const slotsInBatch = order.slice(start, start + options.batchSize);
    const batch = slotsInBatch.map((s) => unique[s]!);
    if (options.output === 'embeds') {
      const tokens = pipe.tokenizer.encode(batch, { padding: 'max_length', truncation: true, maxLength: pipe.tokenizer.modelMaxLength });
      tokens.truncation.forEach((t, b) => t && truncatedSlots(slotsInBatch[b]!, t.removedText));
      const e = await pipe.encodePrompt({ prompt: batch, guidance: false, ...clipSkipOption, output: 'array', onWarning: () => undefined });
      splitRows(e.promptEmbeds, (b, data, shape) => put('prompt_embeds', slotsInBatch[b]!, data, shape));
      if (e.pooledPromptEmbeds) splitRows(e.pooledPromptEmbeds, (b, data, shape) => put('pooled_prompt_embeds', slotsInBatch[b]!, data, shape));
    } else {
      const sdxl = pipe.kind === 'sdxl';
      const tokenizer = sdxl ? pipe.tokenizer2! : pipe.tokenizer;
      const encoder = sdxl ? pipe.encoder2! : pipe.encoder;
      const tokens = tokenizer.encode(batch, { padding: 'longest', truncation: true, maxLength: tokenizer.modelMaxLength });
      tokens.truncation.forEach((t, b) => t && truncatedSlots(slotsInBatch[b]!, t.removedText));
      const out = await encoder.encode({ inputIds: tokens.inputIds, ...(pipe.useAttentionMask ? { attentionMask: tokens.attentionMask } : {}) });
      if (!sdxl) splitRows({ data: out.poolerOutput.data, shape: out.poolerOutput.dims }, (b, data, shape) => put('pooler_output', slotsInBatch[b]!, data, shape));
      if (out.textEmbeds) {
        const name = sdxl ? 'pooled_prompt_embeds' : 'text_embeds';
        splitRows({ data: out.textEmbeds.data, shape: out.textEmbeds.dims }, (b, data, shape) => put(name, slotsInBatch[b]!, data, shape));
      }
    }
  }
  return { tensors, truncated, distinct: unique.length };

  function truncatedSlots(slot: number, removedText: string): void {
    slots.forEach((s, r) => s === slot && truncated.set(r, removedText));
  }
}

/** Rows of a [B, ...] tensor, each with its shape without B. */
function splitRows(t: { data: Float32Array; shape: readonly number[] }, each: (b: number, data: Float32Array, shape: number[]) => void): void {
  const [batch, ...rest] = t.shape;
  const size = rest.reduce((a, b) => a * b, 1);
  for (let b = 0; b < batch!; b++) each(b, t.data.subarray(b * size, (b + 1) * size), rest);
}

/** Indices of `prompts` sorted by token count (stable), so that a batch pads to little. */
function byLength(prompts: readonly string[], tokenizer: CLIPTokenizer): number[] {
  const lengths = prompts.map((p) => tokenizer.encode(p, { truncation: true, maxLength: tokenizer.modelMaxLength }).inputIds.length);
  return prompts.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
}
