import type { Io } from './command';

const BAR_WIDTH = 30;

/** One frame of the bar, e.g. `[#########---------------------] 30/100`; without a total just the count. */
export function renderProgress(done: number, total: number | undefined): string {
  if (!total || total <= 0) return `${done} moved`;
  const filled = Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH));
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total}`;
}

/**
 * A progress bar redrawn in place on stderr. Only on a terminal: piped stderr or a log file
 * would fill up with frames. Draws a frame only when it changed, and wipes the line at the end
 * so the command's result starts on a clean line.
 */
export function progressBar(io: Io): { update(done: number, total: number | undefined): void; finish(): void } {
  let last = '';
  return {
    update(done, total) {
      if (!io.stderrIsTTY) return;
      const frame = renderProgress(done, total);
      if (frame === last) return;
      io.stderr.write(`\r${frame.padEnd(last.length)}`);
      last = frame;
    },
    finish() {
      if (io.stderrIsTTY && last) io.stderr.write(`\r${' '.repeat(last.length)}\r`);
      last = '';
    },
  };
}
