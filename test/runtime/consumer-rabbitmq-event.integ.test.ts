/*
 * Lambda's RabbitMQ event on DynamoDB Local: a retryable failure fails the invocation, the broker
 * redelivers the whole batch, and the records processed the first time are duplicates then: every
 * effect once. Both idempotency modes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IdempotencyOptions } from '@cdk-fanout/runtime';
import { createIdempotencyTable, dynamoDbClient, envelope, lambdaContext, rabbitMqEvent, rabbitMqEventMessage } from '@cdk-fanout/testing';
import { IDEMPOTENCY_MODES } from './support/idempotency-modes';
import { recordingConsumer } from './support/step-consumers';

let dynamodb: DynamoDBClient;
let table: string;
beforeAll(async () => {
  dynamodb = dynamoDbClient();
  table = await createIdempotencyTable(dynamodb);
});
afterAll(() => dynamodb.destroy());

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
});
