/*
 * createConsumer checks its options when it is created: a NaN or out-of-range number would
 * otherwise start nothing, fail every claim or turn idempotency off without a word.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createConsumer, type CreateConsumerOptions } from '@cdk-fanout/runtime';

const handlers = { 'order.created': { handle: async () => undefined } };
const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } });
const withIdempotency = (idempotency: object): CreateConsumerOptions => ({ consumerName: 'billing', handlers, idempotency: { tableName: 'T', client, ...idempotency } });

afterAll(() => client.destroy());

test.each<[string, CreateConsumerOptions, string]>([
  ['maxConcurrency NaN', { handlers, maxConcurrency: NaN }, 'createConsumer: maxConcurrency must be an integer from 1 to 1000, got NaN'],
  ['maxConcurrency 0', { handlers, maxConcurrency: 0 }, 'createConsumer: maxConcurrency must be an integer from 1 to 1000, got 0'],
  ['minRemainingTimeMs NaN', { handlers, minRemainingTimeMs: NaN }, 'createConsumer: minRemainingTimeMs must be an integer from 0 to 900000, got NaN'],
  ['minRemainingTimeMs negative', { handlers, minRemainingTimeMs: -1 }, 'createConsumer: minRemainingTimeMs must be an integer from 0 to 900000, got -1'],
  ['expiresAfterSeconds NaN', withIdempotency({ expiresAfterSeconds: NaN }), 'createConsumer: idempotency.expiresAfterSeconds must be an integer from 1 to 31622400, got NaN'],
  ['expiresAfterSeconds negative (idempotency silently off)', withIdempotency({ expiresAfterSeconds: -60 }), 'createConsumer: idempotency.expiresAfterSeconds must be an integer from 1 to 31622400, got -60'],
  ['lockFallbackMs NaN', withIdempotency({ lockFallbackMs: NaN }), 'createConsumer: idempotency.lockFallbackMs must be an integer from 100 to 900000, got NaN'],
  ['lockFallbackMs Infinity', withIdempotency({ lockFallbackMs: Infinity }), 'createConsumer: idempotency.lockFallbackMs must be an integer from 100 to 900000, got Infinity'],
  ['localCacheMaxItems fraction', withIdempotency({ localCacheMaxItems: 1.5 }), 'createConsumer: idempotency.localCacheMaxItems must be an integer from 0 to 1000000, got 1.5'],
  ['unknownType misspelt', { handlers, unknownType: 'ignore' as 'skip' }, 'createConsumer: unknownType must be \'poison\' or \'skip\', got "ignore"'],
  ['handlers missing', {} as CreateConsumerOptions, 'createConsumer: handlers is required: an object with a { handle } per envelope type'],
  ['batching not a boolean', withIdempotency({ batching: 'no' }), 'createConsumer: idempotency.batching must be true or false, got "no"'],
  ['claim misspelt', { handlers: { 'order.created': { handle: async () => undefined, claim: 'none' as 'first' } } }, 'createConsumer: handlers["order.created"].claim must be \'first\' or \'at-commit\', got "none"'],
])('%s: refused when created, naming the option and its range', (_case, options, message) => {
  expect(() => createConsumer(options)).toThrow(message);
});

test('the documented defaults and the ends of each range are accepted', () => {
  expect(typeof createConsumer({ handlers })).toBe('function');
  expect(typeof createConsumer({ handlers, maxConcurrency: 1000, minRemainingTimeMs: 0 })).toBe('function');
  expect(typeof createConsumer(withIdempotency({ expiresAfterSeconds: 1, lockFallbackMs: 900_000, localCacheMaxItems: 0 }))).toBe('function');
  expect(typeof createConsumer(withIdempotency({ batching: false }))).toBe('function');
  expect(typeof createConsumer({ handlers: { 'order.created': { handle: async () => undefined, claim: 'at-commit' } } })).toBe('function');
});
