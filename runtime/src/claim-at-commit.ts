/*
 * The claim-free path of one record (`claim: 'at-commit'`): the handler runs first, then its
 * `ctx.transact` writes commit with the COMPLETED idempotency record, which must not exist yet
 * (or be expired, or an abandoned claim): one request. A duplicate's transaction is cancelled,
 * and the record that stopped it says which kind it is.
 */
import { randomUUID } from 'node:crypto';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { failed, type RecordScope } from './batch-state.js';
import type { Clock } from './clock.js';
import type { CompletedCache } from './completed-cache.js';
import { decideRefusedCommit, type CompletionRefusal } from './decide.js';
import type { Dispositions } from './dispositions.js';
import { invokeHandler, NEVER_ABORTED } from './handler-invocation.js';
import type { IdempotencyStore } from './idempotency-store.js';
import type { Outcome } from './outcome.js';
import type { Prepared } from './record-preparation.js';

export class ClaimAtCommit {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly expiresAfterSeconds: number,
    private readonly cache: CompletedCache,
    private readonly dispositions: Dispositions,
    private readonly clock: Clock,
  ) {}

  async process(scope: RecordScope, prepared: Prepared, key: string): Promise<Outcome> {
    const { log } = scope;
    const items: TransactWriteItem[] = [];
    const thrown = await invokeHandler(scope, prepared, items, NEVER_ABORTED);
    if (thrown) return this.dispositions.failure(scope, thrown.error);
    const nowMs = this.clock.now();
    const commit = { key, token: randomUUID(), payloadHash: prepared.hash, nowMs, expiresAtSeconds: Math.ceil(nowMs / 1000) + this.expiresAfterSeconds };
    let refusal: CompletionRefusal | undefined;
    try {
      refusal = await this.store.commit(commit, items);
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
    this.cache.set(key, prepared.hash, commit.expiresAtSeconds * 1000);
    return { kind: 'processed' };
  }
}
