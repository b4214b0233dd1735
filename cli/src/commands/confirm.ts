import { createInterface } from 'node:readline';
import type { Io } from './command';

/** Asks a yes/no question on stderr and reads one line of stdin; anything but y/yes (or no line at all) is no. */
export function confirm(io: Io, question: string): Promise<boolean> {
  io.stderr.write(`${question} [y/N] `);
  const lines = createInterface({ input: io.stdin, terminal: false });
  return new Promise((resolve) => {
    let answered = false;
    lines.once('line', (line) => {
      answered = true;
      lines.close();
      resolve(/^\s*y(es)?\s*$/i.test(line));
    });
    lines.once('close', () => {
      if (!answered) resolve(false);
    });
  });
}
