import { CheckpointError, openCheckpoint } from '../checkpoint.js';
import type { CLIPTextConfig } from './config.js';
import type { ModelFiles } from '../file-source.js';
import { floatBytesToFloat32 } from '../safetensors/dtypes.js';
import type { FloatTensor } from '../tensor.js';
import { openTextModelCheckpoint, type TextModelCheckpointOptions } from './text-model-checkpoint.js';

const WEIGHT = 'text_model.final_layer_norm.weight';
const BIAS = 'text_model.final_layer_norm.bias';

/**
 * The text model's final_layer_norm in plain JavaScript, for clip skip on an engine whose graph
 * applies it only to the last layer: HF's nn.LayerNorm over the last axis, biased variance, eps
 * inside the square root. Sums run in float64 and round once to float32 (at least as exact as
 * torch's float32 kernel, well inside the 1e-4 parity).
 */
export class FinalLayerNorm {
  constructor(
    readonly weight: Float32Array, // [H]
    readonly bias: Float32Array, // [H]
    readonly eps: number,
  ) {}

  forward(x: FloatTensor): FloatTensor {
    const h = this.weight.length;
    if (x.dims.at(-1) !== h || x.data.length !== x.dims.reduce((a, b) => a * b, 1)) {
      throw new Error(`final_layer_norm expects [..., ${h}] data, got dims [${x.dims.join(', ')}] with ${x.data.length} values`);
    }
    const out = new Float32Array(x.data.length);
    for (let at = 0; at < x.data.length; at += h) {
      const row = x.data.subarray(at, at + h);
      let mean = 0;
      for (let j = 0; j < h; j++) mean += row[j]!;
      mean /= h;
      let variance = 0;
      for (let j = 0; j < h; j++) variance += (row[j]! - mean) ** 2;
      const inv = 1 / Math.sqrt(variance / h + this.eps);
      for (let j = 0; j < h; j++) out[at + j] = (row[j]! - mean) * inv * this.weight[j]! + this.bias[j]!;
    }
    return { data: out, dims: [...x.dims] };
  }
}

/**
 * Reads only final_layer_norm's weight and bias from a checkpoint (whichever file or shard holds
 * them): the headers and two [H] tensors, a few kilobytes for a local folder or a ranged reader.
 */
export async function readFinalLayerNorm(files: ModelFiles, options: TextModelCheckpointOptions, config: CLIPTextConfig): Promise<FinalLayerNorm> {
  if (options.singleFile) {
    // A single file's keys are converted: read the two tensors through its plan.
    const { checkpoint, weights } = await openTextModelCheckpoint(files, { ...options, lora: [], extraEmbeddings: undefined });
    try {
      const values = new Map<string, Float32Array>();
      for await (const w of weights((key) => key === WEIGHT || key === BIAS)) values.set(w.name, w.data);
      return new FinalLayerNorm(values.get(WEIGHT)!, values.get(BIAS)!, config.layer_norm_eps);
    } finally {
      await checkpoint.close();
    }
  }
  const checkpoint = await openCheckpoint(files, { variant: options.variant });
  try {
    const values = new Map<string, Float32Array>();
    for (const { file, reader, header } of checkpoint.shards) {
      // In file order: a streamed (URL) reader only moves forward.
      for (const info of header.tensors) {
        if (info.name !== WEIGHT && info.name !== BIAS) continue;
        if (info.shape.length !== 1 || info.shape[0] !== config.hidden_size) {
          throw new CheckpointError(`${files.name}/${file}: ${info.name} is [${info.shape.join(', ')}], expected [${config.hidden_size}]`);
        }
        const [begin, end] = info.dataOffsets;
        values.set(info.name, floatBytesToFloat32(info.dtype, await reader.read(header.dataStart + begin, end - begin)));
      }
    }
    const weight = values.get(WEIGHT);
    const bias = values.get(BIAS);
    if (!weight || !bias) throw new CheckpointError(`${files.name}: the checkpoint has no ${weight ? BIAS : WEIGHT}`);
    return new FinalLayerNorm(weight, bias, config.layer_norm_eps);
  } finally {
    await checkpoint.close();
  }
}
