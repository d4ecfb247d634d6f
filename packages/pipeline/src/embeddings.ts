import * as tf from '@tensorflow/tfjs-core';
import type { PromptEncoderPass } from './encode-prompt.js';

/** A tensor as plain data: row-major values and their shape. */
export interface ArrayTensor {
  data: Float32Array;
  shape: number[];
}

/**
 * What `encodePrompt` returns. Every tensor is new and owned by the caller, who disposes it (or
 * calls `disposeEmbeddings`); tensors passed in as `promptEmbeds` etc. stay the caller's too.
 */
export interface PromptEmbeddings<T = tf.Tensor> {
  /**
   * [B * numImagesPerPrompt, 77, H] (SDXL: H = width of encoder 1 + width of encoder 2; SD3:
   * [B * n, 77 + maxSequenceLength, 4096], the CLIP pair zero-padded to T5's width, then T5's rows;
   * Flux: T5's [B * n, maxSequenceLength, 4096]).
   */
  promptEmbeds: T;
  /** Same shape; null when guidance is off. */
  negativePromptEmbeds: T | null;
  /**
   * SDXL: [B * numImagesPerPrompt, projection_dim], encoder 2's `text_embeds`; SD3: CLIP-L's and
   * CLIP-G's pooled outputs side by side ([B * n, 2048]); Flux: CLIP-L's pooler_output ([B * n, 768]).
   */
  pooledPromptEmbeds: T | null;
  negativePooledPromptEmbeds: T | null;
  /** Flux only: diffusers' `text_ids`, zeros [maxSequenceLength, 3] (T5's positions in the transformer's RoPE). */
  textIds?: T;
  /** With `returnEncoderOutputs`: the first encoder's pass over the prompt (plain arrays, the caller's). */
  encoderOutputs?: PromptEncoderPass;
}

export function disposeEmbeddings(embeddings: PromptEmbeddings): void {
  for (const t of [
    embeddings.promptEmbeds,
    embeddings.negativePromptEmbeds,
    embeddings.pooledPromptEmbeds,
    embeddings.negativePooledPromptEmbeds,
    embeddings.textIds,
  ]) {
    t?.dispose();
  }
}

/** Reads the tensors out as Float32Arrays and disposes them. */
export async function embeddingsToArrays(embeddings: PromptEmbeddings): Promise<PromptEmbeddings<ArrayTensor>> {
  const read = async (t: tf.Tensor | null): Promise<ArrayTensor | null> =>
    t === null ? null : { data: (await t.data()) as Float32Array, shape: [...t.shape] };
  try {
    return {
      promptEmbeds: (await read(embeddings.promptEmbeds))!,
      negativePromptEmbeds: await read(embeddings.negativePromptEmbeds),
      pooledPromptEmbeds: await read(embeddings.pooledPromptEmbeds),
      negativePooledPromptEmbeds: await read(embeddings.negativePooledPromptEmbeds),
      ...(embeddings.textIds ? { textIds: (await read(embeddings.textIds))! } : {}),
    };
  } finally {
    disposeEmbeddings(embeddings);
  }
}

/** The arrays as tfjs tensors on the active backend (the arrays are handed over, not copied). */
export function embeddingsToTensors(embeddings: PromptEmbeddings<ArrayTensor>): PromptEmbeddings {
  const made: tf.Tensor[] = [];
  const make = (a: ArrayTensor | null): tf.Tensor | null => {
    if (a === null) return null;
    const t = tf.tensor(a.data, a.shape, 'float32');
    made.push(t);
    return t;
  };
  try {
    return {
      promptEmbeds: make(embeddings.promptEmbeds)!,
      negativePromptEmbeds: make(embeddings.negativePromptEmbeds),
      pooledPromptEmbeds: make(embeddings.pooledPromptEmbeds),
      negativePooledPromptEmbeds: make(embeddings.negativePooledPromptEmbeds),
      ...(embeddings.textIds ? { textIds: make(embeddings.textIds)! } : {}),
    };
  } catch (error) {
    tf.dispose(made);
    throw error;
  }
}

/** A caller's embeddings as a copied array of the given rank (the caller keeps its own). */
export async function toArrayTensor(value: tf.Tensor | ArrayTensor, rank: number, what: string): Promise<ArrayTensor> {
  const shape = [...value.shape];
  if (shape.length !== rank) throw new Error(`${what} must have rank ${rank}, got shape [${shape.join(', ')}]`);
  const source: ArrayLike<number> = value instanceof tf.Tensor ? await value.data() : value.data;
  const size = shape.reduce((a, b) => a * b, 1);
  if (source.length !== size) throw new Error(`${what} has ${source.length} values for shape [${shape.join(', ')}]`);
  // Float32Array.from copies (tfjs' cpu backend hands out its own storage; the caller's array stays theirs).
  return { data: Float32Array.from(source), shape };
}
