import { createHash } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { SQSRecord } from 'aws-lambda';
import type { HandlerContext } from '../consumer-options.js';
import { rabbitMqHeaderAttributes } from './header-attributes.js';

/** `eventSource` of a record made from an AMQP message. */
export const AMQP_EVENT_SOURCE = 'amqp';

const originals = new WeakMap<SQSRecord, ConsumeMessage>();

/**
 * The record the consumer pipeline reads (the shape of an SQS record) for one AMQP message, so
 * `createConsumer`'s handlers run unchanged. Nothing is lost: `amqpMessageOf(ctx)` returns the
 * message itself (content bytes, every property and header, routing key, exchange, delivery tag).
 *
 * | record field | from the AMQP message |
 * |---|---|
 * | `body` | the content as UTF-8 (the caller has checked it decodes) |
 * | `messageId` | the `message-id` property (the envelope id, as `RabbitMqPublisher` sets it), else `amqp-delivery-<delivery tag>` |
 * | `receiptHandle` | the delivery tag |
 * | `messageAttributes` | the headers, by `rabbitMqHeaderAttributes`'s rule (the same as Lambda's RabbitMQ event path): text as `String`, bytes not UTF-8 as `Binary`; the broker's `x-…` headers and tables, arrays, timestamps only through `amqpMessageOf` |
 * | `attributes.ApproximateReceiveCount` | the quorum queue's `x-delivery-count` header plus one; else 2 when redelivered, 1 when not |
 * | `attributes.SentTimestamp` | the `timestamp` property (seconds) in milliseconds, else the time of delivery |
 * | `attributes.SenderId` | the `user-id` property, else `app-id`, else empty |
 * | `eventSource` / `eventSourceARN` | `amqp` / `amqp:queue/<queue>` |
 */
export function amqpRecord(message: ConsumeMessage, body: string, queue: string, receivedAtMs: number): SQSRecord {
  const { properties, fields } = message;
  const deliveryCount = Number(properties.headers?.['x-delivery-count']);
  const receiveCount = Number.isInteger(deliveryCount) && deliveryCount >= 0 ? deliveryCount + 1 : fields.redelivered ? 2 : 1;
  const sent = typeof properties.timestamp === 'number' && Number.isFinite(properties.timestamp) ? properties.timestamp * 1000 : receivedAtMs;
  const record: SQSRecord = {
    messageId: typeof properties.messageId === 'string' && properties.messageId !== '' ? properties.messageId : `amqp-delivery-${fields.deliveryTag}`,
    receiptHandle: String(fields.deliveryTag),
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(sent),
      SenderId: stringOr(properties.userId) ?? stringOr(properties.appId) ?? '',
      ApproximateFirstReceiveTimestamp: String(receivedAtMs),
    },
    messageAttributes: rabbitMqHeaderAttributes(properties.headers),
    md5OfBody: createHash('md5').update(body, 'utf8').digest('hex'),
    eventSource: AMQP_EVENT_SOURCE,
    // Never ends in `.fifo`: the pipeline orders by message group only for SQS FIFO queues.
    eventSourceARN: `amqp:queue/${queue}`,
    awsRegion: '',
  };
  originals.set(record, message);
  return record;
}

/**
 * The AMQP message a handler's record was made from (`consumeRabbitMq` only): content, every
 * property and header, `fields.routingKey`, `fields.exchange`, `fields.redelivered`. Undefined for
 * a record that did not come from RabbitMQ.
 */
export function amqpMessageOf(source: Pick<HandlerContext, 'record'> | SQSRecord): ConsumeMessage | undefined {
  const record = 'record' in source ? source.record : source;
  return originals.get(record);
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
