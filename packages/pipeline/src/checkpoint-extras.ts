import {
  readLora,
  readTextualInversion,
  type ByteSource,
  type EmbeddingVectors,
  type LoraMerge,
  type TextEncoderName,
  type TextualInversionFile,
} from '@sdtext/core';
import type { CLIPTokenizer } from '@sdtext/tokenizer';
import { readEmbeddingFolder, type EmbeddingFile } from './embedding-folder.js';

/**
 * Textual inversion and LoRA for the pipeline, as diffusers' `load_textual_inversion` and
 * `load_lora_weights` do them: tokens added to the tokenizer(s) with ids from `len(tokenizer)` on,
 * the embeddings appended to the token embedding at those ids, LoRAs merged into the encoders'
 * weights. The weights are changed on @sdtext/core's weight stream, so both engines load them alike.
 */

/**
 * A textual inversion file (path, URL, bytes or Blob), or one with the token to use instead of the
 * file's, or a folder of them (`{ folder }`, or a path that is a folder; Node): each file is then
 * found by its name in the dialects (webui: its stem; ComfyUI: `embedding:` and its path there),
 * and not added as a diffusers token (civitai files would all be `emb_params`).
 */
export type TextualInversionInput = ByteSource | { file: ByteSource; token?: string; name?: string } | { folder: string };

/** A LoRA file and its scale (default 1: diffusers' `lora_scale`, A1111's `<lora:name:1>`). */
export type LoraInput = ByteSource | { file: ByteSource; scale?: number; name?: string };

const fileOf = (x: ByteSource | { file: ByteSource }): ByteSource =>
  typeof x === 'object' && x !== null && 'file' in x && !(x instanceof Uint8Array) ? x.file : (x as ByteSource);
const nameOf = (x: { name?: string } | ByteSource): string | undefined =>
  typeof x === 'object' && x !== null && 'name' in x && typeof (x as { name?: unknown }).name === 'string' ? (x as { name: string }).name : undefined;
const tokenOf = (x: TextualInversionInput): string | undefined =>
  typeof x === 'object' && x !== null && 'file' in x && !(x instanceof Uint8Array) ? x.token : undefined;

/** A file of a textual inversion input, read: diffusers' token rule applies to it. */
export interface ReadTextualInversion {
  ti: TextualInversionFile;
  /** The token the caller gave instead of the file's. */
  token?: string | undefined;
}

/**
 * Reads textual inversion inputs: the files given one by one (for diffusers' tokens) and every
 * file, folders' included, for the dialects' names. A folder's unreadable file is reported and
 * skipped, as webui does; a file given alone must read.
 */
export async function readTextualInversionInputs(
  inputs: readonly TextualInversionInput[],
  onWarning: (message: string) => void,
): Promise<{ tokens: ReadTextualInversion[]; named: EmbeddingFile[] }> {
  const tokens: ReadTextualInversion[] = [];
  const named: EmbeddingFile[] = [];
  for (const input of inputs) {
    const folder = await folderOf(input);
    if (folder !== null) {
      named.push(...(await readEmbeddingFolder(folder, onWarning)));
      continue;
    }
    const name = nameOf(input as ByteSource);
    const ti = await readTextualInversion(fileOf(input as ByteSource), name !== undefined ? { name } : {});
    tokens.push({ ti, token: tokenOf(input) });
    named.push(embeddingFileOf(ti));
  }
  return { tokens, named };
}

/** A folder input: `{ folder }`, or a string path that is a folder (Node). */
async function folderOf(input: TextualInversionInput): Promise<string | null> {
  if (typeof input === 'object' && input !== null && 'folder' in input) return input.folder;
  if (typeof input !== 'string' || /^[a-z][a-z0-9+.-]*:\/\//i.test(input) || typeof process === 'undefined' || !process.versions?.node) return null;
  const fs = await import('node:fs');
  try {
    return (await fs.promises.stat(input)).isDirectory() ? input : null;
  } catch {
    return null; // not there: reading it as a file says so
  }
}

/** A file given alone, as the dialects name it: its file name (ComfyUI) and stem (webui). */
function embeddingFileOf(ti: TextualInversionFile): EmbeddingFile {
  const base = ti.file.replace(/[?#].*$/, '').split(/[\\/]/).pop() ?? ti.file;
  const dot = base.lastIndexOf('.');
  const vectors = new Map([...ti.vectors].map(([k, v]) => [k, Array.from({ length: v.count }, (_, i) => v.data.slice(i * v.dim, (i + 1) * v.dim))]));
  return { path: base, stem: dot > 0 ? base.slice(0, dot) : base, file: ti.file, vectors };
}

/** The LoRAs for each text encoder, files read (text encoder tensors only). */
export async function readLoras(inputs: readonly LoraInput[]): Promise<Map<TextEncoderName, LoraMerge[]>> {
  const out = new Map<TextEncoderName, LoraMerge[]>();
  for (const input of inputs) {
    const scale = typeof input === 'object' && input !== null && 'file' in input && !(input instanceof Uint8Array) ? (input.scale ?? 1) : 1;
    if (!Number.isFinite(scale)) throw new TypeError(`LoRA scale must be a finite number, got ${scale}`);
    const name = nameOf(input);
    const lora = await readLora(fileOf(input), name !== undefined ? { name } : {});
    if (lora.encoders.size === 0) throw new Error(`${lora.file}: no text encoder LoRA in it (a UNet-only LoRA changes nothing here)`);
    for (const [encoder, layers] of lora.encoders) {
      const list = out.get(encoder) ?? [];
      list.push({ layers, scale, file: lora.file });
      out.set(encoder, list);
    }
  }
  return out;
}

/**
 * Reads textual inversion files and adds their tokens to the tokenizers (multi-vector embeddings
 * as `tok`, `tok_1`, ...), checking them as diffusers does; returns the rows each encoder's token
 * embedding gains, in id order. `tokenizers` maps each encoder to its tokenizer.
 */
export async function addTextualInversions(
  inputs: readonly TextualInversionInput[],
  tokenizers: ReadonlyMap<TextEncoderName, CLIPTokenizer>,
): Promise<Map<TextEncoderName, EmbeddingVectors>> {
  const { tokens } = await readTextualInversionInputs(inputs, () => undefined);
  return addReadTextualInversions(tokens, tokenizers);
}

/** addTextualInversions on files already read (folders' files are never added as tokens). */
export function addReadTextualInversions(
  inputs: readonly ReadTextualInversion[],
  tokenizers: ReadonlyMap<TextEncoderName, CLIPTokenizer>,
): Map<TextEncoderName, EmbeddingVectors> {
  const pending = new Map<TextEncoderName, { tokens: string[]; rows: Float32Array[]; dim: number }>();
  for (const { ti, token: given } of inputs) {
    const token = given ?? ti.token;
    if (!token) throw new Error(`${ti.file}: the file names no token; pass { file, token: '<my-token>' }`);
    for (const [encoder, vectors] of ti.vectors) {
      const tokenizer = tokenizers.get(encoder);
      if (!tokenizer) throw new Error(`${ti.file} holds embeddings for ${encoder}, which this pipeline does not have`);
      const vocab = tokenizer.getVocab();
      const entry = pending.get(encoder) ?? { tokens: [], rows: [], dim: vectors.dim };
      pending.set(encoder, entry);
      if (vectors.dim !== entry.dim) throw new Error(`${ti.file}: embeddings ${vectors.dim} wide, others for ${encoder} ${entry.dim}`);
      // diffusers' _extend_tokens_and_embeddings and its checks
      const inVocab = (t: string): boolean => Object.hasOwn(vocab, t) || entry.tokens.includes(t);
      if (inVocab(`${token}_1`)) throw new Error(`Multi-vector Token ${token}_1 already in tokenizer vocabulary (${ti.file})`);
      if (inVocab(token)) {
        throw new Error(`Token ${token} already in tokenizer vocabulary. Please choose a different token name or remove ${token} and embedding from the tokenizer and text encoder. (${ti.file})`);
      }
      for (let i = 0; i < vectors.count; i++) {
        entry.tokens.push(i === 0 ? token : `${token}_${i}`);
        entry.rows.push(vectors.data.subarray(i * vectors.dim, (i + 1) * vectors.dim));
      }
    }
  }
  const out = new Map<TextEncoderName, EmbeddingVectors>();
  const done = new Map<CLIPTokenizer, string[]>(); // SDXL repos may share one tokenizer between the encoders
  for (const [encoder, { tokens, rows, dim }] of pending) {
    const tokenizer = tokenizers.get(encoder)!;
    const prior = done.get(tokenizer);
    if (prior) {
      if (prior.join('\n') !== tokens.join('\n')) throw new Error('the two text encoders share one tokenizer, but the textual inversions give them different tokens');
    } else {
      const first = tokenizer.length;
      tokenizer.addTokens(tokens);
      done.set(tokenizer, tokens);
      const ids = tokenizer.convertTokensToIds(tokens);
      if (ids.some((id, i) => id !== first + i)) throw new Error(`the tokenizer gave the added tokens ids ${ids.join(', ')}, expected ${first} on`);
    }
    const data = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => data.set(r, i * dim));
    out.set(encoder, { data, count: rows.length, dim });
  }
  return out;
}

/**
 * diffusers' `maybe_convert_prompt`: each added token of the prompt followed by its extra vectors'
 * tokens (`tok` -> `tok tok_1 tok_2`), so a multi-vector embedding takes all its rows.
 */
export function maybeConvertPrompt(prompt: string, tokenizer: CLIPTokenizer, addedTokens: ReadonlySet<string>): string {
  if (addedTokens.size === 0) return prompt;
  for (const token of new Set(tokenizer.tokenize(prompt))) {
    if (!addedTokens.has(token)) continue;
    let replacement = token;
    for (let i = 1; addedTokens.has(`${token}_${i}`); i++) replacement += ` ${token}_${i}`;
    prompt = prompt.split(token).join(replacement);
  }
  return prompt;
}

/** The tokens a tokenizer has beyond its vocabulary (HF's added_tokens_encoder without the vocabulary's own). */
export function addedTokensOf(tokenizer: CLIPTokenizer): Set<string> {
  const vocab = tokenizer.getVocab();
  return new Set(Object.keys(vocab).filter((t) => vocab[t]! >= tokenizer.vocabSize));
}
