/*
 * Figures: the Publisher under 30 % lost responses (the request reaches fauxqs, which publishes,
 * and the response is lost), seeded and printed. Copies are counted where fauxqs delivered them:
 * a standard queue subscribed to the topic receives every copy SNS published. On a FIFO topic a
 * FIFO queue gives the order per message group. Replay a run with FANOUT_TEST_SEED=<seed>.
 */
import { SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import { SQSClient, type Message } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';
import { Publisher, type BatchEntry, type BatchEntryResult } from '@cdk-fanout/runtime';
import {
  countRequests, drainQueue, failBatchEntries, loseSnsResponses, seededRandom, snsClient, sqsClient, testSeed, topicWithQueues as createTopicWithQueues,
} from '@cdk-fanout/testing';

const SEED = testSeed();
const LOST_RATE = 0.3;
const ENTRIES = 300;
const MAX_ATTEMPTS = 3;

let sqs: SQSClient;
let admin: SNSClient;

beforeAll(() => {
  console.log(`publisher figures: seed ${SEED} (replay with FANOUT_TEST_SEED=${SEED})`);
  sqs = sqsClient();
  admin = snsClient();
});
afterAll(() => {
  sqs.destroy();
  admin.destroy();
});

const snsClientWith = (config: SNSClientConfig) =>
  new SNSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: process.env.FANOUT_TEST_FAUXQS_ENDPOINT, ...config });

async function topic(fifo: boolean) {
  const { topicArn, queues } = await createTopicWithQueues<string>(admin, sqs, 'figures', fifo, fifo ? { copies: {}, ordered: { fifo: true } } : { copies: {} });
  return { topicArn, copies: queues.copies, ordered: fifo ? queues.ordered : undefined };
}

const idOf = (message: Message) => (JSON.parse(message.Body!) as { id: string }).id;

/** Copies per envelope id, every entry listed (0 when none arrived). */
async function copiesOf(queueUrl: string, ids: readonly string[]): Promise<Map<string, number>> {
  const copies = new Map(ids.map((id) => [id, 0]));
  for (const message of await drainQueue(sqs, queueUrl)) copies.set(idOf(message), (copies.get(idOf(message)) ?? 0) + 1);
  return copies;
}

function summary(name: string, results: readonly BatchEntryResult[], copies: Map<string, number>, requests: number, lost: number, extra = ''): string {
  const histogram = new Map<number, number>();
  for (const count of copies.values()) histogram.set(count, (histogram.get(count) ?? 0) + 1);
  const codes = new Map<string, number>();
  for (const result of results) if (!result.ok) codes.set(result.error.code, (codes.get(result.error.code) ?? 0) + 1);
  return [
    `${name}: ${results.length} entries, maxAttempts ${MAX_ATTEMPTS}, ${Math.round(LOST_RATE * 100)} % of responses lost (seed ${SEED})`,
    `  PublishBatch requests ${requests}, responses lost ${lost}`,
    `  copies per entry: ${[...histogram].sort(([a], [b]) => a - b).map(([count, entries]) => `${count}: ${entries}`).join(', ')}; max ${Math.max(...copies.values())}`,
    `  results: ${results.filter((result) => result.ok).length} ok, ${results.filter((result) => !result.ok).length} failed${codes.size ? ` (${[...codes].map(([code, count]) => `${code} ${count}`).join(', ')})` : ''}`,
    ...(extra ? [`  ${extra}`] : []),
  ].join('\n');
}

test.each([
  ['client with the SDK\'s default retries (3 attempts)', {}],
  ['client with maxAttempts 1 (like the default client)', { maxAttempts: 1 }],
])('standard topic, %s: copies per entry <= maxAttempts', async (name, config) => {
  const { topicArn, copies } = await topic(false);
  const client = snsClientWith(config);
  const random = seededRandom(SEED);
  const requests = countRequests(client);
  const lost = loseSnsResponses(client, 'PublishBatchCommand', () => random() < LOST_RATE);
  const publisher = new Publisher({ topicArn, source: 'figures', client, maxAttempts: MAX_ATTEMPTS, retryBaseDelayMs: 1 });
  const entries: BatchEntry[] = Array.from({ length: ENTRIES }, (_, i) => ({ type: 'order.created', data: { orderId: `o-${i}` } }));

  const results = await publisher.publishBatch(entries);

  const ids = results.map((result) => result.envelope.id);
  const perEntry = await copiesOf(copies.url, ids);
  console.log(summary(`standard topic, ${name}`, results, perEntry, requests.of('PublishBatchCommand'), lost.lost));
  expect(Math.max(...perEntry.values())).toBeLessThanOrEqual(MAX_ATTEMPTS);
  for (const result of results) if (result.ok) expect(perEntry.get(result.envelope.id)).toBeGreaterThanOrEqual(1);
  client.destroy();
});

test('FIFO topic, 20 message groups, lost responses and entries SNS fails on its side: copies <= maxAttempts, order kept per group', async () => {
  const { topicArn, copies, ordered } = await topic(true);
  const client = snsClient(); // the SDK's default retries
  const groupOf = seededRandom(SEED + 1);
  const lostDraw = seededRandom(SEED);
  const failDraw = seededRandom(SEED ^ 0x5bd1e995);
  const requests = countRequests(client);
  const lost = loseSnsResponses(client, 'PublishBatchCommand', () => lostDraw() < LOST_RATE);
  // 5 % of the time SNS fails an entry on its side, and with it the rest of its group in that call.
  let entriesFailed = 0;
  failBatchEntries(client, (batch) => {
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
  const publisher = new Publisher({ topicArn, source: 'figures', client, maxAttempts: MAX_ATTEMPTS, retryBaseDelayMs: 1 });
  const entries: BatchEntry[] = Array.from({ length: ENTRIES }, (_, i) => ({ type: 'order.created', data: { orderId: `o-${i}` }, messageGroupId: `customer-${Math.floor(groupOf() * 20)}` }));

  const results = await publisher.publishBatch(entries);

  const ids = results.map((result) => result.envelope.id);
  const indexOf = new Map(ids.map((id, index) => [id, index]));
  const perEntry = await copiesOf(copies.url, ids);
  // Per group: the entries the FIFO queue received (deduplicated), as input positions.
  const received = new Map<string, number[]>();
  for (const message of await drainQueue(sqs, ordered!.url)) {
    const group = message.Attributes!.MessageGroupId!;
    received.set(group, [...(received.get(group) ?? []), indexOf.get(idOf(message))!]);
  }
  const inputOrder = new Map<string, number[]>();
  entries.forEach((entry, index) => inputOrder.set(entry.messageGroupId!, [...(inputOrder.get(entry.messageGroupId!) ?? []), index]));
  // Order kept: each group received a prefix of its entries, in input order (no entry after a missing one).
  const groupsInOrder = [...inputOrder].filter(([group, order]) => {
    const got = received.get(group) ?? [];
    return got.every((index, position) => index === order[position]);
  }).length;
  console.log(summary('FIFO topic, client with the SDK\'s default retries', results, perEntry, requests.of('PublishBatchCommand'), lost.lost,
    `entry failures injected ${entriesFailed}; groups whose FIFO queue order is a prefix of their input order: ${groupsInOrder} of ${inputOrder.size}`));

  expect(Math.max(...perEntry.values())).toBeLessThanOrEqual(MAX_ATTEMPTS);
  expect(groupsInOrder).toBe(inputOrder.size);
  const receivedIds = new Set([...received.values()].flat());
  for (const [index, result] of results.entries()) if (result.ok) expect(receivedIds.has(index)).toBe(true);
  client.destroy();
});
