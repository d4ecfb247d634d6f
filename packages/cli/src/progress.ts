import type { DownloadedFile, FileProgress } from '@sdtext/pipeline';
import { escapeForTerminal } from '@sdtext/core';
import type { CliIO } from './command.js';

/**
 * One line per file. On a terminal: a bar redrawn in place (bytes, rate, ETA), at most 10 times a
 * second. Elsewhere (pipes, CI logs): a plain line when each file is done.
 */
export class ProgressReporter {
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
    if (!this.io.isTTY) return;
    // Model loaders report bytes without announcing files: a new name starts a new line.
    if (p.file !== this.file) {
      if (this.drawn) this.io.stderr('\n');
      this.start(p.file);
    }
    // Resumed transfers start part-way: the rate counts only this run's bytes.
    this.firstLoaded ??= p.loaded;
    const now = Date.now();
    if (now - this.lastDraw < 100 && p.loaded !== p.total) return;
    this.lastDraw = now;
    this.drawn = true;
    const elapsed = Math.max((now - this.startedAt) / 1000, 1e-3);
    const rate = (p.loaded - this.firstLoaded) / elapsed;
    const parts = [truncate(escapeForTerminal(p.file), 40).padEnd(40)];
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

  /** Ends a redrawn bar, so what is printed next starts on its own line. */
  finish(): void {
    if (this.io.isTTY && this.drawn) this.io.stderr('\n');
    this.drawn = false;
  }

  done(file: DownloadedFile): void {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const line = file.fromCache
      ? `cached      ${escapeForTerminal(file.path)} (${formatBytes(file.size)})`
      : `downloaded  ${escapeForTerminal(file.path)} (${formatBytes(file.size)} in ${seconds.toFixed(1)} s)`;
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
