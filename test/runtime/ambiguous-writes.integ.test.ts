/*
 * Writes DynamoDB applied but whose response the client never saw, injected by middleware on a
 * real client talking to DynamoDB Local: the consumer must recognise its own applied claim, and
 * never release a claim whose completion may have committed.
 */
import { DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { createConsumer, type ClaimMode, type HandlerContext, type IdempotencyOptions } from '@cdk-fanout/runtime';
import { captureLogs, countRequests, createIdempotencyTable, dynamoDbClient, envelope, failRequests, getItem, lambdaContext, loseResponses, sqsEvent, sqsRecord } from '@cdk-fanout/testing';
import { IDEMPOTENCY_MODES, isBatched } from './support/idempotency-modes';

const CONSUMER = 'payments';

let table: string;
let ledger: string;
let inspect: DynamoDBClient;

beforeAll(async () => {
  inspect = dynamoDbClient();
  [table, ledger] = await Promise.all([createIdempotencyTable(inspect), createIdempotencyTable(inspect, 'ledger')]);
});

afterAll(() => inspect.destroy());

function container(handle: (data: unknown, ctx: HandlerContext) => unknown, mode: Pick<IdempotencyOptions, 'batching'>, claim?: ClaimMode) {
  const client = dynamoDbClient();
  const requests = countRequests(client);
  const logs = captureLogs();
  const handler = createConsumer({
    consumerName: CONSUMER,
    idempotency: { tableName: table, client, ...mode },
    logger: logs.logger,
    handlers: { 'payment.captured': { handle, claim } },
  });
  return { handler, client, requests, logs };
}

const key = (id: string) => `${CONSUMER}#${id}`;
const payment = () => envelope('payment.captured', { amount: 10 });
/** The effect: a counter in the ledger, without a condition, so applying it twice shows. */
const countEffect = (ctx: HandlerContext): TransactWriteItem => ({
  Update: { TableName: ledger, Key: { pk: { S: ctx.envelope.id } }, UpdateExpression: 'ADD effects :one', ExpressionAttributeValues: { ':one': { N: '1' } } },
});
const effectsOf = async (id: string) => Number((await getItem(inspect, ledger, id))?.effects?.N ?? 0);

describe.each(IDEMPOTENCY_MODES)('%s', (_modeName, mode) => {
  describe.each<ClaimMode>(['first', 'at-commit'])('transactional mode, claim %s: a commit whose response was lost', (claim) => {
    test('every response lost: nothing is released, so the redelivery finds the record COMPLETED and the effect stays single', async () => {
      const { handler, client, requests, logs } = container((_data, ctx) => ctx.transact(countEffect(ctx)), mode, claim);
      let lose = true;
      const lost = loseResponses(client, ({ command }) => lose && command === 'TransactWriteItemsCommand');
      const message = payment();
      const record = sqsRecord(message);

      const first = await handler(sqsEvent(record), lambdaContext());

      // Applied by the first attempt; the SDK's retries carry the same ClientRequestToken and are answered without applying it again.
      expect(lost.count()).toBeGreaterThan(1);
      expect(lost.count()).toBe(requests.of('TransactWriteItemsCommand'));
      expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(await effectsOf(message.id)).toBe(1);

      lose = false;
      const redelivery = await handler(sqsEvent(record), lambdaContext());

      expect(redelivery.batchItemFailures).toEqual([]);
      expect(await effectsOf(message.id)).toBe(1);
      expect(requests.of('DeleteItemCommand')).toBe(0);
      expect((await getItem(inspect, table, key(message.id)))?.status?.S).toBe('COMPLETED');
      expect(logs.lines.find((line) => /transaction outcome unknown/.test(line.message))).toBeDefined();
      expect(logs.lines.filter((line) => line.message === 'already processed: duplicate')).toHaveLength(1);
    });

    test('the first response lost: DynamoDB Local answers the SDK retry from the ClientRequestToken without applying it again', async () => {
      const { handler, client, requests } = container((_data, ctx) => ctx.transact(countEffect(ctx)), mode, claim);
      loseResponses(client, ({ command, attempt }) => command === 'TransactWriteItemsCommand' && attempt === 1);
      const message = payment();

      const response = await handler(sqsEvent(sqsRecord(message)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(requests.of('TransactWriteItemsCommand')).toBe(2);
      expect(await effectsOf(message.id)).toBe(1);
    });

    test('a retry DynamoDB does not take for the same request (its ClientRequestToken changed on the way) is refused by the status fence and read as our own commit', async () => {
      const { handler, client, requests } = container((_data, ctx) => ctx.transact(countEffect(ctx)), mode, claim);
      loseResponses(client, ({ command, attempt }) => command === 'TransactWriteItemsCommand' && attempt === 1);
      forgetClientRequestTokenOnRetries(client);
      const message = payment();

      const response = await handler(sqsEvent(sqsRecord(message)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(requests.of('TransactWriteItemsCommand')).toBe(2);
      expect(await effectsOf(message.id)).toBe(1);
      expect((await getItem(inspect, table, key(message.id)))?.status?.S).toBe('COMPLETED');
    });
  });

  test('plain mode: a completion whose outcome is unknown is reported processed and never followed by a release', async () => {
    const effects: string[] = [];
    const { handler, client, requests, logs } = container((_data, ctx) => {
      effects.push(ctx.envelope.id);
    }, mode);
    // Applied, its response lost; every retry fails before it arrives: the client cannot know it was applied.
    loseResponses(client, ({ command, attempt }) => command === 'UpdateItemCommand' && attempt === 1);
    failRequests(client, 'UpdateItemCommand', () => requests.of('UpdateItemCommand') > 1);
    const message = payment();
    const record = sqsRecord(message);

    const response = await handler(sqsEvent(record), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(logs.lines.find((line) => /marking it completed failed/.test(line.message))?.fields.error).toMatchObject({ name: 'InternalServerError' });
    expect(requests.of('DeleteItemCommand')).toBe(0);
    expect((await getItem(inspect, table, key(message.id)))?.status?.S).toBe('COMPLETED');
    expect((await handler(sqsEvent(record), lambdaContext())).batchItemFailures).toEqual([]);
    expect(effects).toEqual([message.id]);
  });

  describe('a claim applied but answered with an error', () => {
    test("the SDK's retry meets our own token (ALL_OLD): claimed, processed at once, 3 requests", async () => {
      const effects: string[] = [];
      const { handler, client, requests } = container((_data, ctx) => {
        effects.push(ctx.envelope.id);
      }, mode);
      loseResponses(client, ({ command, attempt }) => command === 'PutItemCommand' && attempt === 1);
      const message = payment();

      const response = await handler(sqsEvent(sqsRecord(message)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(effects).toEqual([message.id]);
      expect(requests.of('PutItemCommand')).toBe(2);
      expect(requests.total()).toBe(3);
      expect((await getItem(inspect, table, key(message.id)))?.status?.S).toBe('COMPLETED');
    });

    test('on a FIFO queue the rest of the message group goes on as well', async () => {
      const effects: string[] = [];
      const { handler, client } = container((_data, ctx) => {
        effects.push(ctx.envelope.id);
      }, mode);
      // Batched, the group's three claims go in one request: its response is the one lost.
      const claimCommand = isBatched(mode) ? 'BatchExecuteStatementCommand' : 'PutItemCommand';
      let claims = 0;
      loseResponses(client, ({ command }) => command === claimCommand && ++claims === 1);
      const messages = [payment(), payment(), payment()];

      const response = await handler(sqsEvent(...messages.map((message, i) => sqsRecord(message, { groupId: 'account-1', deduplicationId: `d-${i}` }))), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(effects).toEqual(messages.map((message) => message.id));
    });

    test('every attempt answered with an error: the claim is released, so a redelivery need not wait for its lock', async () => {
      const effects: string[] = [];
      const { handler, client, requests } = container((_data, ctx) => {
        effects.push(ctx.envelope.id);
      }, mode);
      let failing = true;
      loseResponses(client, ({ command, attempt }) => failing && command === 'PutItemCommand' && attempt === 1);
      failRequests(client, 'PutItemCommand', () => failing && requests.of('PutItemCommand') > 1);
      const message = payment();
      const record = sqsRecord(message);

      const first = await handler(sqsEvent(record), lambdaContext());

      expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(requests.of('DeleteItemCommand')).toBe(1);
      expect(await getItem(inspect, table, key(message.id))).toBeUndefined();
      failing = false;
      expect((await handler(sqsEvent(record), lambdaContext())).batchItemFailures).toEqual([]);
      expect(effects).toEqual([message.id]);
    });
  });
});

/**
 * Retries of TransactWriteItems carry another ClientRequestToken, as a client that does not keep
 * it would send (or a replay after DynamoDB's 10 minutes): DynamoDB evaluates them afresh.
 * Same length, so the serialized body keeps its Content-Length; signed after this step.
 */
function forgetClientRequestTokenOnRetries(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers: Record<string, string>; body: string };
      if (context.commandName === 'TransactWriteItemsCommand' && !/attempt=1;/.test(request.headers['amz-sdk-request'] ?? '')) {
        const body = JSON.parse(request.body) as { ClientRequestToken: string };
        body.ClientRequestToken = body.ClientRequestToken.replace(/[0-9a-f]/g, (digit) => ((parseInt(digit, 16) + 1) % 16).toString(16));
        request.body = JSON.stringify(body);
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: 'forgetClientRequestToken' },
  );
}
