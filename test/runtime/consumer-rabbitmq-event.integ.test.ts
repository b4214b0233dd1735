/*
 * Lambda's RabbitMQ event on DynamoDB Local: a retryable failure fails the invocation, the broker
 * redelivers the whole batch, and the records processed the first time are duplicates then: every
 * effect once. A poison record of the batch reaches the DLQ (fauxqs) once, however often the batch
 * comes back. Both idempotency modes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createConsumer, PoisonMessageError, type IdempotencyOptions } from '@cdk-fanout/runtime';
import { captureLogs, createIdempotencyTable, createQueue, drainQueue, dynamoDbClient, envelope, lambdaContext, rabbitMqEvent, rabbitMqEventMessage, sqsClient } from '@cdk-fanout/testing';
import { IDEMPOTENCY_MODES } from './support/idempotency-modes';
import { recordingConsumer } from './support/step-consumers';

let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let table: string;
beforeAll(async () => {
  dynamodb = dynamoDbClient();
  sqs = sqsClient();
  table = await createIdempotencyTable(dynamodb);
});
afterAll(() => {
  dynamodb.destroy();
  sqs.destroy();
});

describe.each(IDEMPOTENCY_MODES)('%s', (_name, mode: Pick<IdempotencyOptions, 'batching'>) => {
  test('a batch redelivered after a failure applies each effect once', async () => {
    const failing = new Set(['a2']);
    const { handler, effects, logs } = recordingConsumer('rabbit-event', { tableName: table, client: dynamodb, ...mode }, failing);
    const steps = ['a1', 'a2', 'a3'].map((name) => envelope('order.step', { name }));

    await expect(handler(rabbitMqEvent({ 'orders::/': steps.map((step) => rabbitMqEventMessage(step)) }), lambdaContext())).rejects.toThrow(/1 of 3/);
    expect(effects.sort()).toEqual(['a1', 'a3']);

    failing.clear();
    await expect(handler(rabbitMqEvent({ 'orders::/': steps.map((step) => rabbitMqEventMessage(step, { redelivered: true })) }), lambdaContext())).resolves.toBeUndefined();
    expect(effects.sort()).toEqual(['a1', 'a2', 'a3']);
    expect(logs.lines.filter((line) => line.message === 'batch done').at(-1)?.fields).toMatchObject({ processed: 1, duplicates: 2 });
  });

  test('a poison record of a batch redelivered twice reaches the DLQ once; a fresh delivery of it is judged again', async () => {
    const dlq = await createQueue(sqs, 'rabbit-poison-dlq');
    const failing = new Set(['b2']);
    const effects: string[] = [];
    const logs = captureLogs();
    const handler = createConsumer({
      consumerName: 'rabbit-poison',
      idempotency: { tableName: table, client: dynamodb, ...mode },
      deadLetterQueueUrl: dlq.url,
      sqsClient: sqs,
      logger: logs.logger,
      handlers: {
        'order.step': {
          handle: (data) => {
            const { name } = data as { name: string };
            if (name.startsWith('poison')) throw new PoisonMessageError('non-retryable', `${name} can never be processed`);
            if (failing.has(name)) throw new Error(`${name} failed`);
            effects.push(name);
          },
        },
      },
    });
    const steps = ['b1', 'poison-1', 'b2'].map((name) => envelope('order.step', { name }));
    const malformed = { ...rabbitMqEventMessage('{"not json'), basicProperties: { ...rabbitMqEventMessage('{"not json').basicProperties, messageId: `malformed-${steps[0].id}` } };
    const batch = (redelivered: boolean) => rabbitMqEvent({ 'orders::/': [...steps.map((step) => rabbitMqEventMessage(step, { redelivered })), { ...malformed, redelivered }] });

    await expect(handler(batch(false), lambdaContext())).rejects.toThrow(/1 of 4/);
    await expect(handler(batch(true), lambdaContext())).rejects.toThrow(/1 of 4/);
    failing.clear();
    await expect(handler(batch(true), lambdaContext())).resolves.toBeUndefined();
    expect(effects.sort()).toEqual(['b1', 'b2']);
    const dead = await drainQueue(sqs, dlq.url);
    expect(dead.map((message) => message.MessageAttributes?.['fanout.reason']?.StringValue).sort()).toEqual(['malformed-json', 'non-retryable']);
    expect(logs.lines.filter((line) => line.message === 'batch done').at(-1)?.fields).toMatchObject({ processed: 1, duplicates: 3, poisoned: 0 });

    // A delivery that is not a redelivery (published again, or redriven after a fix) is judged afresh: still poison, so in the DLQ again.
    await expect(handler(rabbitMqEvent({ 'orders::/': [rabbitMqEventMessage(steps[1])] }), lambdaContext())).resolves.toBeUndefined();
    expect((await drainQueue(sqs, dlq.url)).map((message) => message.MessageAttributes?.['fanout.reason']?.StringValue)).toEqual(['non-retryable']);
  });
});
