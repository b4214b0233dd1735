import { createHash } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalDeployment } from '@cdk-fanout/local';
import { Publisher } from '@cdk-fanout/runtime';
import { uniqueName } from '@cdk-fanout/testing';
import { LARGE_MESSAGES_ENVIRONMENT, synthLargeMessagesApp } from './app/large-messages-app';
import { peek, startTestStack, waitFor } from './e2e-support';

// Jest's module system cannot run the runtime's import() of the S3 client; the bundled handlers load it as Lambda would.
jest.mock('../../runtime/src/s3-module', () => ({ loadS3Module: async () => require('@aws-sdk/client-s3') }));

/*
 * Claim checks and environments end to end on the local deployment: fauxqs serves SNS, SQS and
 * the payload bucket's S3, DynamoDB Local the idempotency and digest tables, and the bundled
 * handlers run the runtime (see app/large-messages-app.ts).
 */
const KIB = 1024;
const SIZES = { small: 100 * KIB, medium: 300 * KIB, large: 2 * 1024 * KIB };
const CONSUMERS = ['billing', 'audit', 'relay', 'ledger'];

/** Order data of about `bytes` bytes of JSON. */
const orderOf = (orderId: string, bytes: number) => ({ orderId, notes: 'x'.repeat(bytes) });
const digestOf = (data: unknown) => createHash('sha256').update(JSON.stringify(data)).digest('hex');

describe('a fan-out with a payload bucket on the local deployment', () => {
  let local: LocalDeployment;
  let bucket: string;
  let s3: S3Client;
  beforeAll(async () => {
    local = await startTestStack(synthLargeMessagesApp());
    [bucket] = local.stacks[0].buckets.values();
    s3 = local.clients.s3;
  });
  afterAll(() => local.stop());

  const topicArn = (logicalIdStart: string) => [...local.stacks[0].topics.values()].find((t) => t.logicalId.startsWith(logicalIdStart))!.arn;
  const publisher = (client = s3) => new Publisher({
    topicArn: topicArn('Orders'), source: 'e2e', client: local.clients.sns, environment: LARGE_MESSAGES_ENVIRONMENT, largePayloads: { bucket, client },
  });
  const digests = async () => {
    const [table] = [...local.stacks[0].tables].filter(([id]) => id.startsWith('Digests')).map(([, name]) => name);
    const { Items = [] } = await local.clients.dynamodb.send(new ScanCommand({ TableName: table }));
    return new Map(Items.map((item) => [item.pk.S!, { deliveries: Number(item.deliveries.N), digest: item.digest.S!, bytes: Number(item.bytes.N) }]));
  };

  test('provisions the payload bucket, and a handler writes and reads it through AWS_ENDPOINT_URL_S3', async () => {
    expect(bucket).toMatch(/^t[0-9a-f]{8}-large-payloadsbucket/);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'probe', Body: 'ok' }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'probe' }))).Body!.transformToString()).toBe('ok');
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'probe' }));
    const fn = local.stacks[0].eventSources.find((source) => source.function.logicalId.startsWith('RelayHandler'))!.function;
    expect(fn.environment).toMatchObject({ FANOUT_PAYLOAD_BUCKET: bucket, FANOUT_ENVIRONMENT: LARGE_MESSAGES_ENVIRONMENT });
  });

  test('100 KiB, 300 KiB and 2 MiB bodies reach every consumer\'s handler once with the same data, the two large ones through S3 (one of them written by the relay handler)', async () => {
    const orders = Object.fromEntries(Object.entries(SIZES).map(([name, bytes]) => [name, orderOf(uniqueName(name), bytes)]));
    const sent = new Map<string, string>();
    for (const order of Object.values(orders)) {
      const { envelope: { id } } = await publisher().publish('order.created', order);
      sent.set(id, digestOf(order));
    }
    await waitFor('every consumer to record every order', async () => {
      const seen = await digests();
      return [...sent.keys()].every((id) => CONSUMERS.every((consumer) => seen.has(`${consumer}#${id}`)));
    }, 90_000);
    const seen = await digests();
    const rows = [...sent].flatMap(([id, digest]) => CONSUMERS.map((consumer) => ({ consumer, ...seen.get(`${consumer}#${id}`), expected: digest })));
    process.stdout.write(`large messages: ${rows.map((r) => `${r.consumer}:${r.bytes}B×${r.deliveries}`).join(' ')}\n`);
    expect(rows.filter((row) => row.deliveries !== 1 || row.digest !== row.expected)).toEqual([]);
    // The test's publisher offloaded the 300 KiB and 2 MiB orders; the relay's publisher did the same from its function.
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${LARGE_MESSAGES_ENVIRONMENT}/` }));
    const keys = Contents.map((object) => object.Key!);
    expect(keys.filter((key) => key.startsWith(`${LARGE_MESSAGES_ENVIRONMENT}/order.created/`))).toHaveLength(2);
    expect(keys.filter((key) => key.startsWith(`${LARGE_MESSAGES_ENVIRONMENT}/receipt.created/`))).toHaveLength(2);
  }, 120_000);

  test('an object deleted before it is read puts the message in every consumer\'s dead-letter queue as payload-missing', async () => {
    // Fault injection on a real client: each object the publisher writes is deleted right after the write.
    const deleting = new S3Client({ region: 'us-east-1', endpoint: local.endpoints.fauxqs, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    deleting.middlewareStack.add((next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'PutObjectCommand') {
        const input = args.input as { Bucket: string; Key: string };
        await s3.send(new DeleteObjectCommand({ Bucket: input.Bucket, Key: input.Key }));
      }
      return result;
    }, { step: 'initialize', name: 'deleteAfterPut' });
    const { envelope: { id } } = await publisher(deleting).publish('order.created', orderOf(uniqueName('gone'), SIZES.medium));
    const reasons = async (consumer: string) => (await peek(local, local.consumerQueues(consumer).deadLetterQueue))
      .filter((m) => m.Body?.includes('PayloadS3Pointer'))
      .map((m) => m.MessageAttributes?.['fanout.reason']?.StringValue);
    const found = new Map<string, Array<string | undefined>>();
    await waitFor('the pointer in the dead-letter queues of billing, audit and relay', async () => {
      for (const consumer of ['billing', 'audit', 'relay']) {
        if (!found.get(consumer)?.length) found.set(consumer, await reasons(consumer));
      }
      return [...found.values()].every((r) => r.length > 0);
    }, 60_000);
    expect(Object.fromEntries(found)).toEqual({ billing: ['payload-missing'], audit: ['payload-missing'], relay: ['payload-missing'] });
    const seen = await digests();
    expect(CONSUMERS.filter((consumer) => seen.has(`${consumer}#${id}`))).toEqual([]);
    deleting.destroy();
  });

  test('a message stamped with another environment reaches no consumer: it waits in the fan-out\'s misrouted-messages queue', async () => {
    const prod = new Publisher({ topicArn: topicArn('Orders'), source: 'e2e', client: local.clients.sns, environment: 'prod', largePayloads: false });
    const { envelope: { id } } = await prod.publish('order.created', orderOf(uniqueName('prod'), 10));
    const misrouted = local.deadLetterQueueOf('orders-misrouted').deadLetterQueue;
    let bodies: string[] = [];
    await waitFor('the message in the misrouted-messages queue', async () => {
      bodies = (await peek(local, misrouted)).map((m) => m.Body ?? '');
      return bodies.some((body) => body.includes(id));
    });
    const seen = await digests();
    expect(CONSUMERS.filter((consumer) => seen.has(`${consumer}#${id}`))).toEqual([]);
  });
});
