/*
 * Idempotency under concurrency and crashes, against DynamoDB Local: racing invocations, lock
 * expiry after a crash, fenced completion and release, and transactional completion.
 */
import { DynamoDBClient, PutItemCommand, type AttributeValue, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { createConsumer, type ClaimMode, type HandlerContext, type IdempotencyOptions } from '@cdk-fanout/runtime';
import { IDEMPOTENCY_MODES, isBatched } from './support/idempotency-modes';
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
function container(handle: (data: { orderId: string }, ctx: HandlerContext) => unknown, options: { minRemainingTimeMs?: number; mode?: Pick<IdempotencyOptions, 'batching'>; claim?: ClaimMode } = {}) {
  const { mode = {}, claim, ...rest } = options;
  const client = dynamoDbClient();
  const requests = countRequests(client);
  const logs = captureLogs();
  const handler = createConsumer({
    consumerName: CONSUMER,
    idempotency: { tableName: table, client, ...mode },
    logger: logs.logger,
    handlers: { 'order.created': { schema: Order, handle, claim } },
    ...rest,
  });
  return { handler, client, requests, logs };
}

const key = (id: string) => `${CONSUMER}#${id}`;
const ledgerPut = (pk: string, ctx: HandlerContext): TransactWriteItem => ({
  Put: { TableName: ledger, Item: { pk: { S: pk }, envelopeId: { S: ctx.envelope.id } }, ConditionExpression: 'attribute_not_exists(pk)' },
});

describe.each(IDEMPOTENCY_MODES)('%s', (_modeName, mode) => {
  const inMode: typeof container = (handle, options = {}) => container(handle, { ...options, mode });

  test('two invocations racing on the same ids: exactly one effect per id', async () => {
    const effects = new Map<string, number>();
    const handle = async (data: { orderId: string }) => {
      await new Promise((resolve) => setImmediate(resolve));
      effects.set(data.orderId, (effects.get(data.orderId) ?? 0) + 1);
    };
    const a = inMode(handle);
    const b = inMode(handle);
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
    if (isBatched(mode)) {
      // Each invocation claims its 20 ids in one request and reads the taken ones in one more: no claim goes alone.
      expect(a.requests.of('PutItemCommand') + b.requests.of('PutItemCommand')).toBe(0);
      expect(a.requests.of('BatchGetItemCommand') + b.requests.of('BatchGetItemCommand')).toBeLessThanOrEqual(3);
    } else {
      expect(a.requests.of('PutItemCommand') + b.requests.of('PutItemCommand')).toBe(60);
    }
    expect([...effects.values()]).toEqual(Array(20).fill(1));
  });

  describe('a crashed invocation', () => {
    /** A crash as the others see it: the handler stalls and the container can no longer reach DynamoDB, so its lock is not extended. */
    function crashing(handle: (data: { orderId: string }, ctx: HandlerContext) => unknown) {
      const crashed = inMode(handle, { minRemainingTimeMs: 0 });
      let down = true;
      for (const command of ['UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand', 'BatchExecuteStatementCommand']) {
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
      const healthy = inMode((data) => {
        effects.push(`healthy:${data.orderId}`);
      });
      const message = envelope('order.created', { orderId: 'o-1' });
      const record = sqsRecord(message);

      // 1 s left: the claim's lock ends with the invocation, which "crashes" (never finishes in time).
      const late = crashed.handler(sqsEvent(record), lambdaContext(1000));
      const claimed = await waitForItem(key(message.id), (item) => item.status?.S === 'IN_PROGRESS');
      const lockUntil = Number(claimed.lockUntil.N);
      expect(lockUntil).toBeGreaterThan(Date.now() - 1000);
      expect(lockUntil).toBeLessThanOrEqual(Date.now() + 1000);
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
      const healthy = inMode((_data, ctx) => ctx.transact(ledgerPut(`healthy#${ctx.envelope.id}`, ctx)));
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
      const late = inMode(async () => {
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
      const late = inMode(async () => {
        taken = await takeOver(key(message.id));
        throw new Error('late failure');
      });

      await late.handler(sqsEvent(sqsRecord(message)), lambdaContext());

      expect(late.requests.of('DeleteItemCommand')).toBe(1);
      expect(await getItem(inspect, table, key(message.id))).toEqual(taken);
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
        idempotency: { tableName: table, client, lockFallbackMs: 30_000, ...mode },
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

  describe('transactional mode, claim first (the default)', () => {
    test('the effect and the completion commit in one TransactWriteItems: 2 requests', async () => {
      const { handler, requests } = inMode((_data, ctx) => ctx.transact(ledgerPut(`charge#${ctx.envelope.id}`, ctx)));
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
      const { handler, logs } = inMode((_data, ctx) => ctx.transact(
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
      const { handler, client, requests } = inMode((_data, ctx) => ctx.transact(ledgerPut(`charge#${ctx.envelope.id}`, ctx)), { minRemainingTimeMs: 0 });
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
      const { handler, logs, requests } = inMode((_data, ctx) => {
        ctx.transact(...Array.from({ length: 100 }, (_, i) => ledgerPut(`bulk-${i}#${ctx.envelope.id}`, ctx)));
      });
      const message = envelope('order.created', { orderId: 'o-7' });

      const response = await handler(sqsEvent(sqsRecord(message)), lambdaContext());

      expect(response.batchItemFailures).toHaveLength(1);
      expect((logs.lines.find((line) => line.fields.cause === 'handler-error')?.fields.error as Error).message).toMatch(/100 writes plus the completion exceed DynamoDB's limit of 100/);
      expect(requests.of('TransactWriteItemsCommand')).toBe(0);
    });
  });

  describe("claim-free transactional handlers (claim: 'at-commit')", () => {
    const atCommit = (handle: (data: { orderId: string }, ctx: HandlerContext) => unknown, options: { minRemainingTimeMs?: number } = {}) => inMode(handle, { ...options, claim: 'at-commit' });
    /** An effect without a condition of its own, so applying it twice shows. */
    const countEffect = (ctx: HandlerContext): TransactWriteItem => ({
      Update: { TableName: ledger, Key: { pk: { S: `count#${ctx.envelope.id}` } }, UpdateExpression: 'ADD effects :one', ExpressionAttributeValues: { ':one': { N: '1' } } },
    });
    const effectsOf = async (id: string) => Number((await getItem(inspect, ledger, `count#${id}`))?.effects?.N ?? 0);

    test('a fresh record: the effect and the COMPLETED record in one TransactWriteItems, 1 request, no claim', async () => {
      const { handler, requests } = atCommit((_data, ctx) => ctx.transact(countEffect(ctx)));
      const message = envelope('order.created', { orderId: 'c-1' });

      const response = await handler(sqsEvent(sqsRecord(message)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(requests.of('TransactWriteItemsCommand')).toBe(1);
      expect(requests.total()).toBe(1);
      expect(await effectsOf(message.id)).toBe(1);
      const item = await getItem(inspect, table, key(message.id));
      expect(item).toMatchObject({ status: { S: 'COMPLETED' }, payloadHash: { S: expect.stringMatching(/^[0-9a-f]{64}$/) } });
      expect(item?.lockUntil).toBeUndefined();
    });

    test('a duplicate runs the handler, but its transaction is cancelled: reported as a duplicate, 1 request, the effect once', async () => {
      let runs = 0;
      const { handler, requests, logs } = atCommit((_data, ctx) => {
        runs++;
        ctx.transact(countEffect(ctx));
      });
      const message = envelope('order.created', { orderId: 'c-2' });
      await handler(sqsEvent(sqsRecord(message)), lambdaContext());
      requests.reset();

      const response = await handler(sqsEvent(sqsRecord(message)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(runs).toBe(2);
      expect(requests.total()).toBe(1);
      expect(await effectsOf(message.id)).toBe(1);
      expect(logs.lines.filter((line) => line.message === 'batch done').at(-1)?.fields).toMatchObject({ duplicates: 1, processed: 0 });
    });

    test('two invocations at once: both run the handler, one transaction commits, the effect applies once', async () => {
      const bothRunning = gate();
      let running = 0;
      const handle = async (_data: unknown, ctx: HandlerContext) => {
        if (++running === 2) bothRunning.open();
        await bothRunning.promise;
        ctx.transact(countEffect(ctx));
      };
      const [a, b] = [atCommit(handle), atCommit(handle)];
      const message = envelope('order.created', { orderId: 'c-3' });
      const record = sqsRecord(message);

      const responses = await Promise.all([a.handler(sqsEvent(record), lambdaContext()), b.handler(sqsEvent(record), lambdaContext())]);

      expect(running).toBe(2);
      expect(await effectsOf(message.id)).toBe(1);
      // The loser was told it is a duplicate, or (a TransactionConflict while both committed) that it will be retried.
      const failures = responses.flatMap((response) => response.batchItemFailures);
      expect(failures.length).toBeLessThanOrEqual(1);
      expect((await a.handler(sqsEvent(record), lambdaContext())).batchItemFailures).toEqual([]);
      expect(await effectsOf(message.id)).toBe(1);
    });

    test('another payload under a recorded id: poison idempotency-conflict, nothing applied', async () => {
      const { handler, logs } = atCommit((_data, ctx) => ctx.transact(countEffect(ctx)));
      const message = envelope('order.created', { orderId: 'c-4' });
      await handler(sqsEvent(sqsRecord(message)), lambdaContext());

      await handler(sqsEvent(sqsRecord({ ...message, data: { orderId: 'c-4-other' } })), lambdaContext());

      expect(logs.lines.find((line) => line.fields.reason === 'idempotency-conflict')).toBeDefined();
      expect(await effectsOf(message.id)).toBe(1);
    });

    test('a live claim of a claim-first invocation holds it off (retried); a claim whose lock ran out is replaced', async () => {
      const { handler } = atCommit((_data, ctx) => ctx.transact(countEffect(ctx)));
      const [live, abandoned] = [envelope('order.created', { orderId: 'c-5' }), envelope('order.created', { orderId: 'c-6' })];
      const claimOf = (id: string, lockUntil: number) => ({ pk: { S: key(id) }, status: { S: 'IN_PROGRESS' }, claimToken: { S: 'elsewhere' }, lockUntil: { N: String(lockUntil) }, expiresAt: { N: String(Math.ceil(Date.now() / 1000) + 3600) } });
      await inspect.send(new PutItemCommand({ TableName: table, Item: claimOf(live.id, Date.now() + 60_000) }));
      await inspect.send(new PutItemCommand({ TableName: table, Item: claimOf(abandoned.id, Date.now() - 1) }));
      const liveRecord = sqsRecord(live);

      const response = await handler(sqsEvent(liveRecord, sqsRecord(abandoned)), lambdaContext());

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: liveRecord.messageId }]);
      expect(await effectsOf(live.id)).toBe(0);
      expect(await effectsOf(abandoned.id)).toBe(1);
      expect((await getItem(inspect, table, key(abandoned.id)))?.status?.S).toBe('COMPLETED');
    });

    test('a handler that queues no writes: the COMPLETED record is written alone, one conditional PutItem', async () => {
      const { handler, requests } = atCommit(() => undefined);
      const message = envelope('order.created', { orderId: 'c-7' });

      expect((await handler(sqsEvent(sqsRecord(message)), lambdaContext())).batchItemFailures).toEqual([]);

      expect(requests.of('PutItemCommand')).toBe(1);
      expect(requests.total()).toBe(1);
      expect((await getItem(inspect, table, key(message.id)))?.status?.S).toBe('COMPLETED');
    });

    test('a transaction cancelled by a write of the handler applies nothing and leaves nothing to release', async () => {
      const message = envelope('order.created', { orderId: 'c-8' });
      await inspect.send(new PutItemCommand({ TableName: ledger, Item: { pk: { S: `audit#${message.id}` } } }));
      const { handler, requests, logs } = atCommit((_data, ctx) => ctx.transact(countEffect(ctx), ledgerPut(`audit#${ctx.envelope.id}`, ctx)));
      const record = sqsRecord(message);

      expect((await handler(sqsEvent(record), lambdaContext())).batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);

      expect(requests.total()).toBe(1);
      expect(await effectsOf(message.id)).toBe(0);
      expect(await getItem(inspect, table, key(message.id))).toBeUndefined();
      expect(logs.lines.find((line) => line.fields.cause === 'transaction-failed')?.fields.error).toMatchObject({ name: 'TransactionCanceledException' });
    });

    test('an unknown outcome (errors after the SDK\'s retries) keeps nothing: the redelivery commits at once, once', async () => {
      let broken = true;
      const { handler, client, requests } = atCommit((_data, ctx) => ctx.transact(countEffect(ctx)));
      failRequests(client, 'TransactWriteItemsCommand', () => broken);
      const message = envelope('order.created', { orderId: 'c-9' });
      const record = sqsRecord(message);

      expect((await handler(sqsEvent(record), lambdaContext())).batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(await getItem(inspect, table, key(message.id))).toBeUndefined();
      expect(requests.of('DeleteItemCommand')).toBe(0);

      broken = false;
      expect((await handler(sqsEvent(record), lambdaContext())).batchItemFailures).toEqual([]);
      expect(await effectsOf(message.id)).toBe(1);
    });

    test('ctx.signal never aborts: the record holds no lock', async () => {
      let signal: AbortSignal | undefined;
      const { handler } = atCommit(async (_data, ctx) => {
        signal = ctx.signal;
        await delay(300);
      }, { minRemainingTimeMs: 0 });

      await handler(sqsEvent(sqsRecord(envelope('order.created', { orderId: 'c-10' }))), lambdaContext(200));

      expect(signal?.aborted).toBe(false);
    });
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
