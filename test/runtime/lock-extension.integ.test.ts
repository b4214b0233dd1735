/*
 * The claim's lock while a handler runs, against DynamoDB Local: extended at the midpoint of what
 * is left of it, never for a handler that finishes before, and given up (ctx.signal) when it is
 * lost. The lock is a wall-clock time, so these tests wait for real time to pass.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createHook } from 'node:async_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { createConsumer, type HandlerContext, type IdempotencyOptions, type LambdaContextLike } from '@cdk-fanout/runtime';
import { captureLogs, countRequests, createIdempotencyTable, dynamoDbClient, envelope, failRequests, gate, getItem, lambdaContext, sqsEvent, sqsRecord } from '@cdk-fanout/testing';
import { IDEMPOTENCY_MODES } from './support/idempotency-modes';

const CONSUMER = 'shipping';

let table: string;
let inspect: DynamoDBClient;

beforeAll(async () => {
  inspect = dynamoDbClient();
  table = await createIdempotencyTable(inspect);
});

afterAll(() => inspect.destroy());

function container(handle: (data: unknown, ctx: HandlerContext) => unknown, mode: Pick<IdempotencyOptions, 'batching'>) {
  const client = dynamoDbClient();
  const requests = countRequests(client);
  const logs = captureLogs();
  const handler = createConsumer({
    consumerName: CONSUMER,
    idempotency: { tableName: table, client, ...mode },
    logger: logs.logger,
    minRemainingTimeMs: 0,
    handlers: { 'parcel.shipped': { handle } },
  });
  return { handler, client, requests, logs };
}

const key = (id: string) => `${CONSUMER}#${id}`;
/** The lock in these tests: its midpoint leaves an extension 500 ms to get through, ample for DynamoDB Local under load. */
const LOCK_MS = 1000;
const parcel = () => envelope('parcel.shipped', { parcelId: 'p-1' });

describe.each(IDEMPOTENCY_MODES)('%s', (_modeName, mode) => {
  const inMode = (handle: (data: unknown, ctx: HandlerContext) => unknown) => container(handle, mode);

  test('a handler that outlives its lock keeps it: no other invocation takes the record over, one effect', async () => {
    const effects: string[] = [];
    const slowDone = gate();
    const slow = inMode(async () => {
      await slowDone.promise;
      effects.push('slow');
    });
    const other = inMode(() => {
      effects.push('other');
    });
    const message = parcel();
    const record = sqsRecord(message);

    // A constant remaining time, as a harness reports it: the claim's lock is 1 s, the handler runs 2.5 s.
    const running = slow.handler(sqsEvent(record), lambdaContext(LOCK_MS));
    await delay(2.5 * LOCK_MS);
    const meanwhile = await other.handler(sqsEvent(sqsRecord(message)), lambdaContext());
    slowDone.open();
    const response = await running;

    expect(meanwhile.batchItemFailures).toHaveLength(1);
    expect(response.batchItemFailures).toEqual([]);
    expect(effects).toEqual(['slow']);
    // Claim, an extension at each midpoint (about every 500 ms), completion.
    expect(slow.requests.of('PutItemCommand')).toBe(1);
    expect(slow.requests.of('UpdateItemCommand')).toBeGreaterThanOrEqual(4);
    expect((await other.handler(sqsEvent(record), lambdaContext())).batchItemFailures).toEqual([]);
    expect(effects).toEqual(['slow']);
  });

  test('a handler that finishes before the midpoint costs no extension: 2 requests', async () => {
    const { handler, requests } = inMode(() => delay(LOCK_MS / 5));

    const response = await handler(sqsEvent(sqsRecord(parcel())), lambdaContext(LOCK_MS));

    expect(response.batchItemFailures).toEqual([]);
    expect(requests.total()).toBe(2);
  });

  test('a lock that already reaches the invocation\'s deadline is not extended: Lambda stops the handler there', async () => {
    const { handler, requests } = inMode(() => delay(0.8 * LOCK_MS));
    const deadline = Date.now() + LOCK_MS;
    const context: LambdaContextLike = { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };

    const response = await handler(sqsEvent(sqsRecord(parcel())), context);

    expect(response.batchItemFailures).toEqual([]);
    expect(requests.total()).toBe(2);
  });

  test('the claim lost while the handler runs: ctx.signal aborts, the record is neither completed nor released, and it is retried', async () => {
    const message = parcel();
    const record = sqsRecord(message);
    const taker = { pk: { S: key(message.id) }, status: { S: 'IN_PROGRESS' }, claimToken: { S: 'the-taker' }, lockUntil: { N: String(Date.now() + 60_000) }, expiresAt: { N: String(Math.ceil(Date.now() / 1000) + 3600) } };
    let aborted: unknown;
    const { handler, requests, logs } = inMode(async (_data, ctx) => {
      // Another invocation takes the record over (its clock far ahead of ours): our next extension is refused.
      await inspect.send(new PutItemCommand({ TableName: table, Item: taker }));
      aborted = await new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(ctx.signal.reason)));
      ctx.signal.throwIfAborted();
    });

    const started = Date.now();
    const response = await handler(sqsEvent(record), lambdaContext(LOCK_MS));

    // Given up at the first extension, at the midpoint: before the lock ran out.
    expect(Date.now() - started).toBeLessThan(LOCK_MS);
    expect(aborted).toMatchObject({ name: 'ClaimLostError', message: expect.stringMatching(/taken over/) });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    // Claim, the refused extension; no completion, no release.
    expect(requests.of('PutItemCommand')).toBe(1);
    expect(requests.of('UpdateItemCommand')).toBe(1);
    expect(requests.of('DeleteItemCommand')).toBe(0);
    expect(await getItem(inspect, table, key(message.id))).toEqual(taker);
    expect(logs.lines.find((line) => /claim was lost/.test(line.message))?.fields).toMatchObject({ cause: 'in-progress-elsewhere' });
  });

  describe('a claim that comes back past its lock\'s midpoint (a slow, retried claim)', () => {
    test('is extended before the handler starts, which then has a whole lock ahead of it', async () => {
      let lockAheadAtStart = 0;
      const { handler, client, requests } = inMode(async (_data, ctx) => {
        lockAheadAtStart = Number((await getItem(inspect, table, key(ctx.envelope.id)))?.lockUntil?.N) - Date.now();
      });
      delayResponses(client, 'PutItemCommand', 0.6 * LOCK_MS);

      const response = await handler(sqsEvent(sqsRecord(parcel())), lambdaContext(LOCK_MS));

      expect(response.batchItemFailures).toEqual([]);
      expect(lockAheadAtStart).toBeGreaterThan(0.8 * LOCK_MS);
      expect(requests.of('UpdateItemCommand')).toBe(2);
    });

    test('when that extension does not get through the handler does not start: released, retried', async () => {
      const effects: string[] = [];
      const { handler, client, requests } = inMode((_data, ctx) => {
        effects.push(ctx.envelope.id);
      });
      delayResponses(client, 'PutItemCommand', 0.6 * LOCK_MS);
      failRequests(client, 'UpdateItemCommand');
      const message = parcel();
      const record = sqsRecord(message);

      const response = await handler(sqsEvent(record), lambdaContext(LOCK_MS));

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(effects).toEqual([]);
      expect(requests.of('DeleteItemCommand')).toBe(1);
      expect(await getItem(inspect, table, key(message.id))).toBeUndefined();
    });
  });

  test('no timer outlives the record: none of the lock\'s timers is left, and nothing extends or aborts afterwards', async () => {
    let signal: AbortSignal | undefined;
    const { handler, requests } = inMode(async (_data, ctx) => {
      signal = ctx.signal;
      await delay(0.7 * LOCK_MS);
    });
    const timers = trackTimers();

    // One extension at the midpoint; the next check and the expiry are pending when the handler returns.
    await handler(sqsEvent(sqsRecord(parcel())), lambdaContext(LOCK_MS)).finally(() => new Promise(setImmediate));
    const left = timers.aliveFrom('lock-keeper');
    timers.stop();

    expect(timers.createdFrom('lock-keeper')).toBeGreaterThanOrEqual(4);
    expect(left).toEqual([]);
    const requestsAfter = requests.total();
    expect(requestsAfter).toBe(3);
    await delay(1.5 * LOCK_MS);
    expect(requests.total()).toBe(requestsAfter);
    expect(signal?.aborted).toBe(false);
  });
});

/** Timers as async_hooks sees them, by the stack that created them: a timer is alive from its creation until cleared or fired. */
function trackTimers() {
  const created = new Map<number, string>();
  const alive = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout') return;
      created.set(id, new Error().stack ?? '');
      alive.add(id);
    },
    destroy(id) {
      alive.delete(id);
    },
  }).enable();
  const from = (ids: Iterable<number>, file: string) => [...ids].map((id) => created.get(id) ?? '').filter((stack) => stack.includes(file));
  return {
    createdFrom: (file: string) => from(created.keys(), file).length,
    aliveFrom: (file: string) => from(alive, file),
    stop: () => hook.disable(),
  };
}

/** The response of every `command` arrives `ms` late (the write itself is applied at once), as after the SDK's backoff. */
function delayResponses(client: DynamoDBClient, command: string, ms: number): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === command) await delay(ms);
      return result;
    },
    { step: 'finalizeRequest', name: `delayResponses-${command}` },
  );
}
