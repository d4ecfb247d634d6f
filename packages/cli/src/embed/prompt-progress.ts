import type { CliIO } from '../command.js';
import { formatDuration } from '../progress.js';

/**
 * Prompts done of this job's total, with prompts/s and an ETA. On a terminal, one bar redrawn in
 * place at most 10 times a second; elsewhere (logs, CI), one line per shard. Shards found done
 * from an earlier run count as done but not in the rate.
 */
export class PromptProgress {
  private done = 0;
  private encoded = 0;
  private readonly started = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly io: CliIO,
    private readonly total: number,
  ) {}

  /** A shard finished: `rows` prompts, `skipped` when it was already on disk. */
  shard(name: string, rows: number, skipped: boolean): void {
    this.done += rows;
    if (!skipped) this.encoded += rows;
    const elapsed = Math.max((Date.now() - this.started) / 1000, 1e-3);
    const rate = this.encoded / elapsed;
    const eta = rate > 0 ? formatDuration((this.total - this.done) / rate) : '--:--';
    const counts = `${this.done}/${this.total} prompts`;
    const speed = `${rate.toFixed(1)} prompts/s`;
    if (this.io.isTTY) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && this.done < this.total) return;
      this.lastDraw = now;
      const width = 24;
      const filled = Math.round((this.total > 0 ? this.done / this.total : 1) * width);
      this.io.stderr(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]  ${counts}  ${speed}  ETA ${eta}`);
    } else {
      this.io.stderr(`${name} ${skipped ? 'already done' : 'written'}: ${counts}, ${speed}, ETA ${eta}\n`);
    }
  }

  finish(): { encoded: number; seconds: number } {
    if (this.io.isTTY && this.lastDraw > 0) this.io.stderr('\n');
    return { encoded: this.encoded, seconds: (Date.now() - this.started) / 1000 };
  }
}
