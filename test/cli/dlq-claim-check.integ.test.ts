/*
 * Claim checks in the dead-letter queue, against fauxqs (SQS and S3): `fanout dlq inspect` shows
 * each pointer's bucket, key and object size, reads the bodies with --payloads, and shows a
 * deleted object as missing instead of failing; `fanout dlq redrive` puts the pointer back with
 * its attributes intact, and a consumer in the right environment then reads the body;
 * `fanout publish` sends a large envelope, read from a file (--data @FILE), as a claim check with
 * --payload-bucket.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createConsumer } from '@cdk-fanout/runtime';
import { SqsPublisher } from '@cdk-fanout/runtime/sqs-publisher';
import {
  captureLogs, createBucket, createSourceAndDlq, drainQueue, lambdaContext, recordFromMessage, s3Client, snsClient, sqsClient, sqsEvent, topicWithQueues,
} from '@cdk-fanout/testing';
import { PAYLOAD_READS_IN_FLIGHT, withPayloads } from '../../cli/src/commands/dlq-payload';
import { fanout } from './support/run';

// Jest's CommonJS VM cannot run the runtime's import() of the S3 client without
// --experimental-vm-modules, so the loader requires it here; test/runtime/bundle.test.ts runs the real import().
jest.mock('../../runtime/src/s3-module', () => ({ loadS3Module: async () => require('@aws-sdk/client-s3') }));

let sqs: SQSClient;
let sns: SNSClient;
let s3: S3Client;
let bucket: string;
beforeAll(async () => {
  sqs = sqsClient();
  sns = snsClient();
  s3 = s3Client();
  bucket = await createBucket(s3, 'cli-claims');
});
afterAll(() => {
  sqs.destroy();
  sns.destroy();
  s3.destroy();
});

const big = (tag: string) => ({ tag, text: 'x'.repeat(300 * 1024) });
const keyOf = (body: string) => (JSON.parse(body) as [string, { s3Key: string }])[1].s3Key;

/** Two 300 KiB envelopes published in 'prod', read by a consumer in 'dev': both poison (wrong-environment) in the DLQ, as pointers. */
async function claimChecksInDlq(prefix: string) {
  const { source, dlq } = await createSourceAndDlq(sqs, prefix);
  const publisher = new SqsPublisher({ queueUrl: source.url, source: 'order-service', client: sqs, environment: 'prod', largePayloads: { bucket, client: s3 } });
  const envelopes = (await publisher.publishBatch([{ type: 'order.created', data: big('a') }, { type: 'order.created', data: big('b') }])).map((result) => result.envelope);
  const consumer = createConsumer({ consumerName: 'billing', idempotency: false, environment: 'dev', deadLetterQueueUrl: dlq.url, sqsClient: sqs, logger: captureLogs().logger, largePayloads: { client: s3 }, handlers: { 'order.created': { handle: () => undefined } } });
  const messages = await drainQueue(sqs, source.url);
  await consumer(sqsEvent(...messages.map((message) => recordFromMessage(message, source.arn))), lambdaContext());
  return { source, dlq, envelopes, sent: messages };
}

describe('fanout dlq inspect on claim checks', () => {
  test('lists bucket, key and object size; --payloads --json reads each body and its envelope fields; a deleted object shows as missing', async () => {
    const { dlq, envelopes, sent } = await claimChecksInDlq('cli-claims-inspect');
    const keys = sent.map((message) => keyOf(message.Body!));

    const table = await fanout(['dlq', 'inspect', '--queue-url', dlq.url]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const lines = table.stdout.split('\n');
    expect(lines.filter((line) => /^-\s+-\s+-\s+wrong-environment\s+the message was published in environment "prod"/.test(line))).toHaveLength(2);
    expect(lines.find((line) => line.startsWith('CLAIM CHECK'))).toMatch(/^CLAIM CHECK\s+BUCKET\s+KEY\s+SIZE$/);
    for (const key of keys) expect(lines.find((line) => line.includes(key))).toMatch(new RegExp(`\\s${bucket}\\s+${key.replace(/\./g, '\\.')}\\s+30\\d{4}$`));

    const json = await fanout(['dlq', 'inspect', '--queue-url', dlq.url, '--payloads', '--json']);
    expect(json.code).toBe(0);
    const rows = (JSON.parse(json.stdout) as { messages: { id?: string; type?: string; reason?: string; payload?: { bucket: string; key: string; size: number; body: string } }[] }).messages;
    expect(rows.map((row) => row.id).sort()).toEqual(envelopes.map((envelope) => envelope.id).sort());
    for (const row of rows) {
      const envelope = envelopes.find((candidate) => candidate.id === row.id)!;
      expect(row).toMatchObject({ type: 'order.created', reason: 'wrong-environment', payload: { bucket, size: Buffer.byteLength(row.payload!.body) } });
      expect(JSON.parse(row.payload!.body)).toEqual(envelope);
    }

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: keys[0] }));
    const missing = await fanout(['dlq', 'inspect', '--queue-url', dlq.url, '--payloads']);
    expect(missing).toMatchObject({ code: 0, stderr: '' });
    expect(missing.stdout.split('\n').find((line) => line.includes(keys[0]))).toMatch(/\smissing$/);
    expect(missing.stdout.split('\n').find((line) => line.includes(keys[1]))).toMatch(/\s30\d{4}$/);
  });
});

describe('reading many claim checks (--payloads with a large --max)', () => {
  test(`reads at most ${PAYLOAD_READS_IN_FLIGHT} objects at a time, every row read, in order`, async () => {
    const client = s3Client();
    let inFlight = 0;
    let most = 0;
    client.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName !== 'GetObjectCommand') return next(args);
      most = Math.max(most, ++inFlight);
      try {
        return await next(args);
      } finally {
        inFlight -= 1;
      }
    }, { step: 'initialize', name: 'countGetObjectsInFlight' });
    const keys = Array.from({ length: 40 }, (_, index) => `many/${index}.json`);
    await Promise.all(keys.map((key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `{"n":${key}}` }))));
    const rows = keys.map((key, index) => ({ messageId: `m${index}`, receiveCount: 1, body: '', payload: { bucket, key } }));
    try {
      const read = await withPayloads(client, rows, true);
      expect(read.map((row) => row.payload?.body)).toEqual(keys.map((key) => `{"n":${key}}`));
      expect(most).toBe(PAYLOAD_READS_IN_FLIGHT);
    } finally {
      client.destroy();
    }
  });
});

describe('fanout dlq redrive on claim checks', () => {
  test('the pointer goes back with its attributes, and a consumer in the right environment reads the same data', async () => {
    const { source, dlq, envelopes, sent } = await claimChecksInDlq('cli-claims-redrive');

    const run = await fanout(['dlq', 'redrive', '--queue-url', dlq.url]);
    expect(run.code).toBe(0);
    const back = await drainQueue(sqs, source.url);
    expect(back.map((message) => message.Body).sort()).toEqual(sent.map((message) => message.Body).sort());
    for (const message of back) {
      const original = sent.find((candidate) => candidate.Body === message.Body)!;
      expect(message.MessageAttributes?.ExtendedPayloadSize).toEqual(original.MessageAttributes?.ExtendedPayloadSize);
      expect(message.MessageAttributes?.environment?.StringValue).toBe('prod');
      expect(message.MessageAttributes?.['fanout.reason']?.StringValue).toBe('wrong-environment');
    }

    const seen: unknown[] = [];
    const consumer = createConsumer({ consumerName: 'billing', idempotency: false, environment: 'prod', logger: captureLogs().logger, largePayloads: { client: s3 }, handlers: { 'order.created': { handle: (data) => { seen.push(data); } } } });
    expect(await consumer(sqsEvent(...back.map((message) => recordFromMessage(message, source.arn))), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(seen).toHaveLength(2);
    expect(seen).toEqual(expect.arrayContaining(envelopes.map((envelope) => envelope.data)));
  });
});

describe('fanout publish with a payload bucket', () => {
  // 300 KiB cannot be one command-line argument on Linux (128 KiB at most): the data comes from a file.
  test('--environment stamps the attribute; --payload-bucket sends a 300 KiB envelope from --data @FILE as a claim check a consumer reads', async () => {
    const { topicArn, queues } = await topicWithQueues(sns, sqs, 'cli-claims-publish', false, { raw: {} });
    const data = big('cli');
    const folder = mkdtempSync(path.join(tmpdir(), 'fanout-publish-'));
    const file = path.join(folder, 'big-order.json');
    writeFileSync(file, JSON.stringify(data));
    const run = await fanout(['publish', '--topic-arn', topicArn, '--type', 'order.created', '--data', `@${file}`, '--environment', 'prod', '--payload-bucket', bucket, '--json'])
      .finally(() => rmSync(folder, { recursive: true, force: true }));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const [message] = await drainQueue(sqs, queues.raw.url);
    expect(keyOf(message.Body!)).toMatch(/^prod\/order\.created\//);
    expect(message.MessageAttributes?.environment?.StringValue).toBe('prod');

    const seen: unknown[] = [];
    const consumer = createConsumer({ consumerName: 'billing', idempotency: false, environment: 'prod', logger: captureLogs().logger, largePayloads: { client: s3 }, handlers: { 'order.created': { handle: (received) => { seen.push(received); } } } });
    expect(await consumer(sqsEvent(recordFromMessage(message, queues.raw.arn)), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual([data]);
  });

  test('without one, a 300 KiB envelope is refused in one line saying how to send it', async () => {
    const { topicArn } = await topicWithQueues(sns, sqs, 'cli-claims-refused', false, { raw: {} });
    const run = await fanout(['publish', '--topic-arn', topicArn, '--type', 'order.created', '--data', JSON.stringify(big('cli'))]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/give the Publisher largePayloads: \{ bucket \} \(or set FANOUT_PAYLOAD_BUCKET\) to send it through S3/);
  });
});
