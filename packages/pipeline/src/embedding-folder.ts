import { readTextualInversion, type TextEncoderName } from '@sdtext/core';

/** A textual inversion file read for the front ends' names. */
export interface EmbeddingFile {
  /** Its path in its folder, '/'-separated (ComfyUI's `embedding:styles/watercolor`); a file given alone: its file name. */
  path: string;
  /** Its file name without the extension (webui's name: `easynegative.safetensors` is `easynegative`). */
  stem: string;
  /** Where it was read from, for messages. */
  file: string;
  /** One [H] row per vector, per text encoder ('text_encoder_2': an SDXL file's clip_g). */
  vectors: Map<TextEncoderName, Float32Array[]>;
}

/** The extensions both front ends read embeddings from (webui also reads them out of .png/.webp images: not here). */
const EXTENSIONS = ['.safetensors', '.pt', '.bin'];

/**
 * Every embedding file of a folder and its subfolders (Node), in path order, as webui's
 * load_from_dir walks it: empty files are skipped; a file that is not an embedding is reported to
 * `onWarning` and skipped, as webui reports and goes on. Symbolic links are followed, as both do.
 */
export async function readEmbeddingFolder(dir: string, onWarning: (message: string) => void): Promise<EmbeddingFile[]> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const found: string[] = [];
  const walk = async (sub: string, depth: number): Promise<void> => {
    if (depth > 32) throw new Error(`${path.join(dir, sub)}: embedding folders nested more than 32 deep (a link loop?)`);
    const entries = (await fs.promises.readdir(path.join(dir, sub))).sort();
    for (const name of entries) {
      const rel = sub === '' ? name : `${sub}/${name}`;
      const stat = await fs.promises.stat(path.join(dir, rel));
      if (stat.isDirectory()) await walk(rel, depth + 1);
      else if (stat.isFile() && stat.size > 0 && EXTENSIONS.some((e) => name.toLowerCase().endsWith(e))) found.push(rel);
    }
  };
  await walk('', 0);
  const files: EmbeddingFile[] = [];
  for (const rel of found) {
    try {
      files.push(await readEmbeddingFile(path.join(dir, rel), rel));
    } catch (error) {
      onWarning(`skipped embedding ${rel}: ${(error as Error).message}`);
    }
  }
  return files;
}

/** One embedding file (a path in Node, a URL, bytes or a Blob), `path` being what names it in ComfyUI. */
export async function readEmbeddingFile(source: Parameters<typeof readTextualInversion>[0], path: string): Promise<EmbeddingFile> {
  const ti = await readTextualInversion(source, { name: path });
  const vectors = new Map<TextEncoderName, Float32Array[]>();
  for (const [encoder, v] of ti.vectors) vectors.set(encoder, Array.from({ length: v.count }, (_, i) => v.data.slice(i * v.dim, (i + 1) * v.dim)));
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return { path, stem: dot > 0 ? base.slice(0, dot) : base, file: ti.file, vectors };
}
