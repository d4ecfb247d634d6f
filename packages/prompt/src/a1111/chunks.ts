import type { PromptTokenizer } from '../encoder.js';
import { parsePromptAttention } from './parse-attention.js';

/** 75 prompt tokens per chunk; with BOS and EOS a chunk is CLIP's 77. */
export const CHUNK_LENGTH = 75;

/** One 77-token chunk and the emphasis multiplier of each token. */
export interface PromptChunk {
  tokens: number[];
  multipliers: number[];
}

export interface A1111ChunkOptions {
  /** webui's "Prompt word wrap length limit" (comma_padding_backtrack): 20. 0 disables it. */
  commaPaddingBacktrack?: number;
  /** webui's emphasis mode; "None" reads brackets as text. */
  emphasis?: A1111Emphasis;
}

export type A1111Emphasis = 'Original' | 'No norm' | 'Ignore' | 'None';

const commaIds = new WeakMap<PromptTokenizer, number | undefined>();

function commaToken(tokenizer: PromptTokenizer): number | undefined {
  if (!commaIds.has(tokenizer)) commaIds.set(tokenizer, tokenizer.getVocab()[',</w>']);
  return commaIds.get(tokenizer);
}

/**
 * webui's `tokenize_line`: each emphasis piece is tokenized on its own; tokens fill 75-slot
 * chunks; when a chunk is full and a comma is at most `commaPaddingBacktrack` tokens back, the
 * words after the comma move to the next chunk; BREAK closes the chunk; chunks are padded with
 * EOS and wrapped in BOS/EOS. Returns the chunks and webui's token count.
 */
export function tokenizeLine(line: string, tokenizer: PromptTokenizer, options: A1111ChunkOptions = {}): { chunks: PromptChunk[]; tokenCount: number } {
  const backtrack = options.commaPaddingBacktrack ?? 20;
  const parsed = options.emphasis === 'None' ? [[line, 1.0] as [string, number]] : parsePromptAttention(line);
  const comma = commaToken(tokenizer);
  const idStart = tokenizer.bosTokenId;
  const idEnd = tokenizer.eosTokenId;

  const chunks: PromptChunk[] = [];
  let chunk: PromptChunk = { tokens: [], multipliers: [] };
  let tokenCount = 0;
  let lastComma = -1;

  const nextChunk = (isLast = false): void => {
    tokenCount += isLast ? chunk.tokens.length : CHUNK_LENGTH;
    const toAdd = CHUNK_LENGTH - chunk.tokens.length;
    for (let i = 0; i < toAdd; i++) {
      chunk.tokens.push(idEnd);
      chunk.multipliers.push(1.0);
    }
    chunk.tokens = [idStart, ...chunk.tokens, idEnd];
    chunk.multipliers = [1.0, ...chunk.multipliers, 1.0];
    lastComma = -1;
    chunks.push(chunk);
    chunk = { tokens: [], multipliers: [] };
  };

  for (const [text, weight] of parsed) {
    if (text === 'BREAK' && weight === -1) {
      nextChunk();
      continue;
    }
    const tokens = tokenizer.encode(text, { addSpecialTokens: false }).inputIds;
    for (const token of tokens) {
      if (token === comma) {
        lastComma = chunk.tokens.length;
      } else if (backtrack !== 0 && chunk.tokens.length === CHUNK_LENGTH && lastComma !== -1 && chunk.tokens.length - lastComma <= backtrack) {
        // The words after the last comma move to the next chunk together.
        const breakLocation = lastComma + 1;
        const relocTokens = chunk.tokens.slice(breakLocation);
        const relocMults = chunk.multipliers.slice(breakLocation);
        chunk.tokens = chunk.tokens.slice(0, breakLocation);
        chunk.multipliers = chunk.multipliers.slice(0, breakLocation);
        nextChunk();
        chunk.tokens = relocTokens;
        chunk.multipliers = relocMults;
      }
      if (chunk.tokens.length === CHUNK_LENGTH) nextChunk();
      chunk.tokens.push(token);
      chunk.multipliers.push(weight);
    }
  }
  if (chunk.tokens.length > 0 || chunks.length === 0) nextChunk(true);
  return { chunks, tokenCount };
}

/** webui's `empty_chunk`: the filler a shorter prompt gets in a batch. */
export function emptyChunk(tokenizer: PromptTokenizer): PromptChunk {
  return {
    tokens: [tokenizer.bosTokenId, ...new Array<number>(CHUNK_LENGTH + 1).fill(tokenizer.eosTokenId)],
    multipliers: new Array<number>(CHUNK_LENGTH + 2).fill(1.0),
  };
}
