import { openByteReader, randomAccessReader, type ByteReader, type ByteSource } from '../safetensors/byte-reader.js';
import { firstNonFinite, floatBytesToFloat32, FLOAT_DTYPES } from '../safetensors/dtypes.js';
import { readHeader, type SafetensorsTensorInfo } from '../safetensors/reader.js';
import { readTorchFile, sniffFormat, torchStateDict } from '../torch/index.js';
import { buildAdapter, type LoraRole, type StoredPart } from './lycoris-adapter.js';
import { LoraError } from './lora-error.js';
import { adapterDelta, type LoraLayer } from './lycoris.js';

/**
 * LoRA on the text encoder: the adapters of a kohya (`lora_te_`, SDXL `lora_te1_` / `lora_te2_`)
 * or diffusers/peft (`text_encoder.….lora_A/lora_B`, the older `lora_linear_layer.up/down` and
 * `to_q_lora`) file, keyed by the Hugging Face Linear they change; LyCORIS's LoCon, LoHa
 * (`hada_w1_a`...) and LoKr (`lokr_w1`...) under either naming, and DoRA's `dora_scale`. Merged
 * as LyCORIS's forward does (lycoris.ts); for plain LoRA that is `W' = W + scale * (alpha / r) *
 * up @ down` (kohya's and diffusers' `fuse_lora`). Only the text encoder's tensors are read
 * (header first for safetensors): a UNet's adapters are skipped.
 */

export { LoraError };

/** A torch-format LoRA from a stream (a URL) is read into memory first; LoRAs are MBs, rarely hundreds. */
export const MAX_STREAMED_TORCH_LORA_BYTES = 512 * 1024 * 1024;

export type TextEncoderName = 'text_encoder' | 'text_encoder_2';

export type { LoraLayer } from './lycoris.js';

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
/** The parts of one Linear's adapter a file may store (LoRA / LoCon, LoHa, LoKr, DoRA's magnitude). */
const PARTS = 'lora_down\\.weight|lora_up\\.weight|alpha|dora_scale|hada_w[12]_[ab]|lokr_w[12](?:_[ab])?';
const KOHYA = new RegExp(`^lora_te([12]?)_(.+)\\.(${PARTS})$`);
const KOHYA_MODULE = /^text_model_encoder_layers_(\d+)_(self_attn|mlp)_(q_proj|k_proj|v_proj|out_proj|fc1|fc2)$/;
const DIFFUSERS = new RegExp(
  `^(text_encoder|text_encoder_2)\\.(.+?)\\.(lora_A(?:\\.default)?\\.weight|lora_B(?:\\.default)?\\.weight|lora_linear_layer\\.down\\.weight|lora_linear_layer\\.up\\.weight|${PARTS})(?:\\.default)?$`,
);
const DIFFUSERS_OLD = /^(text_encoder|text_encoder_2)\.(text_model\.encoder\.layers\.\d+\.self_attn)\.to_(q|k|v|out)_lora\.(down|up)\.weight$/;
const OLD_PROJ: Record<string, string> = { q: 'q_proj', k: 'k_proj', v: 'v_proj', out: 'out_proj' };

/** LyCORIS parts that are not read, by what they belong to: a text encoder key ending so is refused naming it. */
const UNSUPPORTED_PARTS: [RegExp, string][] = [
  [/\.(hada_t[12])$/, 'LoHa with Tucker factors (conv layers only)'],
  [/\.(lokr_t[12])$/, 'LoKr with a Tucker factor (conv layers only)'],
  [/\.(lora_mid\.weight)$/, 'LoCon with a Tucker factor (conv layers only)'],
  [/\.(diff|diff_b)$/, "LyCORIS 'full' (a stored weight difference)"],
  [/\.(on_input)$/, 'LyCORIS (IA)^3'],
  [/\.([ab][12]\.weight)$/, 'LyCORIS GLoRA'],
  [/\.(oft_blocks|oft_diag|rescale)$/, 'LyCORIS OFT / BOFT'],
  [/\.(w_norm|b_norm)$/, 'LyCORIS norm layers'],
  [/\.(lora_magnitude_vector(?:\.default)?(?:\.weight)?)$/, "peft's DoRA (lora_magnitude_vector)"],
];

export type { LoraRole };

interface Part {
  encoder: TextEncoderName;
  module: string;
  role: LoraRole;
}

/** A stored part's name -> its role (lora_up.weight, lora_B, lora_linear_layer.up.weight: 'up'). */
function roleOf(kind: string): LoraRole {
  if (kind === 'alpha' || kind === 'dora_scale' || kind.startsWith('hada_') || kind.startsWith('lokr_')) return kind as LoraRole;
  return kind.startsWith('lora_B') || kind.startsWith('lora_up') || kind.endsWith('up.weight') ? 'up' : 'down';
}

/** Which adapter part a key is, null for keys of other models (UNet); throws for text encoder keys it cannot use. */
export function parseLoraKey(key: string, where: string): Part | null {
  let m = KOHYA.exec(key);
  if (m) {
    const encoder: TextEncoderName = m[1] === '2' ? 'text_encoder_2' : 'text_encoder';
    const mm = KOHYA_MODULE.exec(m[2]!);
    if (!mm) throw new LoraError(`${where}: LoRA key "${key}": no text encoder Linear is named "${m[2]}"`);
    const module = `text_model.encoder.layers.${mm[1]}.${mm[2]}.${mm[3]}`;
    return { encoder, module, role: roleOf(m[3]!) };
  }
  m = DIFFUSERS_OLD.exec(key);
  if (m) return { encoder: m[1] as TextEncoderName, module: `${m[2]}.${OLD_PROJ[m[3]!]}`, role: m[4] as 'up' | 'down' };
  m = DIFFUSERS.exec(key);
  if (m) {
    if (!HF_LINEAR.test(m[2]!)) throw new LoraError(`${where}: LoRA key "${key}": "${m[2]}" is not a text encoder Linear`);
    return { encoder: m[1] as TextEncoderName, module: m[2]!, role: roleOf(m[3]!) };
  }
  if (/^(lora_te[12]?_|text_encoder(_2)?\.)/.test(key)) {
    const unsupported = UNSUPPORTED_PARTS.find(([re]) => re.test(key));
    if (unsupported) {
      throw new LoraError(
        `${where}: LoRA key "${key}" is ${unsupported[1]}, which is not supported on the text encoder (LoRA / LoCon, LoHa, LoKr and their dora_scale are)`,
      );
    }
    throw new LoraError(
      `${where}: LoRA key "${key}" is not supported (text encoder keys are kohya's lora_down/lora_up/alpha, peft's lora_A/lora_B, LyCORIS's hada_w*/lokr_w* and dora_scale)`,
    );
  }
  return null;
}

/**
 * Reads a LoRA file (.safetensors header first, or a torch .bin/.pt without unpickling): the text
 * encoder adapters (LoRA, LyCORIS LoCon / LoHa / LoKr, DoRA), checked (every part present, shapes
 * that fit together, finite values).
 */
export async function readLora(source: ByteSource, options: { name?: string; fetch?: typeof fetch } = {}): Promise<LoraFile> {
  let reader = await openByteReader(source, { ...(options.name !== undefined ? { name: options.name } : {}), ...(options.fetch ? { fetch: options.fetch } : {}) });
  const file = reader.name;
  const parts = new Map<string, { encoder: TextEncoderName; module: string; stored: Map<LoraRole, StoredPart> }>();
  const put = async (key: string, shape: number[], read: () => Promise<Float32Array>): Promise<void> => {
    const part = parseLoraKey(key, file);
    if (!part) return;
    const id = `${part.encoder}:${part.module}`;
    const entry = parts.get(id) ?? { encoder: part.encoder, module: part.module, stored: new Map<LoraRole, StoredPart>() };
    parts.set(id, entry);
    if (entry.stored.has(part.role)) throw new LoraError(`${file}: "${key}": ${part.encoder} ${part.module} has its ${part.role} twice (under two key names)`);
    if (part.role === 'alpha') {
      if (shape.reduce((a, b) => a * b, 1) !== 1) throw new LoraError(`${file}: "${key}" must be a scalar, got [${shape.join(', ')}]`);
    } else if (shape.length !== 2) {
      throw new LoraError(`${file}: "${key}" must be a matrix, got [${shape.join(', ')}] (conv adapters do not apply to a text encoder)`);
    }
    const data = await read();
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new LoraError(`${file}: "${key}" holds ${data[bad]} at flat index ${bad}`);
    entry.stored.set(part.role, { data, shape });
  };
  try {
    const sniffed = await sniffFormat(reader);
    reader = sniffed.reader;
    if (sniffed.format !== null) {
      // A torch file is read from its end (zip) or its storages after its pickles: a stream is buffered, under a cap.
      reader = await randomAccessReader(reader, MAX_STREAMED_TORCH_LORA_BYTES, (m) => new LoraError(m));
      const torch = await readTorchFile(reader);
      for (const [key, t] of torchStateDict(torch.root, file)) {
        if (parseLoraKey(key, file) !== null && !FLOAT_TORCH.has(t.dtype)) throw new LoraError(`${file}: "${key}" has dtype ${t.dtype}`);
        await put(key, t.shape, () => t.read());
      }
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
  for (const { encoder, module, stored } of parts.values()) {
    const layers = encoders.get(encoder) ?? new Map<string, LoraLayer>();
    encoders.set(encoder, layers);
    layers.set(module, buildAdapter(stored, `${file}: ${encoder} ${module}`));
  }
  return { file, encoders };
}

const FLOAT_TORCH: ReadonlySet<string> = new Set(['float32', 'float16', 'bfloat16', 'float64']);

async function readTensor(reader: ByteReader, dataStart: number, t: SafetensorsTensorInfo): Promise<Float32Array> {
  const [begin, end] = t.dataOffsets;
  return floatBytesToFloat32(t.dtype, await reader.read(dataStart + begin, end - begin));
}

/**
 * Adds every adapter's change to `weight` ([out, in], row-major, changed in place): each one's
 * `new_weight - W` as LyCORIS's forward makes it at its multiplier (lycoris.ts: `multiplier *
 * (alpha / r) * up @ down` for plain LoRA), summed in float64 and added once (diffusers' fuse_lora
 * computes the product in float32; the difference is far below float32's resolution of W).
 */
export function mergeLoraInto(weight: Float32Array, shape: readonly number[], key: string, merges: readonly { layer: LoraLayer; scale: number; file: string }[]): void {
  const [out, inner] = shape as [number, number];
  const delta = new Float64Array(out * inner);
  for (const { layer, scale, file } of merges) {
    if (layer.outFeatures !== out || layer.inFeatures !== inner) {
      throw new LoraError(`${file}: the adapter of ${key} is [${layer.outFeatures}, ${layer.inFeatures}], the weight [${out}, ${inner}]: a LoRA for another model`);
    }
    const d = adapterDelta(layer, weight, scale);
    for (let i = 0; i < delta.length; i++) delta[i]! += d[i]!;
  }
  for (let i = 0; i < weight.length; i++) weight[i] = weight[i]! + delta[i]!;
}
