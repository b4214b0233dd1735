import { orderBatch } from './events';
import { invokeAll } from './invoke';
import type { RequestCounter } from './request-counter';
import type { RunningSubject } from './running-subjects';

/** DynamoDB requests per record in one case, with the operations behind them. */
export interface RequestCount {
  readonly perRecord: number;
  readonly operations: Record<string, number>;
}

/** By case: `fresh100`, `duplicate100`, `fresh10`, `duplicate10`, `failed10`. */
export type RequestsPerRecord = Record<string, RequestCount>;

/**
 * Counts the requests each subject sends to DynamoDB Local (real condition semantics): a batch of
 * new records, the same batch delivered again (duplicates), at 100 and 10 records, and (plain
 * handlers) a batch of 10 whose handler throws. Request counts are deterministic: one run each.
 * Every invocation checks it failed exactly the records it should.
 */
export async function measureRequestsPerRecord(subjects: readonly (RunningSubject & { readonly counter: RequestCounter })[]): Promise<Record<string, RequestsPerRecord>> {
  const results: Record<string, RequestsPerRecord> = {};
  for (const { subject, handler, counter } of subjects) {
    const counts: RequestsPerRecord = {};
    const count = async (name: string, size: number, run: () => Promise<void>) => {
      counter.take();
      await run();
      const taken = counter.take();
      counts[name] = {
        perRecord: taken.total / size,
        operations: Object.fromEntries(Object.entries(taken.byOperation).map(([operation, n]) => [operation, n / size])),
      };
    };
    for (const size of [100, 10]) {
      const fresh = orderBatch(size);
      await count(`fresh${size}`, size, () => invokeAll(handler, [fresh]));
      await count(`duplicate${size}`, size, () => invokeAll(handler, [fresh]));
    }
    if (!subject.transactional) {
      await count('failed10', 10, () => invokeAll(handler, [orderBatch(10, { failing: true })], 'all'));
    }
    results[subject.name] = counts;
  }
  return results;
}
