import { decodeBase64 } from './base64.js';
import { BYTE_ENCODER, BYTE_ORDER } from './byte-encoder.js';
import { CLIP_MERGE_COUNT, CLIP_MERGE_PAIRS_BASE64 } from './data/clip-merges.generated.js';

/** A BPE vocabulary: tokens by id, ids by token, and the merges as `[left, right, result]` ids. */
export interface Vocabulary {
  readonly tokens: readonly string[];
  readonly idOf: ReadonlyMap<string, number>;
  readonly merges: Int32Array;
  /** Where it came from, for error messages: "bundled CLIP vocabulary" or a vocab.json path. */
  readonly source: string;
  readonly mergesSource: string;
}

export const BOS_TOKEN = '<|startoftext|>';
export const EOS_TOKEN = '<|endoftext|>';

/** Hugging Face's CLIPTokenizer reads exactly this many lines after merges.txt's header. */
export const CLIP_MERGES_READ = 49152 - 256 - 2;

let bundled: Vocabulary | undefined;

/**
 * The CLIP vocabulary bundled with the package (49408 tokens), rebuilt from the merges: 256 byte
 * symbols, the same with `</w>`, one token per merge, then `<|startoftext|>` and `<|endoftext|>`.
 */
export function bundledClipVocabulary(): Vocabulary {
  if (bundled) return bundled;
  const bytes = decodeBase64(CLIP_MERGE_PAIRS_BASE64);
  const pairs = new Uint16Array(bytes.buffer, bytes.byteOffset, CLIP_MERGE_COUNT * 2);
  const tokens: string[] = BYTE_ORDER.map((b) => BYTE_ENCODER[b]!);
  for (let i = 0; i < 256; i++) tokens.push(tokens[i]! + '</w>');
  const merges = new Int32Array(CLIP_MERGE_COUNT * 3);
  for (let rank = 0; rank < CLIP_MERGE_COUNT; rank++) {
    const left = pairs[rank * 2]!;
    const right = pairs[rank * 2 + 1]!;
    merges[rank * 3] = left;
    merges[rank * 3 + 1] = right;
    merges[rank * 3 + 2] = tokens.length;
    tokens.push(tokens[left]! + tokens[right]!);
  }
  tokens.push(BOS_TOKEN, EOS_TOKEN);
  const idOf = new Map<string, number>();
  tokens.forEach((t, i) => idOf.set(t, i));
  bundled = { tokens, idOf, merges, source: 'bundled CLIP vocabulary', mergesSource: 'bundled CLIP merges' };
  return bundled;
}

/**
 * A vocabulary from Hugging Face's files. Fails with the file name and line on anything that
 * would make the tokenizer silently wrong: bad JSON, non-integer or repeated ids, malformed
 * merge lines, merges of unknown symbols.
 */
export function parseVocabularyFiles(
  vocabJson: string,
  mergesTxt: string,
  names: { vocab: string; merges: string } = { vocab: 'vocab.json', merges: 'merges.txt' },
): Vocabulary {
  let parsed: unknown;
  try {
    parsed = JSON.parse(vocabJson);
  } catch (error) {
    throw new Error(`${names.vocab}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${names.vocab}: expected a JSON object mapping tokens to ids`);
  }
  const idOf = new Map<string, number>();
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(parsed)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= 0x200000) {
      throw new Error(`${names.vocab}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, expected an integer in [0, 2097152)`);
    }
    if (tokens[id] !== undefined) {
      throw new Error(`${names.vocab}: id ${id} is used by both ${JSON.stringify(tokens[id])} and ${JSON.stringify(token)}`);
    }
    tokens[id] = token;
    idOf.set(token, id);
  }
  for (let id = 0; id < tokens.length; id++) {
    if (tokens[id] === undefined) throw new Error(`${names.vocab}: no token has id ${id} (ids must be contiguous)`);
  }

  // As HF: strip, split lines, drop the "#version" header, read at most CLIP_MERGES_READ lines.
  const lines = mergesTxt.trim().split('\n');
  if (!lines[0]?.startsWith('#version')) {
    // HF drops the first line whatever it holds; when it is not the header it is probably a merge.
    throw new Error(`${names.merges} line 1: expected a "#version" header, found ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
  }
  const mergeLines = lines.slice(1, 1 + CLIP_MERGES_READ);
  const merges = new Int32Array(mergeLines.length * 3);
  mergeLines.forEach((line, rank) => {
    const lineNo = rank + 2;
    const parts = line.replace(/\r$/, '').split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new Error(`${names.merges} line ${lineNo}: expected two symbols separated by one space, found ${JSON.stringify(line.slice(0, 80))}`);
    }
    const [left, right] = parts as [string, string];
    const leftId = idOf.get(left);
    const rightId = idOf.get(right);
    const resultId = idOf.get(left + right);
    for (const [symbol, id] of [[left, leftId], [right, rightId], [left + right, resultId]] as const) {
      if (id === undefined) {
        throw new Error(`${names.merges} line ${lineNo}: ${JSON.stringify(symbol)} is not in ${names.vocab}`);
      }
    }
    merges[rank * 3] = leftId!;
    merges[rank * 3 + 1] = rightId!;
    merges[rank * 3 + 2] = resultId!;
  });
  return { tokens, idOf, merges, source: names.vocab, mergesSource: names.merges };
}
