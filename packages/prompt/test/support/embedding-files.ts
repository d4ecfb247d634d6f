import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTextualInversion } from '@sdtext/core';

export const EMBEDDINGS_DIR = fileURLToPath(new URL('../fixtures/embeddings/', import.meta.url));

/** A file of the fixture folder: its path there, its stem, and its vectors per text encoder as [H] rows. */
export interface EmbeddingFile {
  path: string;
  stem: string;
  vectors: Map<'text_encoder' | 'text_encoder_2', Float32Array[]>;
}

/** Every embedding file of the fixture folder (sorted paths), read with @sdtext/core. */
export async function embeddingFiles(): Promise<EmbeddingFile[]> {
  const paths = (fs.readdirSync(EMBEDDINGS_DIR, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(EMBEDDINGS_DIR, p)).isFile()).sort();
  return Promise.all(
    paths.map(async (p) => {
      const ti = await readTextualInversion(path.join(EMBEDDINGS_DIR, p));
      const vectors = new Map([...ti.vectors].map(([k, v]) => [k, Array.from({ length: v.count }, (_, i) => v.data.slice(i * v.dim, (i + 1) * v.dim))]));
      return { path: p.split(path.sep).join('/'), stem: path.basename(p).replace(/\.[^.]*$/, ''), vectors };
    }),
  );
}
