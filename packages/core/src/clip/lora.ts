import { openByteReader, type ByteReader, type ByteSource } from '../safetensors/byte-reader.js';
import { firstNonFinite, floatBytesToFloat32, FLOAT_DTYPES } from '../safetensors/dtypes.js';
import { readHeader, type SafetensorsTensorInfo } from '../safetensors/reader.js';
import { isTorchTensor, readTorchFile, type PickleValue, type TorchTensor } from '../torch/index.js';

/**
 * LoRA on the text encoder: the adapters of a kohya (`lora_te_`, SDXL `lora_te1_` / `lora_te2_`)
 * or diffusers/peft (`text_encoder.….lora_A/lora_B`, the older `lora_linear_layer.up/down` and
 * `to_q_lora`) file, keyed by the Hugging Face Linear they change, and the merge
 * `W' = W + scale * (alpha / r) * up @ down` (kohya's and diffusers' `fuse_lora`). Only the text
 * encoder's tensors are read (header first for safetensors): a UNet's adapters are skipped.
 */

export class LoraError extends Error {
  override name = 'LoraError';
}

export type TextEncoderName = 'text_encoder' | 'text_encoder_2';

/** One Linear's adapter: up [out, r], down [r, in], and alpha (default r: a factor of 1). */
export interface LoraLayer {
  up: Float32Array;
  down: Float32Array;
  rank: number;
  outFeatures: number;
  inFeatures: number;
  alpha: number;
}

export interface LoraFile {
  file: string;
  /** Adapters per text encoder, by the Linear's key without `.weight` (`text_model.encoder.layers.0.self_attn.q_proj`). */
  encoders: Map<TextEncoderName, Map<string, LoraLayer>>;
}

/** A LoRA to merge into one text encoder's weights. */
export interface LoraMerge {
  layers: ReadonlyMap<string, LoraLayer>;
  /** The user's multiplier (diffusers' `lora_scale`, A1111's `<lora:name:scale>`). */
  scale: number;
  /** For messages. */
  file: string;
}

const HF_LINEAR = /^text_model\.encoder\.layers\.\d+\.(self_attn\.(q_proj|k_proj|v_proj|out_proj)|mlp\.(fc1|fc2))$/;
const KOHYA = /^lora_te([12]?)_(.+)\.(lora_down\.weight|lora_up\.weight|alpha)$/;
const KOHYA_MODULE = /^text_model_encoder_layers_(\d+)_(self_attn|mlp)_(q_proj|k_proj|v_proj|out_proj|fc1|fc2)$/;
const DIFFUSERS = /^(text_encoder|text_encoder_2)\.(.+?)\.(lora_A(?:\.default)?\.weight|lora_B(?:\.default)?\.weight|lora_linear_layer\.down\.weight|lora_linear_layer\.up\.weight|alpha)$/;
const DIFFUSERS_OLD = /^(text_encoder|text_encoder_2)\.(text_model\.encoder\.layers\.\d+\.self_attn)\.to_(q|k|v|out)_lora\.(down|up)\.weight$/;
const OLD_PROJ: Record<string, string> = { q: 'q_proj', k: 'k_proj', v: 'v_proj', out: 'out_proj' };

interface Part {
  encoder: TextEncoderName;
  module: string;
  role: 'up' | 'down' | 'alpha';
}

/** Which adapter part a key is, null for keys of other models (UNet); throws for text encoder keys it cannot use. */
export function parseLoraKey(key: string, where: string): Part | null {
  let m = KOHYA.exec(key);
  if (m) {
    const encoder: TextEncoderName = m[1] === '2' ? 'text_encoder_2' : 'text_encoder';
    const mm = KOHYA_MODULE.exec(m[2]!);
    if (!mm) throw new LoraError(`${where}: LoRA key "${key}": no text encoder Linear is named "${m[2]}"`);
    const module = `text_model.encoder.layers.${mm[1]}.${mm[2]}.${mm[3]}`;
    return { encoder, module, role: m[3] === 'alpha' ? 'alpha' : m[3]!.startsWith('lora_up') ? 'up' : 'down' };
  }
  m = DIFFUSERS_OLD.exec(key);
  if (m) return { encoder: m[1] as TextEncoderName, module: `${m[2]}.${OLD_PROJ[m[3]!]}`, role: m[4] as 'up' | 'down' };
  m = DIFFUSERS.exec(key);
  if (m) {
    if (!HF_LINEAR.test(m[2]!)) throw new LoraError(`${where}: LoRA key "${key}": "${m[2]}" is not a text encoder Linear`);
    const kind = m[3]!;
    const role = kind === 'alpha' ? 'alpha' : kind.startsWith('lora_B') || kind.endsWith('up.weight') ? 'up' : 'down';
    return { encoder: m[1] as TextEncoderName, module: m[2]!, role };
  }
  if (/^(lora_te[12]?_|text_encoder(_2)?\.)/.test(key)) {
    throw new LoraError(
      `${where}: LoRA key "${key}" is not supported (text encoder LoRA keys are kohya's lora_down/lora_up/alpha or peft's lora_A/lora_B; LyCORIS LoHa/LoKr and DoRA are not)`,
    );
  }
  return null;
}

interface Collected {
  up?: { data: Float32Array; shape: number[] };
  down?: { data: Float32Array; shape: number[] };
  alpha?: number;
}

/**
 * Reads a LoRA file (.safetensors header first, or a torch .bin/.pt without unpickling): the text
 * encoder adapters, checked (both halves present, matching ranks, finite values).
 */
export async function readLora(source: ByteSource, options: { name?: string } = {}): Promise<LoraFile> {
  const reader = await openByteReader(source, options.name !== undefined ? { name: options.name } : {});
  const file = reader.name;
  const parts = new Map<string, Collected & { encoder: TextEncoderName; module: string }>();
  const put = async (key: string, shape: number[], read: () => Promise<Float32Array>): Promise<void> => {
    const part = parseLoraKey(key, file);
    if (!part) return;
    const id = `${part.encoder}:${part.module}`;
    const entry = parts.get(id) ?? { encoder: part.encoder, module: part.module };
    parts.set(id, entry);
    const data = await read();
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new LoraError(`${file}: "${key}" holds ${data[bad]} at flat index ${bad}`);
    if (part.role === 'alpha') {
      if (data.length !== 1) throw new LoraError(`${file}: "${key}" must be a scalar, got [${shape.join(', ')}]`);
      entry.alpha = data[0]!;
    } else {
      if (shape.length !== 2) throw new LoraError(`${file}: "${key}" must be a matrix, got [${shape.join(', ')}] (conv LoRA does not apply to a text encoder)`);
      entry[part.role] = { data, shape };
    }
  };
  try {
    const head = await reader.read(0, Math.min(9, reader.size ?? 9));
    if (head[0] === 0x50 && head[1] === 0x4b) {
      const torch = await readTorchFile(reader);
      for (const [key, t] of torchEntries(torch.root, file)) await put(key, t.shape, () => t.read());
    } else {
      const header = await readHeader(reader);
      const wanted = header.tensors.filter((t) => parseLoraKey(t.name, file) !== null);
      for (const t of wanted) {
        if (!FLOAT_DTYPES.includes(t.dtype)) throw new LoraError(`${file}: "${t.name}" has dtype ${t.dtype}`);
        await put(t.name, t.shape, () => readTensor(reader, header.dataStart, t));
      }
    }
  } finally {
    await reader.close();
  }
  const encoders = new Map<TextEncoderName, Map<string, LoraLayer>>();
  for (const { encoder, module, up, down, alpha } of parts.values()) {
    if (!up || !down) throw new LoraError(`${file}: the adapter of ${encoder} ${module} has no ${up ? 'down' : 'up'} matrix`);
    const [outFeatures, rank] = up.shape as [number, number];
    const [downRank, inFeatures] = down.shape as [number, number];
    if (rank !== downRank) throw new LoraError(`${file}: ${encoder} ${module}: up is [${up.shape.join(', ')}] and down [${down.shape.join(', ')}]: ranks differ`);
    const layers = encoders.get(encoder) ?? new Map<string, LoraLayer>();
    encoders.set(encoder, layers);
    layers.set(module, { up: up.data, down: down.data, rank, outFeatures, inFeatures, alpha: alpha ?? rank });
  }
  return { file, encoders };
}

async function readTensor(reader: ByteReader, dataStart: number, t: SafetensorsTensorInfo): Promise<Float32Array> {
  const [begin, end] = t.dataOffsets;
  return floatBytesToFloat32(t.dtype, await reader.read(dataStart + begin, end - begin));
}

function torchEntries(root: PickleValue, file: string): [string, TorchTensor][] {
  if (!(root instanceof Map)) throw new LoraError(`${file}: not a LoRA state dict (the pickle holds no dict)`);
  const out: [string, TorchTensor][] = [];
  for (const [k, v] of root) {
    if (typeof k === 'string' && isTorchTensor(v)) out.push([k, v]);
  }
  return out;
}

/**
 * Adds every LoRA's product to `weight` ([out, in], row-major, changed in place): for each,
 * `scale * (alpha / rank) * up @ down`, summed in float64 and added once (diffusers' fuse_lora
 * computes the product in float32; the difference is far below float32's resolution of W).
 */
export function mergeLoraInto(weight: Float32Array, shape: readonly number[], key: string, merges: readonly { layer: LoraLayer; scale: number; file: string }[]): void {
  const [out, inner] = shape as [number, number];
  const delta = new Float64Array(out * inner);
  for (const { layer, scale, file } of merges) {
    if (layer.outFeatures !== out || layer.inFeatures !== inner) {
      throw new LoraError(`${file}: the adapter of ${key} is [${layer.outFeatures}, ${layer.inFeatures}], the weight [${out}, ${inner}]: a LoRA for another model`);
    }
    const { up, down, rank } = layer;
    const factor = scale * (layer.alpha / rank);
    for (let i = 0; i < out; i++) {
      const row = i * inner;
      for (let r = 0; r < rank; r++) {
        const u = up[i * rank + r]! * factor;
        if (u === 0) continue;
        const d = r * inner;
        for (let j = 0; j < inner; j++) delta[row + j]! += u * down[d + j]!;
      }
    }
  }
  for (let i = 0; i < weight.length; i++) weight[i] = weight[i]! + delta[i]!;
}
