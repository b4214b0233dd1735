import { randomUUID } from 'node:crypto';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { idempotencyKeyPrefix } from './names.js';
import { claimUpFront, type ClaimAnswer } from './batch-claims.js';
import { BatchRequests } from './batch-requests.js';
import { CompletedCache } from './completed-cache.js';
import { resolveCreateConsumerOptions, type CreateConsumerOptions, type HandlerContext, type TypeHandler } from './consumer-options.js';
import { DeadLetterQueue } from './dead-letter.js';
import {
  claimTimes,
  completionDueAtMs,
  decideExisting,
  decideRefusedCommit,
  decideRefusedCompletion,
  decideRoute,
  extendedClaimTimes,
  hasTimeToStart,
  isOwnClaim,
  type CompletionRefusal,
  type ExistingRecordOutcome,
  type HeldLock,
  type LockOptions,
} from './decide.js';
import { parseEnvelope, type Envelope } from './envelope.js';
import { BatchedWrites, ImmediateWrites, type FencedWrites } from './fenced-writes.js';
import { IdempotencyStore, MAX_TRANSACT_ITEMS, STATUS_COMPLETED, type Claim, type ClaimRequest } from './idempotency-store.js';
import { LockKeeper } from './lock-keeper.js';
import { createJsonLogger, withFields, writeLine, type Logger } from './logger.js';
import { emfLine } from './metrics.js';
import { countOutcomes, type FailureCause, type Outcome } from './outcome.js';
import { payloadHash } from './payload-hash.js';
import { PoisonMarks } from './poison-marks.js';
import { PoisonMessageError } from './poison-message-error.js';
import { readInbound } from './inbound-record.js';
import { runLanes } from './scheduler.js';
import type { KafkaBatchResponse, KafkaEvent } from './sources/kafka.js';
import type { RabbitMqEvent } from './sources/rabbitmq.js';
import { sourceBatch } from './sources/recognise.js';
import { validateData } from './schema.js';

/** The part of the Lambda context the consumer reads; a real `Context` fits. */
export interface LambdaContextLike {
  getRemainingTimeInMillis?(): number;
  readonly awsRequestId?: string;
}

/**
 * The Lambda handler of a consumer, for every event source it reads (recognised from the event):
 * SQS, Kinesis and Kafka (MSK, self-managed) with `reportBatchItemFailures` on, and Amazon MQ for
 * RabbitMQ. Assignable to `SQSHandler` and `KinesisStreamHandler`.
 */
export interface ConsumerHandler {
  (event: SQSEvent, context?: LambdaContextLike): Promise<SQSBatchResponse>;
  (event: KinesisStreamEvent, context?: LambdaContextLike): Promise<KinesisStreamBatchResponse>;
  (event: KafkaEvent, context?: LambdaContextLike): Promise<KafkaBatchResponse>;
  /** Amazon MQ for RabbitMQ has no partial batch response: rejects (`RabbitMqBatchRetryError`) when any record must be retried. */
  (event: RabbitMqEvent, context?: LambdaContextLike): Promise<void>;
}

/** A record ready for its handler. */
interface Prepared {
  readonly envelope: Envelope;
  readonly attributes: Readonly<Record<string, string>>;
  readonly handler: TypeHandler;
  readonly data: unknown;
  readonly hash: string;
}

/** What reading a record gave: ready for its handler, a type to skip, or why it is poison. */
type Preparation = Prepared | { readonly skip: Envelope } | { readonly error: unknown };

/**
 * How a record ended; or, for a processed record whose completion waits for a shared request,
 * how it will end (processed either way). Its lane goes on unless it failed.
 */
type RecordResult = Outcome | { readonly kind: 'completing'; readonly outcome: Promise<Outcome> };

/** A claim taken before the batch ran, waiting for the first copy of its envelope to use it. */
interface UpFrontClaim {
  readonly request: ClaimRequest;
  readonly answer: ClaimAnswer;
}

/** One invocation's state. */
interface Batch {
  remainingMs(): number | undefined;
  readonly logger: Logger;
  /** The first copy of each envelope id in this batch: later copies wait for it and count as duplicates. */
  readonly firstCopies: Map<string, { readonly hash: string; readonly result: Promise<RecordResult> }>;
  /** Where completions and releases go: one request each, or shared requests. */
  readonly writes: FencedWrites;
  /** Claims taken up front (batched mode), by idempotency key; what is left at the end is released. */
  readonly claims: Map<string, UpFrontClaim>;
}

const failed = (cause: FailureCause): Outcome => ({ kind: 'failed', cause });
/** The signal of a record that holds no lock: never aborted. */
const NEVER_ABORTED = new AbortController().signal;

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
  const batching = new BatchRequests(idempotency?.batching ?? false);
  const deadLetterQueue = config.deadLetter && new DeadLetterQueue(config.deadLetter.client, config.deadLetter.queueUrl);

  const keyPrefix = idempotencyKeyPrefix(config.consumerName ?? '', config.environment);
  const keyOf = (envelope: Envelope) => `${keyPrefix}${envelope.id}`;
  const poisonMarks = idempotency && new PoisonMarks(idempotency.client, idempotency.tableName, keyPrefix, idempotency.expiresAfterSeconds);

  async function prepare(record: SQSRecord): Promise<Preparation> {
    try {
      const { envelope: body, attributes } = await readInbound(record, config);
      const envelope = parseEnvelope(body);
      const route = decideRoute(handlers, envelope, config.unknownType, config.defaultVersions);
      if (route.action === 'skip') return { skip: envelope };
      if (route.action === 'poison') throw route.error;
      const handler = route.route;
      const data = handler.schema ? await validateData(handler.schema, envelope) : envelope.data;
      return { envelope, attributes, handler, data, hash: payloadHash(envelope) };
    } catch (error) {
      return { error };
    }
  }

  /**
   * Batched mode: claims, in shared requests, the first copy of every envelope whose handler
   * claims first, unless the local cache already knows it.
   */
  async function claimBatch(preparations: readonly Preparation[], batch: Batch): Promise<void> {
    if (!store || !idempotency || !hasTimeToStart(batch.remainingMs(), config.minRemainingTimeMs)) return;
    const nowMs = Date.now();
    const times = claimTimes(nowMs, batch.remainingMs(), idempotency);
    const requests = new Map<string, ClaimRequest>();
    for (const preparation of preparations) {
      if (!('handler' in preparation) || (preparation.handler.claim ?? 'first') !== 'first') continue;
      const key = keyOf(preparation.envelope);
      if (requests.has(key) || cache.get(key, nowMs) !== undefined) continue;
      requests.set(key, { key, token: randomUUID(), payloadHash: preparation.hash, nowMs, ...times });
    }
    const answers = await claimUpFront(store, [...requests.values()], batching, batch.logger);
    for (const request of requests.values()) batch.claims.set(request.key, { request, answer: answers.get(request.key)! });
  }

  async function processRecord(record: SQSRecord, preparation: Preparation, batch: Batch): Promise<RecordResult> {
    let log = withFields(batch.logger, { messageId: record.messageId });
    const remainingMs = batch.remainingMs();
    if (!hasTimeToStart(remainingMs, config.minRemainingTimeMs)) {
      log.warn('record not started: too little Lambda time left', { cause: 'not-started', remainingMs, minRemainingTimeMs: config.minRemainingTimeMs });
      // The invocation is about to end: what is ready is written now.
      batch.writes.flush();
      return failed('not-started');
    }
    if ('error' in preparation) return failure(record, log, preparation.error);
    if ('skip' in preparation) {
      log.info('no handler for this type: skipped', { envelopeId: preparation.skip.id, type: preparation.skip.type });
      return { kind: 'skipped' };
    }
    const { envelope, hash } = preparation;
    log = withFields(log, { envelopeId: envelope.id, type: envelope.type });
    const first = batch.firstCopies.get(envelope.id);
    if (first) {
      const earlier = await first.result;
      if (first.hash !== hash) {
        // Another payload under the same id: the stored idempotency record decides which copy is
        // the conflict, not the order of the copies in this batch (a true duplicate may come second).
        return processOnce(record, preparation, log, batch);
      }
      log.info('same envelope id earlier in this batch: duplicate', { earlierOutcome: earlier.kind });
      return earlier.kind === 'failed' ? failed('earlier-copy-in-batch-failed') : { kind: 'duplicate' };
    }
    const result = processOnce(record, preparation, log, batch);
    batch.firstCopies.set(envelope.id, { hash, result });
    return result;
  }

  async function processOnce(record: SQSRecord, prepared: Prepared, log: Logger, batch: Batch): Promise<RecordResult> {
    if (!store || !idempotency) {
      const thrown = await runHandler(record, prepared, log, batch, undefined, NEVER_ABORTED);
      return thrown ? failure(record, log, thrown.error) : { kind: 'processed' };
    }
    const key = keyOf(prepared.envelope);
    const cachedHash = cache.get(key, Date.now());
    if (cachedHash !== undefined) {
      return existing(record, log, prepared.envelope, decideExisting({ status: STATUS_COMPLETED, payloadHash: cachedHash }, prepared.hash));
    }
    if (prepared.handler.claim === 'at-commit') {
      return commitWithoutClaim(store, idempotency.expiresAfterSeconds, key, record, prepared, log, batch);
    }
    const held = await claim(store, idempotency, key, record, prepared, log, batch);
    if ('kind' in held) return held;
    const { claim: ours, lock } = held;
    const keeper = new LockKeeper(store, ours, lock, (now, lockUntilMs) => extendedClaimTimes(now, lockUntilMs, batch.remainingMs(), idempotency), log);
    if (!(await keeper.start())) {
      log.warn('not started: the claim came back past its lock\'s midpoint and the lock could not be extended; will be retried', { cause: 'not-started' });
      await batch.writes.release(ours, log);
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
      await batch.writes.release(ours, log);
      return failure(record, log, thrown.error);
    }
    const expiresAtSeconds = Math.ceil(Date.now() / 1000) + idempotency.expiresAfterSeconds;
    if (items.length > 0) return commitTransaction(store, ours, expiresAtSeconds, prepared.hash, items, log, batch);
    const outcome = completePlain(ours, expiresAtSeconds, prepared.hash, keeper.held, log, batch);
    // Batched: the lane goes on while the completion waits for its shared request.
    return batch.writes.batched ? { kind: 'completing', outcome } : outcome;
  }

  /** Takes the claim up front (batched mode) or now; the claim and its lock, or how the record ended when it is not ours. */
  async function claim(store: IdempotencyStore, lockOptions: LockOptions, key: string, record: SQSRecord, prepared: Prepared, log: Logger, batch: Batch): Promise<{ readonly claim: Claim; readonly lock: HeldLock } | Outcome> {
    const upFront = batch.claims.get(key);
    // A claim taken for another payload under this id is left to its own copy (released at the end if none uses it).
    const mine = upFront?.request.payloadHash === prepared.hash ? upFront : undefined;
    if (mine) batch.claims.delete(key);
    const nowMs = Date.now();
    const request = mine?.request ?? { key, token: randomUUID(), payloadHash: prepared.hash, nowMs, ...claimTimes(nowMs, batch.remainingMs(), lockOptions) };
    const ours: Claim = { key, token: request.token };
    try {
      const result = mine ? resultOf(mine.answer) : await store.claim(request);
      if (!result.claimed && !isOwnClaim(result.existing, ours.token)) {
        return existing(record, log, prepared.envelope, decideExisting(result.existing, prepared.hash));
      }
    } catch (error) {
      log.error('idempotency claim failed: will be retried', { cause: 'idempotency-store-error', error });
      // The claim may have been written though its response was lost; no effect happened, so a redelivery need not wait for its lock.
      await batch.writes.release(ours, log);
      return failed('idempotency-store-error');
    }
    return { claim: ours, lock: { writtenAtMs: request.nowMs, lockUntilMs: request.lockUntilMs } };
  }

  /** Marks a plain record COMPLETED; whatever that write meets, the effect happened: processed. */
  async function completePlain(ours: Claim, expiresAtSeconds: number, hash: string, lock: HeldLock, log: Logger, batch: Batch): Promise<Outcome> {
    let refusal: CompletionRefusal | undefined;
    try {
      refusal = await batch.writes.complete(ours, expiresAtSeconds, completionDueAtMs(Date.now(), lock, batch.remainingMs(), config.minRemainingTimeMs));
    } catch (error) {
      // The outcome is unknown: the write may have been applied. Never released: a retry would repeat the effect.
      log.error('processed, but marking it completed failed: reported as success', { error });
      return { kind: 'processed', completionWriteFailed: true };
    }
    if (!refusal || decideRefusedCompletion(refusal, ours.token) === 'completed') {
      cache.set(ours.key, hash, expiresAtSeconds * 1000);
      return { kind: 'processed' };
    }
    // The claim is lost: another invocation holds the record, so it is not ours to release.
    log.error('processed, but marking it completed failed: reported as success', { error: refusal.error });
    return { kind: 'processed', completionWriteFailed: true };
  }

  /** Commits the handler's `ctx.transact` writes with the fenced completion of our claim, in one transaction. */
  async function commitTransaction(store: IdempotencyStore, ours: Claim, expiresAtSeconds: number, hash: string, items: readonly TransactWriteItem[], log: Logger, batch: Batch): Promise<Outcome> {
    let refusal: CompletionRefusal | undefined;
    try {
      refusal = await store.complete(ours, expiresAtSeconds, items);
    } catch (error) {
      // The outcome is unknown: it may have committed. Never released, so a redelivery cannot apply the effect again: it finds the record COMPLETED, or claims it afresh once the lock ends.
      log.error('transaction outcome unknown: the claim is kept until its lock ends; will be retried', { cause: 'transaction-failed', error });
      return failed('transaction-failed');
    }
    const decision = refusal && decideRefusedCompletion(refusal, ours.token);
    if (!refusal || decision === 'completed') {
      cache.set(ours.key, hash, expiresAtSeconds * 1000);
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

  /**
   * `claim: 'at-commit'`: the handler runs first, then its writes commit with the COMPLETED
   * record, which must not exist yet (or be expired, or an abandoned claim): one request. A
   * duplicate's transaction is cancelled, and the record that stopped it says which kind it is.
   */
  async function commitWithoutClaim(store: IdempotencyStore, expiresAfterSeconds: number, key: string, record: SQSRecord, prepared: Prepared, log: Logger, batch: Batch): Promise<Outcome> {
    const items: TransactWriteItem[] = [];
    const thrown = await runHandler(record, prepared, log, batch, items, NEVER_ABORTED);
    if (thrown) return failure(record, log, thrown.error);
    const nowMs = Date.now();
    const commit = { key, token: randomUUID(), payloadHash: prepared.hash, nowMs, expiresAtSeconds: Math.ceil(nowMs / 1000) + expiresAfterSeconds };
    let refusal: CompletionRefusal | undefined;
    try {
      refusal = await store.commit(commit, items);
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
    if (decision !== 'committed') return existing(record, log, prepared.envelope, decision);
    cache.set(key, prepared.hash, commit.expiresAtSeconds * 1000);
    return { kind: 'processed' };
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
      // Reported failed: SQS moves it after maxReceiveCount; a stream's or Kafka mapping's retries end at its on-failure destination (a Kafka consumer's may be its dead-letter topic).
      const deadLetterTopic = nonEmptyEnv('FANOUT_DEAD_LETTER_TOPIC');
      log.error('poison message; no dead-letter queue URL: reported failed, so the event source\'s retries move it to its dead-letter destination', { ...fields, cause: 'poison-without-dead-letter-queue', ...(deadLetterTopic && { deadLetterTopic }) });
      return failed('poison-without-dead-letter-queue');
    }
    try {
      if (await poisonMarks?.sentBefore(record, log)) {
        log.info('poison message sent to the dead-letter queue by an earlier delivery: not sent again', fields);
        return { kind: 'duplicate' };
      }
      const dropped = await deadLetterQueue.send(record, error);
      await poisonMarks?.remember(record, log);
      log.error('poison message sent to the dead-letter queue', dropped.length > 0 ? { ...fields, droppedAttributes: dropped } : fields);
      return { kind: 'poisoned', reason: error.reason };
    } catch (sendError) {
      log.error('poison message could not be sent to the dead-letter queue: will be retried', { ...fields, cause: 'dead-letter-send-failed', sendError });
      return failed('dead-letter-send-failed');
    }
  }

  const handle = async (event: unknown, context?: LambdaContextLike): Promise<unknown> => {
    const source = sourceBatch(event);
    const { records, lanes } = source;
    const batchLogger = withFields(logger, { consumer: config.consumerName, requestId: context?.awsRequestId });
    const batch: Batch = {
      remainingMs: () => (typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined),
      logger: batchLogger,
      firstCopies: new Map(),
      writes: store && batching.allowed ? new BatchedWrites(store, batching, batchLogger) : new ImmediateWrites(store),
      claims: new Map(),
    };
    const preparations = await Promise.all(records.map(prepare));
    if (batch.writes.batched) await claimBatch(preparations, batch);
    const results: RecordResult[] = new Array(records.length);
    await runLanes(
      lanes,
      config.maxConcurrency,
      async (index) => {
        await batch.writes.room();
        results[index] = await batch.writes.running(() => processRecord(records[index], preparations[index], batch));
        return results[index].kind !== 'failed';
      },
      (index) => {
        batch.logger.warn('not started: an earlier record of its lane (message group, shard or partition) failed', { messageId: records[index].messageId, cause: 'earlier-record-in-group-failed' });
        results[index] = failed('earlier-record-in-group-failed');
      },
    );
    // Claims no record used (its lane stopped, time ran out): released, so the redelivery need not wait for their locks.
    for (const { request, answer } of batch.claims.values()) {
      if (!('result' in answer) || answer.result.claimed) await batch.writes.release({ key: request.key, token: request.token }, batch.logger);
    }
    await batch.writes.drain();
    const outcomes = await Promise.all(results.map((result) => (result.kind === 'completing' ? result.outcome : result)));
    const counts = countOutcomes(outcomes);
    batch.logger.info('batch done', { records: records.length, ...counts });
    if (config.metricsNamespace) {
      writeLine(emfLine(config.metricsNamespace, config.consumerName ?? 'unnamed', counts, Date.now()));
    }
    return source.respond(outcomes);
  };
  return handle as ConsumerHandler;
}

function nonEmptyEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function resultOf(answer: ClaimAnswer) {
  if ('error' in answer) throw answer.error;
  return answer.result;
}

function conflict(envelope: Envelope): PoisonMessageError {
  return new PoisonMessageError('idempotency-conflict', `envelope id ${JSON.stringify(envelope.id)} was recorded before with a different payload: ids must never be reused for other content`);
}
