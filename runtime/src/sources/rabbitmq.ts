import type { SQSRecord } from 'aws-lambda';
import type { HandlerContext } from '../consumer-options.js';
import type { Outcome } from '../outcome.js';
import { rabbitMqHeaderAttributes } from '../rabbitmq/header-attributes.js';
import type { SourceBatch } from './batch.js';

/** One message of Lambda's Amazon MQ for RabbitMQ event. */
export interface RabbitMqEventMessage {
  readonly basicProperties: {
    readonly contentType?: string | null;
    readonly messageId?: string | null;
    readonly userId?: string | null;
    readonly appId?: string | null;
    readonly timestamp?: string | null;
    /** A string header arrives as `{ bytes: number[] }`; numbers and booleans as themselves. */
    readonly headers?: Readonly<Record<string, unknown>> | null;
    readonly [property: string]: unknown;
  };
  readonly redelivered: boolean;
  /** The body, base64. */
  readonly data: string;
}

/** Lambda's event for an Amazon MQ for RabbitMQ event source mapping. */
export interface RabbitMqEvent {
  readonly eventSource: 'aws:rmq';
  readonly eventSourceArn: string;
  /** Keyed by `<queue>::<virtual host>`. */
  readonly rmqMessagesByQueue: Readonly<Record<string, readonly RabbitMqEventMessage[]>>;
}

/** Thrown when a record of a RabbitMQ batch must be retried: the mapping has no partial batch response, so the broker redelivers the whole batch. */
export class RabbitMqBatchRetryError extends Error {
  constructor(readonly failed: number, readonly total: number, readonly causes: readonly string[]) {
    super(`${failed} of ${total} RabbitMQ messages failed (${causes.join(', ')}): the invocation fails so the broker redelivers the batch; the records processed now are duplicates then`);
    this.name = 'RabbitMqBatchRetryError';
  }
}

const originals = new WeakMap<SQSRecord, { readonly message: RabbitMqEventMessage; readonly queue: string }>();

export function isRabbitMqEvent(event: unknown): event is RabbitMqEvent {
  const candidate = event as Partial<RabbitMqEvent> | undefined;
  return candidate?.eventSource === 'aws:rmq' && typeof candidate.rmqMessagesByQueue === 'object' && candidate.rmqMessagesByQueue !== null;
}

/**
 * A RabbitMQ event: every message its own lane (a batch has no partial response, so nothing is
 * gained by stopping at a failure). Returns nothing when every record ended (processed, duplicate,
 * skipped, poison in the DLQ); throws `RabbitMqBatchRetryError` when any must be retried.
 */
export function rabbitMqBatch(event: RabbitMqEvent): SourceBatch<void> {
  const records: SQSRecord[] = [];
  for (const [queue, messages] of Object.entries(event.rmqMessagesByQueue)) {
    messages.forEach((message, index) => records.push(rabbitMqRecord(message, queue, index, event.eventSourceArn)));
  }
  return {
    records,
    lanes: records.map((_, index) => [index]),
    waitsOutLocks: true,
    respond: (outcomes: readonly Outcome[]) => {
      const causes = outcomes.flatMap((outcome) => (outcome.kind === 'failed' ? [outcome.cause] : []));
      if (causes.length > 0) throw new RabbitMqBatchRetryError(causes.length, outcomes.length, [...new Set(causes)]);
    },
  };
}

/**
 * The record the pipeline reads for one RabbitMQ message: `body` the base64 `data` as UTF-8,
 * `messageId` the `messageId` property (the envelope id, as `RabbitMqPublisher` sets it) or
 * `<queue>#<index>`, `messageAttributes` the headers by `rabbitMqHeaderAttributes`'s rule (the
 * same as `consumeRabbitMq`'s). `rabbitMqMessageOf(ctx)` returns the original.
 */
export function rabbitMqRecord(message: RabbitMqEventMessage, queue: string, index: number, eventSourceArn: string): SQSRecord {
  const properties = message.basicProperties ?? {};
  const now = String(Date.now());
  const messageId = typeof properties.messageId === 'string' && properties.messageId !== '' ? properties.messageId : `${queue}#${index}`;
  const record: SQSRecord = {
    messageId,
    receiptHandle: `${queue}#${index}`,
    body: Buffer.from(message.data ?? '', 'base64').toString('utf8'),
    attributes: {
      ApproximateReceiveCount: message.redelivered ? '2' : '1',
      SentTimestamp: now,
      SenderId: (typeof properties.userId === 'string' && properties.userId) || (typeof properties.appId === 'string' && properties.appId) || '',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: rabbitMqHeaderAttributes(properties.headers),
    md5OfBody: '',
    eventSource: 'aws:rmq',
    eventSourceARN: eventSourceArn,
    awsRegion: '',
  };
  originals.set(record, { message, queue });
  return record;
}

/** The RabbitMQ message (all its basic properties, `redelivered`) and its `<queue>::<vhost>` a handler's record came from; undefined for other sources. */
export function rabbitMqMessageOf(source: Pick<HandlerContext, 'record'> | SQSRecord): { readonly message: RabbitMqEventMessage; readonly queue: string } | undefined {
  return originals.get('record' in source ? source.record : source);
}
