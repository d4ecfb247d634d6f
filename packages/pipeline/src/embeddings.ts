import * as tf from '@tensorflow/tfjs-core';

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
  /** [B * numImagesPerPrompt, 77, H] (SDXL: H = width of encoder 1 + width of encoder 2). */
  promptEmbeds: T;
  /** Same shape; null when guidance is off. */
  negativePromptEmbeds: T | null;
  /** SDXL only: [B * numImagesPerPrompt, projection_dim], encoder 2's `text_embeds`. */
  pooledPromptEmbeds: T | null;
  negativePooledPromptEmbeds: T | null;
}

export function disposeEmbeddings(embeddings: PromptEmbeddings): void {
  for (const t of [
    embeddings.promptEmbeds,
    embeddings.negativePromptEmbeds,
    embeddings.pooledPromptEmbeds,
    embeddings.negativePooledPromptEmbeds,
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
    };
  } finally {
    disposeEmbeddings(embeddings);
  }
}

/** A caller's embeddings as a tensor of the given rank (copied: the caller keeps its own). */
export function toTensor(value: tf.Tensor | ArrayTensor, rank: number, what: string): tf.Tensor {
  const t = value instanceof tf.Tensor ? value.clone() : tf.tensor(value.data, value.shape, 'float32');
  if (t.rank !== rank) {
    const shape = t.shape.join(', ');
    t.dispose();
    throw new Error(`${what} must have rank ${rank}, got shape [${shape}]`);
  }
  return t;
}

/**
 * torch's `x.repeat(1, n, 1).view(B * n, ...)`: each row repeated n times in place ([a, a, b, b]).
 * Takes ownership of `x` (disposed when a new tensor is returned).
 */
export function repeatPerImage(x: tf.Tensor, n: number): tf.Tensor {
  if (n === 1) return x;
  const out = tf.tidy(() => {
    const [b, ...rest] = x.shape;
    const tiled = tf.tile(tf.expandDims(x, 1), [1, n, ...rest.map(() => 1)]); // [B, n, ...]
    return tf.reshape(tiled, [b! * n, ...rest]);
  });
  x.dispose();
  return out;
}
