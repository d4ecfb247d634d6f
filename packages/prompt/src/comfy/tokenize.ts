import type { PromptTokenizer } from '../encoder.js';
import { PromptError } from '../errors.js';
import type { ComfyEmbeddings } from './embedding-folder.js';
import { parseComfyPieces } from './parse-weights.js';

/** One vector of an `embedding:name` (ComfyUI puts the tensor itself in the token list). */
export interface EmbeddingToken {
  /** The file it came from (its path in the folder). */
  embedding: string;
  vector: Float32Array;
}

/** A token id (or an embedding's vector) and its weight (ComfyUI's `(token, weight)` pair). */
export type TokenWeight = [token: number | EmbeddingToken, weight: number];

export interface ComfyTokenizeOptions {
  /** 77 for CLIP. */
  maxLength?: number;
  /** SD1's CLIP-L pads with EOS; SD2's OpenCLIP-H (and SDXL's G) pad with 0. */
  padWithEnd?: boolean;
  /** Words of at least this many tokens may be split across chunks; shorter ones move whole. */
  maxWordLength?: number;
  /** The embeddings folder: `embedding:name` words become its vectors (ComfyUI's embedding_directory). */
  embeddings?: ComfyEmbeddings;
  /** Where ComfyUI's warning for an unknown `embedding:name` goes (it drops the word). Default console.warn. */
  onWarning?: (message: string) => void;
}

const EMBEDDING = 'embedding:';

const vocabularies = new WeakMap<PromptTokenizer, Record<string, number>>();

function vocabOf(tokenizer: PromptTokenizer): Record<string, number> {
  let v = vocabularies.get(tokenizer);
  if (!v) vocabularies.set(tokenizer, (v = tokenizer.getVocab()));
  return v;
}

/**
 * ComfyUI's `SDTokenizer.tokenize_with_weights`: weights from `token_weights`, text split on
 * spaces into words, each word tokenized alone (a word that is itself a vocabulary entry is looked
 * up as is), then packed into 77-token chunks without splitting a word unless it is longer than
 * `maxWordLength` tokens. With `embeddings`, a word `embedding:name` is that file's vectors, found
 * as ComfyUI's load_embed finds it; a trailing comma is tried without (and kept as a word); an
 * unknown one is dropped with ComfyUI's warning. A weight that is not a finite number
 * (`(cat:nan)`, `(cat:inf)`) throws PromptError: ComfyUI would write NaN/inf embeddings.
 */
export function tokenizeWithWeights(text: string, tokenizer: PromptTokenizer, options: ComfyTokenizeOptions = {}): TokenWeight[][] {
  const maxLength = options.maxLength ?? 77;
  const maxWordLength = options.maxWordLength ?? 8;
  const start = tokenizer.bosTokenId;
  const end = tokenizer.eosTokenId;
  const pad = (options.padWithEnd ?? true) ? end : 0;
  const vocab = vocabOf(tokenizer);

  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const words: TokenWeight[][] = [];
  for (const { text: segment, weight } of parseComfyPieces(text)) {
    for (let word of segment.replaceAll('\n', ' ').split(' ')) {
      if (word === '') continue;
      if (options.embeddings && word.startsWith(EMBEDDING)) {
        const name = word.slice(EMBEDDING.length);
        const { file, leftover } = tryEmbedding(options.embeddings, name);
        if (!file) warn(`warning, embedding:${name} does not exist, ignoring`);
        else words.push(file.vectors.map((vector): TokenWeight => [{ embedding: file.path, vector }, weight]));
        if (leftover === '') continue;
        word = leftover;
      }
      const exact = Object.hasOwn(vocab, `${word}</w>`) ? [vocab[`${word}</w>`]!] : tokenizer.encode(word, { addSpecialTokens: false }).inputIds;
      words.push(exact.map((t): TokenWeight => [t, weight]));
    }
  }

  const batched: TokenWeight[][] = [];
  let batch: TokenWeight[] = [[start, 1.0]];
  batched.push(batch);
  for (const group of words) {
    const isLarge = group.length >= maxWordLength;
    // ComfyUI loops forever on a word it will not cut that no chunk can hold (only with options
    // where maxWordLength > maxLength - 2).
    if (!isLarge && group.length > maxLength - 2) {
      throw new PromptError(`a word of ${group.length} tokens fits no ${maxLength}-token chunk and maxWordLength ${maxWordLength} keeps it whole`);
    }
    // `from` walks through the word: slicing off the front each time would be quadratic in a long one.
    let from = 0;
    while (from < group.length) {
      if (group.length - from + batch.length > maxLength - 1) {
        const remaining = maxLength - batch.length - 1;
        if (isLarge) {
          // A long word is cut at the chunk boundary.
          for (let i = from; i < from + remaining; i++) batch.push(group[i]!);
          batch.push([end, 1.0]);
          from += remaining;
        } else {
          // A short word moves whole to the next chunk; this one is closed and padded.
          batch.push([end, 1.0]);
          for (let i = 0; i < remaining; i++) batch.push([pad, 1.0]);
        }
        batch = [[start, 1.0]];
        batched.push(batch);
      } else {
        for (let i = from; i < group.length; i++) batch.push(group[i]!);
        from = group.length;
      }
    }
  }
  batch.push([end, 1.0]);
  while (batch.length < maxLength) batch.push([pad, 1.0]);
  return batched;
}

/** SDTokenizer._try_get_embedding: the name, else the name without its commas (the cut-off end is left over). */
function tryEmbedding(embeddings: ComfyEmbeddings, name: string): { file: ReturnType<ComfyEmbeddings['find']>; leftover: string } {
  const file = embeddings.find(name);
  if (file) return { file, leftover: '' };
  const stripped = name.replace(/^,+|,+$/g, '');
  if (stripped.length < name.length) return { file: embeddings.find(stripped), leftover: name.slice(stripped.length) };
  return { file: null, leftover: '' };
}
