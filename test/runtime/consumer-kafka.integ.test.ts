/*
 * Kafka events on DynamoDB Local: a partition redelivered from its reported failure applies each
 * effect once (records processed before it are duplicates); the same envelope in two partitions
 * (a producer retry under another key) runs once. Both idempotency modes. No broker: the events are
 * in the shape Lambda documents.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { IdempotencyOptions } from '@cdk-fanout/runtime';
import { createIdempotencyTable, dynamoDbClient, envelope, getItem, kafkaEvent, kafkaEventRecord, lambdaContext } from '@cdk-fanout/testing';
import { IDEMPOTENCY_MODES } from './support/idempotency-modes';
import { recordingConsumer } from './support/step-consumers';

const CONSUMER = 'topic-consumer';

let dynamodb: DynamoDBClient;
let table: string;
beforeAll(async () => {
  dynamodb = dynamoDbClient();
  table = await createIdempotencyTable(dynamodb);
});
afterAll(() => dynamodb.destroy());

describe.each(IDEMPOTENCY_MODES)('%s', (_name, mode: Pick<IdempotencyOptions, 'batching'>) => {
  const topicConsumer = (failing: Set<string>) => recordingConsumer(CONSUMER, { tableName: table, client: dynamodb, ...mode }, failing);

  test('a partition redelivered from its reported failure applies each effect once', async () => {
    const failing = new Set(['a2']);
    const { handler, effects } = topicConsumer(failing);
    const steps = ['a1', 'a2', 'a3'].map((name) => envelope('order.step', { name }));
    const records = steps.map((step, index) => kafkaEventRecord(step, { partition: 2, offset: 500 + index }));

    const first = await handler(kafkaEvent(records), lambdaContext());
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: { partition: 'orders-2', offset: 501 } }]);
    expect(effects).toEqual(['a1']);
    expect(await getItem(dynamodb, table, `${CONSUMER}#${steps[2].id}`)).toBeUndefined();

    failing.clear();
    const second = await handler(kafkaEvent(records, 'self-managed'), lambdaContext());
    expect(second.batchItemFailures).toEqual([]);
    expect(effects).toEqual(['a1', 'a2', 'a3']);
  });

  test('the same envelope in two partitions runs once', async () => {
    const { handler, effects, logs } = topicConsumer(new Set());
    const step = envelope('order.step', { name: 'b1' });
    const response = await handler(kafkaEvent([kafkaEventRecord(step, { partition: 0, offset: 1 }), kafkaEventRecord(step, { partition: 1, offset: 7 })]), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(effects).toEqual(['b1']);
    expect(logs.lines.find((line) => line.message === 'batch done')?.fields).toMatchObject({ processed: 1, duplicates: 1 });
    expect((await getItem(dynamodb, table, `${CONSUMER}#${step.id}`))?.status?.S).toBe('COMPLETED');
  });
});
