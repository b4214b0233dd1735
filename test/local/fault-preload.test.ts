/*
 * The fault preload crashes an execution environment just before a record is marked completed. It
 * must recognise every request the runtime completes with; the requests here are the ones the
 * runtime's own idempotency store sends (captured from a client that answers without a network).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { completes } from '../../testing/src/fault-preload';
import { IdempotencyStore } from '../../runtime/src/idempotency-store';

const TABLE = 'idempotency';
const claim = { key: 'billing#e-1', token: 'token-1' };

/** The store's requests, by command name, each answered with an empty success. */
async function requestsOf(act: (store: IdempotencyStore) => Promise<unknown>): Promise<Array<{ name: string; input: unknown }>> {
  const sent: Array<{ name: string; input: unknown }> = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return { Responses: [{}] };
    },
  } as unknown as DynamoDBClient;
  await act(new IdempotencyStore(client, TABLE)).catch(() => undefined);
  return sent;
}

test.each<[string, boolean, (store: IdempotencyStore) => Promise<unknown>]>([
  ['per-record completion (UpdateItem)', true, (store) => store.complete(claim, 1_900_000_000)],
  ['completion with the handler\'s writes (TransactWriteItems, Update)', true, (store) => store.complete(claim, 1_900_000_000, [{ Put: { TableName: 'ledger', Item: { pk: { S: 'x' } } } }])],
  ['batched completion (BatchExecuteStatement, UPDATE)', true, (store) => store.writeFenced([{ kind: 'complete', claim, expiresAtSeconds: 1_900_000_000 }])],
  ['claim-free commit (TransactWriteItems, Put of COMPLETED)', true, (store) => store.commit({ ...claim, payloadHash: 'h', nowMs: 1_800_000_000_000, expiresAtSeconds: 1_900_000_000 }, [{ Put: { TableName: 'ledger', Item: { pk: { S: 'x' } } } }])],
  ['batched release (BatchExecuteStatement, DELETE)', false, (store) => store.writeFenced([{ kind: 'release', claim }])],
  ['batched claims (BatchExecuteStatement, INSERT)', false, (store) => store.insertClaims([{ key: claim.key, payloadHash: 'h', nowMs: 1_800_000_000_000, lockUntilMs: 1_800_000_060_000, expiresAtSeconds: 1_900_000_000, token: 'token-1' }])],
  ['per-record claim (PutItem)', false, (store) => store.claim({ key: claim.key, payloadHash: 'h', nowMs: 1_800_000_000_000, lockUntilMs: 1_800_000_060_000, expiresAtSeconds: 1_900_000_000, token: 'token-1' })],
  ['release (DeleteItem)', false, (store) => store.release(claim)],
])('%s: a completion? %p', async (_name, expected, act) => {
  const requests = await requestsOf(act);
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.map(({ name, input }) => completes(name, input, TABLE))).toEqual(requests.map(() => expected));
});

test('a request to another table is never taken for a completion', async () => {
  const [request] = await requestsOf((store) => store.writeFenced([{ kind: 'complete', claim, expiresAtSeconds: 1_900_000_000 }]));
  expect(completes(request.name, request.input, 'other-table')).toBe(false);
});
