/*
 * Claim check end to end on the emulators: bodies of 100 KiB, 300 KiB and 2 MiB through every
 * publisher that can run here (SNS to raw and SNS-wrapped SQS subscriptions and SQS on fauxqs,
 * Kinesis on kinesalite, Kafka through a recording producer in kafkajs's interface; RabbitMQ is in
 * test/rabbitmq/large-payloads.integ.test.ts, next to its broker), stored in fauxqs's S3 and
 * consumed through createConsumer with idempotency on DynamoDB Local: every handler sees the same
 * data exactly once. Also the older pointer class, a deleted object (poison payload-missing), an S3
 * throttle injected as SDK middleware (retried, never poison), the environment check and the
 * environment-scoped idempotency keys.
 */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { Message, Producer, ProducerRecord } from 'kafkajs';
import { createConsumer, Publisher, type Envelope } from '@cdk-fanout/runtime';
import { KafkaPublisher } from '@cdk-fanout/runtime/kafka-publisher';
import { KinesisPublisher } from '@cdk-fanout/runtime/kinesis-publisher';
import { SqsPublisher } from '@cdk-fanout/runtime/sqs-publisher';
import {
  captureLogs, countRequests, createBucket, createIdempotencyTable, createQueue, drainQueue, dynamoDbClient, getItem, kafkaEvent, kafkaEventRecord,
  kinesisEvent, kinesisStreamRecord, lambdaContext, recordFromMessage, s3Client, send, snsClient, sqsClient, sqsEvent, topicWithQueues,
} from '@cdk-fanout/testing';
import { createStream, lazyKinesalite, readStream } from '../../testing/src/kinesalite';

// Jest's CommonJS VM cannot run the runtime's import() of the S3 client without
// --experimental-vm-modules, so the loader requires it here; bundle.test.ts runs the real import().
jest.mock('../../runtime/src/s3-module', () => ({ loadS3Module: async () => require('@aws-sdk/client-s3') }));

const KiB = 1024;
/** A payload of about `bytes` bytes, different for each call. */
const payload = (bytes: number, tag: string) => ({ tag, text: `${tag}:`.padEnd(bytes, 'abcdefghijklmnopqrstuvwxyz0123456789') });
const SIZES = [100 * KiB, 300 * KiB, 2048 * KiB];

const kinesis = lazyKinesalite();
let s3: S3Client;
let sns: SNSClient;
let sqs: SQSClient;
let dynamodb: DynamoDBClient;
let bucket: string;
let table: string;

beforeAll(async () => {
  s3 = s3Client();
  sns = snsClient();
  sqs = sqsClient();
  dynamodb = dynamoDbClient();
  bucket = await createBucket(s3);
  table = await createIdempotencyTable(dynamodb);
});
afterAll(async () => {
  for (const client of [s3, sns, sqs, dynamodb]) client.destroy();
  await kinesis.stop();
});

/** A consumer that records what its handler saw, per envelope id, with idempotency on DynamoDB Local. */
function recordingConsumer(consumerName: string, options: { environment?: string; deadLetterQueueUrl?: string; s3?: S3Client } = {}) {
  const seen: { id: string; data: unknown }[] = [];
  const { logger, lines } = captureLogs();
  const handler = createConsumer({
    consumerName,
    idempotency: { tableName: table, client: dynamodb },
    logger,
    ...(options.environment ? { environment: options.environment } : {}),
    ...(options.deadLetterQueueUrl ? { deadLetterQueueUrl: options.deadLetterQueueUrl, sqsClient: sqs } : {}),
    largePayloads: { client: options.s3 ?? s3 },
    handlers: {
      'order.created': {
        handle: async (data: unknown, ctx) => {
          seen.push({ id: ctx.envelope.id, data });
        },
      },
    },
  });
  return { handler, seen, lines };
}

/** What each handler must have seen: every envelope once, its data unchanged. */
const expectEachOnce = (seen: readonly { id: string; data: unknown }[], envelopes: readonly Envelope[]) => {
  expect(seen.map((entry) => entry.id).sort()).toEqual(envelopes.map((envelope) => envelope.id).sort());
  for (const envelope of envelopes) expect(seen.find((entry) => entry.id === envelope.id)!.data).toEqual(envelope.data);
};

const pointerOf = (body: string) => JSON.parse(body) as [string, { s3BucketName: string; s3Key: string }];

describe('SNS to SQS (raw and SNS-wrapped subscriptions)', () => {
  test('100 KiB inline, 300 KiB and 2 MiB as pointers; each consumer sees each body once, also when delivered twice; objects stay', async () => {
    const { topicArn, queues } = await topicWithQueues(sns, sqs, 'claims', false, { raw: {}, wrapped: { raw: false } });
    const publisher = new Publisher({ topicArn, source: 'order-service', client: sns, environment: 'dev', largePayloads: { bucket, client: s3 } });
    const results = await publisher.publishBatch(SIZES.map((size) => ({ type: 'order.created', data: payload(size, `sns-${size}`) })));
    const envelopes = results.map((result) => result.envelope);
    const keys = new Set<string>();

    for (const [name, queue] of Object.entries(queues)) {
      const messages = await drainQueue(sqs, queue.url);
      expect(messages).toHaveLength(3);
      const raw = name === 'raw';
      for (const message of messages) {
        const inner = raw ? message.Body! : (JSON.parse(message.Body!) as { Message: string }).Message;
        const attributes = raw
          ? Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([key, value]) => [key, { type: value.DataType, value: value.StringValue }]))
          : Object.fromEntries(Object.entries((JSON.parse(message.Body!) as { MessageAttributes: Record<string, { Type: string; Value: string }> }).MessageAttributes).map(([key, value]) => [key, { type: value.Type, value: value.Value }]));
        expect(attributes).toMatchObject({ type: { type: 'String', value: 'order.created' }, source: { type: 'String', value: 'order-service' }, environment: { type: 'String', value: 'dev' } });
        if (inner.startsWith('{')) {
          expect(JSON.parse(inner).data.text.length).toBe(100 * KiB);
          expect(attributes.ExtendedPayloadSize).toBeUndefined();
        } else {
          const [className, { s3BucketName, s3Key }] = pointerOf(inner);
          expect(className).toBe('software.amazon.payloadoffloading.PayloadS3Pointer');
          expect(s3BucketName).toBe(bucket);
          expect(s3Key).toMatch(/^dev\/order\.created\/[0-9a-f-]{36}$/);
          keys.add(s3Key);
          const stored = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: s3Key }))).Body!.transformToString();
          expect(attributes.ExtendedPayloadSize).toEqual({ type: 'Number', value: String(Buffer.byteLength(stored)) });
        }
      }
      const consumer = recordingConsumer(`billing-${name}`, { environment: 'dev' });
      const records = messages.map((message) => recordFromMessage(message, queue.arn));
      expect(await consumer.handler(sqsEvent(...records), lambdaContext())).toEqual({ batchItemFailures: [] });
      // Delivered again (a redelivery after a lost delete): duplicates, the handler does not run.
      expect(await consumer.handler(sqsEvent(...records), lambdaContext())).toEqual({ batchItemFailures: [] });
      expectEachOnce(consumer.seen, envelopes);
      // The idempotency records are scoped by environment: the prefix the constructs grant.
      for (const envelope of envelopes) expect((await getItem(dynamodb, table, `dev/billing-${name}#${envelope.id}`))?.status?.S).toBe('COMPLETED');
    }
    // Both subscriptions carry the same two pointers; objects are never deleted on consume (a redrive may need them again).
    expect(keys.size).toBe(2);
    for (const key of keys) await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).resolves.toMatchObject({ ContentLength: expect.any(Number) });
  });
});

describe('SQS publisher', () => {
  test('100 KiB, 300 KiB and 2 MiB; one consumer sees each once; the objects are still there after', async () => {
    const queue = await createQueue(sqs, 'claims-sqs');
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'order-service', client: sqs, largePayloads: { bucket, client: s3 } });
    const envelopes = (await publisher.publishBatch(SIZES.map((size) => ({ type: 'order.created', data: payload(size, `sqs-${size}`) })))).map((result) => result.envelope);
    const messages = await drainQueue(sqs, queue.url);
    const pointers = messages.filter((message) => message.Body!.startsWith('['));
    expect(pointers).toHaveLength(2);
    for (const message of pointers) expect(pointerOf(message.Body!)[1].s3Key).toMatch(/^default\/order\.created\//);

    const consumer = recordingConsumer('billing-sqs');
    expect(await consumer.handler(sqsEvent(...messages.map((message) => recordFromMessage(message, queue.arn))), lambdaContext())).toEqual({ batchItemFailures: [] });
    expectEachOnce(consumer.seen, envelopes);
    for (const message of pointers) {
      await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: pointerOf(message.Body!)[1].s3Key }))).resolves.toMatchObject({ ContentLength: expect.any(Number) });
    }
    expect((await getItem(dynamodb, table, `billing-sqs#${envelopes[2].id}`))?.status?.S).toBe('COMPLETED');
  });

  test('without a bucket a 300 KiB body is refused before anything is sent, saying how to offload', async () => {
    const queue = await createQueue(sqs, 'claims-refused');
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'order-service', client: sqs, largePayloads: false });
    await expect(publisher.publish('order.created', payload(300 * KiB, 'refused'))).rejects.toThrow(/; give the SqsPublisher largePayloads: \{ bucket \} \(or set FANOUT_PAYLOAD_BUCKET\) to send it through S3$/);
    expect(await drainQueue(sqs, queue.url)).toEqual([]);
  });

  test('an upload S3 refuses fails publishBatch before any message is sent', async () => {
    const queue = await createQueue(sqs, 'claims-upload');
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'order-service', client: sqs, largePayloads: { bucket: 'no-such-bucket-here', client: s3 } });
    await expect(publisher.publishBatch([{ type: 'order.created', data: payload(10, 'small') }, { type: 'order.created', data: payload(300 * KiB, 'upload') }]))
      .rejects.toThrow(/^SqsPublisher: writing the large body to s3:\/\/no-such-bucket-here\/default\/order\.created\/[0-9a-f-]{36} failed, nothing was sent: /);
    expect(await drainQueue(sqs, queue.url)).toEqual([]);
  });

  test('once an upload failed no further one starts: of 24 large bodies, only the uploads already under way reach S3', async () => {
    const queue = await createQueue(sqs, 'claims-upload-stop');
    const refusing = s3Client();
    const requests = countRequests(refusing);
    // Fault injection on the real client: S3 refuses the first upload (403, not retried); the others reach fauxqs.
    let refusedKey: string | undefined;
    refusing.middlewareStack.add((next, context) => async (args) => {
      const key = (args.input as { Key?: string }).Key;
      refusedKey ??= key;
      if (context.commandName === 'PutObjectCommand' && key === refusedKey) {
        throw Object.assign(new Error('injected AccessDenied'), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
      }
      return next(args);
    }, { step: 'initialize', name: 'refuseFirstUpload' });
    try {
      const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'order-service', client: sqs, largePayloads: { bucket, client: refusing } });
      const entries = Array.from({ length: 24 }, (_, index) => ({ type: 'order.created', data: payload(300 * KiB, `stop-${index}`) }));
      await expect(publisher.publishBatch(entries)).rejects.toThrow(/^SqsPublisher: writing the large body to s3:\/\/.+ failed, nothing was sent: injected AccessDenied$/);
      // The uploads under way when the first failed still finish; none starts after.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(requests.of('PutObjectCommand')).toBeGreaterThan(0);
      expect(requests.of('PutObjectCommand')).toBeLessThan(8);
      expect(await drainQueue(sqs, queue.url)).toEqual([]);
    } finally {
      refusing.destroy();
    }
  });
});

describe('Kinesis publisher (kinesalite)', () => {
  test('100 KiB, 300 KiB and 2 MiB records: pointers without attributes, each body seen once', async () => {
    const running = await kinesis.get();
    const client = running.client();
    const streamName = await createStream(client, 1);
    const publisher = new KinesisPublisher({ streamName, source: 'order-service', client, environment: 'dev', largePayloads: { bucket, client: s3 } });
    const envelopes = (await publisher.publishBatch(SIZES.map((size, n) => ({ type: 'order.created', data: payload(size, `kinesis-${size}`), partitionKey: `order-${n}` })))).map((result) => result.envelope);
    const records = await readStream(client, streamName);
    expect(records.map((record) => record.data.startsWith('['))).toEqual([false, true, true]);
    expect(pointerOf(records[2].data)[1].s3Key).toMatch(/^dev\/order\.created\//);

    // Kinesis records carry no environment: a consumer in 'dev' processes them (see the README).
    const consumer = recordingConsumer('billing-kinesis', { environment: 'dev' });
    const event = kinesisEvent(...records.map((record) => kinesisStreamRecord(record.data, { sequenceNumber: record.sequenceNumber, partitionKey: record.partitionKey })));
    expect(await consumer.handler(event, lambdaContext())).toEqual({ batchItemFailures: [] });
    expectEachOnce(consumer.seen, envelopes);
    client.destroy();
  });
});

describe('Kafka publisher (a recording producer in kafkajs\'s interface: no broker runs here)', () => {
  test('100 KiB, 300 KiB and 2 MiB messages: pointers with ExtendedPayloadSize and environment headers, each body seen once', async () => {
    const written: Message[] = [];
    const producer: Pick<Producer, 'connect' | 'disconnect' | 'send'> = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (record: ProducerRecord) => {
        written.push(...record.messages);
        return [];
      },
    };
    const publisher = new KafkaPublisher({ kafka: { producer: () => producer }, topic: 'orders', source: 'order-service', environment: 'dev', largePayloads: { bucket, client: s3 } });
    const envelopes = (await publisher.publishBatch(SIZES.map((size, n) => ({ type: 'order.created', data: payload(size, `kafka-${size}`), key: `order-${n}` })))).map((result) => result.envelope);
    expect(written.map((message) => String(message.value).startsWith('['))).toEqual([false, true, true]);
    expect(written[0].headers).toEqual({ type: 'order.created', version: '1', source: 'order-service', environment: 'dev' });
    expect(written[2].headers).toMatchObject({ environment: 'dev', ExtendedPayloadSize: expect.stringMatching(/^\d+$/) });

    const consumer = recordingConsumer('billing-kafka', { environment: 'dev' });
    const event = kafkaEvent(written.map((message, offset) => kafkaEventRecord(String(message.value), { offset, key: String(message.key), headers: message.headers as Record<string, string> })));
    expect(await consumer.handler(event, lambdaContext())).toEqual({ batchItemFailures: [] });
    expectEachOnce(consumer.seen, envelopes);
  });
});

describe('reading pointers', () => {
  test('the older Java client\'s pointer class, written by hand, is read', async () => {
    const queue = await createQueue(sqs, 'claims-legacy');
    const envelope = { id: 'legacy-1', type: 'order.created', version: '1', timestamp: new Date().toISOString(), source: 'java-service', data: payload(300 * KiB, 'legacy') };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'legacy/legacy-1', Body: JSON.stringify(envelope) }));
    await send(sqs, queue.url, JSON.stringify(['com.amazon.sqs.javamessaging.MessageS3Pointer', { s3BucketName: bucket, s3Key: 'legacy/legacy-1' }]));
    const consumer = recordingConsumer('billing-legacy');
    const [message] = await drainQueue(sqs, queue.url);
    expect(await consumer.handler(sqsEvent(recordFromMessage(message, queue.arn)), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(consumer.seen).toEqual([{ id: 'legacy-1', data: envelope.data }]);
  });

  test('a deleted object goes to the DLQ as payload-missing, the pointer and its attributes intact', async () => {
    const queue = await createQueue(sqs, 'claims-missing');
    const dlq = await createQueue(sqs, 'claims-missing-dlq');
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'order-service', client: sqs, largePayloads: { bucket, client: s3 } });
    await publisher.publish('order.created', payload(300 * KiB, 'missing'));
    const [message] = await drainQueue(sqs, queue.url);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: pointerOf(message.Body!)[1].s3Key }));

    const consumer = recordingConsumer('billing-missing', { deadLetterQueueUrl: dlq.url });
    expect(await consumer.handler(sqsEvent(recordFromMessage(message, queue.arn)), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(consumer.seen).toEqual([]);
    const [dead] = await drainQueue(sqs, dlq.url);
    expect(dead.MessageAttributes?.['fanout.reason']?.StringValue).toBe('payload-missing');
    expect(dead.MessageAttributes?.['fanout.error']?.StringValue).toMatch(/^the claim-checked body at s3:\/\/.+ does not exist \(NoSuchKey: /);
    expect(dead.Body).toBe(message.Body);
    expect(dead.MessageAttributes?.ExtendedPayloadSize).toEqual(message.MessageAttributes?.ExtendedPayloadSize);
  });

  test('an S3 throttle (SlowDown, injected as SDK middleware) is retried, never poison; once it stops the record is processed', async () => {
    const queue = await createQueue(sqs, 'claims-throttled');
    const dlq = await createQueue(sqs, 'claims-throttled-dlq');
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'order-service', client: sqs, largePayloads: { bucket, client: s3 } });
    const { envelope } = await publisher.publish('order.created', payload(300 * KiB, 'throttled'));
    const [message] = await drainQueue(sqs, queue.url);

    const throttled = s3Client();
    const requests = countRequests(throttled);
    let throttling = true;
    throttled.middlewareStack.add((next, context) => async (args) => {
      if (throttling && context.commandName === 'GetObjectCommand') {
        throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $fault: 'server', $retryable: { throttling: true }, $metadata: { httpStatusCode: 503 } });
      }
      return next(args);
    }, { step: 'finalizeRequest', name: 'throttleGetObject' });
    const consumer = recordingConsumer('billing-throttled', { deadLetterQueueUrl: dlq.url, s3: throttled });
    const record = recordFromMessage(message, queue.arn);

    expect(await consumer.handler(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(requests.of('GetObjectCommand')).toBeGreaterThan(1); // the SDK's own retries ran
    expect(consumer.lines.some((line) => /reading the claim-checked body at .+ failed \(SlowDown: /.test(String((line.fields.error as Error)?.message)))).toBe(true);
    expect(await drainQueue(sqs, dlq.url)).toEqual([]);

    throttling = false;
    expect(await consumer.handler(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
    expectEachOnce(consumer.seen, [envelope]);
    throttled.destroy();
  }, 30_000);
});

describe('environments', () => {
  test('a message from another environment goes to the DLQ as wrong-environment, and its pointer is never read', async () => {
    const queue = await createQueue(sqs, 'claims-env');
    const dlq = await createQueue(sqs, 'claims-env-dlq');
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'order-service', client: sqs, environment: 'prod', largePayloads: { bucket, client: s3 } });
    await publisher.publishBatch([{ type: 'order.created', data: payload(10, 'small') }, { type: 'order.created', data: payload(300 * KiB, 'prod') }]);
    const messages = await drainQueue(sqs, queue.url);
    const reader = s3Client();
    const reads = countRequests(reader);
    const consumer = recordingConsumer('billing-env', { environment: 'dev', deadLetterQueueUrl: dlq.url, s3: reader });

    expect(await consumer.handler(sqsEvent(...messages.map((message) => recordFromMessage(message, queue.arn))), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(consumer.seen).toEqual([]);
    expect(reads.total()).toBe(0);
    const dead = await drainQueue(sqs, dlq.url);
    expect(dead.map((message) => message.MessageAttributes?.['fanout.reason']?.StringValue)).toEqual(['wrong-environment', 'wrong-environment']);
    expect(dead[0].MessageAttributes?.['fanout.error']?.StringValue).toBe('the message was published in environment "prod", and this consumer runs in "dev": check the subscription\'s filter policy and the environment the producer and consumer are given');
    reader.destroy();
  });

  test('a message without the attribute (a producer that predates environments) is processed, under the consumer\'s environment-scoped key', async () => {
    const queue = await createQueue(sqs, 'claims-noenv');
    const publisher = new SqsPublisher({ queueUrl: queue.url, source: 'order-service', client: sqs });
    const { envelope } = await publisher.publish('order.created', { orderId: 'o-1' });
    const [message] = await drainQueue(sqs, queue.url);
    expect(message.MessageAttributes?.environment).toBeUndefined();
    const consumer = recordingConsumer('billing-noenv', { environment: 'staging' });
    const record: SQSRecord = recordFromMessage(message, queue.arn);
    expect(await consumer.handler(sqsEvent(record), lambdaContext())).toEqual({ batchItemFailures: [] });
    expectEachOnce(consumer.seen, [envelope]);
    expect((await getItem(dynamodb, table, `staging/billing-noenv#${envelope.id}`))?.status?.S).toBe('COMPLETED');
    expect(await getItem(dynamodb, table, `billing-noenv#${envelope.id}`)).toBeUndefined();
  });
});
