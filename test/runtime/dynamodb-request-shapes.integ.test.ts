/*
 * What DynamoDB Local answers to each request shape the idempotency store relies on (PartiQL
 * batches, a consistent BatchGetItem, the claim-free transaction). If an emulator upgrade changes
 * one of these answers, this file says which, before the consumer tests fail in harder ways.
 */
import {
  BatchExecuteStatementCommand,
  BatchGetItemCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  type AttributeValue,
  type BatchStatementRequest,
} from '@aws-sdk/client-dynamodb';
import { createIdempotencyTable, dynamoDbClient, getItem } from '@cdk-fanout/testing';

let client: DynamoDBClient;
let table: string;

beforeAll(async () => {
  client = dynamoDbClient();
  table = await createIdempotencyTable(client);
});

afterAll(() => client.destroy());

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });
let next = 0;
const key = () => `probe#${Date.now()}-${next++}`;

const insert = (pk: string, token: string): BatchStatementRequest => ({
  Statement: `INSERT INTO "${table}" VALUE {'pk': ?, 'status': ?, 'expiresAt': ?, 'lockUntil': ?, 'claimToken': ?, 'payloadHash': ?}`,
  Parameters: [s(pk), s('IN_PROGRESS'), n(2_000_000_000), n(Date.now() + 60_000), s(token), s('h')],
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});
const complete = (pk: string, token: string): BatchStatementRequest => ({
  Statement: `UPDATE "${table}" SET "status" = ? SET "expiresAt" = ? REMOVE "lockUntil" WHERE "pk" = ? AND "claimToken" = ? AND "status" = ?`,
  Parameters: [s('COMPLETED'), n(2_000_000_001), s(pk), s(token), s('IN_PROGRESS')],
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});
const release = (pk: string, token: string): BatchStatementRequest => ({
  Statement: `DELETE FROM "${table}" WHERE "pk" = ? AND "claimToken" = ? AND "status" = ?`,
  Parameters: [s(pk), s(token), s('IN_PROGRESS')],
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});
const batch = async (statements: BatchStatementRequest[]) => (await client.send(new BatchExecuteStatementCommand({ Statements: statements }))).Responses ?? [];

test('INSERT: a new key succeeds, an existing key answers DuplicateItem without the old item, each statement on its own', async () => {
  const [existing, fresh] = [key(), key()];
  await batch([insert(existing, 'first')]);

  const responses = await batch([insert(existing, 'second'), insert(fresh, 'second')]);

  expect(responses[0].Error?.Code).toBe('DuplicateItem');
  expect(responses[0].Error?.Item).toBeUndefined();
  expect(responses[1].Error).toBeUndefined();
  expect((await getItem(client, table, existing))?.claimToken?.S).toBe('first');
  expect((await getItem(client, table, fresh))?.claimToken?.S).toBe('second');
});

test('fenced UPDATE: applied under our token; refused with the current item (ALL_OLD) under another token, on a COMPLETED record, or on no record', async () => {
  const [ours, theirs, gone] = [key(), key(), key()];
  await batch([insert(ours, 'ours'), insert(theirs, 'theirs')]);

  const responses = await batch([complete(ours, 'ours'), complete(theirs, 'ours'), complete(gone, 'ours')]);

  expect(responses[0].Error).toBeUndefined();
  const item = await getItem(client, table, ours);
  expect(item?.status?.S).toBe('COMPLETED');
  expect(item?.lockUntil).toBeUndefined();
  expect(item?.expiresAt?.N).toBe('2000000001');
  expect(responses[1].Error?.Code).toBe('ConditionalCheckFailed');
  expect(responses[1].Error?.Item?.claimToken?.S).toBe('theirs');
  expect(responses[2].Error?.Code).toBe('ConditionalCheckFailed');
  expect(responses[2].Error?.Item).toBeUndefined();
  expect(await getItem(client, table, gone)).toBeUndefined();

  // Again: our own COMPLETED record comes back with the refusal (an SDK retry after a lost response).
  const [again] = await batch([complete(ours, 'ours')]);
  expect(again.Error?.Code).toBe('ConditionalCheckFailed');
  expect(again.Error?.Item).toMatchObject({ status: { S: 'COMPLETED' }, claimToken: { S: 'ours' } });
});

test('fenced DELETE, mixed with UPDATEs in one batch: deletes only our IN_PROGRESS claim', async () => {
  const [released, completed, taken] = [key(), key(), key()];
  await batch([insert(released, 'ours'), insert(completed, 'ours'), insert(taken, 'theirs')]);
  await batch([complete(completed, 'ours')]);

  const responses = await batch([release(released, 'ours'), release(completed, 'ours'), release(taken, 'ours'), complete(key(), 'ours')]);

  expect(responses.map((response) => response.Error?.Code)).toEqual([undefined, 'ConditionalCheckFailed', 'ConditionalCheckFailed', 'ConditionalCheckFailed']);
  expect(await getItem(client, table, released)).toBeUndefined();
  expect((await getItem(client, table, completed))?.status?.S).toBe('COMPLETED');
  expect((await getItem(client, table, taken))?.claimToken?.S).toBe('theirs');
});

test('25 statements per request at most; the same key twice in one request is refused as a whole', async () => {
  const keys = Array.from({ length: 26 }, key);
  await expect(batch(keys.map((pk) => insert(pk, 't')))).rejects.toMatchObject({ name: 'ValidationException' });
  expect((await batch(keys.slice(0, 25).map((pk) => insert(pk, 't')))).every((response) => response.Error === undefined)).toBe(true);

  const twice = key();
  const outcome = await batch([insert(twice, 'a'), insert(twice, 'b')]).then((responses) => responses.map((response) => response.Error?.Code), (error: Error) => error.name);
  expect(outcome).toBe('ValidationException');
});

test('BatchGetItem, consistent, 100 keys: the items that exist, none for the rest', async () => {
  const keys = Array.from({ length: 100 }, key);
  for (let i = 0; i < 50; i += 25) await batch(keys.slice(i, i + 25).map((pk) => insert(pk, 't')));

  const response = await client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys.map((pk) => ({ pk: s(pk) })), ConsistentRead: true } } }));

  expect(response.Responses?.[table]).toHaveLength(50);
  expect(response.UnprocessedKeys?.[table]).toBeUndefined();
  await expect(client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: [...keys, key()].map((pk) => ({ pk: s(pk) })) } } }))).rejects.toMatchObject({ name: 'ValidationException' });
});

describe('the claim-free commit: a conditional Put of the COMPLETED record in the handler\'s transaction', () => {
  const condition = 'attribute_not_exists(#pk) OR #expiresAt < :now OR (#status = :inProgress AND #lockUntil < :nowMs)';
  const put = (pk: string, token: string) => ({
    Put: {
      TableName: table,
      Item: { pk: s(pk), status: s('COMPLETED'), expiresAt: n(2_000_000_000), claimToken: s(token), payloadHash: s('h') },
      ConditionExpression: condition,
      ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt', '#status': 'status', '#lockUntil': 'lockUntil' },
      ExpressionAttributeValues: { ':now': n(Math.floor(Date.now() / 1000)), ':nowMs': n(Date.now()), ':inProgress': s('IN_PROGRESS') },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    },
  });
  const effect = (pk: string) => ({ Update: { TableName: table, Key: { pk: s(`effect#${pk}`) }, UpdateExpression: 'ADD effects :one', ExpressionAttributeValues: { ':one': n(1) } } });
  const commit = (pk: string, token: string) => client.send(new TransactWriteItemsCommand({ TransactItems: [put(pk, token), effect(pk)], ClientRequestToken: token }));
  const reasons = (error: unknown) => (error as { CancellationReasons?: { Code?: string; Item?: Record<string, AttributeValue> }[] }).CancellationReasons;

  test('a fresh id commits both; the same id again is cancelled with the stored record in the first reason', async () => {
    const pk = key();
    await commit(pk, 'first');
    const refused = await commit(pk, 'second').catch((error: unknown) => error);

    expect(refused).toMatchObject({ name: 'TransactionCanceledException' });
    expect(reasons(refused)?.map((reason) => reason.Code)).toEqual(['ConditionalCheckFailed', 'None']);
    expect(reasons(refused)?.[0].Item).toMatchObject({ status: { S: 'COMPLETED' }, claimToken: { S: 'first' }, payloadHash: { S: 'h' } });
    expect((await getItem(client, table, `effect#${pk}`))?.effects?.N).toBe('1');
  });

  test('the same request again (an SDK retry: same ClientRequestToken, same input) is answered with success and applies nothing again; other input under that token is refused', async () => {
    const pk = key();
    const input = { TransactItems: [put(pk, 'retried'), effect(pk)], ClientRequestToken: 'retried' };
    await client.send(new TransactWriteItemsCommand(input));
    await client.send(new TransactWriteItemsCommand(input));
    expect((await getItem(client, table, `effect#${pk}`))?.effects?.N).toBe('1');
    await expect(client.send(new TransactWriteItemsCommand({ ...input, TransactItems: [put(pk, 'retried')] }))).rejects.toMatchObject({ name: 'IdempotentParameterMismatchException' });
  });

  test('replaces an expired record and an abandoned claim whose lock ran out; a live claim cancels it', async () => {
    const [expired, abandoned, live] = [key(), key(), key()];
    await client.send(new PutItemCommand({ TableName: table, Item: { pk: s(expired), status: s('COMPLETED'), expiresAt: n(1000), payloadHash: s('old') } }));
    await client.send(new PutItemCommand({ TableName: table, Item: { pk: s(abandoned), status: s('IN_PROGRESS'), expiresAt: n(2_000_000_000), lockUntil: n(Date.now() - 1), claimToken: s('crashed') } }));
    await client.send(new PutItemCommand({ TableName: table, Item: { pk: s(live), status: s('IN_PROGRESS'), expiresAt: n(2_000_000_000), lockUntil: n(Date.now() + 60_000), claimToken: s('running') } }));

    await commit(expired, 'a');
    await commit(abandoned, 'b');
    const refused = await commit(live, 'c').catch((error: unknown) => error);

    expect((await getItem(client, table, expired))?.claimToken?.S).toBe('a');
    expect((await getItem(client, table, abandoned))).toMatchObject({ status: { S: 'COMPLETED' }, claimToken: { S: 'b' } });
    expect((await getItem(client, table, abandoned))?.lockUntil).toBeUndefined();
    expect(reasons(refused)?.[0]).toMatchObject({ Code: 'ConditionalCheckFailed', Item: { claimToken: { S: 'running' } } });
  });

  test('without other writes a conditional PutItem does the same in one request (ALL_OLD on refusal)', async () => {
    const pk = key();
    const { Put } = put(pk, 'first');
    await client.send(new PutItemCommand(Put));
    const refused = await client.send(new PutItemCommand(put(pk, 'second').Put)).catch((error: unknown) => error);
    expect(refused).toMatchObject({ name: 'ConditionalCheckFailedException', Item: { claimToken: { S: 'first' } } });
  });
});
