import type { EncodeOutputs, FloatTensor } from './encoder-api.js';

export interface EmbeddingCacheOptions {
  /** Most entries kept (default 64). 0 turns the cache off. */
  maxEntries?: number;
  /** Most bytes of float data kept (default 256 MiB). */
  maxBytes?: number;
}

const copy = (t: FloatTensor): FloatTensor => ({ data: t.data.slice(), dims: [...t.dims] });

/** Fresh arrays for the caller: the cache's own arrays never leave it. */
export function copyOutputs(o: EncodeOutputs): EncodeOutputs {
  const out: EncodeOutputs = { lastHiddenState: copy(o.lastHiddenState), poolerOutput: copy(o.poolerOutput) };
  if (o.hiddenStates) out.hiddenStates = o.hiddenStates.map(copy);
  if (o.textEmbeds) out.textEmbeds = copy(o.textEmbeds);
  return out;
}

function bytesOf(o: EncodeOutputs): number {
  const all = [o.lastHiddenState, o.poolerOutput, ...(o.hiddenStates ?? []), ...(o.textEmbeds ? [o.textEmbeds] : [])];
  return all.reduce((n, t) => n + t.data.byteLength, 0);
}

/**
 * An LRU of encoder outputs keyed by (ids, mask): the same prompt (the empty negative prompt
 * above all) is computed once. Bounded by entries and by bytes. Entries are stored privately
 * and handed out as copies, so callers may mutate what they get.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, { outputs: EncodeOutputs; bytes: number }>();
  private bytes = 0;
  readonly maxEntries: number;
  readonly maxBytes: number;
  hits = 0;
  misses = 0;

  constructor(options: EmbeddingCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 64;
    this.maxBytes = options.maxBytes ?? 256 * 2 ** 20;
  }

  get size(): number {
    return this.entries.size;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /** A copy of the entry for `key`, if it has what is asked for (hidden states when `needHiddenStates`). */
  get(key: string, needHiddenStates: boolean): EncodeOutputs | undefined {
    const entry = this.entries.get(key);
    if (!entry || (needHiddenStates && !entry.outputs.hiddenStates)) {
      this.misses++;
      return undefined;
    }
    this.entries.delete(key); // re-insert: Map order is the recency order
    this.entries.set(key, entry);
    this.hits++;
    const out = copyOutputs(entry.outputs);
    if (!needHiddenStates) delete out.hiddenStates;
    return out;
  }

  /** Stores a private copy of `outputs`, evicting the least recently used entries to fit. */
  set(key: string, outputs: EncodeOutputs): void {
    const bytes = bytesOf(outputs);
    this.delete(key);
    if (this.maxEntries <= 0 || bytes > this.maxBytes) return;
    this.entries.set(key, { outputs: copyOutputs(outputs), bytes });
    this.bytes += bytes;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  /** The cached outputs for `key`, or `compute`'s, stored; either way the caller gets its own copy. */
  async through(key: string, needHiddenStates: boolean, compute: () => Promise<EncodeOutputs>): Promise<EncodeOutputs> {
    const hit = this.get(key, needHiddenStates);
    if (hit) return hit;
    const outputs = await compute();
    this.set(key, outputs);
    return outputs; // fresh arrays from the engine; the cache kept its own copy
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
