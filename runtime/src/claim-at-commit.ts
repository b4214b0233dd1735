/*
 * The claim-free path of one record (`claim: 'at-commit'`): the handler runs first, then its
 * `ctx.transact` writes commit with the COMPLETED idempotency record, which must not exist yet
 * (or be expired, or an abandoned claim): one request, or a share of one in batched mode. A
 * duplicate's transaction is cancelled, and the record that stopped it says which kind it is.
 */
import { randomUUID } from 'node:crypto';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { failed, type RecordResult, type RecordScope } from './batch-state.js';
import type { Clock } from './clock.js';
import type { CompletedCache } from './completed-cache.js';
import { decideRefusedCommit, type CompletionRefusal } from './decide.js';
import type { Dispositions } from './dispositions.js';
import { invokeHandler, NEVER_ABORTED } from './handler-invocation.js';
import type { CommitRequest } from './idempotency-store.js';
import type { Outcome } from './outcome.js';
import type { Prepared } from './record-preparation.js';

export class ClaimAtCommit {
  constructor(
    private readonly expiresAfterSeconds: number,
    private readonly cache: CompletedCache,
    private readonly dispositions: Dispositions,
    private readonly clock: Clock,
  ) {}

  async process(scope: RecordScope, prepared: Prepared, key: string): Promise<RecordResult> {
    const items: TransactWriteItem[] = [];
    const thrown = await invokeHandler(scope, prepared, items, NEVER_ABORTED);
    if (thrown) return this.dispositions.failure(scope, thrown.error);
    const nowMs = this.clock.now();
    const commit = { key, token: randomUUID(), payloadHash: prepared.hash, nowMs, expiresAtSeconds: Math.ceil(nowMs / 1000) + this.expiresAfterSeconds };
    // Batched, the last record of its lane lets its worker go on while the commit waits for its
    // group; any other waits, since the records after it must not start before it succeeded.
    const goesOn = scope.batch.writes.batched && scope.lastInLane;
    const outcome = this.settle(scope, prepared, commit, scope.batch.writes.commit(commit, items, !goesOn));
    return goesOn ? { kind: 'completing', outcome } : outcome;
  }

  private async settle(scope: RecordScope, prepared: Prepared, commit: CommitRequest, committing: Promise<CompletionRefusal | undefined>): Promise<Outcome> {
    const { log } = scope;
    let refusal: CompletionRefusal | undefined;
    try {
      refusal = await committing;
    } catch (error) {
      // Nothing to keep or release: a redelivery finds the record COMPLETED (it committed) or commits afresh.
      log.error('transaction outcome unknown; will be retried', { cause: 'transaction-failed', error });
      return failed('transaction-failed');
    }
    if (refusal && !refusal.fenceFailed) {
      log.error('transaction failed: neither the effect nor the completion was applied; will be retried', { cause: 'transaction-failed', error: refusal.error });
      return failed('transaction-failed');
    }
    const decision = refusal ? decideRefusedCommit(refusal.record, commit.token, prepared.hash) : 'committed';
    if (decision !== 'committed') return this.dispositions.existing(scope, prepared.envelope, decision);
    this.cache.set(commit.key, prepared.hash, commit.expiresAtSeconds * 1000);
    return { kind: 'processed' };
  }
}
