/*
 * The consumer's decisions, as pure functions of plain values: what to do with a record, what an
 * existing idempotency record means, how long a claim may block others. No I/O here.
 */
import { PoisonMessageError } from './poison-message-error.js';

/** The longest a Lambda invocation can run (15 minutes): no lock needs to outlive it. */
export const MAX_LOCK_MS = 15 * 60 * 1000;

/** Whether there is time to start one more record. Without a Lambda context (remaining time unknown) there always is. */
export function hasTimeToStart(remainingMs: number | undefined, minRemainingTimeMs: number): boolean {
  return remainingMs === undefined || remainingMs >= minRemainingTimeMs;
}

/**
 * How long a claim blocks other invocations. The invocation that claimed cannot outlive its
 * remaining time, so that bounds the lock; when the remaining time is unknown or already 0
 * (no Lambda context, a test harness) the fallback bounds it instead. Never unbounded, never
 * longer than a Lambda can run.
 */
export function lockDurationMs(remainingMs: number | undefined, fallbackMs: number): number {
  const duration = remainingMs !== undefined && remainingMs > 0 ? remainingMs : fallbackMs;
  return Math.min(Math.max(duration, 1), MAX_LOCK_MS);
}

/** The lock (epoch ms) and the TTL (epoch s) written with a claim or an extension. */
export interface ClaimTimes {
  readonly lockUntilMs: number;
  readonly expiresAtSeconds: number;
}

export interface LockOptions {
  readonly lockFallbackMs: number;
  readonly expiresAfterSeconds: number;
}

/** The times written with a claim: the lock (epoch ms) and the TTL (epoch s), the TTL never before the lock ends. */
export function claimTimes(nowMs: number, remainingMs: number | undefined, options: LockOptions): ClaimTimes {
  const lockUntilMs = nowMs + lockDurationMs(remainingMs, options.lockFallbackMs);
  // The claim condition lets anyone take over an expired record, so a TTL inside the lock would void the lock.
  const expiresAtSeconds = Math.max(Math.ceil(nowMs / 1000) + options.expiresAfterSeconds, Math.ceil(lockUntilMs / 1000));
  return { lockUntilMs, expiresAtSeconds };
}

/** A lock we hold: when it was written (by our clock) and until when it holds. */
export interface HeldLock {
  readonly writtenAtMs: number;
  readonly lockUntilMs: number;
}

/**
 * When to extend a held lock: at its midpoint, so an extension has the other half to get through
 * (SDK retries included) before the lock runs out.
 */
export function lockCheckAtMs(lock: HeldLock): number {
  return (lock.writtenAtMs + lock.lockUntilMs) / 2;
}

/**
 * The times an extension at `nowMs` writes (the claim's rule applied afresh), or undefined when
 * the lock already lasts as long as the invocation can run: Lambda stops a handler at its
 * deadline, and a lock derived from that deadline never needs more. The extension must gain more
 * than half of what is left, so that a deadline read a millisecond apart never starts a chain of
 * ever smaller extensions.
 */
export function extendedClaimTimes(nowMs: number, lockUntilMs: number, remainingMs: number | undefined, options: LockOptions): ClaimTimes | undefined {
  const times = claimTimes(nowMs, remainingMs, options);
  return times.lockUntilMs - lockUntilMs > (lockUntilMs - nowMs) / 2 ? times : undefined;
}

/** The part of an idempotency record that decides a failed conditional write. */
export interface ExistingRecord {
  readonly status: string;
  readonly payloadHash?: string;
  readonly claimToken?: string;
  /** Epoch ms, by the claiming invocation's clock; only on IN_PROGRESS records. */
  readonly lockUntilMs?: number;
}

/**
 * Whether the record that stopped our claim is our claim itself: an attempt whose response was
 * lost wrote it, and the SDK's retry met it. The token is random per claim, so no other
 * invocation's record carries it.
 */
export function isOwnClaim(existing: ExistingRecord, claimToken: string): boolean {
  return existing.claimToken === claimToken && existing.status === 'IN_PROGRESS';
}

/** Another invocation's record stopped our claim: a finished duplicate, a conflicting payload, or work still in progress elsewhere. */
export type ExistingRecordOutcome = 'duplicate' | 'conflict' | 'in-progress';

export function decideExisting(existing: ExistingRecord, payloadHash: string): ExistingRecordOutcome {
  // Checked before the status: a different payload under a reused id is a producer bug whatever the other copy is doing.
  if (existing.payloadHash !== undefined && existing.payloadHash !== payloadHash) return 'conflict';
  return existing.status === 'COMPLETED' ? 'duplicate' : 'in-progress';
}

/** Waited beyond a lock's end before claiming again: the clocks of two containers may differ by this much. */
export const LOCK_WAIT_MARGIN_MS = 1000;

/**
 * How long to wait before claiming again a record whose live lock stopped our claim: until the
 * lock ends (plus the clock margin), or as long as the time guard allows when it ends later;
 * undefined when there is no time to wait (or the remaining time is unknown). Only for sources
 * whose lanes one invocation reads at a time and that retry at once: such a lock was left by an
 * earlier invocation of the lane that crashed or timed out, and it ends by that invocation's
 * deadline, so the retry after a wait that fell short finds it ended rather than spending the
 * source's retries in a moment.
 */
export function lockWaitMs(existing: ExistingRecord, nowMs: number, remainingMs: number | undefined, minRemainingTimeMs: number): number | undefined {
  if (existing.status === 'COMPLETED' || existing.lockUntilMs === undefined || remainingMs === undefined) return undefined;
  const waitMs = Math.min(Math.max(0, existing.lockUntilMs - nowMs) + LOCK_WAIT_MARGIN_MS, remainingMs - minRemainingTimeMs);
  return waitMs > 0 ? waitMs : undefined;
}

/** DynamoDB refused a completion: whether our fence failed, and the record as it then stood (ALL_OLD). */
export interface CompletionRefusal {
  /** False when another write of the transaction cancelled it while our fence held. */
  readonly fenceFailed: boolean;
  /** Undefined when the fence failed on a record that no longer exists. */
  readonly record?: ExistingRecord;
  readonly error: unknown;
}

/**
 * What a refused completion means: `completed` when the record is COMPLETED under our own token
 * (an earlier attempt of this very request committed and its response was lost), `claim-lost`
 * when another invocation holds or removed the record (nothing of ours applied), `cancelled` when
 * our fence held but another write of the transaction failed (nothing applied, the claim is still
 * ours).
 */
export type RefusedCompletionOutcome = 'completed' | 'claim-lost' | 'cancelled';

export function decideRefusedCompletion(refusal: CompletionRefusal, claimToken: string): RefusedCompletionOutcome {
  if (!refusal.fenceFailed) return 'cancelled';
  return refusal.record?.claimToken === claimToken && refusal.record.status === 'COMPLETED' ? 'completed' : 'claim-lost';
}

/** A record as a consistent read returns it: what the decisions about a refused batched claim need. */
export interface StoredRecord extends ExistingRecord {
  /** Epoch s, the TTL. */
  readonly expiresAtSeconds?: number;
}

/**
 * Whether the claim's condition would take `record` over at `nowMs`: its TTL has passed (it is
 * forgotten, even if DynamoDB has not deleted it yet), or it is a claim whose lock ran out (its
 * invocation crashed or gave up). The same rule as the claim's ConditionExpression.
 */
export function isClaimable(record: StoredRecord, nowMs: number): boolean {
  if (record.expiresAtSeconds !== undefined && record.expiresAtSeconds < Math.floor(nowMs / 1000)) return true;
  return record.status === 'IN_PROGRESS' && record.lockUntilMs !== undefined && record.lockUntilMs < nowMs;
}

/**
 * A batched claim (an INSERT) found its key taken; the record read back says what that means:
 * `claimed` when it is our own claim (an attempt whose response was lost wrote it, the SDK's retry
 * met it), `take-over` when the claim's condition would replace it (expired, abandoned, or gone
 * since: claimed with the conditional PutItem, one record at a time), or what another
 * invocation's record means for this one.
 */
export type FoundRecordOutcome = 'claimed' | 'take-over' | ExistingRecordOutcome;

export function decideFoundRecord(found: StoredRecord | undefined, claimToken: string, payloadHash: string, nowMs: number): FoundRecordOutcome {
  if (found === undefined) return 'take-over';
  if (isOwnClaim(found, claimToken)) return 'claimed';
  if (isClaimable(found, nowMs)) return 'take-over';
  return decideExisting(found, payloadHash);
}

/**
 * A claim-free commit (the COMPLETED record written with the handler's transaction) was refused
 * by its condition: `committed` when the record is COMPLETED under our own commit token (an
 * earlier attempt of this very request committed, its response lost), else what the other
 * record means. No record back (it vanished in between) is treated as busy: retried later.
 */
export type RefusedCommitOutcome = 'committed' | ExistingRecordOutcome;

export function decideRefusedCommit(record: ExistingRecord | undefined, commitToken: string, payloadHash: string): RefusedCommitOutcome {
  if (record === undefined) return 'in-progress';
  if (record.status === 'COMPLETED' && record.claimToken === commitToken) return 'committed';
  return decideExisting(record, payloadHash);
}

/** DynamoDB's limits per request: statements in one BatchExecuteStatement, keys in one BatchGetItem. */
export const MAX_BATCH_STATEMENTS = 25;
export const MAX_BATCH_GET_KEYS = 100;

/**
 * Splits `items` in order into chunks of at most `size` whose keys are distinct: DynamoDB refuses
 * a whole BatchExecuteStatement or BatchGetItem that names one key twice.
 */
export function chunksOf<T>(items: readonly T[], size: number, keyOf: (item: T) => string): T[][] {
  const chunks: { items: T[]; keys: Set<string> }[] = [];
  for (const item of items) {
    const key = keyOf(item);
    let chunk = chunks.find((candidate) => candidate.items.length < size && !candidate.keys.has(key));
    if (!chunk) {
      chunk = { items: [], keys: new Set() };
      chunks.push(chunk);
    }
    chunk.items.push(item);
    chunk.keys.add(key);
  }
  return chunks.map((chunk) => chunk.items);
}

/**
 * How long a ready completion waits for others to share its request, while the batch's other
 * records are still running: handlers that finish close together share one request, and a slow
 * handler does not hold the others' completions back longer than this.
 */
export const COMPLETION_HOLD_MS = 100;

/**
 * When a completion must be sent at the latest, whatever else is going on: while its lock still
 * holds half of what it had (the write must land before the lock ends), and before the time guard
 * stops starting records (the invocation is about to end: what is ready is written first).
 */
export function completionDueAtMs(nowMs: number, lock: HeldLock, remainingMs: number | undefined, minRemainingTimeMs: number): number {
  const guard = remainingMs === undefined ? Number.POSITIVE_INFINITY : nowMs + remainingMs - minRemainingTimeMs;
  return Math.min(lockCheckAtMs(lock), guard);
}

/**
 * Whether queued fenced writes go out now: a request's worth is ready, or no record of the batch
 * is running (or waiting to start) any more, so waiting would gain nothing.
 */
export function isFlushDue(queued: number, running: number): boolean {
  return queued >= MAX_BATCH_STATEMENTS || (queued > 0 && running === 0);
}

/** A handler for one envelope type, as far as routing is concerned. */
export interface Route {
  readonly versions?: readonly string[];
}

export type RouteDecision<R> =
  | { readonly action: 'handle'; readonly route: R }
  | { readonly action: 'skip' }
  | { readonly action: 'poison'; readonly error: PoisonMessageError };

/** Finds the handler for (type, version), or says why there is none. */
export function decideRoute<R extends Route>(
  routes: Readonly<Record<string, R>>,
  envelope: { readonly type: string; readonly version: string },
  unknownType: 'poison' | 'skip',
  defaultVersions: readonly string[],
): RouteDecision<R> {
  const route = Object.prototype.hasOwnProperty.call(routes, envelope.type) ? routes[envelope.type] : undefined;
  if (route === undefined) {
    return unknownType === 'skip'
      ? { action: 'skip' }
      : { action: 'poison', error: new PoisonMessageError('unknown-type', `no handler for type ${JSON.stringify(envelope.type)}`) };
  }
  const versions = route.versions ?? defaultVersions;
  if (!versions.includes(envelope.version)) {
    return {
      action: 'poison',
      error: new PoisonMessageError('unsupported-version', `${envelope.type} version ${JSON.stringify(envelope.version)} is not accepted (accepted: ${versions.join(', ')})`),
    };
  }
  return { action: 'handle', route };
}

/** SQS allows at most 10 message attributes per message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * Which original attributes fit on a DLQ message next to the `extra` ones (fanout.error,
 * fanout.reason); the reason for rejection is worth more than the last original attribute.
 */
export function attributesThatFit(originalNames: readonly string[], extraNames: readonly string[]): { keep: string[]; drop: string[] } {
  const room = MAX_MESSAGE_ATTRIBUTES - extraNames.length;
  const candidates = originalNames.filter((name) => !extraNames.includes(name));
  return { keep: candidates.slice(0, room), drop: candidates.slice(room) };
}
