import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord, SQSRecord } from 'aws-lambda';
import type { HandlerContext } from '../consumer-options.js';
import { firstFailurePerLane, lanesByKey, type SourceBatch } from './batch.js';

const originals = new WeakMap<SQSRecord, KinesisStreamRecord>();

/** Whether `event` is a Kinesis stream event (its records carry `kinesis`). */
export function isKinesisEvent(event: unknown): event is KinesisStreamEvent {
  const records = (event as { Records?: unknown } | undefined)?.Records;
  return Array.isArray(records) && records.length > 0 && typeof records[0]?.kinesis === 'object' && records[0].kinesis !== null;
}

/**
 * A Kinesis event: one lane per shard (the stream ARN and the shard id of `eventID`), in sequence
 * number order. Per shard, the first failed record is reported by its sequence number: Lambda
 * checkpoints before it and redelivers it and everything after it (which did not start).
 */
export function kinesisBatch(event: KinesisStreamEvent): SourceBatch<KinesisStreamBatchResponse> {
  const records = event.Records.map(kinesisRecord);
  const sequence = event.Records.map((record) => BigInt(record.kinesis.sequenceNumber));
  const lanes = lanesByKey(records.length, (index) => shardOf(event.Records[index]), (a, b) => (sequence[a] < sequence[b] ? -1 : sequence[a] > sequence[b] ? 1 : 0));
  return {
    records,
    lanes,
    waitsOutLocks: true,
    respond: (outcomes) => ({
      batchItemFailures: firstFailurePerLane(lanes, outcomes).map((index) => ({ itemIdentifier: event.Records[index].kinesis.sequenceNumber })),
    }),
  };
}

/** `<stream ARN>/<shard id>`: the shard id is what precedes `:` in `eventID`. */
export function shardOf(record: KinesisStreamRecord): string {
  const colon = record.eventID.indexOf(':');
  return `${record.eventSourceARN}/${colon < 0 ? record.eventID : record.eventID.slice(0, colon)}`;
}

/**
 * The record the pipeline reads for one Kinesis record: `body` is the base64 `data` as UTF-8,
 * `messageId` the sequence number, no attributes (Kinesis records carry none: `type`, `version`
 * and `source` come from the envelope). `kinesisRecordOf(ctx)` returns the original.
 */
export function kinesisRecord(record: KinesisStreamRecord): SQSRecord {
  const arrivedMs = String(Math.round(record.kinesis.approximateArrivalTimestamp * 1000));
  const sqs: SQSRecord = {
    messageId: record.kinesis.sequenceNumber,
    receiptHandle: record.eventID,
    body: Buffer.from(record.kinesis.data, 'base64').toString('utf8'),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: arrivedMs, SenderId: '', ApproximateFirstReceiveTimestamp: arrivedMs },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: record.eventSource,
    eventSourceARN: record.eventSourceARN,
    awsRegion: record.awsRegion,
  };
  originals.set(sqs, record);
  return sqs;
}

/** The Kinesis record (stream ARN, shard in `eventID`, partition key, sequence number) a handler's record came from; undefined for other sources. */
export function kinesisRecordOf(source: Pick<HandlerContext, 'record'> | SQSRecord): KinesisStreamRecord | undefined {
  return originals.get('record' in source ? source.record : source);
}
