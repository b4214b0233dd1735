/*
 * The claim-first path of one record (`claim: 'first'`, the default): claim its idempotency key,
 * keep the lock while the handler runs, then mark it COMPLETED — with the handler's
 * `ctx.transact` writes in one transaction when it has any.
 */
import { randomUUID } from 'node:crypto';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { ClaimAnswer } from './batch-claims.js';
import { failed, type RecordResult, type RecordScope } from './batch-state.js';
import type { Clock } from './clock.js';
import type { CompletedCache } from './completed-cache.js';
import {
  claimTimes,
  completionDueAtMs,
  decideExisting,
  decideRefusedCompletion,
  extendedClaimTimes,
  isOwnClaim,
  lockWaitMs,
  type ExistingRecord,
  type CompletionRefusal,
  type HeldLock,
  type LockOptions,
} from './decide.js';
import type { Dispositions } from './dispositions.js';
import { invokeHandler } from './handler-invocation.js';
import type { Claim, IdempotencyStore } from './idempotency-store.js';
import { LockKeeper } from './lock-keeper.js';
import type { Outcome } from './outcome.js';
import type { Prepared } from './record-preparation.js';
import { sleep } from './sleep.js';

export class ClaimFirst {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly lockOptions: LockOptions,
    private readonly cache: CompletedCache,
    private readonly dispositions: Dispositions,
    private readonly clock: Clock,
    private readonly minRemainingTimeMs: number,
  ) {}

  async process(scope: RecordScope, prepared: Prepared, key: string): Promise<RecordResult> {
    const { batch, log } = scope;
    const held = await this.claim(scope, prepared, key);
    if ('kind' in held) return held;
    const { claim: ours, lock } = held;
    const keeper = new LockKeeper(this.store, ours, lock, (now, lockUntilMs) => extendedClaimTimes(now, lockUntilMs, batch.remainingMs(), this.lockOptions), log);
    if (!(await keeper.start())) {
      log.warn('not started: the claim came back past its lock\'s midpoint and the lock could not be extended; will be retried', { cause: 'not-started' });
      await batch.writes.release(ours, log);
      return failed('not-started');
    }
    const items: TransactWriteItem[] = [];
    const thrown = await invokeHandler(scope, prepared, items, keeper.signal);
    if (await keeper.stop()) {
      // Not released: the record is another invocation's now, or its lock has run out anyway.
      log.error('the idempotency claim was lost while the handler ran: not marked processed; will be retried', { cause: 'in-progress-elsewhere', reason: keeper.signal.reason, ...(thrown && { error: thrown.error }) });
      return failed('in-progress-elsewhere');
    }
    if (thrown) {
      await batch.writes.release(ours, log);
      return this.dispositions.failure(scope, thrown.error);
    }
    const expiresAtSeconds = Math.ceil(this.clock.now() / 1000) + this.lockOptions.expiresAfterSeconds;
    if (items.length > 0) return this.commitTransaction(scope, ours, expiresAtSeconds, prepared.hash, items);
    const outcome = this.completePlain(scope, ours, expiresAtSeconds, prepared.hash, keeper.held);
    // Batched: the lane goes on while the completion waits for its shared request.
    return batch.writes.batched ? { kind: 'completing', outcome } : outcome;
  }

  /** Takes the claim up front (batched mode) or now; the claim and its lock, or how the record ended when it is not ours. */
  private async claim(scope: RecordScope, prepared: Prepared, key: string): Promise<{ readonly claim: Claim; readonly lock: HeldLock } | Outcome> {
    const { batch, log } = scope;
    const upFront = batch.claims.get(key);
    // A claim taken for another payload under this id is left to its own copy (released at the end if none uses it).
    const mine = upFront?.request.payloadHash === prepared.hash ? upFront : undefined;
    if (mine) batch.claims.delete(key);
    const nowMs = this.clock.now();
    const request = mine?.request ?? { key, token: randomUUID(), payloadHash: prepared.hash, nowMs, ...claimTimes(nowMs, batch.remainingMs(), this.lockOptions) };
    let ours: Claim = { key, token: request.token };
    let held = request;
    try {
      let result = mine ? resultOf(mine.answer) : await this.store.claim(request);
      const waitMs = !result.claimed && !isOwnClaim(result.existing, ours.token) && batch.waitsOutLocks ? this.lockWait(scope, prepared, result.existing) : undefined;
      if (!result.claimed && waitMs !== undefined) {
        log.warn('claimed by an earlier invocation of this lane that did not finish: waiting for its lock to end', { cause: 'in-progress-elsewhere', waitMs, lockUntilMs: result.existing.lockUntilMs });
        await sleep(waitMs);
        const retryAtMs = this.clock.now();
        held = { key, token: randomUUID(), payloadHash: prepared.hash, nowMs: retryAtMs, ...claimTimes(retryAtMs, batch.remainingMs(), this.lockOptions) };
        ours = { key, token: held.token };
        result = await this.store.claim(held);
      }
      if (!result.claimed && !isOwnClaim(result.existing, ours.token)) {
        return this.dispositions.existing(scope, prepared.envelope, decideExisting(result.existing, prepared.hash));
      }
    } catch (error) {
      log.error('idempotency claim failed: will be retried', { cause: 'idempotency-store-error', error });
      // The claim may have been written though its response was lost; no effect happened, so a redelivery need not wait for its lock.
      await batch.writes.release(ours, log);
      return failed('idempotency-store-error');
    }
    return { claim: ours, lock: { writtenAtMs: held.nowMs, lockUntilMs: held.lockUntilMs } };
  }

  /** How long to wait for the live lock of another invocation's claim on this record (see `lockWaitMs`). */
  private lockWait(scope: RecordScope, prepared: Prepared, existing: ExistingRecord): number | undefined {
    if (decideExisting(existing, prepared.hash) !== 'in-progress') return undefined;
    return lockWaitMs(existing, this.clock.now(), scope.batch.remainingMs(), this.minRemainingTimeMs);
  }

  /** Marks a plain record COMPLETED; whatever that write meets, the effect happened: processed. */
  private async completePlain(scope: RecordScope, ours: Claim, expiresAtSeconds: number, hash: string, lock: HeldLock): Promise<Outcome> {
    const { batch, log } = scope;
    let refusal: CompletionRefusal | undefined;
    try {
      refusal = await batch.writes.complete(ours, expiresAtSeconds, completionDueAtMs(this.clock.now(), lock, batch.remainingMs(), this.minRemainingTimeMs));
    } catch (error) {
      // The outcome is unknown: the write may have been applied. Never released: a retry would repeat the effect.
      log.error('processed, but marking it completed failed: reported as success', { error });
      return { kind: 'processed', completionWriteFailed: true };
    }
    if (!refusal || decideRefusedCompletion(refusal, ours.token) === 'completed') {
      this.cache.set(ours.key, hash, expiresAtSeconds * 1000);
      return { kind: 'processed' };
    }
    // The claim is lost: another invocation holds the record, so it is not ours to release.
    log.error('processed, but marking it completed failed: reported as success', { error: refusal.error });
    return { kind: 'processed', completionWriteFailed: true };
  }

  /** Commits the handler's `ctx.transact` writes with the fenced completion of our claim, in one transaction. */
  private async commitTransaction(scope: RecordScope, ours: Claim, expiresAtSeconds: number, hash: string, items: readonly TransactWriteItem[]): Promise<Outcome> {
    const { batch, log } = scope;
    let refusal: CompletionRefusal | undefined;
    try {
      refusal = await this.store.complete(ours, expiresAtSeconds, items);
    } catch (error) {
      // The outcome is unknown: it may have committed. Never released, so a redelivery cannot apply the effect again: it finds the record COMPLETED, or claims it afresh once the lock ends.
      log.error('transaction outcome unknown: the claim is kept until its lock ends; will be retried', { cause: 'transaction-failed', error });
      return failed('transaction-failed');
    }
    const decision = refusal && decideRefusedCompletion(refusal, ours.token);
    if (!refusal || decision === 'completed') {
      this.cache.set(ours.key, hash, expiresAtSeconds * 1000);
      return { kind: 'processed' };
    }
    if (decision === 'cancelled') {
      log.error('transaction failed: neither the effect nor the completion was applied; will be retried', { cause: 'transaction-failed', error: refusal.error });
      await batch.writes.release(ours, log);
      return failed('transaction-failed');
    }
    log.error('transaction refused: another invocation holds the claim, nothing was applied; will be retried', { cause: 'transaction-failed', error: refusal.error });
    return failed('transaction-failed');
  }
}

function resultOf(answer: ClaimAnswer) {
  if ('error' in answer) throw answer.error;
  return answer.result;
}

