import { downloadTextComponents, hubOptionsFromEnv, type DownloadedFile, type FileProgress } from '@sdtext/pipeline';
import { UsageError, type CliIO, type Command } from '../command.js';
import { parseOptions } from '../parse-options.js';

const USAGE = `sdtext download REPO [--revision R] [--variant fp16] [options]

Fetches the text side of a Stable Diffusion (or CLIP) repo from the Hugging Face hub into the shared
Hugging Face cache (HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub): model_index.json, the
tokenizer folder(s) and the text encoder(s). Files Python already downloaded are reused; interrupted
downloads resume. Prints the snapshot folder, which "sdtext encode --model" accepts.

  --revision R                branch, tag or commit (default: main)
  --variant NAME              weights variant, e.g. fp16 for model.fp16.safetensors
  --endpoint URL              hub root (default: HF_ENDPOINT or https://huggingface.co)
  --cache-dir DIR             cache root (default: HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub)

Gated or private repos need a token in HF_TOKEN (or the file huggingface-cli login writes).`;

export const downloadCommand: Command = {
  name: 'download',
  summary: 'fetch a repo\'s tokenizer and text encoder into the Hugging Face cache',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      revision: { type: 'string' },
      variant: { type: 'string' },
      endpoint: { type: 'string' },
      'cache-dir': { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one REPO (owner/name)');
    const repo = positionals[0]!;
    const progress = new ProgressReporter(io);
    const started = Date.now();

    const files = await downloadTextComponents(repo, {
      ...hubOptionsFromEnv(io.env),
      ...(values.revision !== undefined ? { revision: values.revision } : {}),
      ...(values.variant !== undefined ? { variant: values.variant } : {}),
      ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
      ...(values['cache-dir'] !== undefined ? { cacheDir: values['cache-dir'] } : {}),
      onFileStart: (path) => progress.start(path),
      onProgress: (p) => progress.update(p),
      onFileDone: (file) => progress.done(file),
    });

    const fetched = files.filter((f) => !f.fromCache);
    const bytes = fetched.reduce((sum, f) => sum + f.size, 0);
    const seconds = (Date.now() - started) / 1000;
    io.stderr(
      `${files.length} files, ${fetched.length} downloaded (${formatBytes(bytes)} in ${seconds.toFixed(1)} s), ` +
        `${files.length - fetched.length} already cached\n`,
    );
    io.stdout(snapshotFolder(files[0]!) + '\n');
    return 0;
  },
};

/** `.../snapshots/<commit>` from the first file's path and its repo-relative path. */
function snapshotFolder(file: DownloadedFile): string {
  return file.localPath.slice(0, file.localPath.length - file.path.length - 1);
}

/**
 * One line per file. On a terminal: a bar redrawn in place (bytes, rate, ETA), at most 10 times a
 * second. Elsewhere (pipes, CI logs): a plain line when each file is done.
 */
class ProgressReporter {
  private file = '';
  private startedAt = 0;
  private firstLoaded: number | null = null;
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly io: CliIO) {}

  start(path: string): void {
    this.file = path;
    this.startedAt = Date.now();
    this.firstLoaded = null;
    this.lastDraw = 0;
    this.drawn = false;
  }

  update(p: FileProgress): void {
    if (p.file !== this.file || !this.io.isTTY) return;
    // Resumed transfers start part-way: the rate counts only this run's bytes.
    this.firstLoaded ??= p.loaded;
    const now = Date.now();
    if (now - this.lastDraw < 100 && p.loaded !== p.total) return;
    this.lastDraw = now;
    this.drawn = true;
    const elapsed = Math.max((now - this.startedAt) / 1000, 1e-3);
    const rate = (p.loaded - this.firstLoaded) / elapsed;
    const parts = [truncate(p.file, 40).padEnd(40)];
    if (p.total !== null && p.total > 0) {
      const fraction = Math.min(p.loaded / p.total, 1);
      const width = 24;
      const filled = Math.round(fraction * width);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`, `${(fraction * 100).toFixed(0).padStart(3)}%`);
      parts.push(`${formatBytes(p.loaded)}/${formatBytes(p.total)}`);
      parts.push(`${formatBytes(rate)}/s`);
      parts.push(`ETA ${rate > 0 ? formatDuration((p.total - p.loaded) / rate) : '--:--'}`);
    } else {
      parts.push(formatBytes(p.loaded), `${formatBytes(rate)}/s`);
    }
    this.io.stderr(`\r\x1b[K${parts.join('  ')}`);
  }

  done(file: DownloadedFile): void {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const line = file.fromCache
      ? `cached      ${file.path} (${formatBytes(file.size)})`
      : `downloaded  ${file.path} (${formatBytes(file.size)} in ${seconds.toFixed(1)} s)`;
    this.io.stderr(this.io.isTTY && this.drawn ? `\r\x1b[K${line}\n` : `${line}\n`);
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `…${text.slice(text.length - width + 1)}`;
}
