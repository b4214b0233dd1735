/*
 * FIFO queues: order within a MessageGroupId, groups in parallel, a failure stops its group (and, with idempotency,
 * releases the claims of the records it stopped); FIFO DLQ. Without idempotency and in both idempotency modes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { createConsumer, type CreateConsumerOptions, type IdempotencyOptions } from '@cdk-fanout/runtime';
import { createIdempotencyTable, dynamoDbClient, getItem, sqsClient } from '@cdk-fanout/testing';
import { captureLogs, createQueue, gate, drainQueue } from '@cdk-fanout/testing';
import { envelope, lambdaContext, sqsEvent, sqsRecord } from '@cdk-fanout/testing';
import { IDEMPOTENCY_MODES } from './support/idempotency-modes';

const CONSUMER = 'fifo';

let sqs: SQSClient;
let dynamodb: DynamoDBClient;
let table: string;
beforeAll(async () => {
  sqs = sqsClient();
  dynamodb = dynamoDbClient();
  table = await createIdempotencyTable(dynamodb);
});
afterAll(() => {
  sqs.destroy();
  dynamodb.destroy();
});

const VARIANTS: readonly [string, Pick<IdempotencyOptions, 'batching'> | false][] = [['without idempotency', false], ...IDEMPOTENCY_MODES];

describe.each(VARIANTS)('%s', (_variant, mode) => {
  function fifoConsumer(handle: (step: string) => unknown, options: Omit<CreateConsumerOptions, 'handlers'> = {}) {
    const logs = captureLogs();
    const handler = createConsumer({
      consumerName: CONSUMER,
      idempotency: mode && { tableName: table, client: dynamodb, ...mode },
      logger: logs.logger,
      handlers: { 'order.step': { handle: (data) => handle((data as { step: string }).step) } },
      ...options,
    });
    return { handler, logs };
  }

  /** The idempotency record of a record: none when it was never claimed or its claim was released. */
  const recordOf = (record: SQSRecord) => getItem(dynamodb, table, `${CONSUMER}#${JSON.parse(record.body).id}`);

  const step = (group: string, name: string, dedup?: string) => sqsRecord(envelope('order.step', { step: `${group}:${name}` }), { groupId: group, deduplicationId: dedup });

  test('records of one group run in order; groups run in parallel', async () => {
    const order: string[] = [];
    const aFirstHeld = gate();
    const { handler } = fifoConsumer(async (name) => {
      if (name === 'a:1') await aFirstHeld.promise;
      order.push(name);
      // Group b runs to its end while group a is held: only possible if groups run in parallel.
      if (name === 'b:3') aFirstHeld.open();
    });

    const response = await handler(sqsEvent(step('a', '1'), step('b', '1'), step('a', '2'), step('b', '2'), step('a', '3'), step('b', '3')), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(order).toEqual(['b:1', 'b:2', 'b:3', 'a:1', 'a:2', 'a:3']);
  });

  test('a failure fails the rest of its group unprocessed; other groups go on', async () => {
    const processed: string[] = [];
    const { handler, logs } = fifoConsumer((name) => {
      if (name === 'a:2') throw new Error('a:2 failed');
      processed.push(name);
    });
    const records = [step('a', '1'), step('a', '2'), step('b', '1'), step('a', '3'), step('b', '2'), step('a', '4')];

    const response = await handler(sqsEvent(...records), lambdaContext());

    expect(processed.sort()).toEqual(['a:1', 'b:1', 'b:2']);
    expect(response.batchItemFailures).toEqual([records[1], records[3], records[5]].map((record) => ({ itemIdentifier: record.messageId })));
    expect(logs.lines.filter((line) => line.fields.cause === 'earlier-record-in-group-failed')).toHaveLength(2);
    if (mode) {
      // The failed record's claim and those of the records it stopped are released: the redelivery need not wait for their locks.
      for (const record of [records[1], records[3], records[5]]) expect(await recordOf(record)).toBeUndefined();
      expect((await recordOf(records[0]))?.status?.S).toBe('COMPLETED');
    }
  });

  test('a record not started for lack of time stops its group too', async () => {
    let remaining = 10_000;
    const { handler } = fifoConsumer((name) => {
      if (name === 'a:1') remaining = 100;
    }, { minRemainingTimeMs: 1000 });
    const records = [step('a', '1'), step('a', '2'), step('a', '3')];

    const response = await handler(sqsEvent(...records), { getRemainingTimeInMillis: () => remaining });

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([records[1].messageId, records[2].messageId]);
  });

  test('poison goes to a FIFO DLQ with its group id, deduplicated by its message id, and the group goes on', async () => {
    const dlq = await createQueue(sqs, 'billing-dlq', true);
    const processed: string[] = [];
    const { handler } = fifoConsumer((name) => {
      processed.push(name);
    }, { deadLetterQueueUrl: dlq.url, sqsClient: sqs });
    const poison = sqsRecord('{ not json', { groupId: 'a', deduplicationId: 'dedup-poison' });

    const response = await handler(sqsEvent(step('a', '1'), poison, step('a', '3')), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(processed).toEqual(['a:1', 'a:3']);
    const [dead] = await drainQueue(sqs, dlq.url);
    expect(dead.Body).toBe('{ not json');
    expect(dead.Attributes?.MessageGroupId).toBe('a');
    expect(dead.Attributes?.MessageDeduplicationId).toBe(poison.messageId);
    expect(dead.MessageAttributes?.['fanout.reason']?.StringValue).toBe('malformed-json');
  });

  test('two different poison messages with one deduplication id both reach the FIFO DLQ; one sent twice is kept once', async () => {
    const dlq = await createQueue(sqs, 'billing-dlq', true);
    const { handler } = fifoConsumer(() => undefined, { deadLetterQueueUrl: dlq.url, sqsClient: sqs });
    const first = sqsRecord('{ not json', { groupId: 'a', deduplicationId: 'same' });
    const second = sqsRecord('{ not json either', { groupId: 'b', deduplicationId: 'same' });

    expect(await handler(sqsEvent(first, second), lambdaContext())).toEqual({ batchItemFailures: [] });
    // A redelivery of the first (its delete failed after it was dead-lettered): no second copy.
    expect(await handler(sqsEvent(first), lambdaContext())).toEqual({ batchItemFailures: [] });

    expect((await drainQueue(sqs, dlq.url)).map((message) => message.Body).sort()).toEqual(['{ not json', '{ not json either']);
  });

  test('group ids on a standard queue (fair queues) do not serialise or fail records together', async () => {
    const processed: string[] = [];
    const { handler } = fifoConsumer((name) => {
      if (name === 'a:1') throw new Error('fails');
      processed.push(name);
    });
    const records = [step('a', '1'), step('a', '2')].map((record) => ({ ...record, eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:standard' }));

    const response = await handler(sqsEvent(...records), lambdaContext());

    expect(processed).toEqual(['a:2']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0].messageId }]);
  });
});
