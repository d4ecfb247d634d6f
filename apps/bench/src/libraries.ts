/**
 * The tokenizers under test, behind one shape: load, then texts -> input_ids padded to 77 with
 * truncation (SD2: pad "!", id 0). Each library is imported lazily and nothing else is imported
 * here, so a child process that measures one library's cold start loads only that library.
 */
import * as fs from 'node:fs';
import { HF_TOKENIZER_DIR, HF_TOKENIZER_NAME } from './paths.js';

export const LIBRARIES = ['sdtext', 'sdtext-folder', 'transformers.js', 'tokenizers', 'clip-bpe-js'] as const;
export type LibraryName = (typeof LIBRARIES)[number];

/** The npm package behind each library, and how it is called. */
export const LIBRARY_INFO: Record<LibraryName, { readonly packageName: string; readonly how: string }> = {
  sdtext: { packageName: '@sdtext/tokenizer', how: 'CLIPTokenizer.fromPreset("sd2").encode(texts, {padding: "max_length", truncation: true})' },
  'sdtext-folder': {
    packageName: '@sdtext/tokenizer',
    how: 'CLIPTokenizer.fromPretrained(a tokenizer folder: the hub\'s vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json), then as sdtext',
  },
  'transformers.js': {
    packageName: '@huggingface/transformers',
    how: 'AutoTokenizer.from_pretrained(local folder, offline) called on the batch, padding "max_length", truncation, return_tensor false',
  },
  tokenizers: {
    packageName: 'tokenizers',
    how: 'Tokenizer.fromFile(tokenizer.json), setTruncation(77), setPadding(77, "!"), encodeBatch, getIds; TOKENIZERS_PARALLELISM=false (one thread)',
  },
  'clip-bpe-js': { packageName: 'clip-bpe-js', how: 'new Tokenizer().encode(text) per text, bos/eos/truncation/padding to 77 added here' },
};

export const MAX_LENGTH = 77;
const BOS_ID = 49406;
const EOS_ID = 49407;
const PAD_ID = 0;

export interface LoadedTokenizer {
  readonly name: LibraryName;
  /** input_ids for each text, each exactly 77 long. Async only where the library is. */
  encode(texts: readonly string[]): number[][] | Promise<number[][]>;
}

export function isLibraryName(name: string): name is LibraryName {
  return (LIBRARIES as readonly string[]).includes(name);
}

/** Imports and constructs a library's tokenizer; the first call per process pays the import. */
export async function loadTokenizer(name: LibraryName): Promise<LoadedTokenizer> {
  switch (name) {
    case 'sdtext':
      return loadSdtext();
    case 'sdtext-folder':
      return loadSdtextFolder();
    case 'transformers.js':
      return loadTransformersJs();
    case 'tokenizers':
      return loadRustTokenizers();
    case 'clip-bpe-js':
      return loadClipBpeJs();
  }
}

async function loadSdtext(): Promise<LoadedTokenizer> {
  const { CLIPTokenizer } = await import('@sdtext/tokenizer');
  const tokenizer = CLIPTokenizer.fromPreset('sd2');
  return {
    name: 'sdtext',
    encode: (texts) => tokenizer.encode(texts, { padding: 'max_length', truncation: true }).inputIds,
  };
}

async function loadSdtextFolder(): Promise<LoadedTokenizer> {
  requireHfFolder();
  const { CLIPTokenizer } = await import('@sdtext/tokenizer');
  const tokenizer = await CLIPTokenizer.fromPretrained(HF_TOKENIZER_DIR);
  return {
    name: 'sdtext-folder',
    encode: (texts) => tokenizer.encode(texts, { padding: 'max_length', truncation: true }).inputIds,
  };
}

function requireHfFolder(): void {
  if (!fs.existsSync(`${HF_TOKENIZER_DIR}tokenizer.json`) || !fs.existsSync(`${HF_TOKENIZER_DIR}merges.txt`)) {
    throw new Error(`${HF_TOKENIZER_DIR}tokenizer.json is missing: run ensureHfTokenizerFolder() (hf-tokenizer-folder.ts) first`);
  }
}

async function loadTransformersJs(): Promise<LoadedTokenizer> {
  requireHfFolder();
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = HF_TOKENIZER_DIR.slice(0, -HF_TOKENIZER_NAME.length - 1);
  const tokenizer = await AutoTokenizer.from_pretrained(HF_TOKENIZER_NAME);
  return {
    name: 'transformers.js',
    encode: (texts) =>
      tokenizer([...texts], { padding: 'max_length', truncation: true, max_length: MAX_LENGTH, return_tensor: false })
        .input_ids as number[][],
  };
}

async function loadRustTokenizers(): Promise<LoadedTokenizer> {
  requireHfFolder();
  // One thread, as every other library here: a shared 2-core machine, and a like-for-like ratio.
  process.env.TOKENIZERS_PARALLELISM ??= 'false';
  const { Tokenizer } = await import('tokenizers');
  const tokenizer = Tokenizer.fromFile(`${HF_TOKENIZER_DIR}tokenizer.json`);
  tokenizer.setTruncation(MAX_LENGTH);
  tokenizer.setPadding({ maxLength: MAX_LENGTH, padId: PAD_ID, padToken: '!' });
  return {
    name: 'tokenizers',
    encode: async (texts) => (await tokenizer.encodeBatch([...texts])).map((encoding) => encoding.getIds()),
  };
}

interface ClipBpeJs {
  /** Ids without bos/eos, unpadded. */
  encode(text: string): number[];
}

async function loadClipBpeJs(): Promise<LoadedTokenizer> {
  // Its typings describe the CommonJS build; the ESM build's default export is the class.
  const { default: Tokenizer } = (await import('clip-bpe-js')) as unknown as { default: new () => ClipBpeJs };
  const tokenizer = new Tokenizer();
  return {
    name: 'clip-bpe-js',
    encode: (texts) => texts.map((text) => padClipIds(tokenizer.encode(text))),
  };
}

/** bos + ids + eos, truncated to 77 keeping eos, padded with SD2's "!" (id 0). */
export function padClipIds(ids: readonly number[]): number[] {
  const row = [BOS_ID, ...ids.slice(0, MAX_LENGTH - 2), EOS_ID];
  while (row.length < MAX_LENGTH) row.push(PAD_ID);
  return row;
}
