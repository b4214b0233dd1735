/*
 * Idempotency under concurrency and crashes, against DynamoDB Local: racing invocations, lock
 * expiry after a crash, fenced completion and release, and transactional completion.
 */
import { DynamoDBClient, PutItemCommand, type AttributeValue, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { createConsumer, type HandlerContext } from '@cdk-fanout/runtime';
import { dynamoDbClient } from '@cdk-fanout/testing';
import { captureLogs, countRequests, createIdempotencyTable, failRequests, gate, getItem } from '@cdk-fanout/testing';
import { envelope, lambdaContext, sqsEvent, sqsRecord } from '@cdk-fanout/testing';
import { setTimeout as delay } from 'node:timers/promises';
import { IdempotencyStore } from '../../runtime/src/idempotency-store';

const Order = z.object({ orderId: z.string() });
const CONSUMER = 'inventory';

let table: string;
let ledger: string;
let inspect: DynamoDBClient;

beforeAll(async () => {
  inspect = dynamoDbClient();
  [table, ledger] = await Promise.all([createIdempotencyTable(inspect), createIdempotencyTable(inspect, 'ledger')]);
});

afterAll(() => inspect.destroy());

/** One Lambda container: its own client and consumer. */
function container(handle: (data: { orderId: string }, ctx: HandlerContext) => unknown, options: { minRemainingTimeMs?: number } = {}) {
  const client = dynamoDbClient();
  const requests = countRequests(client);
  const logs = captureLogs();
  const handler = createConsumer({
    consumerName: CONSUMER,
    idempotency: { tableName: table, client },
    logger: logs.logger,
    handlers: { 'order.created': { schema: Order, handle } },
    ...options,
  });
  return { handler, client, requests, logs };
}

const key = (id: string) => `${CONSUMER}#${id}`;
const ledgerPut = (pk: string, ctx: HandlerContext): TransactWriteItem => ({
  Put: { TableName: ledger, Item: { pk: { S: pk }, envelopeId: { S: ctx.envelope.id } }, ConditionExpression: 'attribute_not_exists(pk)' },
});

test('two invocations racing on the same ids: exactly one effect per id', async () => {
  const effects = new Map<string, number>();
  const handle = async (data: { orderId: string }) => {
    await new Promise((resolve) => setImmediate(resolve));
    effects.set(data.orderId, (effects.get(data.orderId) ?? 0) + 1);
  };
  const a = container(handle);
  const b = container(handle);
  const messages = Array.from({ length: 20 }, (_, i) => envelope('order.created', { orderId: `race-${i}` }));

  const [responseA, responseB] = await Promise.all([
    a.handler(sqsEvent(...messages.map((message) => sqsRecord(message))), lambdaContext()),
    b.handler(sqsEvent(...messages.map((message) => sqsRecord(message))), lambdaContext()),
  ]);

  expect([...effects.values()]).toEqual(Array(20).fill(1));
  // The loser of each race either saw the winner done (duplicate) or still working (retried later).
  const retried = responseA.batchItemFailures.length + responseB.batchItemFailures.length;
  expect(retried).toBeLessThanOrEqual(20);
  const retry = await a.handler(sqsEvent(...messages.map((message) => sqsRecord(message))), lambdaContext());
  expect(retry.batchItemFailures).toEqual([]);
  expect(a.requests.of('PutItemCommand') + b.requests.of('PutItemCommand')).toBe(60);
  expect([...effects.values()]).toEqual(Array(20).fill(1));
});

describe('a crashed invocation', () => {
  /** A crash as the others see it: the handler stalls and the container can no longer reach DynamoDB, so its lock is not extended. */
  function crashing(handle: (data: { orderId: string }, ctx: HandlerContext) => unknown) {
    const crashed = container(handle, { minRemainingTimeMs: 0 });
    let down = true;
    for (const command of ['UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand']) {
      failRequests(crashed.client, command, () => down);
    }
    return { ...crashed, recover: () => (down = false) };
  }

  test('its lock runs out and another invocation takes over; when it wakes it neither completes nor releases', async () => {
    const stuck = gate();
    const effects: string[] = [];
    const crashed = crashing(async (data, ctx) => {
      await stuck.promise;
      ctx.signal.throwIfAborted();
      effects.push(`crashed:${data.orderId}`);
    });
    const healthy = container((data) => {
      effects.push(`healthy:${data.orderId}`);
    });
    const message = envelope('order.created', { orderId: 'o-1' });
    const record = sqsRecord(message);

    // 300 ms left: the claim's lock ends with the invocation, which "crashes" (never finishes in time).
    const late = crashed.handler(sqsEvent(record), lambdaContext(300));
    const claimed = await waitForItem(key(message.id), (item) => item.status?.S === 'IN_PROGRESS');
    const lockUntil = Number(claimed.lockUntil.N);
    expect(lockUntil).toBeGreaterThan(Date.now() - 1000);
    expect(lockUntil).toBeLessThanOrEqual(Date.now() + 300);
    await sleepUntil(lockUntil + 1);

    const takeover = await healthy.handler(sqsEvent(sqsRecord(message)), lambdaContext());

    expect(takeover.batchItemFailures).toEqual([]);
    expect(healthy.requests.total()).toBe(2);
    const completed = await getItem(inspect, table, key(message.id));
    expect(completed?.status?.S).toBe('COMPLETED');
    expect(completed?.claimToken?.S).not.toBe(claimed.claimToken.S);

    // It wakes with its network back: its lock ran out unextended, so it gave the claim up.
    crashed.recover();
    stuck.open();
    expect((await late).batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(crashed.requests.of('DeleteItemCommand')).toBe(0);
    expect(crashed.logs.lines.find((line) => /marking it completed/.test(line.message))).toBeUndefined();
    expect(crashed.logs.lines.find((line) => /claim was lost/.test(line.message))?.fields.reason).toMatchObject({ name: 'ClaimLostError' });
    expect(await getItem(inspect, table, key(message.id))).toEqual(completed);
    expect(effects).toEqual(['healthy:o-1']);
    // SQS delivers it again: a duplicate.
    expect((await crashed.handler(sqsEvent(record), lambdaContext())).batchItemFailures).toEqual([]);
    expect(effects).toEqual(['healthy:o-1']);
  });

  test('in transactional mode the late invocation applies nothing and is retried, which finds the duplicate', async () => {
    const stuck = gate();
    const crashed = crashing(async (_data, ctx) => {
      await stuck.promise;
      ctx.transact(ledgerPut(`late#${ctx.envelope.id}`, ctx));
    });
    const healthy = container((_data, ctx) => ctx.transact(ledgerPut(`healthy#${ctx.envelope.id}`, ctx)));
    const message = envelope('order.created', { orderId: 'o-2' });
    const record = sqsRecord(message);

    const late = crashed.handler(sqsEvent(record), lambdaContext(200));
    const claimed = await waitForItem(key(message.id), (item) => item.status?.S === 'IN_PROGRESS');
    await sleepUntil(Number(claimed.lockUntil.N) + 1);
    await healthy.handler(sqsEvent(sqsRecord(message)), lambdaContext());
    crashed.recover();
    stuck.open();

    expect((await late).batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await getItem(inspect, ledger, `late#${message.id}`)).toBeUndefined();
    expect(await getItem(inspect, ledger, `healthy#${message.id}`)).toBeDefined();
    expect((await getItem(inspect, table, key(message.id)))?.status?.S).toBe('COMPLETED');
    const retry = await crashed.handler(sqsEvent(record), lambdaContext());
    expect(retry.batchItemFailures).toEqual([]);
    expect(crashed.logs.lines.filter((line) => line.message === 'already processed: duplicate')).toHaveLength(1);
  });
});

describe('a takeover the running invocation has not noticed yet (a taker whose clock runs far ahead)', () => {
  /** Another invocation's claim written over ours, as a taker whose clock is ahead by more than the lock would write it. */
  async function takeOver(pk: string): Promise<Record<string, AttributeValue>> {
    const item = { pk: { S: pk }, status: { S: 'IN_PROGRESS' }, claimToken: { S: 'the-taker' }, lockUntil: { N: String(Date.now() + 60_000) }, expiresAt: { N: String(Math.ceil(Date.now() / 1000) + 3600) } };
    await inspect.send(new PutItemCommand({ TableName: table, Item: item }));
    return item;
  }

  test('its completion is refused by the fence and leaves the new claim alone', async () => {
    const message = envelope('order.created', { orderId: 'o-3' });
    let taken: Record<string, AttributeValue> = {};
    const late = container(async () => {
      taken = await takeOver(key(message.id));
    });

    const response = await late.handler(sqsEvent(sqsRecord(message)), lambdaContext());

    // The effect happened, so it is reported processed; the failed completion is logged and counted.
    expect(response.batchItemFailures).toEqual([]);
    expect(late.logs.lines.find((line) => /marking it completed failed/.test(line.message))?.fields.error).toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(await getItem(inspect, table, key(message.id))).toEqual(taken);
  });

  test('its late failure cannot release the claim another invocation took over', async () => {
    const message = envelope('order.created', { orderId: 'o-4' });
    let taken: Record<string, AttributeValue> = {};
    const late = container(async () => {
      taken = await takeOver(key(message.id));
      throw new Error('late failure');
    });

    await late.handler(sqsEvent(sqsRecord(message)), lambdaContext());

    expect(late.requests.of('DeleteItemCommand')).toBe(1);
    expect(await getItem(inspect, table, key(message.id))).toEqual(taken);
  });
});

describe('the store\'s fenced writes', () => {
  const claimOf = (store: IdempotencyStore, claim: { key: string; token: string }, nowMs = Date.now()) =>
    store.claim({ ...claim, payloadHash: 'h', nowMs, lockUntilMs: nowMs + 60_000, expiresAtSeconds: Math.ceil(nowMs / 1000) + 3600 });

  test('release never deletes a COMPLETED record, not even under our own token', async () => {
    const store = new IdempotencyStore(inspect, table);
    const claim = { key: key(`release-${Date.now()}`), token: 'ours' };
    await claimOf(store, claim);
    expect(await store.complete(claim, Math.ceil(Date.now() / 1000) + 3600)).toBeUndefined();

    await store.release(claim);

    expect((await getItem(inspect, table, claim.key))?.status?.S).toBe('COMPLETED');
  });

  test('a claim taken over can neither be extended, completed nor released', async () => {
    const store = new IdempotencyStore(inspect, table);
    const ours = { key: key(`taken-${Date.now()}`), token: 'ours' };
    await claimOf(store, ours);
    // The taker's clock is past our lock.
    expect(await claimOf(store, { key: ours.key, token: 'theirs' }, Date.now() + 120_000)).toEqual({ claimed: true });
    const taken = await getItem(inspect, table, ours.key);

    expect(await store.extend(ours, { lockUntilMs: Date.now() + 60_000, expiresAtSeconds: Math.ceil(Date.now() / 1000) + 3600 })).toBe(false);
    expect(await store.complete(ours, Math.ceil(Date.now() / 1000) + 3600)).toMatchObject({ fenceFailed: true, record: { status: 'IN_PROGRESS', claimToken: 'theirs' } });
    await store.release(ours);

    expect(await getItem(inspect, table, ours.key)).toEqual(taken);
  });
});

describe('the lock is always bounded', () => {
  test.each([
    ['remaining time 0', { getRemainingTimeInMillis: () => 0 }],
    ['no Lambda context', undefined],
  ])('%s: the lock lasts the fallback', async (_case, context) => {
    const stuck = gate();
    const client = dynamoDbClient();
    const handler = createConsumer({
      consumerName: CONSUMER,
      idempotency: { tableName: table, client, lockFallbackMs: 30_000 },
      minRemainingTimeMs: 0,
      logger: captureLogs().logger,
      handlers: { 'order.created': { handle: () => stuck.promise } },
    });
    const message = envelope('order.created', {});
    const start = Date.now();

    const running = handler(sqsEvent(sqsRecord(message)), context);
    const claimed = await waitForItem(key(message.id), (item) => item.status?.S === 'IN_PROGRESS');
    stuck.open();
    await running;

    expect(Number(claimed.lockUntil.N)).toBeGreaterThanOrEqual(start + 30_000);
    expect(Number(claimed.lockUntil.N)).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(Number(claimed.expiresAt.N) * 1000).toBeGreaterThanOrEqual(Number(claimed.lockUntil.N));
  });
});

describe('transactional mode', () => {
  test('the effect and the completion commit in one TransactWriteItems: 2 requests', async () => {
    const { handler, requests } = container((_data, ctx) => ctx.transact(ledgerPut(`charge#${ctx.envelope.id}`, ctx)));
    const message = envelope('order.created', { orderId: 'o-4' });

    const response = await handler(sqsEvent(sqsRecord(message)), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(requests.of('PutItemCommand')).toBe(1);
    expect(requests.of('TransactWriteItemsCommand')).toBe(1);
    expect(requests.total()).toBe(2);
    expect((await getItem(inspect, ledger, `charge#${message.id}`))?.envelopeId?.S).toBe(message.id);
    expect((await getItem(inspect, table, key(message.id)))?.status?.S).toBe('COMPLETED');
  });

  test('a failing transaction applies neither the effect nor the completion', async () => {
    const message = envelope('order.created', { orderId: 'o-5' });
    // A second write whose condition fails cancels the whole transaction.
    await inspect.send(new PutItemCommand({ TableName: ledger, Item: { pk: { S: `audit#${message.id}` } } }));
    const { handler, logs } = container((_data, ctx) => ctx.transact(
      ledgerPut(`charge#${ctx.envelope.id}`, ctx),
      ledgerPut(`audit#${ctx.envelope.id}`, ctx),
    ));
    const record = sqsRecord(message);

    const response = await handler(sqsEvent(record), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await getItem(inspect, ledger, `charge#${message.id}`)).toBeUndefined();
    expect(await getItem(inspect, table, key(message.id))).toBeUndefined();
    expect(logs.lines.find((line) => line.fields.cause === 'transaction-failed')?.fields.error).toMatchObject({ name: 'TransactionCanceledException' });
  });

  test('an injected TransactWriteItems failure applies neither; the claim is kept until its lock ends, and then the retry applies both once', async () => {
    let broken = true;
    const { handler, client, requests } = container((_data, ctx) => ctx.transact(ledgerPut(`charge#${ctx.envelope.id}`, ctx)), { minRemainingTimeMs: 0 });
    failRequests(client, 'TransactWriteItemsCommand', () => broken);
    const message = envelope('order.created', { orderId: 'o-6' });
    const record = sqsRecord(message);

    // The client cannot tell this 500 from a commit whose response was lost: it never releases after it.
    expect((await handler(sqsEvent(record), lambdaContext(300))).batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(requests.of('DeleteItemCommand')).toBe(0);
    expect(await getItem(inspect, ledger, `charge#${message.id}`)).toBeUndefined();
    const kept = await waitForItem(key(message.id), (item) => item.status?.S === 'IN_PROGRESS');

    broken = false;
    await sleepUntil(Number(kept.lockUntil.N) + 1);
    expect((await handler(sqsEvent(record), lambdaContext())).batchItemFailures).toEqual([]);
    expect(await getItem(inspect, ledger, `charge#${message.id}`)).toBeDefined();
    expect((await getItem(inspect, table, key(message.id)))?.status?.S).toBe('COMPLETED');
  });

  test('more than 99 writes is refused with a clear error before anything is sent', async () => {
    const { handler, logs, requests } = container((_data, ctx) => {
      ctx.transact(...Array.from({ length: 100 }, (_, i) => ledgerPut(`bulk-${i}#${ctx.envelope.id}`, ctx)));
    });
    const message = envelope('order.created', { orderId: 'o-7' });

    const response = await handler(sqsEvent(sqsRecord(message)), lambdaContext());

    expect(response.batchItemFailures).toHaveLength(1);
    expect((logs.lines.find((line) => line.fields.cause === 'handler-error')?.fields.error as Error).message).toMatch(/100 writes plus the completion exceed DynamoDB's limit of 100/);
    expect(requests.of('TransactWriteItemsCommand')).toBe(0);
  });
});

async function waitForItem(pk: string, condition: (item: Record<string, { S?: string; N?: string }>) => boolean): Promise<Record<string, { S: string; N: string }>> {
  for (let i = 0; i < 500; i++) {
    const item = await getItem(inspect, table, pk);
    if (item && condition(item)) return item as unknown as Record<string, { S: string; N: string }>;
    await delay(10);
  }
  throw new Error(`${pk} never reached the expected state`);
}

/** Waits until the wall clock passes `epochMs`: the lock is judged by the clock, not by elapsed time. */
async function sleepUntil(epochMs: number): Promise<void> {
  while (Date.now() <= epochMs) {
    await delay(Math.max(1, epochMs - Date.now() + 1));
  }
}
