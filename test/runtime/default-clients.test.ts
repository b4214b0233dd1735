/*
 * The clients the runtime makes itself have connection and request timeouts: against an endpoint
 * that accepts connections and never answers, a consumer's claim fails in bounded time (the
 * record is retried) instead of waiting until Lambda ends the invocation.
 */
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createConsumer } from '@cdk-fanout/runtime';
import { envelope, lambdaContext, sqsEvent, sqsRecord } from '@cdk-fanout/testing';
import { DEFAULT_CLIENT_TIMEOUT_MS } from '../../runtime/src/client-config';

let silent: net.Server;
const sockets = new Set<net.Socket>();
const saved = { ...process.env };

beforeAll(async () => {
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_MAX_ATTEMPTS: '1',
  });
});

afterAll(async () => {
  process.env = saved;
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

test('a claim against a silent DynamoDB endpoint fails after the request timeout; the record is retried', async () => {
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const handler = createConsumer({ consumerName: 'billing', idempotency: { tableName: 'idempotency', batching: false }, handlers: { 'order.created': { handle: async () => undefined } } });
    const record = sqsRecord(envelope('order.created', { orderId: 'o-1' }));
    const started = Date.now();
    const response = await handler(sqsEvent(record), lambdaContext(120_000));
    const elapsed = Date.now() - started;
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(elapsed).toBeGreaterThanOrEqual(DEFAULT_CLIENT_TIMEOUT_MS - 500);
    expect(elapsed).toBeLessThan(DEFAULT_CLIENT_TIMEOUT_MS * 3);
  } finally {
    write.mockRestore();
  }
}, 60_000);
