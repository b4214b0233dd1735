import { randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { createEnvelope, type Envelope } from '@cdk-fanout/runtime';

export const STANDARD_QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:orders-billing';
export const FIFO_QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:orders-billing.fifo';

/** An envelope of `type` with test defaults. */
export function envelope<T>(type: string, data: T, overrides: Partial<Envelope<T>> = {}): Envelope<T> {
  return { ...createEnvelope({ type, data, source: 'order-service' }), ...overrides };
}

/** An SQS record as Lambda delivers it, with a raw body. */
export function sqsRecord(body: string | Envelope, options: {
  readonly messageId?: string;
  readonly messageAttributes?: SQSMessageAttributes;
  readonly groupId?: string;
  readonly deduplicationId?: string;
} = {}): SQSRecord {
  const fifo = options.groupId !== undefined;
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: `receipt-${randomUUID()}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDATEST',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      ...(fifo ? { MessageGroupId: options.groupId, MessageDeduplicationId: options.deduplicationId ?? randomUUID(), SequenceNumber: '1' } : {}),
    },
    messageAttributes: options.messageAttributes ?? {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: fifo ? FIFO_QUEUE_ARN : STANDARD_QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

/** The attributes the Publisher sets, as Lambda shows them under raw delivery. */
export function publisherAttributes(envelope: Envelope): SQSMessageAttributes {
  const attribute = (value: string) => ({ dataType: 'String', stringValue: value, stringListValues: [], binaryListValues: [] });
  return { type: attribute(envelope.type), version: attribute(envelope.version), source: attribute(envelope.source) };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** An SQS record built from a message received from a real (emulated) queue, as Lambda would deliver it. */
export function recordFromMessage(message: Message, queueArn: string): SQSRecord {
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.MessageId ?? randomUUID(),
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: message.Attributes as unknown as SQSRecord['attributes'],
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

/** A Lambda context with a fixed remaining time. */
export function lambdaContext(remainingMs = 60_000) {
  return { getRemainingTimeInMillis: () => remainingMs, awsRequestId: randomUUID() };
}
