import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type GetShardIteratorCommandInput, type KinesisClient, type _Record,
} from '@aws-sdk/client-kinesis';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { LOCAL_REGION } from './emulators';
import { kinesisOnFailureRecord, type LastInvocation } from './kinesis-on-failure-record';
import type { LocalStreamEventSource } from './kinesis-stream';
import type { LocalFunction } from './lambda-function';
import { functionArn, LOCAL_ACCOUNT_ID } from './provisioners/arns';
import { expiredRecords, nextStreamStep, START_OF_SHARD, streamBatchOutcome, type ShardProgress } from './stream-checkpoint';

/** What one Kinesis event source mapping did, for progress reports and tests. */
export interface StreamPollerStats {
  /** Records read from the stream. */
  read: number;
  invocations: number;
  /** Records the checkpoint passed after they succeeded. */
  checkpointed: number;
  /** Invocations answered with failed items (`batchItemFailures`). */
  partialFailures: number;
  /** Invocations that threw, crashed, timed out or answered malformed. */
  failedInvocations: number;
  /** Failed batches split in two. */
  bisections: number;
  /** Records given up on (after the retries, or too old), each described in an on-failure record. */
  givenUp: number;
  /** On-failure records sent to the destination. */
  onFailureRecords: number;
}

/** An empty shard is read again after this long; Lambda polls each shard about once a second. */
const IDLE_POLL_MS = 200;

/** A record of the shard, read and not yet passed by the checkpoint. */
interface Buffered {
  readonly record: _Record;
  readonly arrivalMs: number;
}

/**
 * Runs one Kinesis event source mapping the way Lambda does: one reader per shard, from the
 * starting position, batches of up to `batchSize` gathered for at most the batching window,
 * invoked one at a time per shard with Lambda's Kinesis event; the checkpoint, retries,
 * bisection, record age and on-failure records follow `stream-checkpoint.ts`. The checkpoint
 * lives in memory: a new deployment starts again from the starting position. Shards created by
 * resharding after the start are not read, and `ParallelizationFactor` is taken as 1 (one batch
 * per shard at a time, which keeps every partition key's order as any factor does).
 */
export class StreamPoller {
  readonly stats: StreamPollerStats = { read: 0, invocations: 0, checkpointed: 0, partialFailures: 0, failedInvocations: 0, bisections: 0, givenUp: 0, onFailureRecords: 0 };
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    readonly mapping: LocalStreamEventSource,
    private readonly fn: LocalFunction,
    private readonly kinesis: KinesisClient,
    private readonly sqs: SQSClient,
  ) {}

  /** Lists the stream's shards and starts reading each from the starting position. */
  async start(): Promise<void> {
    if (this.running) {
      return;
    }
    const { Shards = [] } = await this.kinesis.send(new ListShardsCommand({ StreamName: this.mapping.stream.name }));
    const iterators = await Promise.all(Shards.map((shard) => this.iterator({ ShardId: shard.ShardId!, ...this.startingPosition() })));
    this.running = true;
    this.loops = Shards.map((shard, index) => this.readShard(shard.ShardId!, iterators[index]));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private startingPosition(): Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'Timestamp'> {
    const { startingPosition, startingPositionTimestamp } = this.mapping;
    return startingPosition === 'AT_TIMESTAMP'
      ? { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date((startingPositionTimestamp ?? 0) * 1000) }
      : { ShardIteratorType: startingPosition };
  }

  private async iterator(position: Omit<GetShardIteratorCommandInput, 'StreamName'>): Promise<string | undefined> {
    const { ShardIterator } = await this.kinesis.send(new GetShardIteratorCommand({ StreamName: this.mapping.stream.name, ...position }));
    return ShardIterator;
  }

  private async readShard(shardId: string, firstIterator: string | undefined): Promise<void> {
    let iterator = firstIterator;
    const buffer: Buffered[] = [];
    let progress: ShardProgress = START_OF_SHARD;
    let gatheringSince: number | undefined;
    while (this.running) {
      const wanted = progress.pending[0] ?? this.mapping.batchSize;
      if (iterator && buffer.length < wanted) {
        try {
          iterator = await this.read(shardId, iterator, buffer);
        } catch (error) {
          if (this.running) {
            process.emitWarning(`local event source ${this.mapping.logicalId} (${shardId}): GetRecords failed: ${(error as Error).message}`);
            await delay(500);
          }
          continue;
        }
      }
      if (buffer.length === 0) {
        if (!iterator) return; // a closed shard, read to its end
        gatheringSince = undefined;
        await delay(IDLE_POLL_MS);
        continue;
      }
      gatheringSince ??= Date.now();
      const windowLeft = gatheringSince + this.mapping.maxBatchingWindowSeconds * 1000 - Date.now();
      if (buffer.length < wanted && windowLeft > 0 && progress.pending.length === 0) {
        await delay(Math.min(IDLE_POLL_MS, windowLeft));
        continue;
      }
      progress = await this.processBatch(shardId, buffer, Math.min(wanted, buffer.length), progress);
      gatheringSince = undefined;
    }
  }

  /** Appends what GetRecords returns to `buffer`; the next iterator (undefined at a closed shard's end). */
  private async read(shardId: string, iterator: string, buffer: Buffered[]): Promise<string | undefined> {
    try {
      const { Records = [], NextShardIterator } = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      buffer.push(...Records.map((record) => ({ record, arrivalMs: record.ApproximateArrivalTimestamp?.getTime() ?? Date.now() })));
      this.stats.read += Records.length;
      return NextShardIterator;
    } catch (error) {
      if ((error as Error).name !== 'ExpiredIteratorException') throw error;
      // An iterator lasts 5 minutes: a long invocation outlives it. Read on after what was read.
      const last = buffer[buffer.length - 1]?.record.SequenceNumber;
      return this.iterator(last ? { ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last } : { ShardId: shardId, ...this.startingPosition() });
    }
  }

  /** Sends the first `size` buffered records (or gives up the expired ones), applies Lambda's rules; the shard's next state. */
  private async processBatch(shardId: string, buffer: Buffered[], size: number, progress: ShardProgress): Promise<ShardProgress> {
    const expired = expiredRecords(buffer.slice(0, size).map((entry) => entry.arrivalMs), this.mapping.maximumRecordAgeSeconds, Date.now());
    if (expired > 0) {
      await this.giveUp(shardId, buffer.splice(0, expired), progress.invocations, undefined);
      return START_OF_SHARD;
    }
    const batch = buffer.slice(0, size);
    const sequenceNumbers = batch.map((entry) => entry.record.SequenceNumber!);
    this.stats.invocations++;
    const result = await this.fn.invoke(this.event(shardId, batch));
    const outcome = streamBatchOutcome(result, sequenceNumbers, this.mapping.reportBatchItemFailures);
    const step = nextStreamStep(size, outcome, { ...progress, pending: progress.pending.slice(1) }, this.mapping);
    if (outcome.kind === 'partial') this.stats.partialFailures++;
    if (outcome.kind === 'failure') this.stats.failedInvocations++;
    if (step.split) this.stats.bisections++;
    buffer.splice(0, step.checkpointed);
    this.stats.checkpointed += step.checkpointed;
    if (step.givenUp > 0) {
      await this.giveUp(shardId, buffer.splice(0, step.givenUp), step.approximateInvokeCount!, { functionError: outcome.kind === 'failure' });
    }
    return step.progress;
  }

  /** Passes `records` by: describes them in an on-failure record when the mapping has a destination. */
  private async giveUp(shardId: string, records: readonly Buffered[], approximateInvokeCount: number, lastInvocation: LastInvocation): Promise<void> {
    this.stats.givenUp += records.length;
    const destination = this.mapping.onFailure;
    if (!destination) {
      return; // Lambda discards them too
    }
    const body = JSON.stringify(kinesisOnFailureRecord({
      requestId: randomUUID(),
      functionArn: functionArn(this.fn.name),
      streamArn: this.mapping.stream.arn,
      shardId,
      records: records.map((entry) => ({ sequenceNumber: entry.record.SequenceNumber!, arrivalMs: entry.arrivalMs })),
      approximateInvokeCount,
      lastInvocation,
      nowMs: Date.now(),
    }));
    // Lambda retries a failed delivery to the destination; the shard waits for it, so nothing is passed unrecorded.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sqs.send(new SendMessageCommand({ QueueUrl: destination.url, MessageBody: body }));
        this.stats.onFailureRecords++;
        return;
      } catch (error) {
        process.emitWarning(`local event source ${this.mapping.logicalId} (${shardId}): on-failure record not sent to ${destination.url} (attempt ${attempt}): ${(error as Error).message}; record: ${body}`);
        if (!this.running) return;
        await delay(500);
      }
    }
  }

  /** Lambda's Kinesis event for records of one shard. */
  private event(shardId: string, batch: readonly Buffered[]): KinesisStreamEvent {
    return { Records: batch.map(({ record, arrivalMs }): KinesisStreamRecord => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.PartitionKey!,
        sequenceNumber: record.SequenceNumber!,
        data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: arrivalMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${record.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${this.fn.name}`,
      awsRegion: LOCAL_REGION,
      eventSourceARN: this.mapping.stream.arn,
    })) };
  }
}
