import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { HandlerContext } from '../consumer-options.js';
import { firstFailurePerLane, lanesByKey, type SourceBatch } from './batch.js';

/** One record of Lambda's Kafka event (Amazon MSK and self-managed Kafka share it). */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType?: string;
  /** Base64; absent or null for a record without a key. */
  readonly key?: string | null;
  /** Base64; absent or null for a tombstone. */
  readonly value?: string | null;
  /** Each entry one header: its name and its value's bytes. */
  readonly headers?: readonly Readonly<Record<string, readonly number[]>>[];
}

/** Lambda's event for an MSK (`aws:kafka`) or self-managed Kafka (`SelfManagedKafka`) event source mapping. */
export interface KafkaEvent {
  readonly eventSource: 'aws:kafka' | 'SelfManagedKafka';
  readonly eventSourceArn?: string;
  readonly bootstrapServers?: string;
  /** Keyed by `<topic>-<partition>`. */
  readonly records: Readonly<Record<string, readonly KafkaRecord[]>>;
}

/** A failed Kafka record as Lambda's partial batch response names it (provisioned mode, `ReportBatchItemFailures`). */
export interface KafkaBatchItemFailure {
  readonly itemIdentifier: { readonly partition: string; readonly offset: number };
}

export interface KafkaBatchResponse {
  readonly batchItemFailures: KafkaBatchItemFailure[];
}

const originals = new WeakMap<SQSRecord, KafkaRecord>();

export function isKafkaEvent(event: unknown): event is KafkaEvent {
  const candidate = event as Partial<KafkaEvent> | undefined;
  return (candidate?.eventSource === 'aws:kafka' || candidate?.eventSource === 'SelfManagedKafka')
    && typeof candidate.records === 'object' && candidate.records !== null;
}

/**
 * A Kafka event: one lane per topic-partition, in offset order. Per partition, the first failed
 * record is reported as `{ partition: '<topic>-<partition>', offset }`: Lambda commits the offsets
 * before it and redelivers from it (the later records of that partition did not start).
 */
export function kafkaBatch(event: KafkaEvent): SourceBatch<KafkaBatchResponse> {
  const originalsInOrder = Object.values(event.records).flat();
  const arn = event.eventSourceArn ?? `kafka://${event.bootstrapServers ?? ''}`;
  const records = originalsInOrder.map((record) => kafkaRecord(record, event.eventSource, arn));
  const lanes = lanesByKey(records.length, (index) => partitionOf(originalsInOrder[index]), (a, b) => originalsInOrder[a].offset - originalsInOrder[b].offset);
  return {
    records,
    lanes,
    waitsOutLocks: true,
    respond: (outcomes) => ({
      batchItemFailures: firstFailurePerLane(lanes, outcomes).map((index) => ({
        itemIdentifier: { partition: partitionOf(originalsInOrder[index]), offset: originalsInOrder[index].offset },
      })),
    }),
  };
}

/** `<topic>-<partition>`, as Lambda keys the event's records. */
export function partitionOf(record: Pick<KafkaRecord, 'topic' | 'partition'>): string {
  return `${record.topic}-${record.partition}`;
}

/**
 * The record the pipeline reads for one Kafka record: `body` is the base64 `value` as UTF-8 (the
 * envelope), `messageId` `<topic>-<partition>@<offset>`, `messageAttributes` the headers decoded as
 * UTF-8 strings (`type`, `version`, `source`, …). `kafkaRecordOf(ctx)` returns the original (key included).
 */
export function kafkaRecord(record: KafkaRecord, eventSource: string, eventSourceArn: string): SQSRecord {
  const timestamp = String(record.timestamp);
  const sqs: SQSRecord = {
    messageId: `${partitionOf(record)}@${record.offset}`,
    receiptHandle: `${partitionOf(record)}@${record.offset}`,
    body: Buffer.from(record.value ?? '', 'base64').toString('utf8'),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: timestamp, SenderId: '', ApproximateFirstReceiveTimestamp: timestamp },
    messageAttributes: kafkaHeaderAttributes(record.headers),
    md5OfBody: '',
    eventSource,
    eventSourceARN: eventSourceArn,
    awsRegion: '',
  };
  originals.set(sqs, record);
  return sqs;
}

/** Kafka headers (byte arrays) as string message attributes; a repeated header keeps its last value. */
export function kafkaHeaderAttributes(headers: KafkaRecord['headers']): SQSMessageAttributes {
  const attributes: SQSMessageAttributes = {};
  for (const header of headers ?? []) {
    for (const [name, bytes] of Object.entries(header)) {
      attributes[name] = { dataType: 'String', stringValue: Buffer.from(bytes).toString('utf8'), stringListValues: [], binaryListValues: [] };
    }
  }
  return attributes;
}

/** The Kafka record (topic, partition, offset, key, headers) a handler's record came from; undefined for other sources. */
export function kafkaRecordOf(source: Pick<HandlerContext, 'record'> | SQSRecord): KafkaRecord | undefined {
  return originals.get('record' in source ? source.record : source);
}
