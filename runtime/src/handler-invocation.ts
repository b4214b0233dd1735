/*
 * Runs the user's handler for one record with its context: the envelope, the record, the time
 * left, the signal of its lock and `ctx.transact`.
 */
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { RecordScope } from './batch-state.js';
import type { HandlerContext } from './consumer-options.js';
import { MAX_TRANSACT_ITEMS } from './idempotency-store.js';
import type { Prepared } from './record-preparation.js';

/** The signal of a record that holds no lock: never aborted. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * Runs the handler; returns what it threw, if it threw. `items` collects the writes of
 * `ctx.transact` (undefined without idempotency, where `ctx.transact` refuses).
 */
export async function invokeHandler(scope: RecordScope, prepared: Prepared, items: TransactWriteItem[] | undefined, signal: AbortSignal): Promise<{ readonly error: unknown } | undefined> {
  const ctx: HandlerContext = {
    envelope: prepared.envelope,
    record: scope.record,
    attributes: prepared.attributes,
    remainingTimeMs: () => scope.batch.remainingMs() ?? Number.POSITIVE_INFINITY,
    logger: scope.log,
    signal,
    transact: (...more) => {
      if (!items) {
        throw new Error('ctx.transact needs idempotency: set FANOUT_IDEMPOTENCY_TABLE or pass the idempotency option');
      }
      if (items.length + more.length + 1 > MAX_TRANSACT_ITEMS) {
        throw new Error(`ctx.transact: ${items.length + more.length} writes plus the completion exceed DynamoDB's limit of ${MAX_TRANSACT_ITEMS} items per transaction`);
      }
      items.push(...more);
    },
  };
  try {
    await prepared.handler.handle(prepared.data, ctx);
    return undefined;
  } catch (error) {
    return { error };
  }
}
