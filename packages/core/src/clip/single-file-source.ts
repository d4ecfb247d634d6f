import { CheckpointError } from '../checkpoint.js';
import { openByteReader, type ByteReader, type ByteReaderOptions, type ByteSource } from '../safetensors/byte-reader.js';
import { FLOAT_DTYPES, floatBytesToFloat32, isSafetensorsDtype } from '../safetensors/dtypes.js';
import { readHeader, SafetensorsError, type SafetensorsHeader } from '../safetensors/reader.js';
import { readTorchFile, SAFETENSORS_NAMES, sniffFormat, torchStateDict, type TorchTensor } from '../torch/index.js';
import { detectSingleFile, type SingleFileEncoder, type SingleFileKind } from './single-file.js';

/**
 * A single-file checkpoint's tensors, whichever format it is in, told by its first bytes (never by
 * its name): safetensors (the header, then each tensor by offset), or a torch `.ckpt` (the zip
 * torch.save writes, or the legacy stream before torch 1.6), read without unpickling (torch/): the
 * pickle names every tensor (UNet, VAE, text encoders) and only the tensors asked for are read,
 * each its own bytes. An SD `.ckpt` holds `{'state_dict': {...}, 'global_step', ...}` (Lightning);
 * a bare state dict reads too.
 */

/** A stored tensor: its name, dtype (safetensors' names: 'F16', 'I64'...) and shape. */
export interface StoredTensorInfo {
  name: string;
  dtype: string;
  shape: number[];
}

export interface SingleFileTensors {
  format: 'safetensors' | 'torch zip' | 'torch legacy';
  /** Every tensor, in the file's order (safetensors: by offset; torch: the pickle's). */
  tensors: StoredTensorInfo[];
  /** The safetensors header (for OpenCheckpoint's shards); null for a torch file. */
  header: SafetensorsHeader | null;
  /** A tensor's values widened to float32 (a new array). */
  read(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Reads a single file's tensor list through `reader` (closed by `close()`, or here on failure). */
export async function openSingleFileTensors(source: ByteReader): Promise<SingleFileTensors> {
  const where = source.name;
  let reader = source;
  try {
    const sniffed = await sniffFormat(source);
    const { format, head } = sniffed;
    reader = sniffed.reader;
    if (format === null) {
      const header = await readHeader(reader).catch((e: unknown) => {
        // A u64 header length under 100 MB leaves bytes 4 to 7 zero: without that it is no safetensors file at all.
        if (e instanceof SafetensorsError && head.length >= 8 && head.subarray(4, 8).some((b) => b !== 0)) {
          throw new CheckpointError(
            `${where}: neither a safetensors file nor a torch checkpoint (.ckpt: a torch.save zip or legacy stream); it starts ${[...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`,
          );
        }
        throw e;
      });
      const infos = new Map(header.tensors.map((t) => [t.name, t]));
      return {
        format: 'safetensors',
        tensors: header.tensors,
        header,
        async read(name) {
          const info = infos.get(name)!;
          const [begin, end] = info.dataOffsets;
          return floatBytesToFloat32(info.dtype, await reader.read(header.dataStart + begin, end - begin));
        },
        close: () => reader.close(),
      };
    }
    if (reader.sequential) {
      throw new CheckpointError(
        `${where}: a torch ${format === 'zip' ? 'zip' : 'legacy'} checkpoint (.ckpt) cannot be read from a stream that only goes forward ` +
          `(its ${format === 'zip' ? 'zip directory is at its end' : 'storages follow its pickles'}): download it and give the local file`,
      );
    }
    const torch = await readTorchFile(reader);
    const dict = torchStateDict(torch.root, where);
    const byName = new Map<string, TorchTensor>(dict);
    return {
      format: torch.format === 'zip' ? 'torch zip' : 'torch legacy',
      tensors: [...dict].map(([name, t]) => ({ name, dtype: SAFETENSORS_NAMES[t.dtype], shape: t.shape })),
      header: null,
      read: (name) => byName.get(name)!.read(),
      close: () => torch.close(),
    };
  } catch (e) {
    await reader.close();
    throw e;
  }
}

/** Whether a stored dtype is one weights are read from (F32, F16, BF16, F64). */
export function isFloatWeight(dtype: string): boolean {
  return isSafetensorsDtype(dtype) && FLOAT_DTYPES.includes(dtype);
}

/**
 * What a single-file checkpoint is (SD 1.x, 2.x or SDXL, and its text encoders), from its tensor
 * names alone: a safetensors header, or a torch file's pickle (no tensor is read). For
 * `TextPipeline.fromSingleFile` before it loads each encoder.
 */
export async function inspectSingleFile(
  source: ByteSource,
  options: ByteReaderOptions = {},
): Promise<{ kind: SingleFileKind; encoders: SingleFileEncoder[]; format: SingleFileTensors['format'] }> {
  const reader = await openByteReader(source, options);
  const where = reader.name;
  const tensors = await openSingleFileTensors(reader);
  try {
    const names = tensors.tensors.map((t) => t.name);
    return { ...detectSingleFile(names, tensors.format === 'safetensors' ? where : `${where} (a ${tensors.format} file)`), format: tensors.format };
  } finally {
    await tensors.close();
  }
}
