/*
 * The batched idempotency requests (the default), against DynamoDB Local: how many requests a record costs
 * (deterministic, asserted and printed), what a batch's duplicates, takeovers and lost responses become, when
 * completions are sent, and how many effects a crash can leave unmarked.
 */
import { DynamoDBClient, PutItemCommand, type BatchExecuteStatementCommandOutput, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { setTimeout as delay } from 'node:timers/promises';
import { createConsumer, type ClaimMode, type CreateConsumerOptions, type HandlerContext } from '@cdk-fanout/runtime';
import { captureLogs, countRequests, createIdempotencyTable, createQueue, drainQueue, dynamoDbClient, envelope, gate, getItem, lambdaContext, loseResponses, sqsClient, sqsEvent, sqsRecord } from '@cdk-fanout/testing';

const CONSUMER = 'batched';
const MAX_CONCURRENCY = 10;

let table: string;
let ledger: string;
let inspect: DynamoDBClient;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  inspect = dynamoDbClient();
  [table, ledger] = await Promise.all([createIdempotencyTable(inspect), createIdempotencyTable(inspect, 'ledger')]);
});

afterAll(() => {
  for (const client of [inspect, ...clients]) client.destroy();
});

type Handle = (data: unknown, ctx: HandlerContext) => unknown;

/** A container with the default (batched) idempotency: its own counted client, captured logs, effects per envelope id. */
function container(options: { handle?: Handle; transactional?: ClaimMode; transact?: (ctx: HandlerContext) => TransactWriteItem[] } & Omit<CreateConsumerOptions, 'handlers'> = {}) {
  const { handle, transactional, transact, ...rest } = options;
  const client = dynamoDbClient();
  clients.push(client);
  const requests = countRequests(client);
  const sent = recordStatements(client);
  const logs = captureLogs();
  const effects = new Map<string, number>();
  const plain: Handle = async (data, ctx) => {
    await handle?.(data, ctx);
    effects.set(ctx.envelope.id, (effects.get(ctx.envelope.id) ?? 0) + 1);
  };
  const handler = createConsumer({
    consumerName: CONSUMER,
    idempotency: { tableName: table, client },
    logger: logs.logger,
    maxConcurrency: MAX_CONCURRENCY,
    handlers: {
      'order.placed': { handle: plain },
      'payment.captured': { handle: (_data, ctx) => ctx.transact(...(transact?.(ctx) ?? [countEffect(ctx)])), claim: transactional ?? 'at-commit' },
    },
    ...rest,
  });
  return { handler, client, requests, sent, logs, effects };
}

const key = (id: string) => `${CONSUMER}#${id}`;
const orders = (count: number) => Array.from({ length: count }, (_, i) => envelope('order.placed', { orderId: `o-${i}` }));
const payments = (count: number) => Array.from({ length: count }, (_, i) => envelope('payment.captured', { paymentId: `p-${i}` }));
const recordsOf = (messages: readonly { id: string }[]) => messages.map((message) => sqsRecord(message as never));
const countEffect = (ctx: HandlerContext): TransactWriteItem => ({
  Update: { TableName: ledger, Key: { pk: { S: ctx.envelope.id } }, UpdateExpression: 'ADD effects :one', ExpressionAttributeValues: { ':one': { N: '1' } } },
});
const statusOf = async (id: string) => (await getItem(inspect, table, key(id)))?.status?.S;
const lastBatch = (logs: ReturnType<typeof captureLogs>) => logs.lines.filter((line) => line.message === 'batch done').at(-1)?.fields;

describe('requests per record (deterministic)', () => {
  const figures: Record<string, string> = {};
  afterAll(() => console.log(`requests per record, batched idempotency (the default):\n${Object.entries(figures).map(([situation, value]) => `  ${situation}: ${value}`).join('\n')}`));
  const perRecord = (requests: number, records: number) => `${requests} requests for ${records} records = ${(requests / records).toFixed(2)} per record`;

  test.each([100, 10])('plain handler, %i fresh records: claims and completions in ceil(n/25) requests each', async (count) => {
    const { handler, requests, effects } = container();
    const messages = orders(count);

    const response = await handler(sqsEvent(...recordsOf(messages)), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(effects.size).toBe(count);
    expect(requests.of('BatchExecuteStatementCommand')).toBe(2 * Math.ceil(count / 25));
    expect(requests.total()).toBe(2 * Math.ceil(count / 25));
    expect(requests.total() / count).toBeLessThanOrEqual(count === 100 ? 0.1 : 0.25);
    expect(await statusOf(messages[count - 1].id)).toBe('COMPLETED');
    figures[`plain handler, batch of ${count} fresh`] = perRecord(requests.total(), count);
  });

  test('plain handler, 100 duplicates: the INSERTs and one consistent BatchGetItem', async () => {
    const { handler, requests, effects, logs } = container();
    const records = recordsOf(orders(100));
    await handler(sqsEvent(...records), lambdaContext());
    requests.reset();

    const response = await handler(sqsEvent(...records), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(effects.size).toBe(100);
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
    expect(lastBatch(logs)).toMatchObject({ duplicates: 100, processed: 0 });
    expect(requests.of('BatchExecuteStatementCommand')).toBe(4);
    expect(requests.of('BatchGetItemCommand')).toBe(1);
    expect(requests.total() / 100).toBeLessThanOrEqual(0.1);
    figures['plain handler, batch of 100 duplicates'] = perRecord(requests.total(), 100);
  });

  test.each([100, 10])("transactional handler with claim 'at-commit', %i records: the commits grouped, fresh or duplicate", async (count) => {
    const { handler, requests } = container();
    const records = recordsOf(payments(count));

    expect((await handler(sqsEvent(...records), lambdaContext())).batchItemFailures).toEqual([]);
    // A group goes when it holds 100 items (50 commits of 2), or sooner when no record runs: at least ceil(2n/100), at most a tenth.
    expect(requests.of('TransactWriteItemsCommand')).toBeGreaterThanOrEqual(Math.ceil((2 * count) / 100));
    expect(requests.total()).toBe(requests.of('TransactWriteItemsCommand'));
    expect(requests.total() / count).toBeLessThanOrEqual(0.1);
    figures[`transactional handler (claim 'at-commit'), batch of ${count} fresh`] = perRecord(requests.total(), count);

    requests.reset();
    expect((await handler(sqsEvent(...records), lambdaContext())).batchItemFailures).toEqual([]);
    // Every commit of a group of duplicates is refused by its own condition: one cancelled transaction answers them all.
    expect(requests.total() / count).toBeLessThanOrEqual(0.1);
    figures[`transactional handler (claim 'at-commit'), batch of ${count} duplicates`] = perRecord(requests.total(), count);
  });

  test("transactional handler claiming first: the claims batched, one transaction per record", async () => {
    const { handler, requests } = container({ transactional: 'first' });

    expect((await handler(sqsEvent(...recordsOf(payments(10))), lambdaContext())).batchItemFailures).toEqual([]);

    expect(requests.of('BatchExecuteStatementCommand')).toBe(1);
    expect(requests.of('TransactWriteItemsCommand')).toBe(10);
    expect(requests.total()).toBe(11);
    figures["transactional handler (claim 'first'), batch of 10 fresh"] = perRecord(requests.total(), 10);
  });

  test('a mixed batch: plain records share statements, transactional ones share transactions', async () => {
    const { handler, requests, effects } = container();
    const messages = [...orders(10), ...payments(10)].sort(() => Math.random() - 0.5);

    expect((await handler(sqsEvent(...recordsOf(messages)), lambdaContext())).batchItemFailures).toEqual([]);

    expect(effects.size).toBe(10);
    expect(requests.of('BatchExecuteStatementCommand')).toBe(2);
    expect(requests.of('TransactWriteItemsCommand')).toBeLessThanOrEqual(2);
    expect(requests.total()).toBeLessThanOrEqual(4);
    figures['mixed batch, 10 plain + 10 transactional (at-commit)'] = perRecord(requests.total(), 20);
  });
});

describe("grouped claim-free commits (claim 'at-commit')", () => {
  const refusing = (ctx: HandlerContext): TransactWriteItem => ({
    ConditionCheck: { TableName: ledger, Key: { pk: { S: `absent-${ctx.envelope.id}` } }, ConditionExpression: 'attribute_exists(pk)' },
  });
  const effectsOf = async (id: string) => Number((await getItem(inspect, ledger, id))?.effects?.N ?? 0);

  test("a group cancelled by one record's own condition: that record is retried, the others commit in a second group", async () => {
    const messages = payments(10);
    const failing = messages[3].id;
    const { handler, requests } = container({ transact: (ctx) => [countEffect(ctx), ...(ctx.envelope.id === failing ? [refusing(ctx)] : [])] });
    const records = recordsOf(messages);

    const response = await handler(sqsEvent(...records), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[3].messageId }]);
    for (const message of messages) expect(await effectsOf(message.id)).toBe(message.id === failing ? 0 : 1);
    expect(await statusOf(failing)).toBeUndefined();
    expect(requests.of('TransactWriteItemsCommand')).toBe(2);
  });

  test('duplicates and fresh records in one group: the duplicates are answered by the cancellation, the fresh ones commit once', async () => {
    const messages = payments(10);
    const { handler, requests } = container();
    expect((await handler(sqsEvent(...recordsOf(messages.slice(0, 5))), lambdaContext())).batchItemFailures).toEqual([]);
    requests.reset();

    const response = await handler(sqsEvent(...recordsOf(messages)), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    for (const message of messages) expect(await effectsOf(message.id)).toBe(1);
    expect(requests.of('TransactWriteItemsCommand')).toBe(2);
  });

  test('two records writing one item cannot share a transaction: DynamoDB refuses the group, each commits alone', async () => {
    const shared = `shared-${Date.now()}`;
    const { handler, requests } = container({
      transact: () => [{ Update: { TableName: ledger, Key: { pk: { S: shared } }, UpdateExpression: 'ADD effects :one', ExpressionAttributeValues: { ':one': { N: '1' } } } }],
    });

    const response = await handler(sqsEvent(...recordsOf(payments(4))), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(await effectsOf(shared)).toBe(4);
    expect(requests.of('TransactWriteItemsCommand')).toBe(5);
  });

  test('a FIFO group waits for each commit: after a refused one, its later records are not started', async () => {
    const messages = payments(3);
    const { handler } = container({ transact: (ctx) => [countEffect(ctx), ...(ctx.envelope.id === messages[1].id ? [refusing(ctx)] : [])] });
    const records = messages.map((message) => sqsRecord(message as never, { groupId: 'customer-1' }));

    const response = await handler(sqsEvent(...records), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1].messageId }, { itemIdentifier: records[2].messageId }]);
    expect(await Promise.all(messages.map((message) => effectsOf(message.id)))).toEqual([1, 0, 0]);
  });
});

describe('what the INSERTs found', () => {
  test('one batch meets every kind of record: each is decided as the single claim would, takeovers one by one', async () => {
    const dlq = await createQueue(sqsClient(), 'batched-dlq');
    const { handler, requests, effects, logs } = container({ deadLetterQueueUrl: dlq.url, sqsClient: sqsClient() });
    const [fresh, done, conflicting, busy, abandoned, forgotten] = orders(6);
    const nowS = Math.floor(Date.now() / 1000);
    const put = (id: string, item: Record<string, { S: string } | { N: string }>) => inspect.send(new PutItemCommand({ TableName: table, Item: { pk: { S: key(id) }, ...item } }));
    const first = container();
    await first.handler(sqsEvent(...recordsOf([done, conflicting])), lambdaContext());
    await put(busy.id, { status: { S: 'IN_PROGRESS' }, claimToken: { S: 'elsewhere' }, lockUntil: { N: String(Date.now() + 60_000) }, expiresAt: { N: String(nowS + 3600) } });
    await put(abandoned.id, { status: { S: 'IN_PROGRESS' }, claimToken: { S: 'crashed' }, lockUntil: { N: String(Date.now() - 1) }, expiresAt: { N: String(nowS + 3600) } });
    await put(forgotten.id, { status: { S: 'COMPLETED' }, payloadHash: { S: 'old' }, expiresAt: { N: String(nowS - 10) } });
    const records = recordsOf([fresh, done, { ...conflicting, data: { orderId: 'other' } } as never, busy, abandoned, forgotten]);

    const response = await handler(sqsEvent(...records), lambdaContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[3].messageId }]);
    expect([...effects.keys()].sort()).toEqual([fresh.id, abandoned.id, forgotten.id].sort());
    expect(lastBatch(logs)).toMatchObject({ processed: 3, duplicates: 1, poisoned: 1, failed: 1 });
    expect((await drainQueue(sqsClient(), dlq.url)).map((m) => m.MessageAttributes?.['fanout.reason']?.StringValue)).toEqual(['idempotency-conflict']);
    for (const id of [fresh.id, abandoned.id, forgotten.id]) expect(await statusOf(id)).toBe('COMPLETED');
    // INSERTs, one read, the two takeovers alone, the three completions together.
    expect({ batches: requests.of('BatchExecuteStatementCommand'), reads: requests.of('BatchGetItemCommand'), puts: requests.of('PutItemCommand'), total: requests.total() }).toEqual({ batches: 2, reads: 1, puts: 2, total: 5 });
  });

  test('the response to the INSERTs lost: the SDK retry finds our own claims, read back as ours', async () => {
    const { handler, client, effects, requests } = container();
    loseResponses(client, ({ command, attempt }) => command === 'BatchExecuteStatementCommand' && attempt === 1 && requests.of('BatchGetItemCommand') === 0 && requests.of('BatchExecuteStatementCommand') === 1);
    const messages = orders(10);

    const response = await handler(sqsEvent(...recordsOf(messages)), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(effects.size).toBe(10);
    expect(requests.of('BatchGetItemCommand')).toBe(1);
    for (const message of messages) expect(await statusOf(message.id)).toBe('COMPLETED');
  });

  test('a statement that failed on its own (throttled) is claimed alone, and a completion likewise', async () => {
    const { handler, client, effects, requests, logs } = container();
    // The statements were applied, their answers replaced: the single requests must recognise them as ours.
    throttleStatements(client, [0, 3]);
    const messages = orders(5);

    const response = await handler(sqsEvent(...recordsOf(messages)), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(effects.size).toBe(5);
    expect(requests.of('PutItemCommand')).toBe(2);
    expect(requests.of('UpdateItemCommand')).toBe(2);
    expect(lastBatch(logs)).toMatchObject({ processed: 5, completionWriteFailures: 0 });
    for (const message of messages) expect(await statusOf(message.id)).toBe('COMPLETED');
  });
});

describe('completions and releases', () => {
  test('the response to the completions lost: the SDK retry is refused with our own COMPLETED records, read as done', async () => {
    const { handler, client, logs } = container();
    loseResponses(client, ({ command, attempt, input }) => command === 'BatchExecuteStatementCommand' && attempt === 1 && kindsOf(input).includes('UPDATE'));
    const messages = orders(10);

    expect((await handler(sqsEvent(...recordsOf(messages)), lambdaContext())).batchItemFailures).toEqual([]);

    expect(lastBatch(logs)).toMatchObject({ processed: 10, completionWriteFailures: 0 });
    for (const message of messages) expect(await statusOf(message.id)).toBe('COMPLETED');
  });

  test('the completions failing after the SDK retries: processed, each counted as a completion write failure, never released', async () => {
    const { handler, client, logs, sent } = container();
    failStatements(client, 'UPDATE');
    const messages = orders(10);

    expect((await handler(sqsEvent(...recordsOf(messages)), lambdaContext())).batchItemFailures).toEqual([]);

    expect(lastBatch(logs)).toMatchObject({ processed: 10, completionWriteFailures: 10 });
    expect(sent.some((request) => request.kinds.includes('DELETE'))).toBe(false);
    for (const message of messages) expect(await statusOf(message.id)).toBe('IN_PROGRESS');
  });

  test('a completion refused by its fence (the claim was taken over) is reported like the single one; the others complete', async () => {
    const messages = orders(5);
    const { handler, logs } = container({
      handle: async (_data, ctx) => {
        if (ctx.envelope.id === messages[2].id) {
          await inspect.send(new PutItemCommand({ TableName: table, Item: { pk: { S: key(ctx.envelope.id) }, status: { S: 'IN_PROGRESS' }, claimToken: { S: 'the-taker' }, lockUntil: { N: String(Date.now() + 60_000) }, expiresAt: { N: String(Math.ceil(Date.now() / 1000) + 3600) } } }));
        }
      },
    });

    expect((await handler(sqsEvent(...recordsOf(messages)), lambdaContext())).batchItemFailures).toEqual([]);

    expect(lastBatch(logs)).toMatchObject({ processed: 5, completionWriteFailures: 1 });
    expect(logs.lines.find((line) => /marking it completed failed/.test(line.message))?.fields).toMatchObject({ envelopeId: messages[2].id, error: { name: 'ConditionalCheckFailed' } });
    expect((await getItem(inspect, table, key(messages[2].id)))?.claimToken?.S).toBe('the-taker');
    for (const message of [messages[0], messages[4]]) expect(await statusOf(message.id)).toBe('COMPLETED');
  });

  test('failed records release their claims together: claims and releases, 2 requests for 10 records', async () => {
    const { handler, requests, sent } = container({ handle: () => { throw new Error('down'); } });
    const messages = orders(10);

    expect((await handler(sqsEvent(...recordsOf(messages)), lambdaContext())).batchItemFailures).toHaveLength(10);

    expect(requests.total()).toBe(2);
    expect(sent.map((request) => request.kinds[0])).toEqual(['INSERT', 'DELETE']);
    for (const message of messages) expect(await statusOf(message.id)).toBeUndefined();
  });

  test('a slow handler does not hold the others\' completions back', async () => {
    const slow = gate();
    const messages = orders(10);
    const { handler } = container({ handle: (_data, ctx) => (ctx.envelope.id === messages[0].id ? slow.promise : undefined) });

    const running = handler(sqsEvent(...recordsOf(messages)), lambdaContext());
    await waitFor(async () => (await statusOf(messages[9].id)) === 'COMPLETED');
    expect(await statusOf(messages[0].id)).toBe('IN_PROGRESS');
    slow.open();

    expect((await running).batchItemFailures).toEqual([]);
    expect(await statusOf(messages[0].id)).toBe('COMPLETED');
  });

  test('before the time guard stops starting records, what is ready is written; the claims of records not started are released after', async () => {
    let remaining = 60_000;
    const { handler, sent } = container({
      maxConcurrency: 1,
      handle: (_data, ctx) => {
        if (ctx.envelope.id === messages[1].id) remaining = 1000;
      },
    });
    const messages = orders(6);

    const response = await handler(sqsEvent(...recordsOf(messages)), { getRemainingTimeInMillis: () => remaining });

    expect(response.batchItemFailures).toHaveLength(4);
    expect(sent.map((request) => request.kinds.join(','))).toEqual(['INSERT,INSERT,INSERT,INSERT,INSERT,INSERT', 'UPDATE,UPDATE', 'DELETE,DELETE,DELETE,DELETE']);
    expect(await statusOf(messages[1].id)).toBe('COMPLETED');
    expect(await statusOf(messages[2].id)).toBeUndefined();
  });
});

test('a crash leaves at most 24 + maxConcurrency effects unmarked: no record starts while 25 completions are unwritten', async () => {
  // 2 s left and no time guard: the completions left queued are due within a second, so no timer outlives the test.
  const { handler, client, effects, sent } = container({ minRemainingTimeMs: 0 });
  // After the first completion request, the container "crashes": no request of it ever gets an answer again.
  hangAfter(client, () => sent.filter((request) => request.kinds.includes('UPDATE')).length >= 2);
  const messages = orders(100);

  void handler(sqsEvent(...recordsOf(messages)), lambdaContext(2000));
  let seen = -1;
  while (effects.size !== seen) {
    seen = effects.size;
    await delay(1500);
  }

  const completed = (await Promise.all(messages.map((message) => statusOf(message.id)))).filter((status) => status === 'COMPLETED').length;
  const unmarked = effects.size - completed;
  console.log(`crash after the first completion request: ${effects.size} effects, ${completed} marked COMPLETED, ${unmarked} unmarked (bound ${24 + MAX_CONCURRENCY})`);
  expect(completed).toBe(25);
  expect(unmarked).toBeGreaterThan(0);
  expect(unmarked).toBeLessThanOrEqual(24 + MAX_CONCURRENCY);
});

describe('a role without the batch permissions', () => {
  test('the first refused request turns batching off for the container, with one warning; every record still processed once', async () => {
    const { handler, client, requests, effects, logs } = container();
    denyCommands(client, ['BatchExecuteStatementCommand', 'BatchGetItemCommand']);

    expect((await handler(sqsEvent(...recordsOf(orders(10))), lambdaContext())).batchItemFailures).toEqual([]);
    expect((await handler(sqsEvent(...recordsOf(orders(10))), lambdaContext())).batchItemFailures).toEqual([]);

    expect(effects.size).toBe(20);
    expect(requests.of('BatchExecuteStatementCommand')).toBe(1);
    expect(requests.of('PutItemCommand')).toBe(20);
    expect(requests.of('UpdateItemCommand')).toBe(20);
    const warnings = logs.lines.filter((line) => /refused a batched request/.test(line.message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/dynamodb:PartiQLInsert, dynamodb:PartiQLUpdate, dynamodb:PartiQLDelete, dynamodb:BatchGetItem/);
  });
});

/** The statements of each BatchExecuteStatement a client sends (first attempts), by their first word. */
function recordStatements(client: DynamoDBClient): { kinds: string[] }[] {
  const sent: { kinds: string[] }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchExecuteStatementCommand') sent.push({ kinds: kindsOf(args.input as Record<string, unknown>) });
      return next(args);
    },
    { step: 'initialize', name: 'recordStatements' },
  );
  return sent;
}

function kindsOf(input: Readonly<Record<string, unknown>>): string[] {
  return ((input.Statements ?? []) as { Statement: string }[]).map((statement) => statement.Statement.split(' ')[0]);
}

/** The answers of the statements at `indexes` in every BatchExecuteStatement are replaced by a throttling error (the statements were applied). */
function throttleStatements(client: DynamoDBClient, indexes: readonly number[]): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'BatchExecuteStatementCommand') {
        const responses = (result.output as BatchExecuteStatementCommandOutput).Responses ?? [];
        for (const index of indexes) {
          if (responses[index]) responses[index] = { Error: { Code: 'ThrottlingError', Message: 'injected: throughput exceeded for this statement' } };
        }
      }
      return result;
    },
    { step: 'initialize', name: 'throttleStatements' },
  );
}

/** Every attempt of a BatchExecuteStatement holding a `kind` statement fails with a retryable server error before it is applied. */
function failStatements(client: DynamoDBClient, kind: string): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchExecuteStatementCommand' && kindsOf(args.input as Record<string, unknown>).includes(kind)) {
        throw Object.assign(new Error(`injected failure of the ${kind} statements`), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: 'failStatements' },
  );
}

/** The table's policy refuses `commands` (AccessDeniedException, not retried). */
function denyCommands(client: DynamoDBClient, commands: readonly string[]): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (commands.includes(context.commandName as string)) {
        throw Object.assign(new Error(`injected: not authorized to perform ${context.commandName}`), { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: 'denyCommands' },
  );
}

/** Once `crashed()` holds, every request of the client waits forever, as from a container that died. */
function hangAfter(client: DynamoDBClient, crashed: () => boolean): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      if (crashed()) return new Promise<never>(() => undefined);
      return next(args);
    },
    { step: 'initialize', name: 'hangAfter', priority: 'low' },
  );
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await delay(10);
  }
  throw new Error('condition never held');
}

export type { SQSRecord };
