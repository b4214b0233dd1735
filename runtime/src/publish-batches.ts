/*
 * How every publisher sends many messages: in calls of at most N entries and B bytes, one call
 * after the other; each entry carried by at most `maxAttempts` requests (the client's own retries
 * included, through the attempt budget); and, where order matters (FIFO message groups, Kinesis
 * partition keys, Kafka keys), never an entry ahead of an earlier entry of its group. The
 * publishers differ only in how one call is made and read (`sendOnce`).
 */
import type { AttemptBudget, PublishFailure } from './publisher-attempts.js';
import { backoffCeilingMs } from './retry-delay.js';
import { sleep } from './sleep.js';

/** The longest wait between two of a publisher's retries. */
export const MAX_RETRY_DELAY_MS = 60_000;

/**
 * The `code` of an entry a publisher did not send because an earlier entry of its group (FIFO
 * message group, partition key, key) failed for good: sending it would have put it ahead of that entry.
 */
export const EARLIER_ENTRY_FAILED = 'EarlierEntryFailed';
/** The `code` of an entry a batch response listed neither as successful nor as failed. */
export const MISSING_FROM_RESPONSE = 'MissingFromResponse';

/** How an entry ended when it failed: `senderFault` when no retry could fix it. */
export interface EntryError {
  readonly code: string;
  readonly message: string;
  readonly senderFault: boolean;
}

/** What one call said about one entry. */
export type CallOutcome<S> = { readonly ok: true; readonly value: S } | ({ readonly ok: false } & PublishFailure);

/** How one entry ended. */
export type EntryOutcome<S> = { readonly ok: true; readonly value: S } | { readonly ok: false; readonly error: EntryError };

/** One entry to send: its size as the service counts it, and its ordering group when order matters. */
export interface BatchItem {
  readonly bytes: number;
  /** Entries of one group are delivered in input order; undefined: no order to keep. */
  readonly group?: string;
}

export interface SendInBatchesOptions<S> {
  /** Entries per call at most. */
  readonly maxEntries: number;
  /** Bytes per call at most (the entries' `bytes` added up). */
  readonly maxBytes: number;
  /** Requests that may carry one entry, in all. */
  readonly maxAttempts: number;
  /** Wait before the first retry, doubled each retry up to 60 s, full jitter. */
  readonly retryBaseDelayMs: number;
  /** The service, in messages: `SNS`, `SQS`, `Kinesis`, `Kafka`. */
  readonly service: string;
  /** What a group is, in messages: `message group`, `partition key`, `key`. */
  readonly groupName: string;
  /**
   * One call with these entries (indexes into the items, in order), within `budget`: each entry's
   * outcome. Never throws: a failed call is an outcome of every entry in it.
   */
  sendOnce(indexes: readonly number[], budget: AttemptBudget): Promise<ReadonlyMap<number, CallOutcome<S>>>;
}

/**
 * Sends `items` in calls of at most `maxEntries` and `maxBytes`, one after the other, retrying
 * entries that failed retryably; returns each entry's outcome, in input order.
 *
 * Each entry is carried by at most `maxAttempts` requests (a call's budget is the least any of its
 * entries has left). Within a group nothing is sent ahead of an earlier entry: entries after a
 * failed one are retried with it, in order; once an entry fails for good, the later entries of its
 * group are not sent (`EarlierEntryFailed`); and an entry that failed in a call that accepted a
 * later entry of its group is not retried, since a retry could only land after that entry.
 */
export async function sendInBatches<S>(items: readonly BatchItem[], options: SendInBatchesOptions<S>): Promise<EntryOutcome<S>[]> {
  const results: EntryOutcome<S>[] = new Array(items.length);
  // Groups with an entry that failed for good, and that entry.
  const blocked = new Map<string, { index: number; code: string }>();
  let remaining = items.map((_, index) => index);
  let blockedSeen = 0;
  while (remaining.length > 0) {
    if (blocked.size !== blockedSeen) {
      blockedSeen = blocked.size;
      remaining = remaining.filter((index) => {
        const group = items[index].group;
        const blocker = group === undefined ? undefined : blocked.get(group);
        if (!blocker) return true;
        results[index] = { ok: false, error: heldBack(blocker, group!, options.groupName) };
        return false;
      });
      if (remaining.length === 0) break;
    }
    const length = chunkBySize(remaining.slice(0, options.maxEntries).map((index) => items[index].bytes), options.maxEntries, options.maxBytes)[0].length;
    await sendChunk(remaining.slice(0, length), items, results, blocked, options);
    remaining = remaining.slice(length);
  }
  return results;
}

/** One chunk until every entry of it has a result. */
async function sendChunk<S>(chunk: readonly number[], items: readonly BatchItem[], results: EntryOutcome<S>[], blocked: Map<string, { index: number; code: string }>, options: SendInBatchesOptions<S>): Promise<void> {
  const { maxAttempts, service, groupName } = options;
  const used = new Map(chunk.map((index) => [index, 0]));
  const fail = (index: number, error: EntryError) => {
    results[index] = { ok: false, error: { code: error.code, message: error.message, senderFault: error.senderFault } };
    const group = items[index].group;
    const earlier = group === undefined ? undefined : blocked.get(group);
    if (group !== undefined && (earlier === undefined || index < earlier.index)) blocked.set(group, { index, code: error.code });
  };
  let pending = chunk;
  for (let round = 1; pending.length > 0; round++) {
    if (round > 1) await backoff(options.retryBaseDelayMs, round);
    const budget: AttemptBudget = { limit: Math.min(...pending.map((index) => maxAttempts - used.get(index)!)), used: 0 };
    const outcomes = await options.sendOnce(pending, budget);
    // A call that failed before any request (budget.used 0) still spends an attempt: the loop always ends.
    for (const index of pending) used.set(index, used.get(index)! + Math.max(1, budget.used));
    // Where in this call each group last had an entry accepted.
    const lastAccepted = new Map<string, number>();
    pending.forEach((index, position) => {
      if (outcomes.get(index)?.ok && items[index].group !== undefined) lastAccepted.set(items[index].group!, position);
    });
    const retry: number[] = [];
    pending.forEach((index, position) => {
      const outcome: CallOutcome<S> = outcomes.get(index) ?? {
        ok: false, code: MISSING_FROM_RESPONSE, message: `the ${service} response said nothing about the entry`, senderFault: false, retryable: true,
      };
      const group = items[index].group;
      if (outcome.ok) {
        results[index] = { ok: true, value: outcome.value };
        return;
      }
      const blocker = group === undefined ? undefined : blocked.get(group);
      if (blocker && blocker.index < index) {
        fail(index, { ...outcome, message: `${outcome.message} (not retried: entry ${blocker.index} of ${groupName} ${JSON.stringify(group)} failed for good before it)` });
      } else if (!outcome.retryable || used.get(index)! >= maxAttempts) {
        fail(index, outcome);
      } else if (group !== undefined && (lastAccepted.get(group) ?? -1) > position) {
        const later = pending[lastAccepted.get(group)!];
        fail(index, { ...outcome, message: `${outcome.message} (not retried: ${service} accepted entry ${later} of ${groupName} ${JSON.stringify(group)} in the same call, so a retry would land after it)` });
      } else {
        retry.push(index);
      }
    });
    pending = retry;
  }
}

function heldBack(blocker: { index: number; code: string }, group: string, groupName: string): EntryError {
  return {
    code: EARLIER_ENTRY_FAILED,
    message: `not sent: entry ${blocker.index} of ${groupName} ${JSON.stringify(group)} failed for good (${blocker.code}), and this entry would have been published ahead of it`,
    senderFault: false,
  };
}

/** Groups entry indexes, in order, into calls of at most `maxEntries` entries and `maxBytes` together. */
export function chunkBySize(sizes: readonly number[], maxEntries: number, maxBytes: number): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  sizes.forEach((size, index) => {
    if (current.length === maxEntries || (current.length > 0 && bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Full jitter over the base delay doubled each retry (`round` 2 is the first retry), at most 60 s. */
export function backoff(retryBaseDelayMs: number, round: number): Promise<void> {
  return sleep(Math.random() * backoffCeilingMs(retryBaseDelayMs, round - 1, MAX_RETRY_DELAY_MS));
}

/** Thrown by a batch publisher's `publish` when its one entry failed: the entry's code and whether it was the sender's fault. */
export class PublishFailedError extends Error {
  readonly code: string;
  readonly senderFault: boolean;
  /** The envelope id: publish again with it (a failed message may still have been delivered). */
  readonly envelopeId: string;

  constructor(error: EntryError, envelopeId: string) {
    super(`${error.code}: ${error.message} (envelope ${envelopeId})`);
    this.name = 'PublishFailedError';
    this.code = error.code;
    this.senderFault = error.senderFault;
    this.envelopeId = envelopeId;
  }
}
