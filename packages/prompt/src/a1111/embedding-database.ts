import type { NamedEmbedding } from '../embedding.js';
import type { PromptTokenizer } from '../encoder.js';
import { PromptError, describePiece } from '../errors.js';
import { CHUNK_LENGTH } from './chunk-length.js';

interface Entry {
  ids: number[];
  embedding: NamedEmbedding;
}

/**
 * webui's EmbeddingDatabase (textual_inversion.py) for one tokenizer: each embedding is found by
 * the tokens of its name, the entries sharing a first token tried longest first (`bad-hands`
 * before `bad`); a later embedding of the same name replaces the earlier one, as webui's loading
 * does. Names that tokenize to nothing are left out (webui fails on them).
 */
export class A1111Embeddings {
  private readonly byFirstId = new Map<number, Entry[]>();
  private readonly registered = new Map<string, Entry>();

  constructor(embeddings: readonly NamedEmbedding[], tokenizer: PromptTokenizer) {
    for (const embedding of embeddings) this.register(embedding, tokenizer);
  }

  /** The registered names, in the order they were given. */
  get names(): string[] {
    return [...this.registered.keys()];
  }

  get size(): number {
    return this.registered.size;
  }

  private register(embedding: NamedEmbedding, tokenizer: PromptTokenizer): void {
    if (embedding.vectors.length === 0) throw new PromptError(`the embedding ${describePiece(embedding.name)} has no vectors`);
    if (embedding.vectors.length > CHUNK_LENGTH) {
      // webui would build a chunk longer than 77 tokens and fail; refuse it here by name.
      throw new PromptError(`the embedding ${describePiece(embedding.name)} has ${embedding.vectors.length} vectors: webui fits at most ${CHUNK_LENGTH} in a chunk`);
    }
    const ids = tokenizer.encode(embedding.name, { addSpecialTokens: false }).inputIds;
    if (ids.length === 0) return;
    const first = ids[0]!;
    const previous = this.registered.get(embedding.name);
    const list = (this.byFirstId.get(first) ?? []).filter((e) => e !== previous);
    const entry = { ids, embedding };
    list.push(entry);
    // Python's sorted is stable: equally long names keep the order they were registered in.
    list.sort((a, b) => b.ids.length - a.ids.length);
    this.byFirstId.set(first, list);
    this.registered.delete(embedding.name);
    this.registered.set(embedding.name, entry);
  }

  /** find_embedding_at_position: the embedding whose name's tokens start at `offset`, and how many tokens that is. */
  findAt(tokens: readonly number[], offset: number): { embedding: NamedEmbedding; length: number } | null {
    const candidates = this.byFirstId.get(tokens[offset]!);
    if (!candidates) return null;
    for (const { ids, embedding } of candidates) {
      if (ids.every((id, i) => tokens[offset + i] === id)) return { embedding, length: ids.length };
    }
    return null;
  }
}
