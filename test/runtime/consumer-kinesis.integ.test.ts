/*
 * Kinesis events on DynamoDB Local: a record whose envelope was processed before (a redelivered
 * shard after a reported failure, or the producer's retry written twice) is a duplicate; a stopped
 * shard's up-front claims are released, so the redelivery runs them at once. Both idempotency modes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IdempotencyOptions } from '@cdk-fanout/runtime';
import { createIdempotencyTable, dynamoDbClient, envelope, getItem, kinesisEvent, kinesisStreamRecord, lambdaContext } from '@cdk-fanout/testing';
import { IDEMPOTENCY_MODES } from './support/idempotency-modes';
import { recordingConsumer } from './support/step-consumers';

const CONSUMER = 'stream';

let dynamodb: DynamoDBClient;
let table: string;
beforeAll(async () => {
  dynamodb = dynamoDbClient();
  table = await createIdempotencyTable(dynamodb);
});
afterAll(() => dynamodb.destroy());

describe.each(IDEMPOTENCY_MODES)('%s', (_name, mode: Pick<IdempotencyOptions, 'batching'>) => {
  const streamConsumer = (failing: Set<string>) => recordingConsumer(CONSUMER, { tableName: table, client: dynamodb, ...mode }, failing);

  test('a redelivered shard applies each effect once: records processed before its failure are duplicates', async () => {
    const failing = new Set(['a2']);
    const { handler, effects } = streamConsumer(failing);
    const steps = ['a1', 'a2', 'a3'].map((name) => envelope('order.step', { name }));
    const records = steps.map((step, index) => kinesisStreamRecord(step, { sequenceNumber: 100 + index }));

    const first = await handler(kinesisEvent(...records), lambdaContext());
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
    expect(effects).toEqual(['a1']);
    // a3 never started: no idempotency record left behind (its up-front claim, if any, released).
    expect(await getItem(dynamodb, table, `${CONSUMER}#${steps[2].id}`)).toBeUndefined();

    // Lambda checkpoints before 101 and redelivers from there; a replay of the whole batch is fine too.
    failing.clear();
    const second = await handler(kinesisEvent(...records), lambdaContext());
    expect(second.batchItemFailures).toEqual([]);
    expect(effects).toEqual(['a1', 'a2', 'a3']);
  });

  test('the same envelope twice in a shard (a producer retry) runs once', async () => {
    const { handler, effects, logs } = streamConsumer(new Set());
    const step = envelope('order.step', { name: 'b1' });
    const response = await handler(kinesisEvent(kinesisStreamRecord(step, { sequenceNumber: 1 }), kinesisStreamRecord(step, { sequenceNumber: 2 }), kinesisStreamRecord(step, { sequenceNumber: 3, shard: 1 })), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(effects).toEqual(['b1']);
    expect(logs.lines.find((line) => line.message === 'batch done')?.fields).toMatchObject({ processed: 1, duplicates: 2 });
    expect((await getItem(dynamodb, table, `${CONSUMER}#${step.id}`))?.status?.S).toBe('COMPLETED');
  });
});
