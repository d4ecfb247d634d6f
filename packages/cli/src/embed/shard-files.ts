import { loadSafetensorsHeader, writeSafetensorsFile, type SafetensorsEntry } from '@sdtext/core';
import { InputError } from '../command.js';
import type { PromptRow } from './prompt-stream.js';

/** What every shard of one output folder must agree on; a resumed run with other settings is refused. */
export interface EmbedSettings {
  model: string;
  output: 'embeds' | 'pooled';
  dialect: string | null;
  /** null: none given (the model's last_hidden_state). */
  clipSkip: number | null;
  shardSize: number;
  /** fp32, or q8 (approximate): shards of both never mix in one folder. */
  dtype: 'fp32' | 'q8';
}

/** `shard-00012.json`: the index of `shard-00012.safetensors`, written after it (its presence means done). */
export interface ShardIndex {
  format: 'sdtext-embed/1';
  shard: number;
  settings: EmbedSettings;
  /** Each row of the shard: its 0-based row in the input, its line, the prompt. */
  rows: PromptRow[];
  /** Tensor names and shapes in the safetensors file. */
  tensors: Record<string, number[]>;
  /** Distinct prompts among the rows: each was encoded once. */
  distinct: number;
  /** Rows whose prompt was cut at the encoder's length, with what was cut. */
  truncated: { row: number; removedText: string }[];
}

export function shardName(shard: number): string {
  return `shard-${String(shard).padStart(5, '0')}`;
}

/**
 * Whether shard `shard` is already written for exactly these rows and settings: its index names
 * them and its safetensors file holds the tensors the index lists. A shard killed mid-write has no
 * index (it is written last), or a safetensors file that does not match it: both are redone.
 */
export async function shardIsDone(folder: string, shard: number, rows: readonly PromptRow[], settings: EmbedSettings): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const base = join(folder, shardName(shard));
  let index: ShardIndex;
  try {
    index = JSON.parse(await readFile(`${base}.json`, 'utf8')) as ShardIndex;
  } catch {
    return false;
  }
  const mismatch = settingsMismatch(index.settings, settings);
  if (mismatch !== null) {
    throw new InputError(
      `${base}.json was written with ${mismatch}; resume with the same options, or write to another --out folder`,
    );
  }
  const same = index.rows.length === rows.length && index.rows.every((r, i) => r.row === rows[i]!.row && r.prompt === rows[i]!.prompt);
  if (!same) throw new InputError(`${base}.json holds other prompts than rows ${rows[0]!.row}-${rows.at(-1)!.row} of the input: the input changed; write to another --out folder`);
  try {
    const header = await loadSafetensorsHeader(`${base}.safetensors`);
    const shapes = Object.fromEntries(header.tensors.map((t) => [t.name, t.shape]));
    return JSON.stringify(shapes, Object.keys(shapes).sort()) === JSON.stringify(index.tensors, Object.keys(index.tensors).sort());
  } catch {
    return false;
  }
}

/** Writes the tensors, then the index: each atomically (a temporary file renamed into place). */
export async function writeShard(
  folder: string,
  shard: number,
  tensors: Map<string, SafetensorsEntry & { data: Float32Array }>,
  index: Omit<ShardIndex, 'format' | 'shard' | 'tensors'>,
): Promise<void> {
  const { rename, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const base = join(folder, shardName(shard));
  await writeSafetensorsFile(`${base}.safetensors`, tensors, { format: 'pt', producer: 'sdtext embed', shard: String(shard) });
  const full: ShardIndex = { format: 'sdtext-embed/1', shard, ...index, tensors: Object.fromEntries([...tensors].map(([name, t]) => [name, t.shape])) };
  const temp = `${base}.json.tmp-${process.pid}`;
  await writeFile(temp, JSON.stringify(full) + '\n');
  await rename(temp, `${base}.json`);
}

function settingsMismatch(stored: EmbedSettings, now: EmbedSettings): string | null {
  for (const key of Object.keys(now) as (keyof EmbedSettings)[]) {
    if (stored[key] !== now[key]) return `${key} ${JSON.stringify(stored[key])} (now ${JSON.stringify(now[key])})`;
  }
  return null;
}
