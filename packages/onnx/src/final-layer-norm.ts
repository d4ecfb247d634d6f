import {
  addVariant,
  resolveModelFiles,
  toFloat32,
  type CLIPTextConfig,
  type FromPretrainedOptions,
  type ModelSource,
  type RawTensorData,
  type SafetensorsDtype,
} from '@sdtext/text-encoder';
import type { FloatTensor } from './encoder-api.js';

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

interface HeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data_offsets: [number, number];
}

/** Stored bytes (a fresh, aligned copy) as the typed array toFloat32 takes for their dtype. */
function rawData(dtype: SafetensorsDtype, bytes: Uint8Array): RawTensorData {
  const buffer = new Uint8Array(bytes).buffer;
  if (dtype === 'F32') return new Float32Array(buffer);
  if (dtype === 'F64') return new Float64Array(buffer);
  if (dtype === 'F16' || dtype === 'BF16') return new Uint16Array(buffer);
  throw new Error(`${dtype} is not a float dtype`);
}

/**
 * Reads only final_layer_norm's weight and bias from a checkpoint (the file that holds them: the
 * single `model[.variant].safetensors` or the shard the index names): its header and two [H]
 * tensors, a few kilobytes for a local folder or a file reader with ranged reads.
 */
export async function readFinalLayerNorm(
  source: ModelSource,
  options: Pick<FromPretrainedOptions, 'subfolder' | 'variant' | 'fetch'>,
  config: CLIPTextConfig,
): Promise<FinalLayerNorm> {
  const files = resolveModelFiles(source, options.subfolder ?? '', options.fetch);
  let file = addVariant('model.safetensors', options.variant);
  let reader = await files.openBytes(file);
  if (!reader) {
    const indexNames = [addVariant('model.safetensors.index.json', options.variant)];
    if (options.variant) indexNames.push(`model.${options.variant}.safetensors.index.json`);
    for (const indexName of indexNames) {
      const text = await files.readText(indexName);
      if (text === null) continue;
      const shard = (JSON.parse(text) as { weight_map?: Record<string, unknown> }).weight_map?.[WEIGHT];
      if (typeof shard !== 'string') throw new Error(`${files.name}/${indexName}: no shard for ${WEIGHT}`);
      file = shard;
      reader = await files.openBytes(shard);
      break;
    }
  }
  if (!reader) throw new Error(`${files.name}: no ${file} to read ${WEIGHT} from`);
  try {
    const length = Number(new DataView((await reader.read(0, 8)).slice().buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(await reader.read(8, length))) as Record<string, HeaderEntry>;
    const read = async (key: string): Promise<Float32Array> => {
      const entry = header[key];
      const h = config.hidden_size;
      if (!entry || entry.shape.length !== 1 || entry.shape[0] !== h) throw new Error(`${files.name}/${file}: ${key} missing or not [${h}]`);
      const [begin, end] = entry.data_offsets;
      return toFloat32(entry.dtype, rawData(entry.dtype, await reader.read(8 + length + begin, end - begin)));
    };
    // In file order: a streamed (URL) reader only moves forward.
    const [first, second] = [WEIGHT, BIAS].sort((a, b) => (header[a]?.data_offsets[0] ?? 0) - (header[b]?.data_offsets[0] ?? 0));
    const values = new Map([[first!, await read(first!)]]);
    values.set(second!, await read(second!));
    return new FinalLayerNorm(values.get(WEIGHT)!, values.get(BIAS)!, config.layer_norm_eps);
  } finally {
    await reader.close();
  }
}
