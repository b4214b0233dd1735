/*
 * A Kinesis StreamConsumer on the local deployment (kinesalite, the local Kinesis mapping): 200
 * envelopes written with the Kinesis publisher over 8 partition keys on a 2-shard stream, 40 of
 * them twice, a poison record of each kind, and retryable failures injected by the fault preload
 * (throttled DynamoDB requests, environments that crash before a completion; seeded, printed).
 * The handler is the end-to-end one in transactional mode: its effect (a counter per envelope, and
 * per partition key the positions in the order applied) commits with the completion. Then one
 * record that always fails: retried up to the bound, then described in the dead-letter queue.
 *
 * The handler commits claim-free (`at-commit`). FANOUT_E2E_STREAM_CLAIM=first runs it claiming
 * first instead (not part of `npm test`: every crash then holds its shard until the crashed
 * invocation's deadline, about 50 s in all), which shows the consumer waiting out those locks.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import type { LocalDeployment } from '@cdk-fanout/local';
import { KinesisPublisher, type KinesisBatchEntry } from '@cdk-fanout/runtime/kinesis-publisher';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { parseOnFailureRecord } from '../../cli/src/commands/on-failure-record';
import { bundledHandler } from '../../examples/orders/bundle';
import { IdempotencyTable, StreamConsumer } from '../../lib';
import { appliedOrder, attemptsOf, effectsOf, messagesIn, peek, poisonPills, report, startTestStack, waitFor } from './e2e-support';

const RETRY_ATTEMPTS = 4;
const KEYS = 8;
const CLAIM_FIRST = process.env.FANOUT_E2E_STREAM_CLAIM === 'first';
/** How long the 200 envelopes may take to drain. */
const DRAIN_MS = CLAIM_FIRST ? 150_000 : 45_000;

function synthStreamApp(): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-stream-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'E2e');
  const idempotency = new IdempotencyTable(stack, 'Idempotency', { removalPolicy: RemovalPolicy.DESTROY });
  const effects = new dynamodb.TableV2(stack, 'Effects', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.DESTROY });
  const stream = new kinesis.Stream(stack, 'Orders', { shardCount: 2 });
  const handler = new lambda.Function(stack, 'OrderStreamHandler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: bundledHandler(path.join(__dirname, 'app', 'effects-handler.ts')),
    timeout: Duration.seconds(10),
    environment: { EFFECTS_TABLE: effects.tableName, HANDLER_MODE: CLAIM_FIRST ? 'transact' : 'at-commit' },
  });
  new StreamConsumer(stack, 'OrderStream', { stream, handler, idempotencyTable: idempotency, batchSize: 25, retryAttempts: RETRY_ATTEMPTS });
  app.synth();
  return outdir;
}

describe('end to end: a Kinesis stream consumer', () => {
  let local: LocalDeployment | undefined;
  afterEach(async () => {
    await local?.stop();
    local = undefined;
  });

  test('8. 200 envelopes on 8 keys and 2 shards, 40 twice, poison of each kind, injected faults: every effect once, order per key, poison and the given-up record in the DLQ', async () => {
    local = await startTestStack(synthStreamApp(), { faults: { dynamodbErrorRate: 0.03, crashBeforeCompletionRate: 0.02 } });
    const [stream] = local.stacks[0].streams.values();
    const { deadLetterQueue } = local.deadLetterQueueOf('order-stream');
    const [poller] = local.streamPollers;
    const publisher = new KinesisPublisher({ streamName: stream.name, source: 'e2e', client: local.clients.kinesis });

    const ids = Array.from({ length: 200 }, () => randomUUID());
    const keyOf = (i: number) => `order-${i % KEYS}`;
    const entries: KinesisBatchEntry[] = ids.map((id, i) => ({
      type: 'order.created', id, partitionKey: keyOf(i), data: { orderId: `o-${i}`, group: keyOf(i), seq: Math.floor(i / KEYS) },
    }));
    const written = await publisher.publishBatch([...entries, ...entries.slice(0, 40)]);
    expect(written.every((result) => result.ok)).toBe(true);
    const shards = new Set(written.map((result) => (result.ok ? result.shardId : '')));
    expect(shards.size).toBe(2);

    const pills = poisonPills({
      raw: (data) => local!.clients.kinesis!.send(new PutRecordCommand({ StreamName: stream.name, PartitionKey: 'poison', Data: Buffer.from(data) })),
      // On the original's key, so it comes after the original in its shard.
      conflict: () => publisher.publish('order.created', { orderId: 'different' }, { id: ids[0], partitionKey: keyOf(0) }),
      nonRetryable: () => publisher.publish('order.created', { orderId: 'p', poison: true }, { partitionKey: 'poison' }),
    });
    for (const pill of Object.values(pills)) await pill();

    const started = Date.now();
    await waitFor('every envelope processed and every poison record dead-lettered', async () => {
      const effects = await effectsOf(local!, 'order-stream');
      return ids.every((id) => effects.has(id)) && (await messagesIn(local!, deadLetterQueue)) >= Object.keys(pills).length;
    }, DRAIN_MS);
    const drainedMs = Date.now() - started;

    // One record that always fails, alone at the end of its shard: retried up to the bound, then given up.
    const stuckId = randomUUID();
    const stuck = await publisher.publish('order.created', { orderId: 'stuck', failAlways: true }, { id: stuckId, partitionKey: 'stuck' });
    await waitFor('the always-failing record\'s on-failure record', async () => poller.stats.onFailureRecords > 0, 30_000);

    const effects = await effectsOf(local, 'order-stream');
    const order = await appliedOrder(local, 'order-stream');
    const deadLetters = await peek(local, deadLetterQueue);
    const onFailure = deadLetters.map((m) => parseOnFailureRecord(m.Body ?? '')).filter((record) => record !== undefined);
    const poison = deadLetters.filter((m) => m.MessageAttributes?.['fanout.reason'] !== undefined);
    const attempts = (await attemptsOf(local, 'order-stream')).get(stuckId);
    const keysInOrder = [...Array(KEYS).keys()].filter((k) => JSON.stringify(order.get(`order-${k}`)) === JSON.stringify([...Array(200 / KEYS).keys()])).length;
    const figures = report('kinesis stream', {
      sent: ids.length + 40 + Object.keys(pills).length + 1,
      shards: shards.size,
      processed: ids.filter((id) => effects.has(id)).length,
      lost: ids.filter((id) => !effects.has(id)).length,
      doubleEffects: [...effects.values()].filter((n) => n > 1).length,
      keysInOrder,
      inDeadLetterQueue: deadLetters.length,
      invocations: poller.stats.invocations,
      partialFailures: poller.stats.partialFailures,
      failedInvocations: poller.stats.failedInvocations,
      bisections: poller.stats.bisections,
      givenUp: poller.stats.givenUp,
      stuckAttempts: attempts ?? 0,
      drainedMs,
    });
    expect(figures).toMatchObject({ processed: 200, lost: 0, doubleEffects: 0, keysInOrder: KEYS, givenUp: 1, stuckAttempts: RETRY_ATTEMPTS + 1 });
    // Each poison record is in the DLQ with its reason. A copy is sent before its batch is answered, so a batch retried
    // whole after a crash sends its poison again: at most one extra copy per failed invocation, and nothing else is there.
    expect([...new Set(poison.map((m) => m.MessageAttributes!['fanout.reason'].StringValue))].sort()).toEqual(Object.keys(pills).sort());
    expect(poison.length - Object.keys(pills).length).toBeLessThanOrEqual(figures.failedInvocations);
    expect(deadLetters).toHaveLength(poison.length + onFailure.length);
    expect(onFailure).toEqual([expect.objectContaining({
      kind: 'kinesis',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: RETRY_ATTEMPTS + 1,
      eventSourceArn: stream.arn,
      batchSize: 1,
      ranges: [expect.objectContaining({ streamOrTopic: stream.name, shardOrPartition: stuck.shardId, first: stuck.sequenceNumber, last: stuck.sequenceNumber })],
    })]);
  }, DRAIN_MS + 60_000);
});
