import { openByteReader, randomAccessReader, type ByteReader, type ByteSource } from '../safetensors/byte-reader.js';
import { decodeRaw, firstNonFinite, toFloat32 } from '../safetensors/dtypes.js';
import { readHeader, type SafetensorsTensorInfo } from '../safetensors/reader.js';
import { isTorchTensor, readTorchFile, torchFormatOf, type PickleValue, type TorchTensor } from '../torch/index.js';

/**
 * Textual inversion embeddings, as diffusers' `load_textual_inversion` reads them
 * (`_retrieve_tokens_and_embeddings`): a diffusers file `{token: [n, D]}`, an A1111 file
 * (`string_to_param['*']`, its token in `name`), SDXL's `{clip_l, clip_g}`, or a bare tensor; in
 * .safetensors (header first, then only the tensors used), or in .pt/.bin read without unpickling
 * (torch/). A file over MAX_TEXTUAL_INVERSION_BYTES is refused before anything is read.
 */

export class TextualInversionError extends Error {
  override name = 'TextualInversionError';
}

/** Embeddings are a few kB to a few MB; a file this large is something else (a model checkpoint). */
export const MAX_TEXTUAL_INVERSION_BYTES = 128 * 1024 * 1024;

/** Vectors `[count, dim]`, row-major float32. */
export interface EmbeddingVectors {
  data: Float32Array;
  count: number;
  dim: number;
}

export interface TextualInversionFile {
  /** The file, for messages. */
  file: string;
  /** The token the file names (diffusers' dict key, A1111's `name`), or null (a bare tensor, SDXL). */
  token: string | null;
  /** Vectors per text encoder: 'text_encoder' for SD 1.x/2.x files; SDXL files also 'text_encoder_2' (clip_g). */
  vectors: Map<'text_encoder' | 'text_encoder_2', EmbeddingVectors>;
}

const isSafetensors = (head: Uint8Array): boolean => head.length >= 9 && head[8] === 0x7b; // u64 length, then '{'

function vectorsOf(data: Float32Array, shape: readonly number[], where: string): EmbeddingVectors {
  if (shape.length !== 1 && shape.length !== 2) throw new TextualInversionError(`${where}: an embedding must be [D] or [n, D], got [${shape.join(', ')}]`);
  const dim = shape[shape.length - 1]!;
  const count = shape.length === 2 ? shape[0]! : 1;
  if (dim === 0 || count === 0) throw new TextualInversionError(`${where}: empty embedding [${shape.join(', ')}]`);
  const bad = firstNonFinite(data);
  if (bad >= 0) throw new TextualInversionError(`${where}: holds ${data[bad]} at [${Math.floor(bad / dim)}, ${bad % dim}]`);
  return { data, count, dim };
}

/** Reads a textual inversion file (path in Node, URL, bytes or Blob). `name` is for messages. */
export async function readTextualInversion(source: ByteSource, options: { name?: string } = {}): Promise<TextualInversionFile> {
  let reader = await openByteReader(source, options.name !== undefined ? { name: options.name } : {});
  const file = reader.name;
  try {
    if (reader.size === null) throw new TextualInversionError(`${file}: size unknown`);
    if (reader.size > MAX_TEXTUAL_INVERSION_BYTES) {
      throw new TextualInversionError(
        `${file}: ${reader.size} bytes, over the ${MAX_TEXTUAL_INVERSION_BYTES} bytes (128 MiB) of any textual inversion file (they are kB to MB): a model checkpoint?`,
      );
    }
    reader = await randomAccessReader(reader, MAX_TEXTUAL_INVERSION_BYTES, (m) => new TextualInversionError(m));
    const head = await reader.read(0, Math.min(32, reader.size ?? 0));
    if (isSafetensors(head)) return await fromSafetensors(reader);
    if (torchFormatOf(head) !== null) {
      const torch = await readTorchFile(reader);
      try {
        return await fromPickle(file, torch.root);
      } finally {
        await torch.close();
      }
    }
    throw new TextualInversionError(`${file}: neither a safetensors file nor a torch.save file (zip or legacy)`);
  } finally {
    await reader.close();
  }
}

/** The header, then only the tensors used, in file order (a stream is never asked to go back). */
async function fromSafetensors(reader: ByteReader): Promise<TextualInversionFile> {
  const file = reader.name;
  const header = await readHeader(reader);
  const names = header.tensors.map((t) => t.name);
  const read = async (info: SafetensorsTensorInfo): Promise<EmbeddingVectors> => {
    const [begin, end] = info.dataOffsets;
    const bytes = await reader.read(header.dataStart + begin, end - begin);
    return vectorsOf(toFloat32(info.dtype, decodeRaw(info.dtype, bytes)), info.shape, `${file}: "${info.name}"`);
  };
  const sdxl = header.tensors.filter((t) => t.name === 'clip_l' || t.name === 'clip_g');
  if (sdxl.length > 0) {
    const vectors = new Map<'text_encoder' | 'text_encoder_2', EmbeddingVectors>();
    for (const t of sdxl) vectors.set(t.name === 'clip_l' ? 'text_encoder' : 'text_encoder_2', await read(t));
    return { file, token: null, vectors: sortedEncoders(vectors) };
  }
  if (header.tensors.length !== 1) {
    throw new TextualInversionError(
      `${file}: not a textual inversion file: expected one tensor ({token: embedding}) or clip_l/clip_g, found ${names.length} (${names.slice(0, 5).map(quoted).join(', ')})`,
    );
  }
  const only = header.tensors[0]!;
  return { file, token: only.name, vectors: new Map([['text_encoder', await read(only)]]) };
}

/** text_encoder first, as the encoders are numbered. */
function sortedEncoders(vectors: Map<'text_encoder' | 'text_encoder_2', EmbeddingVectors>): Map<'text_encoder' | 'text_encoder_2', EmbeddingVectors> {
  return new Map([...vectors].sort(([a], [b]) => a.localeCompare(b)));
}

async function fromPickle(file: string, root: PickleValue): Promise<TextualInversionFile> {
  const tensorVectors = async (t: TorchTensor, what: string): Promise<EmbeddingVectors> => vectorsOf(await t.read(), t.shape, `${file}: ${what}`);
  if (isTorchTensor(root)) return { file, token: null, vectors: new Map([['text_encoder', await tensorVectors(root, 'the tensor')]]) };
  if (!(root instanceof Map)) throw new TextualInversionError(`${file}: not a textual inversion file (the pickle holds no dict)`);
  const clipL = root.get('clip_l');
  const clipG = root.get('clip_g');
  if (isTorchTensor(clipL) || isTorchTensor(clipG)) {
    const vectors = new Map<'text_encoder' | 'text_encoder_2', EmbeddingVectors>();
    if (isTorchTensor(clipL)) vectors.set('text_encoder', await tensorVectors(clipL, 'clip_l'));
    if (isTorchTensor(clipG)) vectors.set('text_encoder_2', await tensorVectors(clipG, 'clip_g'));
    return { file, token: null, vectors };
  }
  if (root.size === 1) {
    const [token, value] = [...root][0]!;
    if (typeof token !== 'string' || !isTorchTensor(value)) throw new TextualInversionError(`${file}: a one-entry dict that is not {token: tensor}`);
    return { file, token, vectors: new Map([['text_encoder', await tensorVectors(value, `"${token}"`)]]) };
  }
  const params = root.get('string_to_param');
  if (params instanceof Map) {
    const star = params.get('*');
    if (!isTorchTensor(star)) throw new TextualInversionError(`${file}: string_to_param has no '*' tensor`);
    const name = root.get('name');
    return { file, token: typeof name === 'string' ? name : null, vectors: new Map([['text_encoder', await tensorVectors(star, "string_to_param['*']")]]) };
  }
  const keys = [...root.keys()].slice(0, 6).map(describeKey);
  throw new TextualInversionError(`${file}: not a textual inversion file: expected {token: tensor}, A1111's string_to_param or clip_l/clip_g; keys: ${keys.join(', ')}`);
}

const quoted = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);

/** A dict key for a message, without walking it (a key may be a deep or huge tuple). */
function describeKey(k: PickleValue): string {
  if (typeof k === 'string') return quoted(k);
  if (k === null || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  if (Array.isArray(k)) return `a tuple of ${k.length}`;
  return k instanceof Uint8Array ? `${k.length} bytes` : 'a tensor';
}
