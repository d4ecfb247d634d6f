import { CheckpointError } from '../checkpoint.js';
import { importNodeFs } from '../node-fs.js';
import { openByteReader, type ByteProgress } from '../safetensors/byte-reader.js';
import { readHeader, type SafetensorsTensorInfo } from '../safetensors/reader.js';

/**
 * Where SD3 single files (sd3_medium_incl_clips*.safetensors, ComfyUI's checkpoints; also Flux
 * all-in-one files) keep their text encoders: Hugging Face layouts under a prefix each, as
 * diffusers' single_file_utils reads them (`convert_ldm_clip_checkpoint(checkpoint,
 * "text_encoders.clip_l.transformer.")`, `convert_sd3_t5_checkpoint_to_diffusers`).
 */
export const SD3_TEXT_ENCODER_PREFIXES = {
  clip_l: 'text_encoders.clip_l.transformer.',
  clip_g: 'text_encoders.clip_g.transformer.',
  t5xxl: 'text_encoders.t5xxl.transformer.',
} as const;

export type Sd3TextEncoderName = keyof typeof SD3_TEXT_ENCODER_PREFIXES;
export const SD3_TEXT_ENCODER_NAMES = Object.keys(SD3_TEXT_ENCODER_PREFIXES) as Sd3TextEncoderName[];

/** The SD3-style text encoders a checkpoint's tensor names hold (none: not such a file). */
export function sd3TextEncodersIn(names: Iterable<string>): Sd3TextEncoderName[] {
  const found = new Set<Sd3TextEncoderName>();
  for (const name of names) {
    for (const encoder of SD3_TEXT_ENCODER_NAMES) if (name.startsWith(SD3_TEXT_ENCODER_PREFIXES[encoder])) found.add(encoder);
  }
  return SD3_TEXT_ENCODER_NAMES.filter((e) => found.has(e));
}

export interface ExtractSd3Options {
  /** Called as the source file's bytes are read. */
  onProgress?: (p: ByteProgress) => void;
}

const join = (dir: string, name: string): string => `${dir.replace(/[/\\]+$/, '')}/${name}`;

/**
 * Writes each text encoder of an SD3-style single file (a local path, Node) to `outDir` as a
 * safetensors file of its own, `<name>.safetensors` (clip_l, clip_g, t5xxl), the prefix taken off
 * its keys and every tensor's bytes copied as stored (no dtype change, ComfyUI's scaled fp8 marker
 * and scales included), one tensor at a time. The UNet's and VAE's bytes are never read. Returns
 * the files written. A file without such keys is a CheckpointError naming it.
 */
export async function extractSd3TextEncoders(file: string, outDir: string, options: ExtractSd3Options = {}): Promise<Partial<Record<Sd3TextEncoderName, string>>> {
  const reader = await openByteReader(file, options.onProgress ? { onProgress: options.onProgress } : {});
  try {
    const header = await readHeader(reader);
    const encoders = sd3TextEncodersIn(header.tensors.map((t) => t.name));
    if (encoders.length === 0) {
      throw new CheckpointError(`${file}: no SD3-style text encoder (no ${SD3_TEXT_ENCODER_NAMES.map((e) => `${SD3_TEXT_ENCODER_PREFIXES[e]}*`).join(', ')} keys)`);
    }
    const fs = await importNodeFs();
    await fs.promises.mkdir(outDir, { recursive: true });
    const written: Partial<Record<Sd3TextEncoderName, string>> = {};
    for (const encoder of encoders) {
      const prefix = SD3_TEXT_ENCODER_PREFIXES[encoder];
      const tensors = header.tensors.filter((t) => t.name.startsWith(prefix));
      const path = join(outDir, `${encoder}.safetensors`);
      const handle = await fs.promises.open(path, 'w');
      try {
        await handle.write(headerBytes(tensors, prefix));
        for (const t of tensors) {
          const [begin, end] = t.dataOffsets;
          await handle.write(await reader.read(header.dataStart + begin, end - begin));
        }
      } finally {
        await handle.close();
      }
      written[encoder] = path;
    }
    return written;
  } finally {
    await reader.close();
  }
}

/** A safetensors header for `tensors` under their names less `prefix`, laid out back to back in the given order. */
function headerBytes(tensors: readonly SafetensorsTensorInfo[], prefix: string): Uint8Array {
  const json: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const size = t.dataOffsets[1] - t.dataOffsets[0];
    json[t.name.slice(prefix.length)] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let text = JSON.stringify(json);
  text += ' '.repeat((8 - (new TextEncoder().encode(text).length % 8)) % 8);
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  return out;
}
