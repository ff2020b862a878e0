import type { CliIO } from './io';

/**
 * A dependency-free progress bar on stderr for bulk work. On a terminal it redraws one line; in
 * a pipe or log (CI, `2> file`) it prints a line every ~10% so the log stays short.
 */
export class ProgressBar {
  private done = 0;
  private lastPrinted = -1;

  constructor(
    private readonly io: CliIO,
    private readonly label: string,
    private readonly total: number,
  ) {}

  tick(note = ''): void {
    this.done++;
    if (this.io.errIsTTY) {
      const width = 30;
      const filled = this.total === 0 ? width : Math.round((this.done / this.total) * width);
      this.io.err(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} ${note}`.padEnd(80));
      if (this.done >= this.total) this.io.err('\n');
      return;
    }
    const step = Math.max(1, Math.floor(this.total / 10));
    if (this.done === this.total || this.done - this.lastPrinted >= step) {
      this.lastPrinted = this.done;
      this.io.err(`${this.label} ${this.done}/${this.total}${note ? ' ' + note : ''}\n`);
    }
  }
}
