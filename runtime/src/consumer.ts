import { randomUUID } from 'node:crypto';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { IDEMPOTENCY_KEY_SEPARATOR } from './names.js';
import { CompletedCache } from './completed-cache.js';
import { resolveCreateConsumerOptions, type CreateConsumerOptions, type HandlerContext, type TypeHandler } from './consumer-options.js';
import { DeadLetterQueue } from './dead-letter.js';
import { claimTimes, decideExisting, decideRefusedCompletion, decideRoute, extendedClaimTimes, hasTimeToStart, isOwnClaim, type CompletionRefusal, type ExistingRecordOutcome } from './decide.js';
import { parseEnvelope, type Envelope } from './envelope.js';
import { IdempotencyStore, MAX_TRANSACT_ITEMS, STATUS_COMPLETED, type Claim } from './idempotency-store.js';
import { LockKeeper } from './lock-keeper.js';
import { createJsonLogger, withFields, writeLine, type Logger } from './logger.js';
import { emfLine } from './metrics.js';
import { countOutcomes, type FailureCause, type Outcome } from './outcome.js';
import { payloadHash } from './payload-hash.js';
import { PoisonMessageError } from './poison-message-error.js';
import { unwrapRecord } from './record.js';
import { groupIntoLanes, runLanes } from './scheduler.js';
import { validateData } from './schema.js';

/** The part of the Lambda context the consumer reads; a real `Context` fits. */
export interface LambdaContextLike {
  getRemainingTimeInMillis?(): number;
  readonly awsRequestId?: string;
}

/** A Lambda handler for an SQS event source with `reportBatchItemFailures` on (assignable to `SQSHandler`). */
export type ConsumerHandler = (event: SQSEvent, context?: LambdaContextLike) => Promise<SQSBatchResponse>;

/** A record ready for its handler. */
interface Prepared {
  readonly envelope: Envelope;
  readonly attributes: Readonly<Record<string, string>>;
  readonly handler: TypeHandler;
  readonly data: unknown;
  readonly hash: string;
}

/** One invocation's state. */
interface Batch {
  remainingMs(): number | undefined;
  readonly logger: Logger;
  /** The first copy of each envelope id in this batch: later copies wait for it and count as duplicates. */
  readonly firstCopies: Map<string, { readonly hash: string; readonly outcome: Promise<Outcome> }>;
}

const failed = (cause: FailureCause): Outcome => ({ kind: 'failed', cause });

/**
 * Creates the Lambda handler of a consumer: validates each record's envelope, routes it to the
 * handler for its type, enforces idempotency with DynamoDB conditional writes, sends poison to
 * the dead-letter queue and reports partial batch failures. The outcome of each situation is the semantics table of the README.
 */
export function createConsumer<H extends Record<string, unknown>>(options: CreateConsumerOptions<H>): ConsumerHandler {
  const config = resolveCreateConsumerOptions(options as CreateConsumerOptions, process.env);
  const handlers = options.handlers as Readonly<Record<string, TypeHandler>>;
  const logger = options.logger ?? createJsonLogger();
  const idempotency = config.idempotency;
  const store = idempotency && new IdempotencyStore(idempotency.client, idempotency.tableName);
  const cache = new CompletedCache(idempotency?.localCacheMaxItems ?? 0);
  const deadLetterQueue = config.deadLetter && new DeadLetterQueue(config.deadLetter.client, config.deadLetter.queueUrl);

  async function processRecord(record: SQSRecord, batch: Batch): Promise<Outcome> {
    let log = withFields(batch.logger, { messageId: record.messageId });
    const remainingMs = batch.remainingMs();
    if (!hasTimeToStart(remainingMs, config.minRemainingTimeMs)) {
      log.warn('record not started: too little Lambda time left', { cause: 'not-started', remainingMs, minRemainingTimeMs: config.minRemainingTimeMs });
      return failed('not-started');
    }
    let prepared: Prepared | { readonly skip: Envelope };
    try {
      prepared = await prepare(record);
    } catch (error) {
      return failure(record, log, error);
    }
    if ('skip' in prepared) {
      log.info('no handler for this type: skipped', { envelopeId: prepared.skip.id, type: prepared.skip.type });
      return { kind: 'skipped' };
    }
    const { envelope, hash } = prepared;
    log = withFields(log, { envelopeId: envelope.id, type: envelope.type });
    const first = batch.firstCopies.get(envelope.id);
    if (first) {
      const earlier = await first.outcome;
      if (first.hash !== hash) {
        // Another payload under the same id: the stored idempotency record decides which copy is
        // the conflict, not the order of the copies in this batch (a true duplicate may come second).
        return processOnce(record, prepared, log, batch);
      }
      log.info('same envelope id earlier in this batch: duplicate', { earlierOutcome: earlier.kind });
      return earlier.kind === 'failed' ? failed('earlier-copy-in-batch-failed') : { kind: 'duplicate' };
    }
    const outcome = processOnce(record, prepared, log, batch);
    batch.firstCopies.set(envelope.id, { hash, outcome });
    return outcome;
  }

  async function prepare(record: SQSRecord): Promise<Prepared | { readonly skip: Envelope }> {
    const { envelope: body, attributes } = unwrapRecord(record);
    const envelope = parseEnvelope(body);
    const route = decideRoute(handlers, envelope, config.unknownType, config.defaultVersions);
    if (route.action === 'skip') return { skip: envelope };
    if (route.action === 'poison') throw route.error;
    const handler = route.route;
    const data = handler.schema ? await validateData(handler.schema, envelope) : envelope.data;
    return { envelope, attributes, handler, data, hash: payloadHash(envelope) };
  }

  async function processOnce(record: SQSRecord, prepared: Prepared, log: Logger, batch: Batch): Promise<Outcome> {
    if (!store || !idempotency) {
      const thrown = await runHandler(record, prepared, log, batch, undefined, new AbortController().signal);
      return thrown ? failure(record, log, thrown.error) : { kind: 'processed' };
    }
    const key = `${config.consumerName}${IDEMPOTENCY_KEY_SEPARATOR}${prepared.envelope.id}`;
    const cachedHash = cache.get(key, Date.now());
    if (cachedHash !== undefined) {
      return existing(record, log, prepared.envelope, decideExisting({ status: STATUS_COMPLETED, payloadHash: cachedHash }, prepared.hash));
    }
    const claim: Claim = { key, token: randomUUID() };
    const nowMs = Date.now();
    const times = claimTimes(nowMs, batch.remainingMs(), idempotency);
    try {
      const result = await store.claim({ ...claim, payloadHash: prepared.hash, nowMs, ...times });
      if (!result.claimed && !isOwnClaim(result.existing, claim.token)) {
        return existing(record, log, prepared.envelope, decideExisting(result.existing, prepared.hash));
      }
    } catch (error) {
      log.error('idempotency claim failed: will be retried', { cause: 'idempotency-store-error', error });
      // The claim may have been written though its response was lost; no effect happened, so a redelivery need not wait for its lock.
      await release(claim, log);
      return failed('idempotency-store-error');
    }
    const keeper = new LockKeeper(store, claim, { writtenAtMs: nowMs, lockUntilMs: times.lockUntilMs }, (now, lockUntilMs) => extendedClaimTimes(now, lockUntilMs, batch.remainingMs(), idempotency), log);
    if (!(await keeper.start())) {
      log.warn('not started: the claim came back past its lock\'s midpoint and the lock could not be extended; will be retried', { cause: 'not-started' });
      await release(claim, log);
      return failed('not-started');
    }
    const items: TransactWriteItem[] = [];
    const thrown = await runHandler(record, prepared, log, batch, items, keeper.signal);
    if (await keeper.stop()) {
      // Not released: the record is another invocation's now, or its lock has run out anyway.
      log.error('the idempotency claim was lost while the handler ran: not marked processed; will be retried', { cause: 'in-progress-elsewhere', reason: keeper.signal.reason, ...(thrown && { error: thrown.error }) });
      return failed('in-progress-elsewhere');
    }
    if (thrown) {
      await release(claim, log);
      return failure(record, log, thrown.error);
    }
    return complete(store, claim, Math.ceil(Date.now() / 1000) + idempotency.expiresAfterSeconds, prepared.hash, items, log);
  }

  /** Marks the record COMPLETED, with the handler's `ctx.transact` writes if it queued any. */
  async function complete(store: IdempotencyStore, claim: Claim, expiresAtSeconds: number, hash: string, items: readonly TransactWriteItem[], log: Logger): Promise<Outcome> {
    let refusal: CompletionRefusal | undefined;
    try {
      refusal = await store.complete(claim, expiresAtSeconds, items);
    } catch (error) {
      // The outcome is unknown: the write may have been applied. Never released, so a redelivery cannot apply the effect again: it finds the record COMPLETED, or claims it afresh once the lock ends.
      if (items.length > 0) {
        log.error('transaction outcome unknown: the claim is kept until its lock ends; will be retried', { cause: 'transaction-failed', error });
        return failed('transaction-failed');
      }
      // The effect happened: a retry would repeat it.
      log.error('processed, but marking it completed failed: reported as success', { error });
      return { kind: 'processed', completionWriteFailed: true };
    }
    const decision = refusal && decideRefusedCompletion(refusal, claim.token);
    if (!refusal || decision === 'completed') {
      cache.set(claim.key, hash, expiresAtSeconds * 1000);
      return { kind: 'processed' };
    }
    if (decision === 'cancelled') {
      log.error('transaction failed: neither the effect nor the completion was applied; will be retried', { cause: 'transaction-failed', error: refusal.error });
      await release(claim, log);
      return failed('transaction-failed');
    }
    // The claim is lost: another invocation holds the record, so it is not ours to release.
    if (items.length > 0) {
      log.error('transaction refused: another invocation holds the claim, nothing was applied; will be retried', { cause: 'transaction-failed', error: refusal.error });
      return failed('transaction-failed');
    }
    log.error('processed, but marking it completed failed: reported as success', { error: refusal.error });
    return { kind: 'processed', completionWriteFailed: true };
  }

  /** Runs the user's handler; returns what it threw, if it threw. */
  async function runHandler(record: SQSRecord, prepared: Prepared, log: Logger, batch: Batch, items: TransactWriteItem[] | undefined, signal: AbortSignal): Promise<{ readonly error: unknown } | undefined> {
    const ctx: HandlerContext = {
      envelope: prepared.envelope,
      record,
      attributes: prepared.attributes,
      remainingTimeMs: () => batch.remainingMs() ?? Number.POSITIVE_INFINITY,
      logger: log,
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

  async function release(claim: Claim, log: Logger): Promise<void> {
    try {
      await store?.release(claim);
    } catch (error) {
      // Harmless beyond a delay: the lock is bounded, a retry can claim once it ends.
      log.warn('could not release the idempotency claim; it expires with its lock', { error });
    }
  }

  function existing(record: SQSRecord, log: Logger, envelope: Envelope, decision: ExistingRecordOutcome): Promise<Outcome> | Outcome {
    switch (decision) {
      case 'duplicate':
        log.info('already processed: duplicate');
        return { kind: 'duplicate' };
      case 'conflict':
        return poison(record, log, conflict(envelope));
      case 'in-progress':
        log.warn('in progress in another invocation: will be retried', { cause: 'in-progress-elsewhere' });
        return failed('in-progress-elsewhere');
    }
  }

  function failure(record: SQSRecord, log: Logger, error: unknown): Promise<Outcome> | Outcome {
    if (error instanceof PoisonMessageError) {
      return poison(record, log, error);
    }
    log.error('handler failed: will be retried', { cause: 'handler-error', error });
    return failed('handler-error');
  }

  async function poison(record: SQSRecord, log: Logger, error: PoisonMessageError): Promise<Outcome> {
    const fields = { reason: error.reason, error: error.message };
    if (!deadLetterQueue) {
      log.error('poison message; no dead-letter queue URL, so SQS moves it after maxReceiveCount', { ...fields, cause: 'poison-without-dead-letter-queue' });
      return failed('poison-without-dead-letter-queue');
    }
    try {
      const dropped = await deadLetterQueue.send(record, error);
      log.error('poison message sent to the dead-letter queue', dropped.length > 0 ? { ...fields, droppedAttributes: dropped } : fields);
      return { kind: 'poisoned', reason: error.reason };
    } catch (sendError) {
      log.error('poison message could not be sent to the dead-letter queue: will be retried', { ...fields, cause: 'dead-letter-send-failed', sendError });
      return failed('dead-letter-send-failed');
    }
  }

  return async (event, context) => {
    const records = event.Records ?? [];
    const batch: Batch = {
      remainingMs: () => (typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined),
      logger: withFields(logger, { consumer: config.consumerName, requestId: context?.awsRequestId }),
      firstCopies: new Map(),
    };
    const outcomes: Outcome[] = new Array(records.length);
    // Queue type from the source ARN: standard (fair) queues may carry group ids too, without ordering.
    const fifo = records[0]?.eventSourceARN?.endsWith('.fifo') ?? false;
    const lanes = groupIntoLanes(records.map((_, index) => index), (index) => (fifo ? records[index].attributes?.MessageGroupId : undefined));
    await runLanes(
      lanes,
      config.maxConcurrency,
      async (index) => {
        outcomes[index] = await processRecord(records[index], batch);
        return outcomes[index].kind !== 'failed';
      },
      (index) => {
        batch.logger.warn('not started: an earlier record of its message group failed', { messageId: records[index].messageId, cause: 'earlier-record-in-group-failed' });
        outcomes[index] = failed('earlier-record-in-group-failed');
      },
    );
    const counts = countOutcomes(outcomes);
    batch.logger.info('batch done', { records: records.length, ...counts });
    if (config.metricsNamespace) {
      writeLine(emfLine(config.metricsNamespace, config.consumerName ?? 'unnamed', counts, Date.now()));
    }
    return { batchItemFailures: records.filter((_, index) => outcomes[index].kind === 'failed').map((record) => ({ itemIdentifier: record.messageId })) };
  };
}

function conflict(envelope: Envelope): PoisonMessageError {
  return new PoisonMessageError('idempotency-conflict', `envelope id ${JSON.stringify(envelope.id)} was recorded before with a different payload: ids must never be reused for other content`);
}
