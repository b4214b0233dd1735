/*
 * Claim checks and environments on the real broker (here, next to the other broker tests: the
 * integration set-up starts RabbitMQ for test/rabbitmq/ only): RabbitMqPublisher sends bodies of
 * 100 KiB, 300 KiB and 2 MiB, the two large ones through fauxqs's S3 as pointers with
 * `ExtendedPayloadSize` and `environment` headers; consumeRabbitMq in the same environment sees
 * each body once (idempotency on DynamoDB Local), and one in another environment dead-letters
 * every message as wrong-environment without reading S3.
 */
import { connect, type ChannelModel } from 'amqplib';
import type { S3Client } from '@aws-sdk/client-s3';
import { consumeRabbitMq, declareTopology, rabbitMqNames, RabbitMqPublisher, type RunningRabbitMqConsumer } from '@cdk-fanout/runtime/rabbitmq';
import { captureLogs, countRequests, createBucket, createIdempotencyTable, dynamoDbClient, s3Client } from '@cdk-fanout/testing';
import { brokerUrl, describeWithBroker, drainQueue, unique, waitFor } from './support';

// Jest's CommonJS VM cannot run the runtime's import() of the S3 client without
// --experimental-vm-modules, so the loader requires it here; test/runtime/bundle.test.ts runs the real import().
jest.mock('../../runtime/src/s3-module', () => ({ loadS3Module: async () => require('@aws-sdk/client-s3') }));

const KiB = 1024;
const SIZES = [100 * KiB, 300 * KiB, 2048 * KiB];

describeWithBroker('RabbitMQ: claim checks and environments', () => {
  const id = unique();
  const exchange = `claims-${id}`;
  const audit = `audit-${id}`;
  const billing = `billing-${id}`;
  const prod = `prod-billing-${id}`;
  const ddb = dynamoDbClient();
  let s3: S3Client;
  let bucket: string;
  let tableName: string;
  const connections: ChannelModel[] = [];
  const consumers: RunningRabbitMqConsumer[] = [];

  beforeAll(async () => {
    s3 = s3Client();
    bucket = await createBucket(s3, 'rabbitmq-claims');
    tableName = await createIdempotencyTable(ddb, 'rabbitmq-claims');
    for (let i = 0; i < 3; i++) connections.push(await connect(brokerUrl!));
    await declareTopology(connections[0], {
      exchanges: [{ name: exchange, type: 'topic' }],
      consumers: [audit, billing, prod].map((name) => ({ name, bindings: [{ exchange, routingKeys: ['order.#'] }] })),
    });
  });

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop({ timeoutMs: 5000 })));
    await Promise.all(connections.map((connection) => connection.close().catch(() => undefined)));
    s3.destroy();
    ddb.destroy();
  });

  test('100 KiB inline, 300 KiB and 2 MiB as pointers; the dev consumer sees each once, the prod one dead-letters them all', async () => {
    const publisher = new RabbitMqPublisher({ connection: connections[0], exchange, source: 'order-service', environment: 'dev', largePayloads: { bucket, client: s3 } });
    const results = await publisher.publishBatch(SIZES.map((size) => ({ type: 'order.created', data: { size, text: `rmq-${size}:`.padEnd(size, 'abcdefghij') } })));
    expect(results.every((result) => result.ok)).toBe(true);
    const envelopes = results.map((result) => result.envelope);

    const channel = await connections[0].createChannel();
    const copies = await drainQueue(channel, audit);
    const pointers = copies.filter((copy) => copy.content.toString('utf8').startsWith('['));
    expect(copies).toHaveLength(3);
    expect(pointers).toHaveLength(2);
    for (const copy of copies) expect(copy.properties.headers).toMatchObject({ type: 'order.created', version: '1', source: 'order-service', environment: 'dev' });
    for (const copy of pointers) {
      const [className, pointer] = JSON.parse(copy.content.toString('utf8')) as [string, { s3BucketName: string; s3Key: string }];
      expect(className).toBe('software.amazon.payloadoffloading.PayloadS3Pointer');
      expect(pointer).toEqual({ s3BucketName: bucket, s3Key: expect.stringMatching(/^dev\/order\.created\/[0-9a-f-]{36}$/) });
    }
    expect(pointers.map((copy) => Number(copy.properties.headers?.ExtendedPayloadSize)).sort()).toEqual(envelopes.slice(1).map((envelope) => Buffer.byteLength(JSON.stringify(envelope))).sort());

    const seen = new Map<string, unknown[]>();
    const common = { idempotency: { tableName, client: ddb }, logger: captureLogs().logger, requeueDelayMs: 100 };
    consumers.push(await consumeRabbitMq({
      connection: connections[1], consumerName: billing, environment: 'dev', largePayloads: { client: s3 }, ...common,
      handlers: { 'order.created': { handle: (data, ctx) => { seen.set(ctx.envelope.id, [...(seen.get(ctx.envelope.id) ?? []), data]); } } },
    }));
    const prodReads = s3Client();
    const reads = countRequests(prodReads);
    consumers.push(await consumeRabbitMq({
      connection: connections[2], consumerName: prod, environment: 'prod', largePayloads: { client: prodReads }, ...common,
      handlers: { 'order.created': { handle: () => { throw new Error('a prod consumer must never run a dev message'); } } },
    }));

    await waitFor('the dev consumer to see 3 envelopes', () => seen.size === 3);
    for (const envelope of envelopes) expect(seen.get(envelope.id)).toEqual([envelope.data]);
    const dead: Awaited<ReturnType<typeof drainQueue>> = [];
    await waitFor('3 messages in the prod consumer\'s DLQ', async () => {
      dead.push(...(await drainQueue(channel, rabbitMqNames(prod).deadLetterQueue)));
      return dead.length === 3;
    });
    expect(dead.map((message) => message.properties.headers?.['fanout.reason'])).toEqual(['wrong-environment', 'wrong-environment', 'wrong-environment']);
    expect(reads.total()).toBe(0);
    prodReads.destroy();
    await channel.close();
  });
});
