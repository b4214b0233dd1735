/*
 * The local Kinesis event source mapping on kinesalite, with a small recording handler (a plain
 * JavaScript module in a worker, as the local deployment runs any function): the event's exact
 * shape, LATEST, the batching window, records too old to send, retries without an on-failure destination, and the
 * one-line message when kinesalite is not installed, and an on-failure destination the local stack
 * cannot stand in for.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent } from 'aws-lambda';
import { createQueue, peekQueue, sqsClient } from '@cdk-fanout/testing';
import { App, Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import { bundledHandler } from '../../examples/orders/bundle';
import { StreamPoller } from '../../local/src/stream-poller';
import { createStream, type LocalStreamEventSource } from '../../local/src/kinesis-stream';
import { LocalFunction } from '../../local/src/lambda-function';
import type { LocalQueue } from '../../local/src/provision';
import { lazyKinesalite } from '../../testing/src/kinesalite';
import { startTestStack, waitFor } from './e2e-support';

/** Appends each event to EVENTS_FILE (one JSON line); a record whose data is `throw` makes the invocation throw. */
const HANDLER = `
const fs = require('node:fs');
exports.handler = async (event) => {
  fs.appendFileSync(process.env.EVENTS_FILE, JSON.stringify(event) + '\\n');
  if (event.Records.some((r) => Buffer.from(r.kinesis.data, 'base64').toString() === 'throw')) throw new Error('asked to throw');
  return { batchItemFailures: [] };
};`;

const kinesalite = lazyKinesalite();
let client: KinesisClient;
let sqs: SQSClient;
const running: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  client = (await kinesalite.get()).client();
  sqs = sqsClient();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  client?.destroy();
  sqs?.destroy();
  await kinesalite.stop();
});

/** A stream, a recording function and a poller for them (not started); `put` writes a record. */
async function setUp(mapping: Partial<LocalStreamEventSource> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-stream-poller-'));
  fs.writeFileSync(path.join(dir, 'index.js'), HANDLER);
  const eventsFile = path.join(dir, 'events.jsonl');
  const streamName = `poller-${path.basename(dir)}`;
  const stream = await createStream(client, 'Stream', streamName, { ShardCount: 1 });
  const fn = new LocalFunction({ logicalId: 'Fn', name: 'recorder', entry: path.join(dir, 'index'), exportName: 'handler', timeoutSeconds: 5, environment: { EVENTS_FILE: eventsFile } }, {});
  const poller = new StreamPoller({
    logicalId: 'Mapping', stream, function: { logicalId: 'Fn', name: 'recorder', entry: '', exportName: '', timeoutSeconds: 5, environment: {} },
    batchSize: 10, maxBatchingWindowSeconds: 0, startingPosition: 'TRIM_HORIZON', reportBatchItemFailures: true, bisectBatchOnError: true,
    maximumRetryAttempts: 2, maximumRecordAgeSeconds: -1, ...mapping,
  }, fn, client, sqs);
  running.push(poller, fn);
  const put = (data: string, key = 'k') => client.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: key, Data: Buffer.from(data) }));
  const events = (): KinesisStreamEvent[] => (fs.existsSync(eventsFile) ? fs.readFileSync(eventsFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line)) : []);
  return { stream, poller, put, events };
}

async function destination(): Promise<LocalQueue> {
  const queue = await createQueue(sqs, 'kinesis-on-failure');
  return { logicalId: 'Dlq', tags: {}, url: queue.url, arn: queue.arn, name: 'dlq', fifo: false, visibilityTimeoutSeconds: 30 };
}

test('LATEST skips what was written before; the event is Lambda\'s Kinesis event, data in base64', async () => {
  const { stream, poller, put, events } = await setUp({ startingPosition: 'LATEST' });
  await put('before');
  await poller.start();
  const arrivedAfter = Date.now() / 1000 - 1;
  const { SequenceNumber, ShardId } = await put('{"hello":"wörld"}', 'order-7');
  await waitFor('the invocation', async () => poller.stats.checkpointed === 1, 10_000);

  expect(events()).toEqual([{ Records: [{
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'order-7',
      sequenceNumber: SequenceNumber,
      data: Buffer.from('{"hello":"wörld"}').toString('base64'),
      approximateArrivalTimestamp: expect.any(Number),
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${ShardId}:${SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/recorder',
    awsRegion: 'us-east-1',
    eventSourceARN: stream.arn,
  }] }]);
  expect(events()[0].Records[0].kinesis.approximateArrivalTimestamp).toBeGreaterThan(arrivedAfter);
});

test('the batching window gathers records written apart into one invocation; without it each is sent as it comes', async () => {
  const gathered = await setUp({ maxBatchingWindowSeconds: 3 });
  const single = await setUp({ maxBatchingWindowSeconds: 0 });
  await Promise.all([gathered.poller.start(), single.poller.start()]);
  for (const data of ['a', 'b', 'c']) {
    await Promise.all([gathered.put(data), single.put(data)]);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await waitFor('both to pass the 3 records', async () => gathered.poller.stats.checkpointed === 3 && single.poller.stats.checkpointed === 3, 10_000);
  expect(gathered.events().map((event) => event.Records.length)).toEqual([3]);
  // Each is read within 200 ms of its write; a slow first invocation may let the next two meet.
  expect(single.events().length).toBeGreaterThan(1);
});

test('records older than MaximumRecordAgeInSeconds are not sent: one on-failure record, RecordAgeExceeded, without a response context', async () => {
  const onFailure = await destination();
  const { stream, poller, put, events } = await setUp({ maximumRecordAgeSeconds: 1, onFailure });
  const first = await put('a');
  await put('b');
  const last = await put('c');
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  await poller.start();
  await waitFor('the on-failure record', async () => poller.stats.onFailureRecords === 1, 10_000);

  const [message] = await peekQueue(sqs, onFailure.url);
  const record = JSON.parse(message.Body!);
  expect(record).toEqual({
    requestContext: { requestId: expect.any(String), functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:recorder', condition: 'RecordAgeExceeded', approximateInvokeCount: 0 },
    version: '1.0',
    timestamp: expect.stringMatching(/Z$/),
    KinesisBatchInfo: {
      shardId: first.ShardId, startSequenceNumber: first.SequenceNumber, endSequenceNumber: last.SequenceNumber,
      approximateArrivalOfFirstRecord: expect.stringMatching(/Z$/), approximateArrivalOfLastRecord: expect.stringMatching(/Z$/),
      batchSize: 3, streamArn: stream.arn,
    },
  });
  expect(events()).toEqual([]);
  expect(poller.stats).toMatchObject({ invocations: 0, givenUp: 3 });
});

test('a record that makes every invocation throw: split down to itself, retried MaximumRetryAttempts times, passed without a destination; the others go through once', async () => {
  const { poller, put, events } = await setUp({ maximumRetryAttempts: 2 });
  for (const data of ['a', 'b', 'throw', 'c']) await put(data);
  await poller.start();
  await waitFor('the shard to move past the bad record', async () => poller.stats.checkpointed + poller.stats.givenUp === 4, 10_000);

  const batches = events().map((event) => event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString()));
  // [a b throw c] fails → [a b] ok → [throw c] fails → [throw] fails, retried twice → given up → [c].
  expect(batches).toEqual([['a', 'b', 'throw', 'c'], ['a', 'b'], ['throw', 'c'], ['throw'], ['throw'], ['throw'], ['c']]);
  expect(poller.stats).toMatchObject({ checkpointed: 3, givenUp: 1, onFailureRecords: 0, bisections: 2, failedInvocations: 5 });
});

test('an on-failure destination that is not an SQS queue of the app is named in the skipped line; the mapping still runs', async () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-kinesis-sns-destination-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Clicks');
  const fn = new lambda.Function(stack, 'Counter', {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: bundledHandler(path.join(__dirname, 'app', 'effects-handler.ts')),
  });
  fn.addEventSource(new eventSources.KinesisEventSource(new kinesis.Stream(stack, 'Clicks'), {
    startingPosition: lambda.StartingPosition.TRIM_HORIZON, onFailure: new eventSources.SnsDlq(new sns.Topic(stack, 'Failures')),
  }));
  app.synth();
  const local = await startTestStack(outdir);
  running.push(local);
  expect(local.skippedSummary()).toContain('Kinesis on-failure destination(not an SQS queue of the app: given-up records are counted, not described) ×1');
  expect(local.streamPollers.map((poller) => poller.mapping.onFailure)).toEqual([undefined]);
});

test('without kinesalite installed, starting Kinesis names the package and the command that installs it', async () => {
  let startKinesalite!: typeof import('../../local/src/emulators').startKinesalite;
  jest.isolateModules(() => {
    jest.doMock('kinesalite', () => {
      throw Object.assign(new Error("Cannot find module 'kinesalite'"), { code: 'MODULE_NOT_FOUND' });
    });
    ({ startKinesalite } = require('../../local/src/emulators'));
  });
  await expect(startKinesalite("this app's Kinesis streams (E2e/Orders)")).rejects.toThrow(
    "this app's Kinesis streams (E2e/Orders) needs the Kinesis emulator kinesalite, an optional peer dependency of @cdk-fanout/local: run `npm install --save-dev kinesalite@^3.3.3`");
  jest.dontMock('kinesalite');
});
