/*
 * The processing semantics (docs/ARCHITECTURE.md), row by row, against DynamoDB Local and a fauxqs DLQ, in both
 * idempotency modes (batched and per record: for one record they send the same requests). DynamoDB requests are
 * counted per record with a middleware on a real client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { createConsumer, PoisonMessageError, type CreateConsumerOptions, type HandlerContext } from '@cdk-fanout/runtime';
import { dynamoDbClient, sqsClient } from '@cdk-fanout/testing';
import { captureLogs, countRequests, createIdempotencyTable, createQueue, failRequests, gate, getItem, drainQueue } from '@cdk-fanout/testing';
import { envelope, lambdaContext, publisherAttributes, sqsEvent, sqsRecord } from '@cdk-fanout/testing';
import { setTimeout as delay } from 'node:timers/promises';
import { IDEMPOTENCY_MODES } from './support/idempotency-modes';

const OrderCreated = z.object({ orderId: z.string(), amount: z.number() });
const CONSUMER = 'billing';

let table: string;
let sqs: SQSClient;
let inspect: DynamoDBClient;

beforeAll(async () => {
  inspect = dynamoDbClient();
  table = await createIdempotencyTable(inspect);
  sqs = sqsClient();
});

afterAll(() => {
  inspect.destroy();
  sqs.destroy();
});

describe.each(IDEMPOTENCY_MODES)('%s', (_modeName, mode) => {
  /** A consumer like a deployed one: its own DynamoDB client (counted), a fresh DLQ, captured logs. */
  async function setUp({ handle, ...options }: Omit<CreateConsumerOptions, 'handlers'> & { handle?: (data: z.infer<typeof OrderCreated>, ctx: HandlerContext) => unknown } = {}) {
    const client = dynamoDbClient();
    const requests = countRequests(client);
    const dlq = await createQueue(sqs, 'billing-dlq');
    const logs = captureLogs();
    const effects: string[] = [];
    const handler = createConsumer({
      consumerName: CONSUMER,
      idempotency: { tableName: table, client, ...mode },
      deadLetterQueueUrl: dlq.url,
      sqsClient: sqs,
      logger: logs.logger,
      handlers: {
        'order.created': {
          schema: OrderCreated,
          handle: async (data, ctx) => {
            await handle?.(data, ctx);
            effects.push(data.orderId);
          },
        },
      },
      ...options,
    });
    return { handler, client, requests, dlq, logs, effects, deadLetters: () => drainQueue(sqs, dlq.url) };
  }

  const order = (orderId = 'o-1', amount = 12.5) => envelope('order.created', { orderId, amount });

  describe('processing semantics', () => {
    test('new message, handler succeeds: processed once, record COMPLETED until its TTL, 2 requests', async () => {
      const { handler, requests, effects } = await setUp();
      const message = order();
      const before = Math.floor(Date.now() / 1000);

      const response = await handler(sqsEvent(sqsRecord(message)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(effects).toEqual(['o-1']);
      expect(requests.of('PutItemCommand')).toBe(1);
      expect(requests.of('UpdateItemCommand')).toBe(1);
      expect(requests.total()).toBe(2);
      const item = await getItem(inspect, table, `${CONSUMER}#${message.id}`);
      expect(item?.status?.S).toBe('COMPLETED');
      expect(item?.lockUntil).toBeUndefined();
      expect(Number(item?.expiresAt?.N)).toBeGreaterThanOrEqual(before + 86_400);
      expect(item?.payloadHash?.S).toMatch(/^[0-9a-f]{64}$/);
    });

    test('same id again, COMPLETED, same payload: skipped, reported success, 1 request', async () => {
      const { handler, requests, effects, logs } = await setUp();
      const message = order();
      await handler(sqsEvent(sqsRecord(message)), lambdaContext());
      requests.reset();

      // A producer retry: same id and data, new timestamp: the payload hash ignores the timestamp.
      const again = { ...message, timestamp: new Date(Date.now() + 5000).toISOString() };
      const response = await handler(sqsEvent(sqsRecord(again)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(effects).toEqual(['o-1']);
      expect(requests.total()).toBe(1);
      expect(logs.lines.find((line) => line.message === 'batch done' && line.fields.duplicates === 1)).toBeDefined();
    });

    test('same id, different payload: poison idempotency-conflict, 1 request', async () => {
      const { handler, requests, effects, deadLetters } = await setUp();
      const message = order('o-1', 10);
      await handler(sqsEvent(sqsRecord(message)), lambdaContext());
      requests.reset();

      const reused = { ...message, data: { orderId: 'o-1', amount: 99 } };
      const response = await handler(sqsEvent(sqsRecord(reused)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(effects).toEqual(['o-1']);
      expect(requests.total()).toBe(1);
      const [dead] = await deadLetters();
      expect(dead.MessageAttributes?.['fanout.reason']?.StringValue).toBe('idempotency-conflict');
      expect(JSON.parse(dead.Body!).data.amount).toBe(99);
    });

    test('same id IN_PROGRESS elsewhere, lock not expired: batch item failure, 1 request', async () => {
      const held = gate();
      const first = await setUp({ handle: () => held.promise });
      const second = await setUp();
      const message = order();
      const record = sqsRecord(message);

      const running = first.handler(sqsEvent(record), lambdaContext());
      await waitFor(async () => (await getItem(inspect, table, `${CONSUMER}#${message.id}`))?.status?.S === 'IN_PROGRESS');
      const response = await second.handler(sqsEvent(sqsRecord(message, { messageId: 'duplicate-delivery' })), lambdaContext());
      held.open();
      await running;

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'duplicate-delivery' }]);
      expect(second.requests.total()).toBe(1);
      expect(second.effects).toEqual([]);
      expect(first.effects).toEqual(['o-1']);
    });

    test('handler throws: claim released, batch item failure, 2 requests; the retry processes it', async () => {
      let attempts = 0;
      const { handler, requests, effects, logs } = await setUp({
        handle: () => {
          if (++attempts === 1) throw new Error('payment service unavailable');
        },
      });
      const message = order();
      const record = sqsRecord(message);

      const response = await handler(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(requests.of('PutItemCommand')).toBe(1);
      expect(requests.of('DeleteItemCommand')).toBe(1);
      expect(requests.total()).toBe(2);
      expect(await getItem(inspect, table, `${CONSUMER}#${message.id}`)).toBeUndefined();
      expect(logs.lines.find((line) => line.level === 'ERROR' && line.fields.cause === 'handler-error')?.fields).toMatchObject({ messageId: record.messageId, envelopeId: message.id, type: 'order.created' });

      const retry = await handler(sqsEvent(record), lambdaContext());
      expect(retry.batchItemFailures).toEqual([]);
      expect(effects).toEqual(['o-1']);
    });

    test('handler throws a non-retryable error: poison to the DLQ, claim released, 2 requests', async () => {
      const { handler, requests, deadLetters } = await setUp({
        handle: () => {
          throw new PoisonMessageError('non-retryable', 'order o-1 does not exist');
        },
      });
      const message = order();
      const record = sqsRecord(message, { messageAttributes: publisherAttributes(message) });

      const response = await handler(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(requests.total()).toBe(2);
      // Released, so a redrive after the fix processes it rather than calling it a duplicate.
      expect(await getItem(inspect, table, `${CONSUMER}#${message.id}`)).toBeUndefined();
      const [dead] = await deadLetters();
      expect(dead.Body).toBe(record.body);
      expect(dead.MessageAttributes?.['fanout.reason']?.StringValue).toBe('non-retryable');
      expect(dead.MessageAttributes?.['fanout.error']?.StringValue).toBe('order o-1 does not exist');
      expect(dead.MessageAttributes?.type?.StringValue).toBe('order.created');
      expect(dead.MessageAttributes?.source?.StringValue).toBe('order-service');
    });

    test.each([
      ['body not JSON', () => '{"id": "x",', 'malformed-json', /not JSON/],
      ['envelope invalid', () => JSON.stringify({ ...order(), type: 'OrderCreated' }), 'invalid-envelope', /type must be/],
      ['schema fails', () => JSON.stringify(order('o-1', 'twelve' as unknown as number)), 'schema', /amount/],
      ['unknown version', () => JSON.stringify({ ...order(), version: '2' }), 'unsupported-version', /version "2"/],
    ])('%s: poison to the DLQ, 0 requests', async (_situation, body, reason, error) => {
      const { handler, requests, effects, deadLetters } = await setUp();
      const record = sqsRecord(body());

      const response = await handler(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(effects).toEqual([]);
      expect(requests.total()).toBe(0);
      const dead = await deadLetters();
      expect(dead).toHaveLength(1);
      expect(dead[0].Body).toBe(record.body);
      expect(dead[0].MessageAttributes?.['fanout.reason']?.StringValue).toBe(reason);
      expect(dead[0].MessageAttributes?.['fanout.error']?.StringValue).toMatch(error);
    });

    test('type with no handler: poison by default, 0 requests', async () => {
      const { handler, requests, deadLetters } = await setUp();

      const response = await handler(sqsEvent(sqsRecord(envelope('order.shipped', {}))), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(requests.total()).toBe(0);
      const [dead] = await deadLetters();
      expect(dead.MessageAttributes?.['fanout.reason']?.StringValue).toBe('unknown-type');
    });

    test("type with no handler under unknownType 'skip': reported success, nothing sent, 0 requests", async () => {
      const { handler, requests, deadLetters, logs } = await setUp({ unknownType: 'skip' });

      const response = await handler(sqsEvent(sqsRecord(envelope('order.shipped', {}))), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(requests.total()).toBe(0);
      expect(await deadLetters()).toEqual([]);
      expect(logs.lines.find((line) => line.message === 'batch done')?.fields).toMatchObject({ skipped: 1 });
    });

    test('too little Lambda time left: not started, batch item failure, 0 requests', async () => {
      const { handler, requests, effects } = await setUp({ minRemainingTimeMs: 5000 });
      const record = sqsRecord(order());

      const response = await handler(sqsEvent(record), lambdaContext(4999));

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(requests.total()).toBe(0);
      expect(effects).toEqual([]);
    });

    test('completion write fails after retries: reported success, error logged and counted, 2+ requests', async () => {
      const { handler, client, requests, effects, logs } = await setUp({ metrics: { namespace: 'Test' } });
      failRequests(client, 'UpdateItemCommand');
      const emf = captureStdout();
      const message = order();

      const response = await handler(sqsEvent(sqsRecord(message)), lambdaContext()).finally(emf.restore);

      expect(response.batchItemFailures).toEqual([]);
      expect(effects).toEqual(['o-1']);
      expect(requests.of('UpdateItemCommand')).toBeGreaterThan(1);
      expect(logs.lines.find((line) => line.level === 'ERROR' && /marking it completed failed/.test(line.message))).toBeDefined();
      const metrics = emf.lines.map((line) => JSON.parse(line)).find((line) => line._aws);
      expect(metrics).toMatchObject({ ConsumerName: CONSUMER, Processed: 1, CompletionWriteFailures: 1, Failures: 0 });
      expect(metrics._aws.CloudWatchMetrics[0].Namespace).toBe('Test');
      expect((await getItem(inspect, table, `${CONSUMER}#${message.id}`))?.status?.S).toBe('IN_PROGRESS');
    });
  });

  describe('poison and the dead-letter queue', () => {
    test('without a DLQ URL poison is a batch item failure, so SQS moves it after maxReceiveCount', async () => {
      const { handler, logs } = await setUp({ deadLetterQueueUrl: undefined });
      const record = sqsRecord('not json');

      const response = await handler(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(logs.lines.find((line) => line.fields.cause === 'poison-without-dead-letter-queue')?.fields).toMatchObject({ reason: 'malformed-json' });
    });

    test('a failed send to the DLQ leaves the record a batch item failure', async () => {
      const brokenSqs = sqsClient();
      failRequests(brokenSqs, 'SendMessageCommand');
      const { handler } = await setUp({ sqsClient: brokenSqs });
      const record = sqsRecord('not json');

      const response = await handler(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      brokenSqs.destroy();
    });
  });

  describe('duplicates inside one batch', () => {
    test('the same envelope id twice: one effect, the second copy counted as a duplicate', async () => {
      const { handler, effects, logs, requests } = await setUp();
      const message = order();

      const response = await handler(sqsEvent(sqsRecord(message), sqsRecord(message)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(effects).toEqual(['o-1']);
      expect(requests.total()).toBe(2);
      expect(logs.lines.find((line) => line.message === 'batch done')?.fields).toMatchObject({ processed: 1, duplicates: 1, failed: 0 });
    });

    test('when the first copy fails, the second is retried with it', async () => {
      const { handler, effects } = await setUp({ handle: () => { throw new Error('down'); } });
      const message = order();
      const first = sqsRecord(message);
      const second = sqsRecord(message);

      const response = await handler(sqsEvent(first, second), lambdaContext());

      expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual([first.messageId, second.messageId].sort());
      expect(effects).toEqual([]);
    });

    test('the stored record decides which copy conflicts: a conflicting copy first, then a true duplicate', async () => {
      const { handler, effects, deadLetters, logs } = await setUp();
      const message = order('o-1', 1);
      await handler(sqsEvent(sqsRecord(message)), lambdaContext());

      const conflicting = sqsRecord({ ...message, data: { orderId: 'o-1', amount: 2 } });
      const response = await handler(sqsEvent(conflicting, sqsRecord(message)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(effects).toEqual(['o-1']);
      const dead = await deadLetters();
      expect(dead.map((m) => [m.MessageAttributes?.['fanout.reason']?.StringValue, JSON.parse(m.Body!).data.amount])).toEqual([['idempotency-conflict', 2]]);
      expect(logs.lines.filter((line) => line.message === 'batch done').at(-1)?.fields).toMatchObject({ duplicates: 1, poisoned: 1 });
    });

    test('the same id with another payload in the same batch is an idempotency conflict', async () => {
      const { handler, effects, deadLetters } = await setUp();
      const message = order('o-1', 1);

      const response = await handler(sqsEvent(sqsRecord(message), sqsRecord({ ...message, data: { orderId: 'o-1', amount: 2 } })), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(effects).toEqual(['o-1']);
      const [dead] = await deadLetters();
      expect(dead.MessageAttributes?.['fanout.reason']?.StringValue).toBe('idempotency-conflict');
    });
  });

  describe('options', () => {
    test('a local cache of completed ids turns a warm duplicate into 0 requests', async () => {
      const client = dynamoDbClient();
      const { handler, effects } = await setUp({ idempotency: { tableName: table, client, localCacheMaxItems: 100, ...mode } });
      const counted = countRequests(client);
      const message = order();
      await handler(sqsEvent(sqsRecord(message)), lambdaContext());
      counted.reset();

      const response = await handler(sqsEvent(sqsRecord(message)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(effects).toEqual(['o-1']);
      expect(counted.total()).toBe(0);
    });

    test('records of a standard queue run concurrently, bounded by maxConcurrency', async () => {
      let inFlight = 0;
      let peak = 0;
      const { handler, effects } = await setUp({
        maxConcurrency: 3,
        idempotency: false,
        handle: async () => {
          peak = Math.max(peak, ++inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight--;
        },
      });

      await handler(sqsEvent(...Array.from({ length: 8 }, (_, i) => sqsRecord(order(`o-${i}`)))), lambdaContext());

      expect(effects).toHaveLength(8);
      expect(peak).toBe(3);
    });

    test('without idempotency records are processed and ctx.transact says what is missing', async () => {
      const { handler, requests, effects, logs } = await setUp({
        idempotency: false,
        handle: (_data, ctx) => {
          if (ctx.envelope.data && (ctx.envelope.data as { orderId: string }).orderId === 'o-2') ctx.transact();
        },
      });
      const withTransact = sqsRecord(order('o-2'));

      const response = await handler(sqsEvent(sqsRecord(order('o-1')), withTransact), lambdaContext());

      expect(effects).toEqual(['o-1']);
      expect(requests.total()).toBe(0);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: withTransact.messageId }]);
      expect(String((logs.lines.find((line) => line.fields.cause === 'handler-error')?.fields.error as Error).message)).toMatch(/ctx.transact needs idempotency/);
    });

    test('ctx carries the envelope, the record, the attributes, the remaining time and a logger with the ids', async () => {
      let seen: HandlerContext | undefined;
      const { handler, logs } = await setUp({
        handle: (_data, ctx) => {
          seen = ctx;
          ctx.logger.info('charging');
        },
      });
      const message = { ...order(), correlationId: 'req-42' };
      const record = sqsRecord(message, { messageAttributes: publisherAttributes(message) });

      await handler(sqsEvent(record), lambdaContext(30_000));

      expect(seen?.envelope).toEqual(message);
      expect(seen?.record).toBe(record);
      expect(seen?.attributes).toEqual({ type: 'order.created', version: '1', source: 'order-service' });
      expect(seen?.remainingTimeMs()).toBe(30_000);
      expect(logs.lines.find((line) => line.message === 'charging')?.fields).toMatchObject({ consumer: CONSUMER, messageId: record.messageId, envelopeId: message.id });
    });

    test('idempotency without a consumer name is refused at creation', () => {
      expect(() => createConsumer({ idempotency: { tableName: 't', client: inspect }, handlers: {} })).toThrow(/consumerName or set FANOUT_CONSUMER_NAME/);
    });
  });
});

/** Polls until `condition` holds: ordering, not timing, is what the tests assert. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await delay(10);
  }
  throw new Error('condition never held');
}

function captureStdout() {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}
