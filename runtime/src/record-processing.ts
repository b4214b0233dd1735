/*
 * One record from its preparation to its outcome: the time guard, the skip, a later copy of an
 * envelope already in this batch, then its handler — claim first, claim at commit, or without
 * idempotency.
 */
import type { SQSRecord } from 'aws-lambda';
import { failed, type Batch, type RecordResult, type RecordScope } from './batch-state.js';
import type { ClaimAtCommit } from './claim-at-commit.js';
import type { ClaimFirst } from './claim-first.js';
import type { Clock } from './clock.js';
import type { CompletedCache } from './completed-cache.js';
import { decideExisting, hasTimeToStart } from './decide.js';
import type { Dispositions } from './dispositions.js';
import type { Envelope } from './envelope.js';
import { invokeHandler, NEVER_ABORTED } from './handler-invocation.js';
import { STATUS_COMPLETED } from './idempotency-store.js';
import { withFields } from './logger.js';
import type { Preparation, Prepared } from './record-preparation.js';

/** The idempotent paths and what they share; absent when the consumer has no idempotency table. */
export interface IdempotentPaths {
  readonly keyOf: (envelope: Envelope) => string;
  readonly cache: CompletedCache;
  readonly claimFirst: ClaimFirst;
  readonly claimAtCommit: ClaimAtCommit;
}

export class RecordProcessing {
  constructor(
    private readonly idempotency: IdempotentPaths | undefined,
    private readonly dispositions: Dispositions,
    private readonly clock: Clock,
    private readonly minRemainingTimeMs: number,
  ) {}

  async process(record: SQSRecord, preparation: Preparation, batch: Batch, lastInLane: boolean): Promise<RecordResult> {
    let scope: RecordScope = { record, batch, lastInLane, log: withFields(batch.logger, { messageId: record.messageId }) };
    const remainingMs = batch.remainingMs();
    if (!hasTimeToStart(remainingMs, this.minRemainingTimeMs)) {
      scope.log.warn('record not started: too little Lambda time left', { cause: 'not-started', remainingMs, minRemainingTimeMs: this.minRemainingTimeMs });
      // The invocation is about to end: what is ready is written now.
      batch.writes.flush();
      return failed('not-started');
    }
    if ('error' in preparation) return this.dispositions.failure(scope, preparation.error);
    if ('skip' in preparation) {
      scope.log.info('no handler for this type: skipped', { envelopeId: preparation.skip.id, type: preparation.skip.type });
      return { kind: 'skipped' };
    }
    const { envelope, hash } = preparation;
    scope = { ...scope, log: withFields(scope.log, { envelopeId: envelope.id, type: envelope.type }) };
    const first = batch.firstCopies.get(envelope.id);
    if (first) {
      const result = await first.result;
      const earlier = result.kind === 'completing' ? await result.outcome : result;
      if (first.hash !== hash) {
        // Another payload under the same id: the stored idempotency record decides which copy is
        // the conflict, not the order of the copies in this batch (a true duplicate may come second).
        return this.once(scope, preparation);
      }
      scope.log.info('same envelope id earlier in this batch: duplicate', { earlierOutcome: earlier.kind });
      return earlier.kind === 'failed' ? failed('earlier-copy-in-batch-failed') : { kind: 'duplicate' };
    }
    const result = this.once(scope, preparation);
    batch.firstCopies.set(envelope.id, { hash, result });
    return result;
  }

  private async once(scope: RecordScope, prepared: Prepared): Promise<RecordResult> {
    const idempotency = this.idempotency;
    if (!idempotency) {
      const thrown = await invokeHandler(scope, prepared, undefined, NEVER_ABORTED);
      return thrown ? this.dispositions.failure(scope, thrown.error) : { kind: 'processed' };
    }
    const key = idempotency.keyOf(prepared.envelope);
    const cachedHash = idempotency.cache.get(key, this.clock.now());
    if (cachedHash !== undefined) {
      return this.dispositions.existing(scope, prepared.envelope, decideExisting({ status: STATUS_COMPLETED, payloadHash: cachedHash }, prepared.hash));
    }
    return prepared.handler.claim === 'at-commit'
      ? idempotency.claimAtCommit.process(scope, prepared, key)
      : idempotency.claimFirst.process(scope, prepared, key);
  }
}
