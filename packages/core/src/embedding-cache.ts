import type { FloatTensor } from './tensor.js';

export interface EmbeddingCacheOptions {
  /** Most rows kept (default 256). 0 keeps none (identical rows within one batch are still computed once). */
  maxEntries?: number;
  /** Most bytes of float data kept (default 256 MiB). */
  maxBytes?: number;
}

/**
 * The optional outputs a call asks for, by field name (`hiddenStates`, `attentions`): a cached row
 * serves it only if it has each one asked for, and a result carries only those asked for.
 */
export type OutputNeeds = Readonly<Record<string, boolean>>;

/**
 * An engine's outputs for a batch: every field a batch-major tensor [B, ...] or a list of them
 * (hidden states per layer), or absent. CLIP's EncodeOutputs and T5's T5EncodeOutputs are.
 */
export type BatchOutputs = object;

type Field = FloatTensor | readonly FloatTensor[];

function fields(o: BatchOutputs): [string, Field][] {
  return Object.entries(o).filter((e): e is [string, Field] => e[1] !== undefined);
}

function bytesOf(o: BatchOutputs): number {
  return fields(o).reduce((n, [, f]) => n + (Array.isArray(f) ? f : [f as FloatTensor]).reduce((m, t) => m + t.data.byteLength, 0), 0);
}

/** Row `b` of a batch-major tensor, as a batch of one. */
function row(t: FloatTensor, b: number): FloatTensor {
  const size = t.data.length / t.dims[0]!;
  return { data: t.data.slice(b * size, (b + 1) * size), dims: [1, ...t.dims.slice(1)] };
}

/** Batches of one, stacked along the batch axis. */
function stack(ts: readonly FloatTensor[]): FloatTensor {
  const data = new Float32Array(ts.reduce((n, t) => n + t.data.length, 0));
  let at = 0;
  for (const t of ts) {
    data.set(t.data, at);
    at += t.data.length;
  }
  return { data, dims: [ts.length, ...ts[0]!.dims.slice(1)] };
}

function rowOf<O extends BatchOutputs>(o: O, b: number): O {
  const out: Record<string, Field> = {};
  for (const [name, f] of fields(o)) out[name] = Array.isArray(f) ? f.map((t: FloatTensor) => row(t, b)) : row(f as FloatTensor, b);
  return out as O;
}

/** The rows stacked; an optional field (one `needs` names) only when asked for. */
function stackRows<O extends BatchOutputs>(rows: readonly O[], needs: OutputNeeds): O {
  const out: Record<string, Field> = {};
  for (const [name, f] of fields(rows[0]!)) {
    if (needs[name] === false) continue;
    const of = (r: O): Field => (r as Record<string, Field>)[name]!;
    out[name] = Array.isArray(f) ? f.map((_, i) => stack(rows.map((r) => (of(r) as readonly FloatTensor[])[i]!))) : stack(rows.map((r) => of(r) as FloatTensor));
  }
  return out as O;
}

/**
 * An LRU of encoder outputs per batch row, keyed by the row's ids and mask: a prompt (the empty
 * negative prompt above all) is computed once, whatever batch it comes in. Bounded by rows and
 * by bytes. Rows are stored privately; every call returns new arrays, which callers may mutate.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, { outputs: BatchOutputs; bytes: number }>();
  private bytes = 0;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Rows served from the cache, and rows computed. */
  hits = 0;
  misses = 0;

  constructor(options: EmbeddingCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 256;
    this.maxBytes = options.maxBytes ?? 256 * 2 ** 20;
  }

  get size(): number {
    return this.entries.size;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /** The row stored under `key` (not copied), if it has what is asked for. Marks it recently used. */
  private lookup(key: string, needs: OutputNeeds): BatchOutputs | undefined {
    const entry = this.entries.get(key);
    const has = (name: string): boolean => (entry?.outputs as Record<string, unknown> | undefined)?.[name] !== undefined;
    if (!entry || Object.entries(needs).some(([name, wanted]) => wanted && !has(name))) return undefined;
    this.entries.delete(key); // re-insert: Map order is the recency order
    this.entries.set(key, entry);
    return entry.outputs;
  }

  /** Stores `outputs` (a batch of one, kept by reference), evicting least recently used rows to fit. */
  private store(key: string, outputs: BatchOutputs): void {
    const bytes = bytesOf(outputs);
    this.delete(key);
    if (this.maxEntries <= 0 || bytes > this.maxBytes) return;
    this.entries.set(key, { outputs, bytes });
    this.bytes += bytes;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  /**
   * The outputs for a batch whose rows have `keys`: cached rows are reused, identical rows are
   * computed once, and `compute(rows)` runs only the distinct missing rows (indices into the
   * batch, in order), as one batch. The result is new arrays in the batch's order.
   */
  async encode<O extends BatchOutputs>(keys: readonly string[], needs: OutputNeeds, compute: (rows: number[]) => Promise<O>): Promise<O> {
    const found = new Map<string, O>();
    const missing: number[] = [];
    for (const [b, key] of keys.entries()) {
      if (found.has(key) || missing.some((m) => keys[m] === key)) continue;
      const hit = this.lookup(key, needs);
      if (hit) {
        found.set(key, hit as O); // one cache serves one model, so a row is that model's outputs
        this.hits++;
      } else {
        missing.push(b);
      }
    }
    if (missing.length > 0) {
      const computed = await compute(missing);
      missing.forEach((b, i) => {
        const r = rowOf(computed, i);
        found.set(keys[b]!, r);
        this.store(keys[b]!, r);
      });
      this.misses += missing.length;
    }
    const rows = keys.map((k) => found.get(k)!);
    return stackRows(rows, needs); // stacking copies: nothing the cache holds is handed out
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
