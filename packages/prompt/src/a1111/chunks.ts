import type { NamedEmbedding } from '../embedding.js';
import type { PromptTokenizer } from '../encoder.js';
import { CHUNK_LENGTH } from './chunk-length.js';
import type { A1111Embeddings } from './embedding-database.js';
import { parsePromptAttention } from './parse-attention.js';

export { CHUNK_LENGTH };

/** One 77-token chunk, the emphasis multiplier of each token, and the embeddings placed in it. */
export interface PromptChunk {
  tokens: number[];
  multipliers: number[];
  /**
   * webui's PromptChunkFix: an embedding whose vectors go at `offset + 1` on (after BOS), where the
   * chunk holds token 0 for each vector. Fixes stay with the chunk they were found in, also when
   * webui's comma backtrack moves their tokens on (as webui does).
   */
  fixes: ChunkFix[];
}

export interface ChunkFix {
  offset: number;
  embedding: NamedEmbedding;
}

export interface A1111ChunkOptions {
  /** webui's "Prompt word wrap length limit" (comma_padding_backtrack): 20. 0 disables it. */
  commaPaddingBacktrack?: number;
  /** webui's emphasis mode; "None" reads brackets as text. */
  emphasis?: A1111Emphasis;
  /** Textual inversion embeddings found by name (webui's embeddings folder). */
  embeddings?: A1111Embeddings;
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
 * EOS and wrapped in BOS/EOS. An embedding's name in the tokens becomes a 0 per vector (moving to
 * the next chunk when they do not fit) and a fix. Returns the chunks and webui's token count.
 */
export function tokenizeLine(line: string, tokenizer: PromptTokenizer, options: A1111ChunkOptions = {}): { chunks: PromptChunk[]; tokenCount: number } {
  const backtrack = options.commaPaddingBacktrack ?? 20;
  const parsed = options.emphasis === 'None' ? [[line, 1.0] as [string, number]] : parsePromptAttention(line);
  const comma = commaToken(tokenizer);
  const idStart = tokenizer.bosTokenId;
  const idEnd = tokenizer.eosTokenId;

  const chunks: PromptChunk[] = [];
  let chunk: PromptChunk = { tokens: [], multipliers: [], fixes: [] };
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
    chunk = { tokens: [], multipliers: [], fixes: [] };
  };

  for (const [text, weight] of parsed) {
    if (text === 'BREAK' && weight === -1) {
      nextChunk();
      continue;
    }
    const tokens = tokenizer.encode(text, { addSpecialTokens: false }).inputIds;
    for (let position = 0; position < tokens.length; ) {
      const token = tokens[position]!;
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
      const found = options.embeddings?.findAt(tokens, position) ?? null;
      if (!found) {
        chunk.tokens.push(token);
        chunk.multipliers.push(weight);
        position++;
        continue;
      }
      const count = found.embedding.vectors.length;
      if (chunk.tokens.length + count > CHUNK_LENGTH) nextChunk();
      chunk.fixes.push({ offset: chunk.tokens.length, embedding: found.embedding });
      for (let i = 0; i < count; i++) {
        chunk.tokens.push(0);
        chunk.multipliers.push(weight);
      }
      position += found.length;
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
    fixes: [],
  };
}
