/*
 * The Publisher's retries against fauxqs, with faults injected as middleware on a real SNSClient:
 * copies per message bounded by maxAttempts (the client's own retries included), FIFO order per
 * message group, entries missing from a response, errors no retry can fix, and FIFO
 * deduplication ids SNS accepts.
 */
import { createHash } from 'node:crypto';
import { PublishBatchCommand, SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import { SQSClient, type Message } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';
import { Publisher, type BatchEntry } from '@cdk-fanout/runtime';
import {
  countRequests, drainQueue, failBatchEntries, loseSnsResponses, snsClient, sqsClient, topicWithQueues as createTopicWithQueues, uniqueName,
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

/** An SNS client for fauxqs with chosen settings (`snsClient()` has the SDK's defaults). */
const snsClientWith = (config: SNSClientConfig) =>
  new SNSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: process.env.FANOUT_TEST_FAUXQS_ENDPOINT, ...config });

/** A topic with a raw subscription: on a FIFO topic a FIFO queue (order, deduplicated) and a standard queue (every copy SNS published). */
async function topicWithQueues(fifo = false) {
  const { topicArn, queues } = await createTopicWithQueues<string>(sns, sqs, 'orders', fifo, fifo ? { copies: {}, ordered: { fifo: true } } : { copies: {} });
  return { topicArn, copies: queues.copies, ordered: fifo ? queues.ordered : undefined };
}

const orderIdOf = (message: Message) => (JSON.parse(message.Body!) as { data: { orderId: string } }).data.orderId;

/** How many copies of each order fauxqs delivered to the queue. */
async function copiesPerOrder(queueUrl: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const message of await drainQueue(sqs, queueUrl)) counts[orderIdOf(message)] = (counts[orderIdOf(message)] ?? 0) + 1;
  return counts;
}

const orders = (count: number, group?: (i: number) => string): BatchEntry[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'order.created', data: { orderId: `o-${i}` }, ...(group ? { messageGroupId: group(i) } : {}) }));

describe('copies per message are bounded by maxAttempts, the client\'s own retries included', () => {
  test.each([
    // [client's SDK maxAttempts, publisher maxAttempts]: the SDK default is 3.
    [undefined, 3],
    [5, 2],
    [1, 3],
  ])('PublishBatch with every response lost: SDK maxAttempts %p, publisher maxAttempts %p', async (sdkAttempts, maxAttempts) => {
    const { topicArn, copies } = await topicWithQueues();
    const client = sdkAttempts === undefined ? snsClient() : snsClientWith({ maxAttempts: sdkAttempts });
    const requests = countRequests(client);
    const lost = loseSnsResponses(client, 'PublishBatchCommand', () => true);
    const publisher = new Publisher({ topicArn, source: 'order-service', client, maxAttempts, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(orders(4));

    // Each request reached fauxqs, which published every entry: one copy per request.
    expect(await copiesPerOrder(copies.url)).toEqual({ 'o-0': maxAttempts, 'o-1': maxAttempts, 'o-2': maxAttempts, 'o-3': maxAttempts });
    expect(requests.of('PublishBatchCommand')).toBe(maxAttempts);
    expect(lost.lost).toBe(maxAttempts);
    for (const result of results) {
      expect(result).toMatchObject({ ok: false, error: { code: 'ECONNRESET', senderFault: false } });
    }
    client.destroy();
  });

  test('a response lost once: the retry succeeds, two copies', async () => {
    const { topicArn, copies } = await topicWithQueues();
    const client = snsClient();
    let first = true;
    loseSnsResponses(client, 'PublishBatchCommand', () => (first ? !(first = false) : false));
    const publisher = new Publisher({ topicArn, source: 'order-service', client, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(orders(2));

    expect(results.map((result) => result.ok)).toEqual([true, true]);
    expect(await copiesPerOrder(copies.url)).toEqual({ 'o-0': 2, 'o-1': 2 });
    client.destroy();
  });

  test('publish: at most maxAttempts requests even when the client would retry more', async () => {
    const { topicArn, copies } = await topicWithQueues();
    const client = snsClient(); // the SDK's default: 3 attempts
    loseSnsResponses(client, 'PublishCommand', () => true);
    const publisher = new Publisher({ topicArn, source: 'order-service', client, maxAttempts: 2, retryBaseDelayMs: 1 });

    await expect(publisher.publish('order.created', { orderId: 'o-1' })).rejects.toMatchObject({ code: 'ECONNRESET' });

    expect(await copiesPerOrder(copies.url)).toEqual({ 'o-1': 2 });
    client.destroy();
  });

  test('publish retries itself when the client does not (maxAttempts 1, like the default client)', async () => {
    const { topicArn, copies } = await topicWithQueues();
    const client = snsClientWith({ maxAttempts: 1 });
    let calls = 0;
    loseSnsResponses(client, 'PublishCommand', () => ++calls <= 2);
    const publisher = new Publisher({ topicArn, source: 'order-service', client, maxAttempts: 3, retryBaseDelayMs: 1 });

    const result = await publisher.publish('order.created', { orderId: 'o-1' });

    expect(result.messageId).not.toBe('');
    expect(await copiesPerOrder(copies.url)).toEqual({ 'o-1': 3 });
    client.destroy();
  });

  test('a client with cached handlers from before the Publisher still gets its requests counted', async () => {
    const { topicArn, copies } = await topicWithQueues();
    const client = snsClientWith({ cacheMiddleware: true }); // the SDK's default: 3 attempts
    let lose = false;
    loseSnsResponses(client, 'PublishBatchCommand', () => lose);
    // Caches the PublishBatch handler before the Publisher installs its middleware.
    await client.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: [{ Id: 'x', Message: JSON.stringify({ data: { orderId: 'warm-up' } }) }] }));
    lose = true;
    const publisher = new Publisher({ topicArn, source: 'order-service', client, maxAttempts: 2, retryBaseDelayMs: 1 });

    await publisher.publishBatch([{ type: 'order.created', data: { orderId: 'o-1' } }]);

    expect(await copiesPerOrder(copies.url)).toEqual({ 'warm-up': 1, 'o-1': 2 });
    client.destroy();
  });
});

describe('FIFO order per message group', () => {
  test('an entry SNS failed is not retried after a later entry of its group that SNS accepted in the same call', async () => {
    const { topicArn, ordered } = await topicWithQueues(true);
    const client = snsClient();
    // SNS fails entry 0 in the first call only: a retry would succeed.
    let first = true;
    const calls = failBatchEntries(client, () => (first ? ((first = false), ['0']) : []));
    const publisher = new Publisher({ topicArn, source: 'order-service', client, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(orders(3, () => 'customer-1'));

    // SNS published 1 and 2; a retry of 0 would land after them (it did: [1, 2, 0]).
    expect((await drainQueue(sqs, ordered!.url)).map(orderIdOf)).toEqual(['o-1', 'o-2']);
    expect(calls).toHaveLength(1);
    expect(results.map((result) => result.ok)).toEqual([false, true, true]);
    expect(results[0]).toMatchObject({ ok: false, error: { code: 'InternalError', senderFault: false, message: expect.stringContaining('not retried: SNS accepted entry 2 of message group "customer-1"') } });
    client.destroy();
  });

  test('entries after a failed one in its group are retried with it, in order; other groups are not held', async () => {
    const { topicArn, ordered } = await topicWithQueues(true);
    const client = snsClient();
    // SNS fails entry 1 and the rest of its group in the first call only.
    let first = true;
    const calls = failBatchEntries(client, (entries) => {
      if (!first) return [];
      first = false;
      return entries.filter((entry) => entry.MessageGroupId === 'g' && Number(entry.Id) >= 1).map((entry) => entry.Id);
    });
    const publisher = new Publisher({ topicArn, source: 'order-service', client, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(orders(6, (i) => (i % 2 === 0 ? 'g' : 'h')).map((entry, i) => ({ ...entry, messageGroupId: i < 3 ? 'g' : 'h' })));

    expect(results.every((result) => result.ok)).toBe(true);
    expect(calls).toEqual([['0', '1', '2', '3', '4', '5'], ['1', '2']]);
    const received = await drainQueue(sqs, ordered!.url);
    expect(received.filter((m) => m.Attributes?.MessageGroupId === 'g').map(orderIdOf)).toEqual(['o-0', 'o-1', 'o-2']);
    expect(received.filter((m) => m.Attributes?.MessageGroupId === 'h').map(orderIdOf)).toEqual(['o-3', 'o-4', 'o-5']);
    client.destroy();
  });

  test('once an entry fails for good, the later entries of its group are not sent (later calls included); other groups go on', async () => {
    const { topicArn, ordered } = await topicWithQueues(true);
    const client = snsClient();
    const calls = failBatchEntries(client, () => ['9']);
    const publisher = new Publisher({ topicArn, source: 'order-service', client, retryBaseDelayMs: 1 });
    // Entries 0-9 and 10, 12 are group g (the first call is 0-9); 11 is group h.
    const entries = orders(13, (i) => (i === 11 ? 'h' : 'g'));

    const results = await publisher.publishBatch(entries);

    const received = await drainQueue(sqs, ordered!.url);
    expect(received.filter((m) => m.Attributes?.MessageGroupId === 'g').map(orderIdOf)).toEqual(Array.from({ length: 9 }, (_, i) => `o-${i}`));
    expect(received.filter((m) => m.Attributes?.MessageGroupId === 'h').map(orderIdOf)).toEqual(['o-11']);
    expect(calls).toEqual([['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], ['9'], ['9'], ['11']]);
    expect(results[9]).toMatchObject({ ok: false, error: { code: 'InternalError', senderFault: false } });
    for (const index of [10, 12]) {
      expect(results[index]).toMatchObject({ ok: false, error: { code: 'EarlierEntryFailed', senderFault: false, message: expect.stringContaining('entry 9 of message group "g" failed for good (InternalError)') } });
    }
    expect(results[11].ok).toBe(true);
    client.destroy();
  });

  test('a standard topic holds nothing back', async () => {
    const { topicArn, copies } = await topicWithQueues();
    const client = snsClient();
    failBatchEntries(client, () => ['0'], { Code: 'InternalError', SenderFault: false });
    const publisher = new Publisher({ topicArn, source: 'order-service', client, maxAttempts: 1 });

    const results = await publisher.publishBatch(orders(12));

    expect(results.filter((result) => !result.ok)).toHaveLength(1);
    expect(Object.keys(await copiesPerOrder(copies.url))).toHaveLength(11);
    client.destroy();
  });
});

describe('what SNS says about each entry', () => {
  /** Middleware: drops chosen Ids from the response's Successful list (SNS published them). */
  function dropFromResponse(client: SNSClient, drop: (call: number) => string[]) {
    let call = 0;
    client.middlewareStack.add((next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName !== 'PublishBatchCommand') return result;
      const ids = new Set(drop(++call));
      const output = result.output as { Successful?: { Id?: string }[] };
      output.Successful = (output.Successful ?? []).filter((entry) => !ids.has(entry.Id ?? ''));
      return result;
    }, { step: 'initialize', name: uniqueName('dropFromResponse') });
  }

  test('an entry missing from the response (neither Successful nor Failed) is a failure and is retried', async () => {
    const { topicArn, copies } = await topicWithQueues();
    const client = snsClient();
    dropFromResponse(client, (call) => (call === 1 ? ['1'] : []));
    const publisher = new Publisher({ topicArn, source: 'order-service', client, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(orders(3));

    expect(results).toHaveLength(3);
    expect(results.map((result) => result.ok)).toEqual([true, true, true]);
    expect(await copiesPerOrder(copies.url)).toEqual({ 'o-0': 1, 'o-1': 2, 'o-2': 1 });
    client.destroy();
  });

  test('an entry always missing from the response ends failed after maxAttempts', async () => {
    const { topicArn } = await topicWithQueues();
    const client = snsClient();
    dropFromResponse(client, () => ['0']);
    const requests = countRequests(client);
    const publisher = new Publisher({ topicArn, source: 'order-service', client, retryBaseDelayMs: 1 });

    const [result] = await publisher.publishBatch(orders(1));

    expect(result).toMatchObject({ ok: false, error: { code: 'MissingFromResponse', senderFault: false } });
    expect(requests.of('PublishBatchCommand')).toBe(3);
    client.destroy();
  });

  test('a topic that does not exist: one request, the sender\'s fault', async () => {
    const client = snsClient();
    const requests = countRequests(client);
    const publisher = new Publisher({ topicArn: 'arn:aws:sns:us-east-1:000000000000:no-such-topic', source: 'order-service', client, retryBaseDelayMs: 1 });

    const results = await publisher.publishBatch(orders(2));
    await expect(publisher.publish('order.created', { orderId: 'o-1' })).rejects.toMatchObject({ name: 'NotFoundException' });

    expect(results.map((result) => !result.ok && result.error)).toEqual([
      { code: 'NotFound', message: 'Topic does not exist', senderFault: true },
      { code: 'NotFound', message: 'Topic does not exist', senderFault: true },
    ]);
    expect(requests.of('PublishBatchCommand')).toBe(1);
    expect(requests.of('PublishCommand')).toBe(1);
    client.destroy();
  });

  test.each([
    [{ Code: 'InvalidParameter', Message: 'bad', SenderFault: false }],
    [{ Code: 'InvalidParameterValue', Message: 'bad', SenderFault: false }],
    [{ Code: 'AuthorizationError', Message: 'denied', SenderFault: false }],
    [{ Code: 'KMSDisabled', Message: 'key disabled', SenderFault: true }],
  ])('entry failed with %p: not retried, the sender\'s fault', async (error) => {
    const { topicArn } = await topicWithQueues();
    const client = snsClient();
    const calls = failBatchEntries(client, () => ['0'], error);
    const publisher = new Publisher({ topicArn, source: 'order-service', client, retryBaseDelayMs: 1 });

    const [result] = await publisher.publishBatch(orders(1));

    expect(calls).toHaveLength(1);
    expect(result).toMatchObject({ ok: false, error: { code: error.Code, message: error.Message, senderFault: true } });
    client.destroy();
  });
});

describe('FIFO deduplication ids', () => {
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  const SNS_ID = /^[\x21-\x7E]{1,128}$/;

  test('an envelope id SNS would refuse becomes its SHA-256 (same id, same deduplication id); an acceptable one is kept', async () => {
    const { topicArn, ordered } = await topicWithQueues(true);
    const client = snsClient();
    const sent: string[] = [];
    client.middlewareStack.add((next) => async (args) => {
      const input = args.input as { MessageDeduplicationId?: string; PublishBatchRequestEntries?: { MessageDeduplicationId?: string }[] };
      for (const entry of input.PublishBatchRequestEntries ?? [input]) sent.push(entry.MessageDeduplicationId!);
      return next(args);
    }, { step: 'initialize', name: 'recordDedupIds' });
    const publisher = new Publisher({ topicArn, source: 'order-service', client });
    const spaced = 'order 1 créée';
    const punctuated = 'o-1:"a"!{b}~[c]\\`x`';
    const long = 'x'.repeat(128);

    await publisher.publish('order.created', { orderId: 'o-1' }, { id: spaced, messageGroupId: 'g' });
    await publisher.publishBatch([
      { type: 'order.created', data: { orderId: 'o-1-again' }, id: spaced, messageGroupId: 'g' },
      { type: 'order.created', data: { orderId: 'o-2' }, id: punctuated, messageGroupId: 'g' },
      { type: 'order.created', data: { orderId: 'o-3' }, id: long, messageGroupId: 'g' },
      { type: 'order.created', data: { orderId: 'o-4' }, id: 'ordre\u00a0n°4', messageGroupId: 'g' },
    ]);

    expect(sent).toEqual([sha256(spaced), sha256(spaced), punctuated, long, sha256('ordre\u00a0n°4')]);
    expect(sent.every((id) => SNS_ID.test(id))).toBe(true);
    const received = await drainQueue(sqs, ordered!.url);
    // The second envelope with the id `spaced` has the same deduplication id: dropped.
    expect(received.map(orderIdOf)).toEqual(['o-1', 'o-2', 'o-3', 'o-4']);
    expect(received[0].Attributes?.MessageDeduplicationId).toBe(sha256(spaced));
    client.destroy();
  });

  test('an explicit deduplication or group id SNS would refuse throws before anything is sent', async () => {
    const client = snsClient();
    const requests = countRequests(client);
    const publisher = new Publisher({ topicArn: 'arn:aws:sns:us-east-1:000000000000:orders.fifo', source: 'order-service', client });

    await expect(publisher.publish('order.created', {}, { messageGroupId: 'g', messageDeduplicationId: 'has space' })).rejects.toThrow(
      /^publish: messageDeduplicationId must be 1 to 128 letters, digits and ASCII punctuation, got "has space"/,
    );
    await expect(publisher.publishBatch([{ type: 'order.created', data: {}, messageGroupId: 'g' }, { type: 'order.created', data: {}, messageGroupId: 'x'.repeat(129) }])).rejects.toThrow(
      /^publishBatch entry 1: messageGroupId must be 1 to 128 letters, digits and ASCII punctuation/,
    );
    expect(requests.total()).toBe(0);
    client.destroy();
  });
});
