/*
 * The SQS publisher against fauxqs: the envelope and attributes (consumed by createConsumer),
 * SendMessageBatch chunks of 10 entries and 256 KiB, the size guard, FIFO group and deduplication
 * ids, and faults injected as middleware on a real SQSClient: lost responses (the messages were
 * sent), entries SQS fails on its side, errors no retry can fix. Figures under 30 % lost responses
 * are seeded and printed; replay with FANOUT_TEST_SEED=<seed>.
 */
import { createHash } from 'node:crypto';
import { SQSClient, type Message, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';
import { createConsumer, parseEnvelope } from '@cdk-fanout/runtime';
import { SqsPublisher, SQS_MAX_MESSAGE_BYTES, type SqsBatchEntry, type SqsBatchEntryResult } from '@cdk-fanout/runtime/sqs-publisher';
import {
  captureLogs, countRequests, createQueue, drainQueue, lambdaContext, loseSnsResponses, recordFromMessage, seededRandom, sqsClient, sqsEvent, testSeed,
} from '@cdk-fanout/testing';
import { failSqsBatchEntries } from '../../testing/src/sqs-faults';

const SEED = testSeed();
let sqs: SQSClient;

beforeAll(() => {
  console.log(`sqs publisher: seed ${SEED} (replay with FANOUT_TEST_SEED=${SEED})`);
  sqs = sqsClient();
});
afterAll(() => sqs.destroy());

/** An SQS client for fauxqs with chosen settings (`sqsClient()` has the SDK's defaults). */
const sqsClientWith = (config: SQSClientConfig) =>
  new SQSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: process.env.FANOUT_TEST_FAUXQS_ENDPOINT, ...config });

const orderIdOf = (message: Message) => (JSON.parse(message.Body!) as { data: { orderId: string } }).data.orderId;
const idOf = (message: Message) => (JSON.parse(message.Body!) as { id: string }).id;

const orders = (count: number, group?: (i: number) => string): SqsBatchEntry[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'order.created', data: { orderId: `o-${i}` }, ...(group ? { messageGroupId: group(i) } : {}) }));

async function copiesPerOrder(queueUrl: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const message of await drainQueue(sqs, queueUrl)) counts[orderIdOf(message)] = (counts[orderIdOf(message)] ?? 0) + 1;
  return counts;
}

describe('SqsPublisher', () => {
  test('publish: the envelope as body, type/version/source attributes; createConsumer handles it', async () => {
    const queue = await createQueue(sqs, 'work');
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'refund-service', client: sqs });

    const result = await publisher.publish('refund.requested', { orderId: 'o-1', amount: 3 }, { correlationId: 'c-1' });

    const [message] = await drainQueue(sqs, queue.url);
    expect(JSON.parse(message.Body!)).toEqual(result.envelope);
    expect(parseEnvelope(message.Body)).toEqual(result.envelope);
    expect(result.envelope).toMatchObject({ type: 'refund.requested', version: '1', source: 'refund-service', correlationId: 'c-1' });
    expect(result.messageId).toBe(message.MessageId);
    expect(message.MessageAttributes?.type?.StringValue).toBe('refund.requested');
    expect(message.MessageAttributes?.version?.StringValue).toBe('1');
    expect(message.MessageAttributes?.source?.StringValue).toBe('refund-service');

    const seen: unknown[] = [];
    const handler = createConsumer({
      idempotency: false, sqsClient: sqs, logger: captureLogs().logger,
      handlers: { 'refund.requested': { handle: (data, ctx) => { seen.push({ data, source: ctx.attributes.source }); } } },
    });
    expect((await handler(sqsEvent(recordFromMessage(message, queue.arn)), lambdaContext())).batchItemFailures).toEqual([]);
    expect(seen).toEqual([{ data: { orderId: 'o-1', amount: 3 }, source: 'refund-service' }]);
  });

  test('publishBatch: calls of at most 10 entries, a result per entry in order', async () => {
    const queue = await createQueue(sqs, 'work');
    const client = sqsClientWith({});
    const requests = countRequests(client);
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'refund-service', client });

    const results = await publisher.publishBatch(orders(23));

    expect(requests.of('SendMessageBatchCommand')).toBe(3);
    expect(results.map((result) => result.ok && (result.envelope.data as { orderId: string }).orderId)).toEqual(Array.from({ length: 23 }, (_, i) => `o-${i}`));
    expect(await copiesPerOrder(queue.url)).toEqual(Object.fromEntries(Array.from({ length: 23 }, (_, i) => [`o-${i}`, 1])));
    client.destroy();
  });

  test('calls are also cut at 256 KiB in total', async () => {
    const queue = await createQueue(sqs, 'work');
    const client = sqsClientWith({});
    const sizes: number[] = [];
    client.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'SendMessageBatchCommand') sizes.push((args.input as { Entries: unknown[] }).Entries.length);
      return next(args);
    }, { step: 'initialize', name: 'entriesPerCall' });
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'refund-service', client });

    const results = await publisher.publishBatch([0, 1, 2, 3].map((i) => ({ type: 'order.created', data: { orderId: `o-${i}`, blob: 'x'.repeat(100_000) } })));

    expect(results.every((result) => result.ok)).toBe(true);
    expect(sizes).toEqual([2, 2]);
    client.destroy();
  });

  test('refuses an envelope over 256 KiB with its attributes, naming its size and the SQS limit, and sends nothing', async () => {
    const client = sqsClientWith({});
    const requests = countRequests(client);
    const publisher = new SqsPublisher({ queueUrl: 'http://127.0.0.1:1/000000000000/work', source: 'refund-service', client });
    // 262144 bytes of body alone would fit; the attributes push it over.
    const fits = SQS_MAX_MESSAGE_BYTES - JSON.stringify({ id: 'x'.repeat(36), type: 'order.created', version: '1', timestamp: new Date().toISOString(), source: 'refund-service', data: { blob: '' } }).length;

    // The attributes: type/String/order.created, version/String/1, source/String/refund-service = 63 bytes.
    await expect(publisher.publish('order.created', { blob: 'x'.repeat(fits) })).rejects.toThrow(new RegExp(
      `^publish: envelope [0-9a-f-]{36} \\(type order.created\\) is ${SQS_MAX_MESSAGE_BYTES + 63} bytes with its attributes, over the SQS limit of 262144 bytes \\(256 KiB\\); give the SqsPublisher largePayloads: \\{ bucket \\} \\(or set FANOUT_PAYLOAD_BUCKET\\) to send it through S3$`,
    ));
    await expect(publisher.publishBatch<unknown>([{ type: 'order.created', data: {} }, { type: 'order.created', data: { blob: 'x'.repeat(SQS_MAX_MESSAGE_BYTES) } }])).rejects.toThrow(/^publishBatch entry 1: .* over the SQS limit/);
    expect(requests.total()).toBe(0);
    client.destroy();
  });

  test('a body with U+FFFF (which SQS refuses raw) is sent escaped and reads back the same', async () => {
    const queue = await createQueue(sqs, 'work');
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'refund-service', client: sqs });
    const sent: string[] = [];
    const client = sqsClientWith({});
    client.middlewareStack.add((next) => async (args) => {
      for (const entry of (args.input as { Entries: { MessageBody: string }[] }).Entries) sent.push(entry.MessageBody);
      return next(args);
    }, { step: 'initialize', name: 'bodies' });
    const recording = new SqsPublisher({ queueUrl: queue.url, source: 'refund-service', client });

    const result = await recording.publish('order.created', { note: 'a\uFFFFb\uFFFE' });
    await publisher.publish('order.created', { note: 'plain' });

    expect(sent[0]).toContain('a\\uffffb\\ufffe');
    expect(sent[0]).not.toMatch(/[\uFFFE\uFFFF]/);
    const received = await drainQueue(sqs, queue.url);
    expect(parseEnvelope(received[0].Body)).toEqual(result.envelope);
    client.destroy();
  });

  test('FIFO queue: group id required; the deduplication id is the envelope id (hashed when SQS would refuse it); order per group', async () => {
    const queue = await createQueue(sqs, 'work', true);
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'refund-service', client: sqs });

    await expect(publisher.publish('order.created', { orderId: 'o-1' })).rejects.toThrow(/^publish: .* is a FIFO queue, so messageGroupId is required \(envelope /);
    await expect(publisher.publish('order.created', {}, { messageGroupId: 'g', messageDeduplicationId: 'has space' })).rejects.toThrow(/messageDeduplicationId must be 1 to 128 letters/);
    const first = await publisher.publish('order.created', { orderId: 'o-1' }, { messageGroupId: 'customer-1', id: 'order 1 créée' });
    await publisher.publishBatch([
      // The same envelope id again: SQS's deduplication drops it.
      { type: 'order.created', data: { orderId: 'o-1-again' }, messageGroupId: 'customer-1', id: 'order 1 créée' },
      { type: 'order.created', data: { orderId: 'o-2' }, messageGroupId: 'customer-2' },
      { type: 'order.created', data: { orderId: 'o-3' }, messageGroupId: 'customer-1', messageDeduplicationId: 'explicit' },
    ]);

    const received = await drainQueue(sqs, queue.url);
    expect(received.filter((m) => m.Attributes?.MessageGroupId === 'customer-1').map(orderIdOf)).toEqual(['o-1', 'o-3']);
    expect(received.filter((m) => m.Attributes?.MessageGroupId === 'customer-2').map(orderIdOf)).toEqual(['o-2']);
    expect(received.find((m) => orderIdOf(m) === 'o-1')!.Attributes?.MessageDeduplicationId).toBe(createHash('sha256').update(first.envelope.id).digest('hex'));
    expect(received.find((m) => orderIdOf(m) === 'o-3')!.Attributes?.MessageDeduplicationId).toBe('explicit');
    expect(received.find((m) => orderIdOf(m) === 'o-2')!.Attributes?.MessageDeduplicationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('faults: copies per message bounded by maxAttempts, the client\'s own retries included', () => {
  test.each([
    // [client's SDK maxAttempts, publisher maxAttempts]: the SDK default is 3.
    [undefined, 2],
    [5, 3],
    [1, 3],
  ])('every response lost: SDK maxAttempts %p, publisher maxAttempts %p', async (sdkAttempts, maxAttempts) => {
    const queue = await createQueue(sqs, 'work');
    const client = sqsClientWith(sdkAttempts === undefined ? {} : { maxAttempts: sdkAttempts });
    const requests = countRequests(client);
    const lost = loseSnsResponses(client, 'SendMessageBatchCommand', () => true);
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'refund-service', client, maxAttempts, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(orders(4));
    await expect(publisher.publish('order.created', { orderId: 'single' })).rejects.toMatchObject({ name: 'PublishFailedError', code: 'ECONNRESET', senderFault: false });

    // Each request reached fauxqs, which enqueued every entry: one copy per request.
    expect(await copiesPerOrder(queue.url)).toEqual({ 'o-0': maxAttempts, 'o-1': maxAttempts, 'o-2': maxAttempts, 'o-3': maxAttempts, single: maxAttempts });
    expect(requests.of('SendMessageBatchCommand')).toBe(2 * maxAttempts);
    expect(lost.lost).toBe(2 * maxAttempts);
    for (const result of results) expect(result).toMatchObject({ ok: false, error: { code: 'ECONNRESET', senderFault: false } });
    client.destroy();
  });

  test('entries SQS failed on its side are retried, and only those; SenderFault entries are not', async () => {
    const queue = await createQueue(sqs, 'work');
    const client = sqsClientWith({});
    let call = 0;
    const calls = failSqsBatchEntries(client, () => (++call === 1 ? ['1'] : []));
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'refund-service', client, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(orders(3));

    expect(calls).toEqual([['0', '1', '2'], ['1']]);
    expect(results.every((result) => result.ok)).toBe(true);
    expect(await copiesPerOrder(queue.url)).toEqual({ 'o-0': 1, 'o-1': 1, 'o-2': 1 });

    const refusing = sqsClientWith({});
    const refusedCalls = failSqsBatchEntries(refusing, () => ['0'], { Code: 'InvalidParameterValue', Message: 'bad', SenderFault: true });
    const [refused] = await new SqsPublisher({ queueUrl: queue.url, source: 'refund-service', client: refusing, retryBaseDelayMs: 1 }).publishBatch(orders(1));
    expect(refusedCalls).toHaveLength(1);
    expect(refused).toMatchObject({ ok: false, error: { code: 'InvalidParameterValue', message: 'bad', senderFault: true } });
    client.destroy();
    refusing.destroy();
  });

  test('a queue that does not exist: one request, the sender\'s fault', async () => {
    const client = sqsClientWith({});
    const requests = countRequests(client);
    const publisher = new SqsPublisher({ queueUrl: `${process.env.FANOUT_TEST_FAUXQS_ENDPOINT}/000000000000/no-such-queue`, source: 'refund-service', client, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(orders(2));

    expect(results.map((result) => !result.ok && result.error.senderFault)).toEqual([true, true]);
    expect(requests.of('SendMessageBatchCommand')).toBe(1);
    client.destroy();
  });

  test('FIFO: once an entry fails for good, the later entries of its group are not sent; other groups go on', async () => {
    const queue = await createQueue(sqs, 'work', true);
    const client = sqsClientWith({});
    const calls = failSqsBatchEntries(client, () => ['9']);
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'refund-service', client, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(orders(13, (i) => (i === 11 ? 'h' : 'g')));

    const received = await drainQueue(sqs, queue.url);
    expect(received.filter((m) => m.Attributes?.MessageGroupId === 'g').map(orderIdOf)).toEqual(Array.from({ length: 9 }, (_, i) => `o-${i}`));
    expect(received.filter((m) => m.Attributes?.MessageGroupId === 'h').map(orderIdOf)).toEqual(['o-11']);
    expect(calls).toEqual([['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], ['9'], ['9'], ['11']]);
    for (const index of [10, 12]) {
      expect(results[index]).toMatchObject({ ok: false, error: { code: 'EarlierEntryFailed', message: expect.stringContaining('entry 9 of message group "g" failed for good (InternalError)') } });
    }
    client.destroy();
  });
});

describe(`figures: 300 entries, 30 % of responses lost, maxAttempts 3 (seed ${SEED})`, () => {
  const ENTRIES = 300;
  const LOST_RATE = 0.3;
  const MAX_ATTEMPTS = 3;

  function summary(name: string, results: readonly SqsBatchEntryResult[], copies: Map<string, number>, requests: number, lost: number, extra = ''): string {
    const histogram = new Map<number, number>();
    for (const count of copies.values()) histogram.set(count, (histogram.get(count) ?? 0) + 1);
    const codes = new Map<string, number>();
    for (const result of results) if (!result.ok) codes.set(result.error.code, (codes.get(result.error.code) ?? 0) + 1);
    return [
      `${name}: ${results.length} entries, maxAttempts ${MAX_ATTEMPTS}, ${Math.round(LOST_RATE * 100)} % of responses lost (seed ${SEED})`,
      `  SendMessageBatch requests ${requests}, responses lost ${lost}`,
      `  copies per entry: ${[...histogram].sort(([a], [b]) => a - b).map(([count, entries]) => `${count}: ${entries}`).join(', ')}; max ${Math.max(...copies.values())}`,
      `  results: ${results.filter((result) => result.ok).length} ok, ${results.filter((result) => !result.ok).length} failed${codes.size ? ` (${[...codes].map(([code, count]) => `${code} ${count}`).join(', ')})` : ''}`,
      ...(extra ? [`  ${extra}`] : []),
    ].join('\n');
  }

  test('standard queue, client with the SDK\'s default retries: copies per entry <= maxAttempts, every ok entry delivered', async () => {
    const queue = await createQueue(sqs, 'figures');
    const client = sqsClientWith({});
    const random = seededRandom(SEED);
    const requests = countRequests(client);
    const lost = loseSnsResponses(client, 'SendMessageBatchCommand', () => random() < LOST_RATE);
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'figures', client, maxAttempts: MAX_ATTEMPTS, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(orders(ENTRIES));

    const copies = new Map(results.map((result) => [result.envelope.id, 0]));
    for (const message of await drainQueue(sqs, queue.url)) copies.set(idOf(message), (copies.get(idOf(message)) ?? 0) + 1);
    console.log(summary('SQS standard queue', results, copies, requests.of('SendMessageBatchCommand'), lost.lost));
    expect(Math.max(...copies.values())).toBeLessThanOrEqual(MAX_ATTEMPTS);
    for (const result of results) if (result.ok) expect(copies.get(result.envelope.id)).toBeGreaterThanOrEqual(1);
    client.destroy();
  });

  test('FIFO queue, 20 groups, lost responses and entries SQS fails on its side: order per group kept, every ok entry delivered', async () => {
    const queue = await createQueue(sqs, 'figures', true);
    const client = sqsClientWith({});
    const groupOf = seededRandom(SEED + 1);
    const lostDraw = seededRandom(SEED);
    const failDraw = seededRandom(SEED ^ 0x5bd1e995);
    const requests = countRequests(client);
    const lost = loseSnsResponses(client, 'SendMessageBatchCommand', () => lostDraw() < LOST_RATE);
    // 5 % of the time SQS fails an entry on its side, and with it the rest of its group in that call.
    let entriesFailed = 0;
    failSqsBatchEntries(client, (batch) => {
      const failedGroups = new Set<string>();
      const ids: string[] = [];
      for (const entry of batch) {
        if (failedGroups.has(entry.MessageGroupId!) || failDraw() < 0.05) {
          failedGroups.add(entry.MessageGroupId!);
          ids.push(entry.Id);
        }
      }
      entriesFailed += ids.length;
      return ids;
    });
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'figures', client, maxAttempts: MAX_ATTEMPTS, retryBaseDelayMs: 1 });
    const entries = orders(ENTRIES, () => `customer-${Math.floor(groupOf() * 20)}`);

    const results = await publisher.publishBatch(entries);

    const indexOf = new Map(results.map((result, index) => [result.envelope.id, index]));
    const received = new Map<string, number[]>();
    const copies = new Map(results.map((result) => [result.envelope.id, 0]));
    for (const message of await drainQueue(sqs, queue.url)) {
      const group = message.Attributes!.MessageGroupId!;
      received.set(group, [...(received.get(group) ?? []), indexOf.get(idOf(message))!]);
      copies.set(idOf(message), copies.get(idOf(message))! + 1);
    }
    const inputOrder = new Map<string, number[]>();
    entries.forEach((entry, index) => inputOrder.set(entry.messageGroupId!, [...(inputOrder.get(entry.messageGroupId!) ?? []), index]));
    // Each group received a prefix of its entries, in input order (nothing after a missing one).
    const groupsInOrder = [...inputOrder].filter(([group, order]) => (received.get(group) ?? []).every((index, position) => index === order[position])).length;
    console.log(summary('SQS FIFO queue (deduplicated by envelope id)', results, copies, requests.of('SendMessageBatchCommand'), lost.lost,
      `entry failures injected ${entriesFailed}; groups whose received order is a prefix of their input order: ${groupsInOrder} of ${inputOrder.size}`));

    expect(groupsInOrder).toBe(inputOrder.size);
    // The FIFO queue deduplicates the copies of lost responses: one each at most.
    expect(Math.max(...copies.values())).toBe(1);
    for (const result of results) if (result.ok) expect(copies.get(result.envelope.id)).toBe(1);
    client.destroy();
  });
});
