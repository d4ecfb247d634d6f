import type { CLIPTextConfig } from '@sdtext/core';

/**
 * A folder of built models (graph + float32 weights, as ORT loads them by path), one per
 * checkpoint: a later load of the same checkpoint skips reading, widening and writing the
 * weights and goes straight to the session (Node, local folder sources). Entries are keyed by
 * the checkpoint folder's .json and .safetensors files (names, sizes, modification times), the
 * load options and the graph version, so a changed checkpoint builds a new entry.
 */

/** Bump when the graph a checkpoint builds changes. */
export const GRAPH_VERSION = 3; // 2: attentions.i outputs; 3: inputs_embeds, token_embeddings

export interface CompiledEntryMeta {
  graphVersion: number;
  config: CLIPTextConfig;
  withProjection: boolean;
}

/** The entry folder for a local checkpoint folder, or null when `dir` is not one. */
export async function compiledEntryDir(cacheDir: string, dir: string, settings: Record<string, unknown>): Promise<string | null> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const crypto = await import('node:crypto');
  let names: string[];
  try {
    names = (await fs.promises.readdir(dir)).filter((n) => n.endsWith('.json') || n.endsWith('.safetensors')).sort();
  } catch {
    return null;
  }
  const files = await Promise.all(
    names.map(async (name) => {
      const st = await fs.promises.stat(path.join(dir, name));
      return [name, st.size, st.mtimeMs];
    }),
  );
  const key = JSON.stringify({ graphVersion: GRAPH_VERSION, dir: path.resolve(dir), files, settings });
  return path.join(cacheDir, crypto.createHash('sha256').update(key).digest('hex').slice(0, 32));
}

export async function readCompiledEntry(entry: string): Promise<CompiledEntryMeta | null> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  try {
    const meta = JSON.parse(await fs.promises.readFile(path.join(entry, 'meta.json'), 'utf8')) as CompiledEntryMeta;
    return meta.graphVersion === GRAPH_VERSION ? meta : null;
  } catch {
    return null;
  }
}

/**
 * Publishes a built folder as `entry`: meta.json last, then an atomic rename, so a reader never
 * sees half an entry. If another process published it first, theirs is kept.
 */
export async function publishCompiledEntry(tmp: string, entry: string, meta: CompiledEntryMeta): Promise<string> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  await fs.promises.writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta));
  try {
    await fs.promises.rm(entry, { recursive: true, force: true }); // a stale entry (other graph version)
    await fs.promises.rename(tmp, entry);
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    if (!(await readCompiledEntry(entry))) throw e;
  }
  return path.join(entry, 'model.onnx');
}
