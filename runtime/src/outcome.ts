import type { PoisonReason } from './poison-message-error.js';

/** Why a record is reported as a batch item failure (SQS redelivers it). */
export type FailureCause =
  | 'not-started'
  | 'in-progress-elsewhere'
  | 'handler-error'
  | 'transaction-failed'
  | 'idempotency-store-error'
  | 'poison-without-dead-letter-queue'
  | 'dead-letter-send-failed'
  | 'earlier-record-in-group-failed'
  | 'earlier-copy-in-batch-failed';

/** How one record ended. Every kind but `failed` is reported as success and leaves the queue. */
export type Outcome =
  | { readonly kind: 'processed'; readonly completionWriteFailed?: boolean }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'poisoned'; readonly reason: PoisonReason }
  | { readonly kind: 'failed'; readonly cause: FailureCause };

/** How many records of one batch ended which way: the batch summary log line and the metrics. */
export interface BatchCounts {
  /** The handler ran and its effect happened. */
  readonly processed: number;
  /** Already processed by an earlier delivery or an earlier copy in this batch: skipped, reported success. */
  readonly duplicates: number;
  /** A type with no handler under `unknownType: 'skip'`. */
  readonly skipped: number;
  /** Sent to the dead-letter queue. */
  readonly poisoned: number;
  /** Reported as batch item failures. */
  readonly failed: number;
  /** Processed, but the idempotency record could not be marked COMPLETED (also counted in `processed`). */
  readonly completionWriteFailures: number;
}

export function countOutcomes(outcomes: Iterable<Outcome>): BatchCounts {
  const counts = { processed: 0, duplicates: 0, skipped: 0, poisoned: 0, failed: 0, completionWriteFailures: 0 };
  for (const outcome of outcomes) {
    switch (outcome.kind) {
      case 'processed':
        counts.processed++;
        if (outcome.completionWriteFailed) counts.completionWriteFailures++;
        break;
      case 'duplicate':
        counts.duplicates++;
        break;
      case 'skipped':
        counts.skipped++;
        break;
      case 'poisoned':
        counts.poisoned++;
        break;
      case 'failed':
        counts.failed++;
        break;
    }
  }
  return counts;
}
