/*
 * Kafka events (MSK and self-managed, in the shape Lambda documents: records keyed by
 * `<topic>-<partition>`, base64 key and value, headers as byte arrays): lanes are partitions in
 * offset order, the first retryable failure of a partition stops it and is reported as
 * `{ partition, offset }`; poison goes to the DLQ and does not stop the partition. No broker runs
 * here: these are the documented event shapes, generated. The DLQ client is a recording stand-in (support/step-consumers.ts).
 */
import fc from 'fast-check';
import { createConsumer, kafkaRecordOf, type CreateConsumerOptions } from '@cdk-fanout/runtime';
import { captureLogs, envelope, kafkaEvent, kafkaEventRecord, lambdaContext, MSK_CLUSTER_ARN } from '@cdk-fanout/testing';
import { fateConsumer, type Fate } from './support/step-consumers';

const consumer = (handle: (data: { name: string; fate: Fate }) => unknown, options: Omit<CreateConsumerOptions, 'handlers'> = {}) => fateConsumer('kafka', handle, options);

const step = (name: string, fate: Fate, partition: number, offset: number, topic = 'orders') =>
  kafkaEventRecord(envelope('order.step', { name, fate }), { partition, offset, topic });

describe.each([['MSK', 'msk'], ['self-managed Kafka', 'self-managed']] as const)('%s events', (_name, source) => {
  test('records of a partition run in offset order; the base64 value is the envelope', async () => {
    const ran: string[] = [];
    const { handler } = consumer(({ name }) => { ran.push(name); });
    const response = await handler(kafkaEvent([step('a2', 'ok', 0, 11), step('b1', 'ok', 1, 5), step('a1', 'ok', 0, 10), step('c1', 'ok', 0, 3, 'refunds')], source), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ran.filter((name) => name.startsWith('a'))).toEqual(['a1', 'a2']);
    expect(ran.sort()).toEqual(['a1', 'a2', 'b1', 'c1']);
  });

  test('the first retryable failure stops its partition and is reported as { partition, offset }; other partitions go on', async () => {
    const ran: string[] = [];
    const { handler } = consumer(({ name }) => { ran.push(name); });
    const response = await handler(kafkaEvent([step('a1', 'ok', 0, 10), step('a2', 'fail', 0, 11), step('a3', 'ok', 0, 12), step('b1', 'ok', 1, 5)], source), lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: { partition: 'orders-0', offset: 11 } }]);
    expect(ran.sort()).toEqual(['a1', 'a2', 'b1']);
  });

  test('poison goes to the DLQ with its reason and the headers, and does not stop the partition', async () => {
    const ran: string[] = [];
    const { handler, dlq } = consumer(({ name }) => { ran.push(name); });
    const response = await handler(kafkaEvent([step('a1', 'poison', 0, 10), step('a2', 'ok', 0, 11)], source), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(ran).toEqual(['a1', 'a2']);
    expect(dlq.sent).toHaveLength(1);
    expect(JSON.parse(dlq.sent[0].MessageBody!).data.name).toBe('a1');
    expect(dlq.sent[0].MessageAttributes?.['fanout.reason']?.StringValue).toBe('non-retryable');
    expect(dlq.sent[0].MessageAttributes?.type?.StringValue).toBe('order.step');
  });

  test('a value that is not an envelope, or a tombstone, is poison', async () => {
    const { handler, dlq } = consumer(() => undefined);
    const tombstone = { ...kafkaEventRecord('x', { offset: 2 }), value: null as unknown as string };
    const response = await handler(kafkaEvent([kafkaEventRecord('not json', { offset: 1 }), tombstone], source), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(dlq.sent.map((message) => message.MessageAttributes?.['fanout.reason']?.StringValue)).toEqual(['malformed-json', 'malformed-json']);
  });

  test('without a DLQ URL (a dead-letter topic as the on-failure destination), poison is reported as its partition\'s failure', async () => {
    const ran: string[] = [];
    const { handler } = consumer(({ name }) => { ran.push(name); }, { deadLetterQueueUrl: undefined });
    const response = await handler(kafkaEvent([step('a1', 'poison', 0, 10), step('a2', 'ok', 0, 11)], source), lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: { partition: 'orders-0', offset: 10 } }]);
    expect(ran).toEqual(['a1']);
  });

  test('headers are decoded to string attributes; ctx gives topic, partition, offset and key', async () => {
    let seen: { attributes: Readonly<Record<string, string>>; kafka?: ReturnType<typeof kafkaRecordOf>; arn: string } | undefined;
    const handler = createConsumer({
      idempotency: false,
      logger: captureLogs().logger,
      handlers: { 'order.step': { handle: (_data, ctx) => { seen = { attributes: ctx.attributes, kafka: kafkaRecordOf(ctx), arn: ctx.record.eventSourceARN }; } } },
    });
    const record = kafkaEventRecord(envelope('order.step', { name: 'x' }), { partition: 4, offset: 99, key: 'order-1' });
    await handler(kafkaEvent([record], source), lambdaContext());
    expect(seen?.attributes).toMatchObject({ type: 'order.step', version: '1', source: 'order-service' });
    expect(seen?.kafka).toBe(record);
    expect(Buffer.from(seen!.kafka!.key!, 'base64').toString()).toBe('order-1');
    if (source === 'msk') expect(seen?.arn).toBe(MSK_CLUSTER_ARN);
  });
});

test('property: reported failures are exactly the first retryable failure per partition; nothing after it in that partition ran', async () => {
  const plans = fc.array(fc.record({ partition: fc.integer({ min: 0, max: 3 }), fate: fc.constantFrom<Fate>('ok', 'ok', 'fail', 'poison') }), { maxLength: 30 });
  await fc.assert(fc.asyncProperty(plans, fc.integer({ min: 1, max: 5 }), fc.array(fc.nat(), { minLength: 30, maxLength: 30 }), async (plan, maxConcurrency, keys) => {
    const ran = new Set<string>();
    const { handler, dlq } = consumer(({ name }) => { ran.add(name); }, { maxConcurrency });
    const records = plan.map(({ partition, fate }, index) => step(`r${index}`, fate, partition, 1000 + index));
    // Any delivery order: the offsets decide.
    const delivered = records.map((record, index) => ({ record, key: keys[index] })).sort((a, b) => a.key - b.key).map(({ record }) => record);
    const response = await handler(kafkaEvent(delivered), lambdaContext());

    const expectedFailures: string[] = [];
    const expectedRan = new Set<string>();
    const expectedPoison: string[] = [];
    for (const partition of [0, 1, 2, 3]) {
      for (const [index, item] of plan.entries()) {
        if (item.partition !== partition) continue;
        expectedRan.add(`r${index}`);
        if (item.fate === 'poison') expectedPoison.push(`r${index}`);
        if (item.fate === 'fail') {
          expectedFailures.push(`orders-${partition}@${1000 + index}`);
          break;
        }
      }
    }
    expect(response.batchItemFailures.map(({ itemIdentifier }) => `${itemIdentifier.partition}@${itemIdentifier.offset}`).sort()).toEqual(expectedFailures.sort());
    expect([...ran].sort()).toEqual([...expectedRan].sort());
    expect(dlq.sent.map((message) => JSON.parse(message.MessageBody!).data.name).sort()).toEqual(expectedPoison.sort());
  }), { numRuns: 100 });
});
