import { openByteReader, type ByteReader, type ByteSource } from './safetensors/byte-reader.js';
import { firstNonFinite, toFloat32 } from './safetensors/dtypes.js';
import { readSafetensors } from './safetensors/reader.js';
import { isTorchTensor, readTorchFile, type PickleValue, type TorchTensor } from './torch-file.js';

/**
 * Textual inversion embeddings, as diffusers' `load_textual_inversion` reads them
 * (`_retrieve_tokens_and_embeddings`): a diffusers file `{token: [n, D]}`, an A1111 file
 * (`string_to_param['*']`, its token in `name`), SDXL's `{clip_l, clip_g}`, or a bare tensor; in
 * .safetensors, or in .pt/.bin read without unpickling (torch-file.ts).
 */

export class TextualInversionError extends Error {
  override name = 'TextualInversionError';
}

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
const isZip = (head: Uint8Array): boolean => head[0] === 0x50 && head[1] === 0x4b;

async function readAll(reader: ByteReader): Promise<Uint8Array> {
  if (reader.size === null) throw new TextualInversionError(`${reader.name}: size unknown`);
  return reader.read(0, reader.size);
}

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
  const reader = await openByteReader(source, options.name !== undefined ? { name: options.name } : {});
  const file = reader.name;
  let bytes: Uint8Array;
  try {
    bytes = await readAll(reader);
  } finally {
    await reader.close();
  }
  if (isSafetensors(bytes)) {
    const { tensors } = readSafetensors(bytes, file);
    const get = (key: string): EmbeddingVectors => {
      const t = tensors.get(key)!;
      return vectorsOf(toFloat32(t.dtype, t.data), t.shape, `${file}: "${key}"`);
    };
    if (tensors.has('clip_l') || tensors.has('clip_g')) return sdxl(file, tensors.has('clip_l') ? get('clip_l') : null, tensors.has('clip_g') ? get('clip_g') : null);
    if (tensors.size !== 1) {
      throw new TextualInversionError(
        `${file}: not a textual inversion file: expected one tensor ({token: embedding}) or clip_l/clip_g, found ${tensors.size} (${[...tensors.keys()].slice(0, 5).join(', ')})`,
      );
    }
    const [token] = tensors.keys();
    return { file, token: token!, vectors: new Map([['text_encoder', get(token!)]]) };
  }
  if (isZip(bytes)) {
    const torch = await readTorchFile(bytes, { name: file });
    try {
      return await fromPickle(file, torch.root);
    } finally {
      await torch.close();
    }
  }
  throw new TextualInversionError(`${file}: neither a safetensors file nor a torch.save zip`);
}

function sdxl(file: string, clipL: EmbeddingVectors | null, clipG: EmbeddingVectors | null): TextualInversionFile {
  const vectors = new Map<'text_encoder' | 'text_encoder_2', EmbeddingVectors>();
  if (clipL) vectors.set('text_encoder', clipL);
  if (clipG) vectors.set('text_encoder_2', clipG);
  return { file, token: null, vectors };
}

async function fromPickle(file: string, root: PickleValue): Promise<TextualInversionFile> {
  const tensorVectors = async (t: TorchTensor, what: string): Promise<EmbeddingVectors> => vectorsOf(await t.read(), t.shape, `${file}: ${what}`);
  if (isTorchTensor(root)) return { file, token: null, vectors: new Map([['text_encoder', await tensorVectors(root, 'the tensor')]]) };
  if (!(root instanceof Map)) throw new TextualInversionError(`${file}: not a textual inversion file (the pickle holds no dict)`);
  const clipL = root.get('clip_l');
  const clipG = root.get('clip_g');
  if (isTorchTensor(clipL) || isTorchTensor(clipG)) {
    return sdxl(file, isTorchTensor(clipL) ? await tensorVectors(clipL, 'clip_l') : null, isTorchTensor(clipG) ? await tensorVectors(clipG, 'clip_g') : null);
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
  const keys = [...root.keys()].slice(0, 6).map(String);
  throw new TextualInversionError(`${file}: not a textual inversion file: expected {token: tensor}, A1111's string_to_param or clip_l/clip_g; keys: ${keys.join(', ')}`);
}
