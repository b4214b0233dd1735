/*
 * One invocation of a consumer, as a short pipeline over named steps: read the event source's
 * batch, prepare every record, claim up front (batched mode), run the records in their lanes,
 * release unused claims, write what is pending, report. The ports (idempotency store, dead-letter
 * sender, poison marks, clock) are given, so tests can replace them.
 */
import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { claimUpFront } from './batch-claims.js';
import { BatchRequests } from './batch-requests.js';
import { failed, type Batch, type RecordResult } from './batch-state.js';
import { ClaimAtCommit } from './claim-at-commit.js';
import { ClaimFirst } from './claim-first.js';
import type { Clock } from './clock.js';
import { CompletedCache } from './completed-cache.js';
import type { ResolvedCreateConsumerOptions, TypeHandler } from './consumer-options.js';
import { claimTimes, hasTimeToStart } from './decide.js';
import { Dispositions, type DeadLetterSender } from './dispositions.js';
import type { Envelope } from './envelope.js';
import { BatchedWrites, ImmediateWrites } from './fenced-writes.js';
import type { ClaimRequest, IdempotencyStore } from './idempotency-store.js';
import { withFields, writeLine, type Logger } from './logger.js';
import { emfLine } from './metrics.js';
import { idempotencyKeyPrefix } from './names.js';
import { countOutcomes, type Outcome } from './outcome.js';
import type { PoisonMarks } from './poison-marks.js';
import { prepareRecord, type Preparation, type Routing } from './record-preparation.js';
import { RecordProcessing } from './record-processing.js';
import { runLanes } from './scheduler.js';
import type { SourceBatch } from './sources/batch.js';
import { sourceBatch } from './sources/recognise.js';

/** The part of the Lambda context the consumer reads; a real `Context` fits. */
export interface LambdaContextLike {
  getRemainingTimeInMillis?(): number;
  readonly awsRequestId?: string;
}

/** What the pipeline talks to. */
export interface ConsumerPorts {
  /** The idempotency table; absent without idempotency. */
  readonly store: IdempotencyStore | undefined;
  /** The consumer's dead-letter queue; absent when poison is left to the event source's retries. */
  readonly deadLetters: DeadLetterSender | undefined;
  /** Which redelivered poison the dead-letter queue has already; absent without idempotency. */
  readonly poisonMarks: PoisonMarks | undefined;
  readonly clock: Clock;
}

export class ConsumerPipeline {
  private readonly routing: Routing;
  /** Every idempotency key of this consumer starts with it: `<consumer>#`, or `<environment>/<consumer>#`. */
  private readonly keyPrefix: string;
  private readonly records: RecordProcessing;
  private readonly cache: CompletedCache;
  private readonly batching: BatchRequests;

  constructor(
    private readonly config: ResolvedCreateConsumerOptions,
    handlers: Readonly<Record<string, TypeHandler>>,
    private readonly logger: Logger,
    private readonly ports: ConsumerPorts,
  ) {
    const idempotency = config.idempotency;
    this.routing = { handlers, unknownType: config.unknownType, defaultVersions: config.defaultVersions, environment: config.environment, payloads: config.payloads };
    this.keyPrefix = idempotencyKeyPrefix(config.consumerName ?? '', config.environment);
    this.cache = new CompletedCache(idempotency?.localCacheMaxItems ?? 0);
    this.batching = new BatchRequests(idempotency?.batching ?? false);
    const dispositions = new Dispositions(ports.deadLetters, ports.poisonMarks);
    const store = ports.store;
    const paths = store && idempotency && {
      keyOf: (envelope: Envelope) => this.keyOf(envelope),
      cache: this.cache,
      claimFirst: new ClaimFirst(store, idempotency, this.cache, dispositions, ports.clock, config.minRemainingTimeMs),
      claimAtCommit: new ClaimAtCommit(idempotency.expiresAfterSeconds, this.cache, dispositions, ports.clock),
    };
    this.records = new RecordProcessing(paths, dispositions, ports.clock, config.minRemainingTimeMs);
  }

  async run(event: unknown, context?: LambdaContextLike): Promise<unknown> {
    const source = sourceBatch(event);
    const batch = this.startBatch(context, source.waitsOutLocks);
    const preparations = await Promise.all(source.records.map((record) => prepareRecord(record, this.routing)));
    if (batch.writes.batched) await this.claimUpFront(preparations, batch);
    const results = await this.runRecords(source, preparations, batch);
    await this.releaseUnusedClaims(batch);
    await batch.writes.drain();
    const outcomes = await Promise.all(results.map((result) => (result.kind === 'completing' ? result.outcome : result)));
    this.report(batch, outcomes);
    return source.respond(outcomes);
  }

  private keyOf(envelope: Envelope): string {
    return `${this.keyPrefix}${envelope.id}`;
  }

  private startBatch(context: LambdaContextLike | undefined, waitsOutLocks: boolean): Batch {
    const logger = withFields(this.logger, { consumer: this.config.consumerName, requestId: context?.awsRequestId });
    const store = this.ports.store;
    return {
      remainingMs: () => (typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined),
      logger,
      firstCopies: new Map(),
      writes: store && this.batching.allowed ? new BatchedWrites(store, this.batching, logger) : new ImmediateWrites(store),
      claims: new Map(),
      waitsOutLocks,
    };
  }

  /**
   * Batched mode: claims, in shared requests, the first copy of every envelope whose handler
   * claims first, unless the local cache already knows it.
   */
  private async claimUpFront(preparations: readonly Preparation[], batch: Batch): Promise<void> {
    const { store } = this.ports;
    const idempotency = this.config.idempotency;
    if (!store || !idempotency || !hasTimeToStart(batch.remainingMs(), this.config.minRemainingTimeMs)) return;
    const nowMs = this.ports.clock.now();
    const times = claimTimes(nowMs, batch.remainingMs(), idempotency);
    const requests = new Map<string, ClaimRequest>();
    for (const preparation of preparations) {
      if (!('handler' in preparation) || (preparation.handler.claim ?? 'first') !== 'first') continue;
      const key = this.keyOf(preparation.envelope);
      if (requests.has(key) || this.cache.get(key, nowMs) !== undefined) continue;
      requests.set(key, { key, token: randomUUID(), payloadHash: preparation.hash, nowMs, ...times });
    }
    const answers = await claimUpFront(store, [...requests.values()], this.batching, batch.logger);
    for (const request of requests.values()) batch.claims.set(request.key, { request, answer: answers.get(request.key)! });
  }

  /** Runs the records lane by lane (a lane stops at its first failure), at most `maxConcurrency` at once. */
  private async runRecords(source: SourceBatch, preparations: readonly Preparation[], batch: Batch): Promise<RecordResult[]> {
    const records: readonly SQSRecord[] = source.records;
    const results: RecordResult[] = new Array(records.length);
    const lastInLane = new Set(source.lanes.map((lane) => lane[lane.length - 1]));
    await runLanes(
      source.lanes,
      this.config.maxConcurrency,
      async (index) => {
        await batch.writes.room();
        results[index] = await batch.writes.running(() => this.records.process(records[index], preparations[index], batch, lastInLane.has(index)));
        return results[index].kind !== 'failed';
      },
      (index) => {
        batch.logger.warn('not started: an earlier record of its lane (message group, shard or partition) failed', { messageId: records[index].messageId, cause: 'earlier-record-in-group-failed' });
        results[index] = failed('earlier-record-in-group-failed');
      },
    );
    return results;
  }

  /** Claims no record used (its lane stopped, time ran out): released, so the redelivery need not wait for their locks. */
  private async releaseUnusedClaims(batch: Batch): Promise<void> {
    for (const { request, answer } of batch.claims.values()) {
      if (!('result' in answer) || answer.result.claimed) await batch.writes.release({ key: request.key, token: request.token }, batch.logger);
    }
  }

  private report(batch: Batch, outcomes: readonly Outcome[]): void {
    const counts = countOutcomes(outcomes);
    batch.logger.info('batch done', { records: outcomes.length, ...counts });
    if (this.config.metricsNamespace) {
      writeLine(emfLine(this.config.metricsNamespace, this.config.consumerName ?? 'unnamed', counts, this.ports.clock.now()));
    }
  }
}
