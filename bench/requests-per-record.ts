import { orderBatch } from './events';
import type { BenchHandler } from './handlers/handler-options';
import { invokeAll } from './invoke';
import type { RequestCounter } from './request-counter';
import type { RuntimeName } from './subjects';

/** DynamoDB requests per record, by case, with the operations behind them. */
export interface RequestsPerRecord {
  readonly fresh: number;
  readonly duplicate: number;
  readonly failed: number;
  readonly operations: Record<'fresh' | 'duplicate' | 'failed', Record<string, number>>;
}

const BATCH = 10;

/**
 * Counts the requests each runtime sends to DynamoDB Local (real condition semantics) for a
 * batch of new records, the same batch delivered again, and a batch whose handler throws.
 */
export async function measureRequestsPerRecord(
  subjects: readonly { readonly name: RuntimeName; readonly handler: BenchHandler; readonly counter: RequestCounter }[],
): Promise<Record<RuntimeName, RequestsPerRecord>> {
  const results: Partial<Record<RuntimeName, RequestsPerRecord>> = {};
  for (const { name, handler, counter } of subjects) {
    const fresh = orderBatch(BATCH);
    counter.take();
    await invokeAll(handler, [fresh]);
    const freshCount = counter.take();
    await invokeAll(handler, [fresh]);
    const duplicateCount = counter.take();
    await invokeAll(handler, [orderBatch(BATCH, { failing: true })], 'all');
    const failedCount = counter.take();
    results[name] = {
      fresh: freshCount.total / BATCH,
      duplicate: duplicateCount.total / BATCH,
      failed: failedCount.total / BATCH,
      operations: { fresh: freshCount.byOperation, duplicate: duplicateCount.byOperation, failed: failedCount.byOperation },
    };
  }
  return results as Record<RuntimeName, RequestsPerRecord>;
}
