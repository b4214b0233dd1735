/*
 * The Publisher against fauxqs (a topic subscribed to queues), and the way back: what it
 * published, received from raw and SNS-wrapped subscriptions, through a consumer with zod and
 * valibot schemas.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as v from 'valibot';
import { z } from 'zod';
import { createConsumer, parseEnvelope, Publisher } from '@cdk-fanout/runtime';
import { MAX_MESSAGE_BYTES, chunkIndexes } from '../../runtime/src/publisher';
import {
  captureLogs, countRequests, createQueue, drainQueue, lambdaContext, recordFromMessage, snsClient, sqsClient, sqsEvent, topicWithQueues,
} from '@cdk-fanout/testing';

let sns: SNSClient;
let sqs: SQSClient;

beforeAll(() => {
  sns = snsClient();
  sqs = sqsClient();
});
afterAll(() => {
  sns.destroy();
  sqs.destroy();
});

/** A topic with one raw and one SNS-wrapped (non-raw) subscription. */
async function fanOut(fifo = false) {
  const { topicArn, queues } = await topicWithQueues(sns, sqs, 'orders', fifo, { raw: { fifo }, wrapped: { fifo, raw: false } });
  return { topicArn, ...queues };
}

describe('Publisher', () => {
  test('publish: the envelope as body, type/version/source attributes', async () => {
    const { topicArn, raw } = await fanOut();
    const publisher = new Publisher({ topicArn, source: 'order-service', client: sns });

    const result = await publisher.publish('order.created', { orderId: 'o-1' }, { correlationId: 'c-1' });

    const [message] = await drainQueue(sqs, raw.url);
    const body = JSON.parse(message.Body!);
    expect(body).toEqual(result.envelope);
    expect(parseEnvelope(message.Body)).toEqual(result.envelope);
    expect(body).toMatchObject({ type: 'order.created', version: '1', source: 'order-service', correlationId: 'c-1', data: { orderId: 'o-1' } });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    expect(result.messageId).not.toBe('');
    expect(message.MessageAttributes?.type?.StringValue).toBe('order.created');
    expect(message.MessageAttributes?.version?.StringValue).toBe('1');
    expect(message.MessageAttributes?.source?.StringValue).toBe('order-service');
  });

  test('publishBatch: chunks of 10, a result per entry in order', async () => {
    const { topicArn, raw } = await fanOut();
    const client = snsClient();
    const requests = countRequests(client);
    const publisher = new Publisher({ topicArn, source: 'order-service', client });

    const results = await publisher.publishBatch(Array.from({ length: 23 }, (_, i) => ({ type: 'order.created', data: { orderId: `o-${i}` } })));

    expect(requests.of('PublishBatchCommand')).toBe(3);
    expect(results.map((result) => result.ok && (result.envelope.data as { orderId: string }).orderId)).toEqual(Array.from({ length: 23 }, (_, i) => `o-${i}`));
    const received = await drainQueue(sqs, raw.url);
    expect(received.map((message) => JSON.parse(message.Body!).data.orderId).sort()).toEqual(Array.from({ length: 23 }, (_, i) => `o-${i}`).sort());
    client.destroy();
  });

  test('publishBatch retries the entries SNS failed on its side, and only those', async () => {
    const { topicArn, raw } = await fanOut();
    const client = snsClient();
    const sent: number[] = [];
    // Fault injection: the first call's response reports entry 1 failed (server side) although it was not sent.
    let first = true;
    client.middlewareStack.add((next, context) => async (args) => {
      const input = (args.input as { PublishBatchRequestEntries: { Id: string }[] });
      sent.push(input.PublishBatchRequestEntries.length);
      if (context.commandName !== 'PublishBatchCommand' || !first) return next(args);
      first = false;
      const entries = input.PublishBatchRequestEntries;
      const result = await next({ ...args, input: { ...input, PublishBatchRequestEntries: entries.filter((entry) => entry.Id !== '1') } });
      const output = result.output as { Failed?: unknown[] };
      output.Failed = [{ Id: '1', Code: 'InternalError', Message: 'injected', SenderFault: false }];
      return result;
    }, { step: 'initialize', name: 'partialFailure' });
    const publisher = new Publisher({ topicArn, source: 'order-service', client, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch([0, 1, 2].map((i) => ({ type: 'order.created', data: { orderId: `o-${i}` } })));

    expect(sent).toEqual([3, 1]);
    expect(results.every((result) => result.ok)).toBe(true);
    expect((await drainQueue(sqs, raw.url)).map((message) => JSON.parse(message.Body!).data.orderId).sort()).toEqual(['o-0', 'o-1', 'o-2']);
    client.destroy();
  });

  test('publishBatch gives up after maxAttempts and reports the entry failed', async () => {
    const { topicArn } = await fanOut();
    const client = snsClient();
    let calls = 0;
    client.middlewareStack.add(() => async () => {
      calls++;
      return { output: { $metadata: {}, Successful: [], Failed: [{ Id: '0', Code: 'InternalError', Message: 'always', SenderFault: false }] }, response: {} };
    }, { step: 'initialize', name: 'alwaysFails' });
    const publisher = new Publisher({ topicArn, source: 'order-service', client, maxAttempts: 2, retryBaseDelayMs: 1 });

    const [result] = await publisher.publishBatch([{ type: 'order.created', data: {} }]);

    expect(calls).toBe(2);
    expect(result).toMatchObject({ ok: false, error: { code: 'InternalError', message: 'always', senderFault: false } });
    client.destroy();
  });

  test('refuses an envelope over 256 KiB, naming its size and the limit, and sends nothing', async () => {
    const client = snsClient();
    const requests = countRequests(client);
    const publisher = new Publisher({ topicArn: 'arn:aws:sns:us-east-1:000000000000:orders', source: 'order-service', client });
    const big = { blob: 'x'.repeat(MAX_MESSAGE_BYTES) };

    await expect(publisher.publish('order.created', big)).rejects.toThrow(/is 262\d{3} bytes with its attributes, over the SNS\/SQS limit of 262144 bytes \(256 KiB\)/);
    await expect(publisher.publishBatch<unknown>([{ type: 'order.created', data: {} }, { type: 'order.created', data: big }])).rejects.toThrow(/publishBatch entry 1: .* over the SNS\/SQS limit of 262144 bytes/);
    expect(requests.total()).toBe(0);
    client.destroy();
  });

  test('batches are also cut at 256 KiB in total', () => {
    expect(chunkIndexes([100_000, 100_000, 100_000, 10, 10])).toEqual([[0, 1], [2, 3, 4]]);
    expect(chunkIndexes(Array(12).fill(1))).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11]]);
  });

  test('FIFO topic: group id required with a clear error; dedup id defaults to the envelope id', async () => {
    const { topicArn, raw } = await fanOut(true);
    const publisher = new Publisher({ topicArn, source: 'order-service', client: sns });

    await expect(publisher.publish('order.created', { orderId: 'o-1' })).rejects.toThrow(/FIFO topic, so messageGroupId is required/);
    const first = await publisher.publish('order.created', { orderId: 'o-1' }, { messageGroupId: 'customer-1' });
    // Same envelope id again: SNS's deduplication drops it.
    await publisher.publish('order.created', { orderId: 'o-1' }, { messageGroupId: 'customer-1', id: first.envelope.id });
    await publisher.publishBatch([
      { type: 'order.created', data: { orderId: 'o-2' }, messageGroupId: 'customer-1' },
      { type: 'order.created', data: { orderId: 'o-3' }, messageGroupId: 'customer-1', messageDeduplicationId: 'explicit' },
    ]);

    const received = await drainQueue(sqs, raw.url);
    expect(received.map((message) => JSON.parse(message.Body!).data.orderId)).toEqual(['o-1', 'o-2', 'o-3']);
    expect(received.map((message) => message.Attributes?.MessageGroupId)).toEqual(['customer-1', 'customer-1', 'customer-1']);
    expect(received[0].Attributes?.MessageDeduplicationId).toBe(first.envelope.id);
    expect(received[2].Attributes?.MessageDeduplicationId).toBe('explicit');
  });

  test('refuses an invalid envelope before sending', async () => {
    const publisher = new Publisher({ topicArn: 'arn:aws:sns:us-east-1:000000000000:orders', source: 'order-service', client: sns });
    await expect(publisher.publish('OrderCreated', {})).rejects.toThrow(/type must be lowercase noun.verb/);
  });
});

describe('published, delivered, consumed', () => {
  const ZodOrder = z.object({ orderId: z.string(), amount: z.number() });
  const ValibotRefund = v.object({ orderId: v.string(), reason: v.picklist(['damaged', 'late']) });

  test.each(['raw', 'wrapped'] as const)('%s subscription: zod and valibot schemas validate, attributes reach ctx, bad data is poison', async (delivery) => {
    const topology = await fanOut();
    const queue = topology[delivery];
    const dlq = await createQueue(sqs, 'dlq');
    const publisher = new Publisher({ topicArn: topology.topicArn, source: 'order-service', client: sns });
    await publisher.publishBatch([
      { type: 'order.created', data: { orderId: 'o-1', amount: 12.5 } },
      { type: 'order.refunded', data: { orderId: 'o-1', reason: 'late' } },
      { type: 'order.refunded', data: { orderId: 'o-1', reason: 'changed my mind' } },
    ]);
    const seen: unknown[] = [];
    const handler = createConsumer({
      idempotency: false,
      deadLetterQueueUrl: dlq.url,
      sqsClient: sqs,
      logger: captureLogs().logger,
      handlers: {
        'order.created': { schema: ZodOrder, handle: (order, ctx) => { seen.push({ amount: order.amount, source: ctx.attributes.source }); } },
        'order.refunded': { schema: ValibotRefund, handle: (refund, ctx) => { seen.push({ reason: refund.reason, type: ctx.attributes.type }); } },
      },
    });
    const records = (await drainQueue(sqs, queue.url)).map((message) => recordFromMessage(message, queue.arn));
    if (delivery === 'wrapped') expect(JSON.parse(records[0].body).Type).toBe('Notification');

    const response = await handler(sqsEvent(...records), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(seen).toEqual(expect.arrayContaining([{ amount: 12.5, source: 'order-service' }, { reason: 'late', type: 'order.refunded' }]));
    expect(seen).toHaveLength(2);
    const [dead] = await drainQueue(sqs, dlq.url);
    expect(dead.MessageAttributes?.['fanout.reason']?.StringValue).toBe('schema');
    expect(dead.MessageAttributes?.['fanout.error']?.StringValue).toMatch(/^data of order.refunded version 1 failed its schema: reason: /);
  });
});
