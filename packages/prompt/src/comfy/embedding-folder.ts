/** A file of ComfyUI's embeddings folder and its vectors for one text encoder. */
export interface ComfyEmbeddingFile {
  /** Its path in the folder, '/'-separated: `easynegative.safetensors`, `styles/watercolor.pt`. */
  path: string;
  /** One [H] row per vector: load_embed's pick for this encoder (its `embedding_key`, else the file's first tensor). */
  vectors: readonly Float32Array[];
}

const EXTENSIONS = ['.safetensors', '.pt', '.bin'];

/**
 * ComfyUI's load_embed (comfy/sd1_clip.py) over a folder read once: `name` is tried as given, then
 * with .safetensors, .pt and .bin, in the folder and in each of its subfolders (the folder first,
 * then the others in order: ComfyUI's order is a Python set's); a name that leads out of the folder
 * it is tried in (`../x`, or an absolute path) is refused there, as commonpath refuses it.
 */
export class ComfyEmbeddings {
  private readonly files = new Map<string, ComfyEmbeddingFile>();
  private readonly dirs: string[];

  constructor(files: readonly ComfyEmbeddingFile[]) {
    const dirs = new Set<string>(['']);
    for (const file of files) {
      const path = normalize(file.path.split('/'));
      if (path === null || path === '') throw new Error(`embedding file path ${JSON.stringify(file.path)} is not inside the folder`);
      this.files.set(path, file);
      const parts = path.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    this.dirs = ['', ...[...dirs].filter((d) => d !== '').sort()];
  }

  get size(): number {
    return this.files.size;
  }

  /** The file `name` finds, or null. */
  find(name: string): ComfyEmbeddingFile | null {
    if (name.startsWith('/')) return null; // os.path.join keeps an absolute name: never inside the folder here
    for (const dir of this.dirs) {
      const path = normalize([...(dir === '' ? [] : dir.split('/')), ...name.split('/')]);
      if (path === null || (dir !== '' && path !== dir && !path.startsWith(`${dir}/`))) continue; // commonpath != dir
      const found = this.files.get(path) ?? EXTENSIONS.map((ext) => this.files.get(path + ext)).find((f) => f !== undefined);
      if (found) return found;
    }
    return null;
  }
}

/** os.path.normpath of segments under the folder; null when it climbs out of it. */
function normalize(segments: readonly string[]): string | null {
  const out: string[] = [];
  for (const s of segments) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(s);
  }
  return out.join('/');
}
