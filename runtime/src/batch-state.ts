/*
 * What the steps of one invocation share: the batch's state, and the scope of the record a step
 * works on.
 */
import type { SQSRecord } from 'aws-lambda';
import type { ClaimAnswer } from './batch-claims.js';
import type { FencedWrites } from './fenced-writes.js';
import type { ClaimRequest } from './idempotency-store.js';
import type { Logger } from './logger.js';
import type { FailureCause, Outcome } from './outcome.js';

/**
 * How a record ended; or, for a processed record whose completion waits for a shared request,
 * how it will end (processed either way). Its lane goes on unless it failed.
 */
export type RecordResult = Outcome | { readonly kind: 'completing'; readonly outcome: Promise<Outcome> };

/** A claim taken before the batch ran, waiting for the first copy of its envelope to use it. */
export interface UpFrontClaim {
  readonly request: ClaimRequest;
  readonly answer: ClaimAnswer;
}

/** One invocation's state. */
export interface Batch {
  remainingMs(): number | undefined;
  readonly logger: Logger;
  /** The first copy of each envelope id in this batch: later copies wait for it and count as duplicates. */
  readonly firstCopies: Map<string, { readonly hash: string; readonly result: Promise<RecordResult> }>;
  /** Where completions and releases go: one request each, or shared requests. */
  readonly writes: FencedWrites;
  /** Claims taken up front (batched mode), by idempotency key; what is left at the end is released. */
  readonly claims: Map<string, UpFrontClaim>;
  /** A live claim met by a record is waited out when it ends in time (see `SourceBatch.waitsOutLocks`). */
  readonly waitsOutLocks: boolean;
}

/** The record a step works on, its logger (with the record's ids) and its batch. */
export interface RecordScope {
  readonly record: SQSRecord;
  readonly log: Logger;
  readonly batch: Batch;
  /** No record of its lane (message group, shard, partition) comes after it in this batch. */
  readonly lastInLane: boolean;
}

export const failed = (cause: FailureCause): Outcome => ({ kind: 'failed', cause });
