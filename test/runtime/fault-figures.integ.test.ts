/*
 * Figures under faults, against DynamoDB Local: 300 messages, each delivered twice, handled by
 * three containers (each its own createConsumer and DynamoDB client carrying seeded fault
 * middleware: a share of attempts throttled, a share of successful responses lost after the write
 * was applied). Records reported failed are delivered again, as SQS does after the visibility
 * timeout, until none is left. Each handler kind (plain; transactional claiming first;
 * transactional claim-free) in each idempotency mode that applies to it (batched, the default;
 * per record). Replay a run with FANOUT_TEST_SEED=<seed printed>.
 */
import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { setTimeout as delay } from 'node:timers/promises';
import { createConsumer, type ClaimMode, type HandlerContext, type IdempotencyOptions } from '@cdk-fanout/runtime';
import { captureLogs, countRequests, createIdempotencyTable, dynamoDbClient, envelope, injectDynamoDbFaults, lambdaContext, seededRandom, sqsEvent, sqsRecord, testSeed } from '@cdk-fanout/testing';

const SEED = testSeed();
const MESSAGES = 300;
const COPIES = 2;
const CONTAINERS = 3;
const THROTTLE_RATE = 0.2;
const LOST_RESPONSE_RATE = 0.1;
const BATCH_SIZE = 10;
/** Each invocation reports this much time left, so a claim's lock lasts this long; also the visibility timeout between rounds. */
const LOCK_MS = 2000;
const MAX_ROUNDS = 15;

let table: string;
let effectsTable: string;
let inspect: DynamoDBClient;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  inspect = dynamoDbClient();
  [table, effectsTable] = await Promise.all([createIdempotencyTable(inspect), createIdempotencyTable(inspect, 'effects')]);
});

afterAll(() => {
  for (const client of [inspect, ...clients]) client.destroy();
});

/** A handler kind in an idempotency mode: `transactional` is the handler's claim mode, absent for a plain handler. */
interface Variant {
  readonly transactional?: ClaimMode;
  readonly idempotency: Pick<IdempotencyOptions, 'batching'>;
  /** Share of successful responses lost, when not LOST_RESPONSE_RATE. */
  readonly lostResponseRate?: number;
}

const VARIANTS: readonly [string, Variant][] = [
  ['plain, batched', { idempotency: {} }],
  ['plain, per record', { idempotency: { batching: false } }],
  ['transactional claiming first, batched', { transactional: 'first', idempotency: {} }],
  ['transactional claiming first, per record', { transactional: 'first', idempotency: { batching: false } }],
  // Grouped commits send about one request per 20 messages, half of them cancelled by duplicates: a higher rate keeps lost responses in its figures.
  ["transactional claim-free ('at-commit')", { transactional: 'at-commit', idempotency: {}, lostResponseRate: 0.3 }],
];

// All at once: the time goes to the SDK's backoff, not to the two cores.
test.concurrent.each(VARIANTS)('%s, under throttling and lost responses: no double effect, nothing acknowledged without its effect, nothing stuck', async (name, variant) => {
  const mode = variant.transactional ? 'transactional' : 'plain';
  const seed = (SEED + VARIANTS.findIndex(([candidate]) => candidate === name)) >>> 0;
  const random = seededRandom(seed);
  const plainEffects = new Map<string, number>();
  const handle = (_data: unknown, ctx: HandlerContext) => {
    if (mode === 'transactional') {
      ctx.transact({ Update: { TableName: effectsTable, Key: { pk: { S: ctx.envelope.id } }, UpdateExpression: 'ADD effects :one', ExpressionAttributeValues: { ':one': { N: '1' } } } });
    } else {
      plainEffects.set(ctx.envelope.id, (plainEffects.get(ctx.envelope.id) ?? 0) + 1);
    }
  };
  const containers = Array.from({ length: CONTAINERS }, (_, i) => {
    const client = dynamoDbClient();
    clients.push(client);
    const requests = countRequests(client);
    const faults = injectDynamoDbFaults(client, { seed: seed * 31 + i, throttleRate: THROTTLE_RATE, lostResponseRate: variant.lostResponseRate ?? LOST_RESPONSE_RATE });
    const logs = captureLogs();
    const handler = createConsumer({
      consumerName: `figures-${VARIANTS.findIndex(([candidate]) => candidate === name)}`,
      idempotency: { tableName: table, client, ...variant.idempotency },
      logger: logs.logger,
      minRemainingTimeMs: 0,
      handlers: { 'order.placed': { handle, claim: variant.transactional } },
    });
    return { client, requests, faults, logs, handler };
  });
  const messages = Array.from({ length: MESSAGES }, (_, i) => envelope('order.placed', { orderId: `o-${i}` }));
  const effectsNow = async (ids: readonly string[]): Promise<Map<string, number>> => (mode === 'plain' ? new Map(plainEffects) : readEffects(ids));
  const started = Date.now();

  let pending: SQSRecord[] = shuffle(messages.flatMap((message) => Array.from({ length: COPIES }, () => sqsRecord(message))), random);
  const deliveries = pending.length;
  let redelivered = 0;
  let ackedWithoutEffect = 0;
  let rounds = 0;
  for (; pending.length > 0 && rounds < MAX_ROUNDS; rounds++) {
    if (rounds > 0) {
      // The visibility timeout: by then every claim a failed record may have left has run out.
      await delay(LOCK_MS);
      redelivered += pending.length;
    }
    const batches: SQSRecord[][] = [];
    for (let i = 0; i < pending.length; i += BATCH_SIZE) batches.push(pending.slice(i, i + BATCH_SIZE));
    const failed: SQSRecord[] = [];
    // Each container polls the next batch when its invocation ends: one invocation at a time per container, containers side by side.
    await Promise.all(containers.map(async (container) => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) {
        const response = await container.handler(sqsEvent(...batch), lambdaContext(LOCK_MS));
        const failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
        const acked = batch.filter((record) => !failedIds.has(record.messageId)).map((record) => JSON.parse(record.body).id as string);
        const effects = await effectsNow(acked);
        ackedWithoutEffect += acked.filter((id) => !(effects.get(id)! >= 1)).length;
        failed.push(...batch.filter((record) => failedIds.has(record.messageId)));
      }
    }));
    pending = failed;
  }

  const effects = await effectsNow(messages.map((message) => message.id));
  const counts = messages.map((message) => effects.get(message.id) ?? 0);
  const batchTotals = sumBatchLines(containers.flatMap((container) => container.logs.lines));
  const failureCauses = countBy(containers.flatMap((container) => container.logs.lines).filter((line) => line.level !== 'INFO' && line.fields.cause !== undefined).map((line) => String(line.fields.cause)));
  const requests = countBy(containers.flatMap((container) => REQUEST_KINDS.flatMap((command) => Array<string>(container.requests.of(command)).fill(command))));
  const figures = {
    variant: name,
    seed,
    messages: MESSAGES,
    deliveries,
    redelivered,
    rounds,
    seconds: (Date.now() - started) / 1000,
    requests,
    requestsPerMessage: Number((sum(Object.values(requests)) / MESSAGES).toFixed(2)),
    injectedThrottles: sum(containers.map((container) => container.faults.throttled.count())),
    injectedLostResponses: sum(containers.map((container) => container.faults.lost.count())),
    successfulResponses: sum(containers.map((container) => container.faults.lost.considered())),
    processed: batchTotals.processed,
    duplicates: batchTotals.duplicates,
    reportedFailed: batchTotals.failed,
    failureCauses,
    completionWriteFailures: batchTotals.completionWriteFailures,
    doubleEffects: counts.filter((count) => count > 1).length,
    repeats: sum(counts.map((count) => Math.max(0, count - 1))),
    withoutEffect: counts.filter((count) => count === 0).length,
    ackedWithoutEffect,
    stuck: pending.length,
  };
  console.log(`fault figures (replay with FANOUT_TEST_SEED=${SEED})\n${JSON.stringify(figures, null, 2)}`);

  expect(figures.stuck).toBe(0);
  expect(figures.withoutEffect).toBe(0);
  expect(figures.ackedWithoutEffect).toBe(0);
  if (mode === 'transactional') {
    expect(figures.doubleEffects).toBe(0);
  } else {
    expect(figures.repeats).toBeLessThanOrEqual(figures.completionWriteFailures);
  }
  // The faults were there, in proportion to the attempts they could strike (a batched variant sends far fewer):
  // throttles at least half their rate of every attempt, lost responses at least an eighth of theirs of the successful
  // responses (a duplicate's cancelled transaction is no success). Both bounds sit more than three standard deviations
  // below the expected counts.
  const attempts = sum(Object.values(requests));
  expect(figures.injectedThrottles).toBeGreaterThanOrEqual((THROTTLE_RATE / 2) * attempts);
  expect(figures.injectedLostResponses).toBeGreaterThanOrEqual(((variant.lostResponseRate ?? LOST_RESPONSE_RATE) / 8) * figures.successfulResponses);
  expect(figures.injectedLostResponses).toBeGreaterThan(0);
}, 240_000);

/** The effect counters of `ids`, read consistently through a client without faults. */
async function readEffects(ids: readonly string[]): Promise<Map<string, number>> {
  const effects = new Map<string, number>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys = unique.slice(i, i + 100).map((id) => ({ pk: { S: id } }));
    while (keys.length > 0) {
      const response = await inspect.send(new BatchGetItemCommand({ RequestItems: { [effectsTable]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of response.Responses?.[effectsTable] ?? []) effects.set(item.pk.S!, Number(item.effects.N));
      keys = (response.UnprocessedKeys?.[effectsTable]?.Keys ?? []) as typeof keys;
    }
  }
  return effects;
}

/** The consumers' own "batch done" counts, added up. */
function sumBatchLines(lines: readonly { message: string; fields: Record<string, unknown> }[]) {
  const totals = { processed: 0, duplicates: 0, failed: 0, completionWriteFailures: 0 };
  for (const line of lines.filter((candidate) => candidate.message === 'batch done')) {
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += Number(line.fields[key] ?? 0);
  }
  return totals;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

const REQUEST_KINDS = ['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand', 'BatchExecuteStatementCommand', 'BatchGetItemCommand'];

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
