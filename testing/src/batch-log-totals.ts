import type { BatchCounts } from '@cdk-fanout/runtime/consumer';

/** A consumer's counts over all its batches, plus the records it was given. */
export type Totals = { -readonly [K in keyof BatchCounts | 'records']: number };

/**
 * Adds up the "batch done" log lines that consumers written with `cdk-fanout/runtime` print
 * after every invocation, per consumer name: what the handlers themselves say they did, as one
 * would read it from CloudWatch Logs.
 */
export class BatchLogTotals {
  private readonly totals = new Map<string, Totals>();

  /** Pass as `onHandlerOutput` of `LocalStack.start`. */
  readonly onHandlerOutput = (_functionName: string, text: string): void => {
    for (const line of text.split('\n')) {
      if (!line.includes('"batch done"')) {
        continue;
      }
      const entry = JSON.parse(line) as BatchCounts & { records: number; consumer: string };
      const total = this.of(entry.consumer);
      for (const key of Object.keys(total) as Array<keyof typeof total>) {
        total[key] += entry[key] ?? 0;
      }
      this.totals.set(entry.consumer, total);
    }
  };

  /** The totals of one consumer so far (zeros before its first batch). */
  of(consumer: string): Totals {
    return { ...(this.totals.get(consumer) ?? { records: 0, processed: 0, duplicates: 0, skipped: 0, poisoned: 0, failed: 0, completionWriteFailures: 0 }) };
  }
}
