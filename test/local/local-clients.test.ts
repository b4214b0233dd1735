/*
 * The deployment's clients have connection and request timeouts: against an emulator that accepts
 * connections and never answers, every one of them (SQS, SNS, DynamoDB, S3, Kinesis) fails within
 * the request timeout instead of holding a poller forever. No emulator can stay silent on demand,
 * so the endpoint is a bare TCP server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { LocalDeployment } from '@cdk-fanout/local';
import { LOCAL_REQUEST_TIMEOUT_MS } from '../../local/src/emulators';

let silent: net.Server;
const sockets = new Set<net.Socket>();
const saved = { ...process.env };
let cdkOut: string;

beforeAll(async () => {
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  // One attempt each: the SDK's retries would multiply the wait, not change what is tested.
  process.env.AWS_MAX_ATTEMPTS = '1';
  cdkOut = mkdtempSync(path.join(tmpdir(), 'local-clients-'));
  writeFileSync(path.join(cdkOut, 'manifest.json'), JSON.stringify({ version: '36.0.0', artifacts: {} }));
});

afterAll(async () => {
  process.env = saved;
  rmSync(cdkOut, { recursive: true, force: true });
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

test('every client of the deployment fails against a silent endpoint after the request timeout', async () => {
  const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const deployment = await LocalDeployment.start({ cdkOut, endpoints: { fauxqs: endpoint, dynamodb: endpoint, kinesis: endpoint } });
  try {
    const { sqs, sns, dynamodb, s3, kinesis } = deployment.clients;
    const started = Date.now();
    const sends: Promise<unknown>[] = [
      sqs.send(new ListQueuesCommand({})),
      sns.send(new ListTopicsCommand({})),
      dynamodb.send(new ListTablesCommand({})),
      s3.send(new ListBucketsCommand({})),
      kinesis!.send(new ListStreamsCommand({})),
    ];
    const outcomes = await Promise.allSettled(sends);
    const elapsed = Date.now() - started;
    expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as Error).name : outcome.status))).toEqual(Array(5).fill('TimeoutError'));
    expect(elapsed).toBeGreaterThanOrEqual(LOCAL_REQUEST_TIMEOUT_MS - 500);
    expect(elapsed).toBeLessThan(LOCAL_REQUEST_TIMEOUT_MS * 1.5);
  } finally {
    await deployment.stop();
  }
}, LOCAL_REQUEST_TIMEOUT_MS * 3);
