import { failedIds } from './batch-item-failures';
import type { InvocationResult } from './lambda-function';

/*
 * What Lambda's stream event source mapping does after each invocation of one shard's batch: how
 * far the checkpoint moves, whether the rest is retried (whole, or split in two), and when it is
 * given up on. Pure decisions; the Kinesis poller does the reading, invoking and sending.
 */

/** How one invocation of a batch ended, as the mapping reads it. */
export type StreamBatchOutcome =
  | { readonly kind: 'success' }
  /** `ReportBatchItemFailures`: the records before `firstFailed` (the lowest sequence number reported) succeeded. */
  | { readonly kind: 'partial'; readonly firstFailed: number }
  /** The function threw, crashed or timed out, or its batch response was malformed. */
  | { readonly kind: 'failure' };

/**
 * The outcome of an invocation of a batch whose records have `sequenceNumbers` (ascending). With
 * `reportBatchItemFailures`, Lambda checkpoints at the lowest sequence number reported and treats
 * a malformed response (an identifier missing, empty or not in the batch) as a failure of the
 * whole batch; without it, a response is ignored.
 */
export function streamBatchOutcome(result: InvocationResult, sequenceNumbers: readonly string[], reportBatchItemFailures: boolean): StreamBatchOutcome {
  if (result.kind !== 'returned') {
    return { kind: 'failure' };
  }
  if (!reportBatchItemFailures) {
    return { kind: 'success' };
  }
  const failed = failedIds(result.value, sequenceNumbers);
  if (failed === undefined) {
    return { kind: 'failure' };
  }
  const firstFailed = sequenceNumbers.findIndex((sequenceNumber) => failed.has(sequenceNumber));
  return firstFailed < 0 ? { kind: 'success' } : { kind: 'partial', firstFailed };
}

/** The retry settings of a stream event source mapping. */
export interface StreamRetryPolicy {
  /** `MaximumRetryAttempts`: retries of a failed batch before it is given up on; -1 retries until the records expire. */
  readonly maximumRetryAttempts: number;
  /** `BisectBatchOnFunctionError`: a batch whose invocation failed is split in two, and each half retried. */
  readonly bisectBatchOnError: boolean;
}

/** Where a shard's processing stands: what is owed to the records at its checkpoint. */
export interface ShardProgress {
  /** Retries spent on the records at the checkpoint (0 once it moves). */
  readonly retries: number;
  /** Invocations that held the record at the checkpoint (for the on-failure record's `approximateInvokeCount`). */
  readonly invocations: number;
  /** Sizes of the next batches from the checkpoint, when a retry or a split decided them; else full batches. */
  readonly pending: readonly number[];
}

export const START_OF_SHARD: ShardProgress = { retries: 0, invocations: 0, pending: [] };

/** What to do after one invocation of a batch of `size` records taken from the checkpoint. */
export interface StreamStep {
  /** Records from the checkpoint that succeeded: the checkpoint moves past them. */
  readonly checkpointed: number;
  /** Records after those that are given up on (sent to the on-failure destination, then passed); 0 when none. */
  readonly givenUp: number;
  /** With `givenUp`: the invocations that held the first given-up record, this one included. */
  readonly approximateInvokeCount?: number;
  /** The batch was split in two for its retry. */
  readonly split: boolean;
  readonly progress: ShardProgress;
}

/**
 * The step after an invocation. `progress` is the shard's state before it, its `pending` sizes the
 * ones planned after this batch. Lambda's rules: a success checkpoints the batch; a partial
 * success checkpoints before the lowest failed record and retries from there (with bisection,
 * only the rest of this batch); a failed invocation is split in two when bisection is on and the
 * batch has more than one record — splitting spends no retry — else retried whole. A retry spends
 * one of `maximumRetryAttempts`, counted for the records at the checkpoint; a failure with none
 * left gives those records up.
 */
export function nextStreamStep(size: number, outcome: StreamBatchOutcome, progress: ShardProgress, policy: StreamRetryPolicy): StreamStep {
  const invocations = progress.invocations + 1;
  if (outcome.kind === 'success') {
    return { checkpointed: size, givenUp: 0, split: false, progress: { retries: 0, invocations: 0, pending: progress.pending } };
  }
  if (outcome.kind === 'failure' && policy.bisectBatchOnError && size > 1) {
    const half = Math.ceil(size / 2);
    return { checkpointed: 0, givenUp: 0, split: true, progress: { retries: progress.retries, invocations, pending: [half, size - half, ...progress.pending] } };
  }
  const checkpointed = outcome.kind === 'partial' ? outcome.firstFailed : 0;
  const moved = checkpointed > 0;
  const retries = moved ? 0 : progress.retries;
  const heldFailed = moved ? 1 : invocations;
  const remaining = size - checkpointed;
  if (policy.maximumRetryAttempts >= 0 && retries >= policy.maximumRetryAttempts) {
    return { checkpointed, givenUp: remaining, approximateInvokeCount: heldFailed, split: false, progress: { retries: 0, invocations: 0, pending: progress.pending } };
  }
  const retryWhole = outcome.kind === 'failure' || policy.bisectBatchOnError;
  return {
    checkpointed,
    givenUp: 0,
    split: false,
    progress: { retries: retries + 1, invocations: heldFailed, pending: retryWhole ? [remaining, ...progress.pending] : [] },
  };
}

/**
 * How many records at the start of a batch are older than `maximumRecordAgeSeconds` (-1: no
 * limit) at `nowMs`: Lambda gives them up without invoking the function. Records of a shard
 * arrive in sequence order, so the old ones are a prefix.
 */
export function expiredRecords(arrivalsMs: readonly number[], maximumRecordAgeSeconds: number, nowMs: number): number {
  if (maximumRecordAgeSeconds < 0) {
    return 0;
  }
  const oldest = nowMs - maximumRecordAgeSeconds * 1000;
  const fresh = arrivalsMs.findIndex((arrival) => arrival >= oldest);
  return fresh < 0 ? arrivalsMs.length : fresh;
}
