import { createHash } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { createEnvelope } from '@cdk-fanout/runtime';
import { FAILING_ORDER_PREFIX, ORDER_CREATED, type OrderCreated } from './handlers/order';

/** The batch sizes measured: Lambda's SQS default (10) and a large batch (100). */
export const BATCH_SIZES = [10, 100] as const;

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:bench-orders';
const SENT_AT = Date.UTC(2026, 10, 27, 10, 0, 0);

/** Numbers every record of the process, so no two batches ever carry the same envelope id by accident. */
let sequence = 0;

/**
 * SQS events as Lambda delivers them from a raw-delivery subscription of a cdk-fanout topic:
 * the envelope as the body, the publisher's `type`/`version`/`source` attributes. Both runtimes
 * get the very same objects. Every call makes new envelope ids, so each batch is fresh work;
 * send the same event again to deliver duplicates. With `failing`, the handler rejects every
 * order (a retryable error).
 */
export function orderBatch(size: number, options: { readonly failing?: boolean } = {}): SQSEvent {
  return { Records: Array.from({ length: size }, () => orderRecord(options.failing ?? false)) };
}

/** Enough batches of `batchSize` new orders to hold at least `records` records. */
export function orderBatches(batchSize: number, records: number): SQSEvent[] {
  return Array.from({ length: Math.ceil(records / batchSize) }, () => orderBatch(batchSize));
}

function orderRecord(failing: boolean): SQSRecord {
  const n = ++sequence;
  const suffix = n.toString(16).padStart(12, '0');
  const order: OrderCreated = {
    orderId: `${failing ? FAILING_ORDER_PREFIX : ''}o-${n}`,
    customerId: `c-${n % 997}`,
    currency: 'EUR',
    items: [
      { sku: 'sku-1', quantity: 2, unitPrice: 12.5 },
      { sku: 'sku-2', quantity: 1, unitPrice: 99.99 },
    ],
  };
  const envelope = createEnvelope({
    id: `0b8e4b1e-6a54-4c6c-9d0e-${suffix}`,
    type: ORDER_CREATED,
    source: 'order-service',
    correlationId: `req-${n}`,
    timestamp: new Date(SENT_AT + n).toISOString(),
    data: order,
  });
  const body = JSON.stringify(envelope);
  const sent = String(SENT_AT + n);
  return {
    messageId: `5f3c1a7b-0000-4000-8000-${suffix}`,
    receiptHandle: `AQEB${createHash('sha256').update(suffix).digest('base64')}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: sent,
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: sent,
    },
    messageAttributes: {
      type: stringAttribute(envelope.type),
      version: stringAttribute(envelope.version),
      source: stringAttribute(envelope.source),
    },
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

function stringAttribute(value: string): SQSRecord['messageAttributes'][string] {
  return { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' };
}

/** A Lambda context with a minute left, the same for both runtimes (both size their in-progress lock from it). */
export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'bench-consumer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench-consumer',
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/bench-consumer',
    logStreamName: '2026/11/27/[$LATEST]bench',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
