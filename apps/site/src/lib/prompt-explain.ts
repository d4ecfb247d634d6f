// What the prompt view draws, computed in the prompt worker (src/lib/prompt-worker.ts):
// @sdtext/prompt's explainPrompt, plus per chunk the token names, how much of the 75-token budget
// it uses, and why it ended before the budget was full.
import type { Dialect, PromptExplanation } from '@sdtext/prompt';
import type { Tokenizer } from './contracts';

/** Why a chunk holds fewer than 75 tokens while another follows it. */
export type ChunkEnding = 'break' | 'comma' | 'word' | null;

export interface ChunkReport {
  tokens: number[];
  weights: number[];
  /** Token strings of the text tokens (between BOS and the first EOS). */
  names: string[];
  /** Text tokens (of 75). */
  content: number;
  /** Padding after the EOS. */
  padding: number;
  ending: ChunkEnding;
}

export interface PromptReport {
  dialect: Dialect;
  pieces: PromptExplanation['pieces'];
  chunks: ChunkReport[];
  bosTokenId: number;
  eosTokenId: number;
}

const isBreak = (p: { text: string; weight: number }): boolean => p.weight === -1 && p.text === 'BREAK';

/**
 * Where A1111's BREAKs cut, in text tokens from the start: A1111 tokenizes each weighted piece on its
 * own and starts a new chunk at every BREAK; a comma backtrack moves tokens to the next chunk
 * without dropping any, so a chunk boundary at a BREAK's count was made by that BREAK.
 */
function breakPositions(view: PromptExplanation, tokenizer: Tokenizer): Set<number> {
  const at = new Set<number>();
  let count = 0;
  for (const piece of view.pieces) {
    if (isBreak(piece)) at.add(count);
    else count += tokenizer.tokenize(piece.text).length;
  }
  return at;
}

export function reportPrompt(view: PromptExplanation, tokenizer: Tokenizer): PromptReport {
  const eos = tokenizer.eosTokenId;
  const breaks = view.dialect === 'a1111' ? breakPositions(view, tokenizer) : new Set<number>();
  let consumed = 0;
  const chunks = view.chunks.map((chunk, c): ChunkReport => {
    const end = chunk.tokens.indexOf(eos, 1);
    const content = end < 0 ? chunk.tokens.length - 1 : end - 1;
    consumed += content;
    const early = c < view.chunks.length - 1 && content < 75;
    // ComfyUI moves a word that does not fit whole to the next chunk; A1111 does so at a comma (backtrack) or a BREAK.
    const ending: ChunkEnding = !early ? null : view.dialect !== 'a1111' ? 'word' : breaks.has(consumed) ? 'break' : 'comma';
    return {
      tokens: chunk.tokens,
      weights: chunk.weights,
      names: tokenizer.convertIdsToTokens(chunk.tokens.slice(1, content + 1)),
      content,
      padding: Math.max(0, chunk.tokens.length - content - 2),
      ending,
    };
  });
  return { dialect: view.dialect, pieces: view.pieces, chunks, bosTokenId: tokenizer.bosTokenId, eosTokenId: eos };
}
