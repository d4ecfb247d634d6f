import { decodeBase64 } from './base64.js';
import { BYTE_ENCODER, BYTE_ORDER } from './byte-encoder.js';
import { CLIP_MERGE_COUNT, CLIP_MERGE_PAIRS_BASE64 } from './data/clip-merges.generated.js';

/** The 256 byte symbols' ids and those of their word-final (`</w>`) forms, indexed by byte. */
export interface ByteSymbols {
  readonly plain: Int32Array;
  readonly wordEnd: Int32Array;
}

/**
 * A BPE vocabulary: tokens by id, ids by token, and the merges as `[left, right, result]` ids.
 * `tokens` and `idOf` may be built on first use (the bundled vocabulary builds neither to encode).
 */
export interface Vocabulary {
  /** How many tokens (49408 for CLIP). */
  readonly size: number;
  readonly tokens: readonly string[];
  readonly idOf: ReadonlyMap<string, number>;
  readonly merges: Int32Array;
  readonly byteSymbols: ByteSymbols;
  /** The id of `token`, answered without building `idOf` where the vocabulary can. */
  idOfToken(token: string): number | undefined;
  /** Where it came from, for error messages: "bundled CLIP vocabulary" or a vocab.json path. */
  readonly source: string;
  readonly mergesSource: string;
}

export const BOS_TOKEN = '<|startoftext|>';
export const EOS_TOKEN = '<|endoftext|>';

/** Hugging Face's CLIPTokenizer reads exactly this many lines after merges.txt's header. */
export const CLIP_MERGES_READ = 49152 - 256 - 2;

/** CLIP's vocabulary size: 256 byte symbols, 256 word-final ones, the merges, and the two specials. */
const CLIP_VOCAB_SIZE = 512 + CLIP_MERGE_COUNT + 2;

/**
 * The CLIP vocabulary bundled with the package (49408 tokens), rebuilt from the merges: 256 byte
 * symbols, the same with `</w>`, one token per merge, then `<|startoftext|>` and `<|endoftext|>`.
 * Encoding needs only the merges and the byte symbols, whose ids follow from that order, so the
 * 49408 token strings and their map are made only when something asks for them (decode, getVocab).
 */
class ClipData {
  readonly merges: Int32Array;
  readonly byteSymbols: ByteSymbols;
  private tokenList: string[] | null = null;
  private tokenIds: Map<string, number> | null = null;

  constructor() {
    let bytes = decodeBase64(CLIP_MERGE_PAIRS_BASE64);
    if (bytes.byteOffset % 2 !== 0) bytes = bytes.slice(); // a Uint16Array view needs even alignment
    const pairs = new Uint16Array(bytes.buffer, bytes.byteOffset, CLIP_MERGE_COUNT * 2);
    this.merges = new Int32Array(CLIP_MERGE_COUNT * 3);
    for (let rank = 0; rank < CLIP_MERGE_COUNT; rank++) {
      this.merges[rank * 3] = pairs[rank * 2]!;
      this.merges[rank * 3 + 1] = pairs[rank * 2 + 1]!;
      this.merges[rank * 3 + 2] = 512 + rank;
    }
    const plain = new Int32Array(256);
    const wordEnd = new Int32Array(256);
    BYTE_ORDER.forEach((byte, id) => {
      plain[byte] = id;
      wordEnd[byte] = 256 + id;
    });
    this.byteSymbols = { plain, wordEnd };
  }

  get tokens(): readonly string[] {
    if (this.tokenList) return this.tokenList;
    const tokens: string[] = BYTE_ORDER.map((b) => BYTE_ENCODER[b]!);
    for (let i = 0; i < 256; i++) tokens.push(tokens[i]! + '</w>');
    for (let rank = 0; rank < CLIP_MERGE_COUNT; rank++) tokens.push(tokens[this.merges[rank * 3]!]! + tokens[this.merges[rank * 3 + 1]!]!);
    tokens.push(BOS_TOKEN, EOS_TOKEN);
    return (this.tokenList = tokens);
  }

  get idOf(): ReadonlyMap<string, number> {
    if (this.tokenIds) return this.tokenIds;
    const idOf = new Map<string, number>();
    this.tokens.forEach((t, i) => idOf.set(t, i));
    return (this.tokenIds = idOf);
  }

  idOfToken(token: string): number | undefined {
    // The special tokens and the byte symbols (SD2's pad "!") are known by position.
    if (token === BOS_TOKEN) return CLIP_VOCAB_SIZE - 2;
    if (token === EOS_TOKEN) return CLIP_VOCAB_SIZE - 1;
    if (token.length === 1) {
      const byte = BYTE_ENCODER.indexOf(token);
      if (byte >= 0) return this.byteSymbols.plain[byte];
    }
    return this.idOf.get(token);
  }
}

let clipData: ClipData | undefined;
let bundled: Vocabulary | undefined;

/**
 * The CLIP vocabulary bundled with the package. With `names`, the same data under the names of
 * files found identical to it (a tokenizer folder's vocab.json and merges.txt), for messages.
 */
export function bundledClipVocabulary(names?: { vocab: string; merges: string }): Vocabulary {
  if (!names && bundled) return bundled;
  const data = (clipData ??= new ClipData());
  const vocabulary: Vocabulary = {
    size: CLIP_VOCAB_SIZE,
    get tokens() {
      return data.tokens;
    },
    get idOf() {
      return data.idOf;
    },
    merges: data.merges,
    byteSymbols: data.byteSymbols,
    idOfToken: (token) => data.idOfToken(token),
    source: names?.vocab ?? 'bundled CLIP vocabulary',
    mergesSource: names?.merges ?? 'bundled CLIP merges',
  };
  if (!names) bundled = vocabulary;
  return vocabulary;
}

/** The ids of the byte symbols in a vocabulary read from files; a missing one names the file. */
function byteSymbolsOf(idOf: ReadonlyMap<string, number>, vocabFile: string): ByteSymbols {
  const plain = new Int32Array(256);
  const wordEnd = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    const symbol = BYTE_ENCODER[b]!;
    const id = idOf.get(symbol);
    const endId = idOf.get(symbol + '</w>');
    if (id === undefined || endId === undefined) {
      throw new Error(`${vocabFile}: byte symbol "${id === undefined ? symbol : symbol + '</w>'}" is missing`);
    }
    plain[b] = id;
    wordEnd[b] = endId;
  }
  return { plain, wordEnd };
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
  return {
    size: tokens.length,
    tokens,
    idOf,
    merges,
    byteSymbols: byteSymbolsOf(idOf, names.vocab),
    idOfToken: (token) => idOf.get(token),
    source: names.vocab,
    mergesSource: names.merges,
  };
}
