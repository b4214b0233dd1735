/*
 * Endpoints that are not AWS: one that accepts connections and never answers, and one that
 * answers with an HTML page. Every AWS call of the command line has connection and request
 * timeouts (--timeout), and either failure is one readable line naming the endpoint and the
 * option to change, never a hang or a JSON parse error.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { redrive } from '@cdk-fanout/runtime/redrive';
import { DEFAULT_TIMEOUT_SECONDS, globalOptions } from '../../cli/src/commands/common';
import { redriveClientConfig } from '../../runtime/src/redrive';
import { fanout } from './support/run';

const ONE_LINE = /^[^\n]+\n$/;

let silent: net.Server;
let html: http.Server;
const sockets = new Set<net.Socket>();
let silentUrl: string;
let htmlUrl: string;

beforeAll(async () => {
  // Accepts every connection and never writes a byte.
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  html = http.createServer((_, response) => {
    response.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n');
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  htmlUrl = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  html.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
  await new Promise((resolve) => html.close(resolve));
});

const on = (endpoint: string, args: readonly string[]) => fanout([...args, '--endpoint', endpoint, '--region', 'us-east-1'], { local: false });

describe('an endpoint that accepts connections and never answers', () => {
  test('each command gives up after --timeout (per attempt) with one line naming the endpoint and --timeout', async () => {
    const queueUrl = `${silentUrl}/000000000000/orders-billing-dlq`;
    const started = Date.now();

    const [redrive, inspect] = await Promise.all([
      on(silentUrl, ['dlq', 'redrive', '--queue-url', queueUrl, '--timeout', '2']),
      on(silentUrl, ['dlq', 'inspect', '--stack', 'OrdersFanOut', '--consumer', 'billing', '--timeout', '2']),
    ]);

    // Three attempts of 2 s and the SDK's short back-off between them.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(redrive).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(ONE_LINE) });
    expect(redrive.stderr).toBe(`fanout dlq redrive: TimeoutError: no answer from ${silentUrl} (GetQueueAttributes) within 2 s: check --endpoint and the network, or allow longer with --timeout SECONDS\n`);
    expect(inspect.stderr).toBe(`fanout dlq inspect: TimeoutError: no answer from ${silentUrl} (GetTemplate) within 2 s: check --endpoint and the network, or allow longer with --timeout SECONDS\n`);
  }, 30_000);

  test('by default a request has 30 s; --timeout takes 2 to 3600', async () => {
    expect(DEFAULT_TIMEOUT_SECONDS).toBe(30);
    expect(globalOptions({}).timeoutSeconds).toBe(30);
    expect(globalOptions({ timeout: '5' }).timeoutSeconds).toBe(5);
    for (const value of ['1', '0', 'soon', '3601']) {
      const run = await fanout(['dlq', 'inspect', '--queue-url', 'u', '--timeout', value], { local: false });
      expect(run).toEqual({ code: 2, stdout: '', stderr: `fanout dlq inspect: --timeout must be a whole number from 2 to 3600, got "${value}" (see fanout dlq inspect --help)\n` });
    }
  });
});

describe('redrive() without a client of its own', () => {
  test('its default client has timeouts too: a silent endpoint is a TimeoutError, not a hang', async () => {
    const saved = { region: process.env.AWS_REGION, endpoint: process.env.AWS_ENDPOINT_URL_SQS };
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ENDPOINT_URL_SQS = silentUrl;
    const started = Date.now();
    try {
      await expect(redrive({ queueUrl: `${silentUrl}/000000000000/orders-billing-dlq`, timeoutSeconds: 1 })).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      for (const [name, value] of [['AWS_REGION', saved.region], ['AWS_ENDPOINT_URL_SQS', saved.endpoint]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    // Three attempts of 1 s to connect and 1 + 1 s (the receive's long poll) for an answer.
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  test('by default 30 s to connect, and 30 s plus the long poll for an answer', () => {
    expect(redriveClientConfig({})).toEqual({ cacheMiddleware: true, requestHandler: { connectionTimeout: 30_000, requestTimeout: 31_000, throwOnRequestTimeout: true } });
    expect(redriveClientConfig({ timeoutSeconds: 5, waitTimeSeconds: 20 }).requestHandler).toMatchObject({ connectionTimeout: 5000, requestTimeout: 25_000 });
  });
});

describe('an endpoint that answers with an HTML page', () => {
  test.each([
    [['dlq', 'inspect', '--queue-url', 'QUEUE'], 'dlq inspect', 'GetQueueAttributes'],
    [['dlq', 'purge', '--queue-url', 'QUEUE', '--yes'], 'dlq purge', 'GetQueueAttributes'],
    [['dlq', 'redrive', '--stack', 'OrdersFanOut', '--consumer', 'billing'], 'dlq redrive', 'GetTemplate'],
    [['publish', '--topic-arn', 'arn:aws:sns:us-east-1:000000000000:orders', '--type', 'order.created', '--data', '{}'], 'publish', 'Publish'],
  ])('%j: one line with the status, the page\'s title and --endpoint', async (args, name, operation) => {
    const run = await on(htmlUrl, args.map((arg) => (arg === 'QUEUE' ? `${htmlUrl}/000000000000/orders-billing-dlq` : arg)));

    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `fanout ${name}: NotAnAwsAnswer: ${htmlUrl} does not answer as AWS does: ${operation} got HTTP 404 (text/html; charset=utf-8) "404 Not Found"; check --endpoint\n`,
    });
  });
});
