/*
 * Kinesis events (the shape Lambda documents: base64 `data`, `eventID` = `<shard id>:<sequence
 * number>`): lanes are shards in sequence order, the first retryable failure of a shard stops it
 * and is the one reported; poison goes to the DLQ and does not stop the shard. No network: the DLQ
 * client is a recording stand-in (support/step-consumers.ts).
 */
import fc from 'fast-check';
import { createConsumer, kinesisRecordOf, type CreateConsumerOptions } from '@cdk-fanout/runtime';
import { captureLogs, envelope, kinesisEvent, kinesisStreamRecord, lambdaContext, STREAM_ARN } from '@cdk-fanout/testing';
import { DLQ_URL, fateConsumer, type Fate } from './support/step-consumers';

const consumer = (handle: (data: { name: string; fate: Fate }) => unknown, options: Omit<CreateConsumerOptions, 'handlers'> = {}) => fateConsumer('kinesis', handle, options);

const step = (name: string, fate: Fate, shard: number, sequenceNumber: number) =>
  kinesisStreamRecord(envelope('order.step', { name, fate }), { shard, sequenceNumber: 49590338271490256608559692538361571095921575989136588800n + BigInt(sequenceNumber) });

describe('Kinesis events', () => {
  test('records of a shard run in sequence order, shards concurrently; the base64 data is the envelope', async () => {
    const ran: string[] = [];
    const { handler } = consumer(({ name }) => { ran.push(name); });
    // Delivered out of order within shard 0: the sequence numbers decide.
    const response = await handler(kinesisEvent(step('a2', 'ok', 0, 2), step('b1', 'ok', 1, 1), step('a1', 'ok', 0, 1), step('a3', 'ok', 0, 3)), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ran.filter((name) => name.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(ran).toContain('b1');
  });

  test('the first retryable failure stops its shard and is reported by its sequence number; other shards go on', async () => {
    const ran: string[] = [];
    const { handler, logs } = consumer(({ name }) => { ran.push(name); });
    const failing = step('a2', 'fail', 0, 2);
    const response = await handler(kinesisEvent(step('a1', 'ok', 0, 1), failing, step('a3', 'ok', 0, 3), step('b1', 'ok', 1, 1), step('b2', 'ok', 1, 2)), lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: failing.kinesis.sequenceNumber }]);
    expect(ran.sort()).toEqual(['a1', 'a2', 'b1', 'b2']);
    expect(logs.lines.some((line) => line.fields.cause === 'earlier-record-in-group-failed')).toBe(true);
  });

  test('poison goes to the DLQ with its reason and does not stop the shard', async () => {
    const ran: string[] = [];
    const { handler, dlq } = consumer(({ name }) => { ran.push(name); });
    const poison = step('a1', 'poison', 0, 1);
    const response = await handler(kinesisEvent(poison, step('a2', 'ok', 0, 2)), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(ran).toEqual(['a1', 'a2']);
    expect(dlq.sent).toHaveLength(1);
    expect(dlq.sent[0].QueueUrl).toBe(DLQ_URL);
    expect(dlq.sent[0].MessageBody).toBe(Buffer.from(poison.kinesis.data, 'base64').toString('utf8'));
    expect(dlq.sent[0].MessageAttributes?.['fanout.reason']?.StringValue).toBe('non-retryable');
  });

  test('data that is not an envelope is poison', async () => {
    const { handler, dlq } = consumer(() => undefined);
    const response = await handler(kinesisEvent(kinesisStreamRecord('not json', { sequenceNumber: 1 }), step('a2', 'ok', 0, 2)), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(dlq.sent.map((message) => message.MessageAttributes?.['fanout.reason']?.StringValue)).toEqual(['malformed-json']);
  });

  test('without a DLQ, poison is a failure that stops the shard (the event source mapping\'s on-failure destination takes it)', async () => {
    const ran: string[] = [];
    const { handler } = consumer(({ name }) => { ran.push(name); }, { deadLetterQueueUrl: undefined });
    const poison = step('a1', 'poison', 0, 1);
    const response = await handler(kinesisEvent(poison, step('a2', 'ok', 0, 2)), lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poison.kinesis.sequenceNumber }]);
    expect(ran).toEqual(['a1']);
  });

  test('ctx tells the stream, shard, partition key and sequence number', async () => {
    let seen: { record: { eventSource: string; eventSourceARN: string }; kinesis?: ReturnType<typeof kinesisRecordOf> } | undefined;
    const handler = createConsumer({
      idempotency: false,
      logger: captureLogs().logger,
      handlers: { 'order.step': { handle: (_data, ctx) => { seen = { record: ctx.record, kinesis: kinesisRecordOf(ctx) }; } } },
    });
    const record = kinesisStreamRecord(envelope('order.step', { name: 'x' }), { shard: 3, sequenceNumber: 7, partitionKey: 'order-1' });
    await handler(kinesisEvent(record), lambdaContext());
    expect(seen?.record).toMatchObject({ eventSource: 'aws:kinesis', eventSourceARN: STREAM_ARN });
    expect(seen?.kinesis).toBe(record);
    expect(seen?.kinesis?.eventID).toBe('shardId-000000000003:7');
  });

  test('property: reported failures are exactly the first retryable failure per shard; nothing after it in that shard ran', async () => {
    const fates = fc.array(fc.record({ shard: fc.integer({ min: 0, max: 3 }), fate: fc.constantFrom<Fate>('ok', 'ok', 'fail', 'poison') }), { maxLength: 30 });
    await fc.assert(fc.asyncProperty(fates, fc.integer({ min: 1, max: 5 }), fc.array(fc.nat(), { minLength: 30, maxLength: 30 }), async (plan, maxConcurrency, keys) => {
      const ran = new Set<string>();
      const { handler, dlq } = consumer(({ name }) => { ran.add(name); }, { maxConcurrency });
      const records = plan.map(({ shard, fate }, index) => step(`r${index}`, fate, shard, index));
      // Any delivery order: the sequence numbers decide.
      const delivered = records.map((record, index) => ({ record, key: keys[index] })).sort((a, b) => a.key - b.key).map(({ record }) => record);
      const response = await handler(kinesisEvent(...delivered), lambdaContext());

      const expectedFailures: string[] = [];
      const expectedRan = new Set<string>();
      const expectedPoison: string[] = [];
      for (const shard of [0, 1, 2, 3]) {
        for (const [index, item] of plan.entries()) {
          if (item.shard !== shard) continue;
          expectedRan.add(`r${index}`);
          if (item.fate === 'poison') expectedPoison.push(`r${index}`);
          if (item.fate === 'fail') {
            expectedFailures.push(records[index].kinesis.sequenceNumber);
            break;
          }
        }
      }
      expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(expectedFailures.sort());
      expect([...ran].sort()).toEqual([...expectedRan].sort());
      expect(dlq.sent.map((message) => JSON.parse(message.MessageBody!).data.name).sort()).toEqual(expectedPoison.sort());
    }), { numRuns: 100 });
  });
});
