/*
 * The claim check's pure parts: the pointer format AWS's extended clients read and write, the
 * publisher's decision (inline, offload, refuse) and its option checks, how a failed S3 read is
 * classified, the environment rules and their order in readInbound. No S3 here:
 * large-payloads.integ.test.ts uses fauxqs's.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createConsumer, createEnvelope, Publisher } from '@cdk-fanout/runtime';
import { KafkaPublisher } from '@cdk-fanout/runtime/kafka-publisher';
import { KinesisPublisher } from '@cdk-fanout/runtime/kinesis-publisher';
import { RabbitMqPublisher } from '@cdk-fanout/runtime/rabbitmq';
import { SqsPublisher } from '@cdk-fanout/runtime/sqs-publisher';
import { ClaimCheck, placeWithAttributes, placeWithHeaders } from '../../runtime/src/claim-check';
import { resolveEnvironment, wrongEnvironment } from '../../runtime/src/environment';
import { readInbound } from '../../runtime/src/inbound-record';
import { payloadKey, pointerBody, readPointer } from '../../runtime/src/payload-pointer';
import { payloadReadFailure, s3ErrorText } from '../../runtime/src/payload-read-failure';
import { payloadReadError } from '../../runtime/src/payload-store';
import { PoisonMessageError } from '../../runtime/src/poison-message-error';
import { stringAttributes } from '../../runtime/src/publish-envelope';

const LIMIT = { bytes: 256 * 1024, name: 'the SNS/SQS limit', counted: 'with its attributes' };
const envelope = createEnvelope({ type: 'order.created', data: { orderId: 'o-1' }, source: 'order-service' });

describe('pointer format', () => {
  test('the body is byte for byte what the Java extended client writes', () => {
    expect(pointerBody({ bucket: 'payloads', key: 'prod/order.created/k-1' }))
      .toBe('["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"payloads","s3Key":"prod/order.created/k-1"}]');
  });

  test.each([
    ['a raw body, parsed', ['software.amazon.payloadoffloading.PayloadS3Pointer', { s3BucketName: 'b', s3Key: 'k' }]],
    ['an SNS notification\'s Message, as text', '["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"k"}]'],
    ['the Python client\'s spacing', '["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "b", "s3Key": "k"}]'],
    ['the older Java client\'s class', '["com.amazon.sqs.javamessaging.MessageS3Pointer",{"s3BucketName":"b","s3Key":"k"}]'],
  ])('read from %s', (_, value) => {
    expect(readPointer(value)).toEqual({ bucket: 'b', key: 'k' });
  });

  test.each([
    ['an envelope', envelope],
    ['an envelope\'s text', JSON.stringify(envelope)],
    ['another array', ['a', { s3BucketName: 'b', s3Key: 'k' }]],
    ['text that is not JSON', '[oops'],
    ['null', null],
  ])('%s is no pointer', (_, value) => {
    expect(readPointer(value)).toBeUndefined();
  });

  test.each([
    ['no key', '["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b"}]'],
    ['an empty bucket name', '["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"","s3Key":"k"}]'],
    ['no fields at all', '["com.amazon.sqs.javamessaging.MessageS3Pointer"]'],
  ])('a pointer with %s is poison payload-unreadable', (_, value) => {
    const thrown = (() => { try { readPointer(value); } catch (error) { return error; } return undefined; })();
    expect(thrown).toBeInstanceOf(PoisonMessageError);
    expect(thrown).toMatchObject({ reason: 'payload-unreadable' });
  });

  test('keys are scoped by environment and type, and never repeat', () => {
    expect(payloadKey('prod', 'order.created')).toMatch(/^prod\/order\.created\/[0-9a-f-]{36}$/);
    expect(payloadKey(undefined, 'order.created')).toMatch(/^default\/order\.created\/[0-9a-f-]{36}$/);
    expect(payloadKey('prod', 'order.created')).not.toBe(payloadKey('prod', 'order.created'));
  });
});

describe('ClaimCheck: the publisher\'s decision', () => {
  const body = (bytes: number) => 'x'.repeat(bytes);

  test('without a bucket: the limit, and the refusal says how to offload', () => {
    const check = new ClaimCheck('SqsPublisher', undefined, {}, LIMIT, 1024 * 1024, undefined);
    expect(check.place('publish', envelope, body(10), LIMIT.bytes)).toBeUndefined();
    expect(() => check.place('publish', envelope, body(10), LIMIT.bytes + 1)).toThrow(
      new RegExp(`^publish: envelope ${envelope.id} \\(type order.created\\) is 262145 bytes with its attributes, over the SNS/SQS limit of 262144 bytes \\(256 KiB\\); give the SqsPublisher largePayloads: \\{ bucket \\} \\(or set FANOUT_PAYLOAD_BUCKET\\) to send it through S3$`),
    );
  });

  test('with a bucket: over the threshold goes to S3 under an environment-scoped key, at or under it stays inline', () => {
    const check = new ClaimCheck('Publisher', { bucket: 'payloads', thresholdBytes: 2048 }, {}, LIMIT, 1024 * 1024, 'dev-alice');
    expect(check.place('publish', envelope, body(10), 2048)).toBeUndefined();
    const offload = check.place('publish', envelope, 'é'.repeat(1500), 3001)!;
    expect(offload.originalBytes).toBe(3000);
    expect(offload.upload.pointer.bucket).toBe('payloads');
    expect(offload.upload.pointer.key).toMatch(/^dev-alice\/order\.created\/[0-9a-f-]{36}$/);
    expect(offload.upload.body).toBe('é'.repeat(1500));
    expect(readPointer(offload.body)).toEqual(offload.upload.pointer);
  });

  test('the bucket comes from FANOUT_PAYLOAD_BUCKET; largePayloads: false turns that off', () => {
    expect(new ClaimCheck('Publisher', undefined, { FANOUT_PAYLOAD_BUCKET: 'from-env' }, LIMIT, 1024 * 1024, undefined)).toMatchObject({ bucket: 'from-env', thresholdBytes: 256 * 1024 });
    expect(new ClaimCheck('Publisher', false, { FANOUT_PAYLOAD_BUCKET: 'from-env' }, LIMIT, 1024 * 1024, undefined)).toMatchObject({ bucket: undefined, thresholdBytes: LIMIT.bytes });
  });

  test('the default threshold is 256 KiB, or a lower maximum', () => {
    const kafkaLimit = { bytes: 100_000, name: 'maxMessageBytes', counted: 'with its key and headers' };
    expect(new ClaimCheck('KafkaPublisher', { bucket: 'payloads' }, {}, kafkaLimit, 100_000, undefined).thresholdBytes).toBe(100_000);
  });

  test.each([
    [{ bucket: 'payloads', thresholdBytes: 1024 * 1024 + 1 }, {}, 'Publisher: largePayloads.thresholdBytes must be an integer from 1024 to 1048576, got 1048577'],
    [{ bucket: 'payloads', thresholdBytes: 100 }, {}, 'Publisher: largePayloads.thresholdBytes must be an integer from 1024 to 1048576, got 100'],
    [{ bucket: 'Payloads_1' }, {}, 'Publisher: largePayloads.bucket must be an S3 bucket name (3 to 63 lower-case letters, digits, \'.\' and \'-\'), got "Payloads_1"'],
    [undefined, { FANOUT_PAYLOAD_BUCKET: 's3://x' }, 'Publisher: the environment variable FANOUT_PAYLOAD_BUCKET must be an S3 bucket name (3 to 63 lower-case letters, digits, \'.\' and \'-\'), got "s3://x"'],
    [{ bucket: 'payloads', client: {} }, {}, 'Publisher: largePayloads.client must be an S3Client, got an object'],
    ['payloads', {}, 'Publisher: largePayloads must be an object ({ bucket, client?, thresholdBytes? }) or false, got "payloads"'],
    [{ thresholdBytes: 2048 }, {}, 'Publisher: largePayloads needs a bucket: pass largePayloads.bucket or set FANOUT_PAYLOAD_BUCKET (largePayloads: false turns offloading off)'],
  ])('refuses %j (env %j) in one line', (options, env, message) => {
    expect(() => new ClaimCheck('Publisher', options as never, env, LIMIT, 1024 * 1024, undefined)).toThrow(message);
  });

  test('a real S3Client is accepted', () => {
    const client = new S3Client({ region: 'us-east-1' });
    expect(new ClaimCheck('Publisher', { bucket: 'payloads', client }, {}, LIMIT, 1024 * 1024, undefined).bucket).toBe('payloads');
    client.destroy();
  });

  test('a pointer keeps the routing attributes and adds ExtendedPayloadSize as a Number', () => {
    const check = new ClaimCheck('Publisher', { bucket: 'payloads', thresholdBytes: 1024 }, {}, LIMIT, 1024 * 1024, 'prod');
    const text = JSON.stringify({ ...envelope, data: 'x'.repeat(2000) });
    const placed = placeWithAttributes(check, 'publish', envelope, text, stringAttributes(envelope, 'prod'));
    expect(placed.attributes).toEqual({
      type: { DataType: 'String', StringValue: 'order.created' },
      version: { DataType: 'String', StringValue: '1' },
      source: { DataType: 'String', StringValue: 'order-service' },
      environment: { DataType: 'String', StringValue: 'prod' },
      ExtendedPayloadSize: { DataType: 'Number', StringValue: String(Buffer.byteLength(text)) },
    });
    expect(placed.bytes).toBeLessThan(1024);
    const headers = placeWithHeaders(check, 'publish', envelope, text, { type: 'order.created', environment: 'prod' }, 5);
    expect(headers.attributes).toEqual({ type: 'order.created', environment: 'prod', ExtendedPayloadSize: String(Buffer.byteLength(text)) });
    expect(readPointer(headers.body)).toEqual(headers.upload!.pointer);
  });
});

describe('reading a claim check that failed', () => {
  const pointer = { bucket: 'payloads', key: 'prod/order.created/k' };
  const s3Error = (name: string, status: number) => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

  test.each([
    ['NoSuchKey', 404, 'payload-missing'],
    ['NoSuchBucket', 404, 'payload-missing'],
    ['NotFound', 404, 'payload-missing'],
    ['UnknownError', 404, 'payload-missing'],
    ['AccessDenied', 403, 'payload-unreadable'],
    ['InvalidObjectState', 403, 'payload-unreadable'],
  ])('%s (%i) is poison %s', (name, status, reason) => {
    const error = payloadReadError(pointer, s3Error(name, status));
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect(error).toMatchObject({ reason });
    expect(error.message).toContain('s3://payloads/prod/order.created/k');
  });

  test.each([['SlowDown', 503], ['InternalError', 500], ['TimeoutError', 0], ['ECONNRESET', 0]])('%s is retried, not poison', (name, status) => {
    const error = payloadReadError(pointer, s3Error(name, status));
    expect(error).not.toBeInstanceOf(PoisonMessageError);
    expect(error.message).toMatch(/^reading the claim-checked body at s3:\/\/payloads\/prod\/order\.created\/k failed \(.+\); will be retried$/);
  });

  test('the judgement alone (what fanout dlq inspect shows): a status without a name, a name without a status, neither', () => {
    expect(payloadReadFailure({ $metadata: { httpStatusCode: 404 } })).toBe('payload-missing');
    expect(payloadReadFailure({ name: 'AccessDenied' })).toBe('payload-unreadable');
    expect(payloadReadFailure(new Error('socket hang up'))).toBeUndefined();
    expect(payloadReadFailure('not an error')).toBeUndefined();
    expect(s3ErrorText(s3Error('SlowDown', 503))).toBe('SlowDown: SlowDown happened');
    expect(s3ErrorText('boom')).toBe('Error: boom');
  });
});

describe('environments', () => {
  test('the option, else FANOUT_ENVIRONMENT, else none', () => {
    expect(resolveEnvironment('Publisher', 'prod', { FANOUT_ENVIRONMENT: 'dev' })).toBe('prod');
    expect(resolveEnvironment('Publisher', undefined, { FANOUT_ENVIRONMENT: 'dev' })).toBe('dev');
    expect(resolveEnvironment('Publisher', undefined, { FANOUT_ENVIRONMENT: '' })).toBeUndefined();
  });

  test.each([
    ['Prod', {}, 'Publisher: environment must be 1 to 20 lower-case letters, digits and \'-\', starting with a letter (e.g. \'prod\', \'dev-alice\'), got "Prod"'],
    [undefined, { FANOUT_ENVIRONMENT: 'a-very-long-environment-name' }, 'Publisher: the environment variable FANOUT_ENVIRONMENT must be 1 to 20 lower-case letters, digits and \'-\', starting with a letter (e.g. \'prod\', \'dev-alice\'), got "a-very-long-environment-name"'],
    [7, {}, 'Publisher: environment must be 1 to 20 lower-case letters, digits and \'-\', starting with a letter (e.g. \'prod\', \'dev-alice\'), got 7'],
  ])('refuses %j (env %j)', (value, env, message) => {
    expect(() => resolveEnvironment('Publisher', value, env)).toThrow(message);
  });

  test.each([
    ['prod', 'dev', true],
    ['prod', 'prod', false],
    ['prod', undefined, false],
    [undefined, 'dev', false],
  ])('consumer %s, message %s: poison %s', (expected, stamped, poison) => {
    const error = wrongEnvironment(expected, stamped);
    expect(error?.reason).toBe(poison ? 'wrong-environment' : undefined);
  });
});

describe('every publisher and createConsumer check environment and largePayloads when made', () => {
  const kafka = { producer: () => ({ connect: async () => undefined, disconnect: async () => undefined, send: async () => [] }) };
  const connection = { createConfirmChannel: async () => { throw new Error('not used'); } };
  const makers: [string, (extra: object) => unknown][] = [
    ['Publisher', (extra) => new Publisher({ topicArn: 'arn:aws:sns:us-east-1:000000000000:orders', source: 's', ...extra })],
    ['SqsPublisher', (extra) => new SqsPublisher({ queueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/orders', source: 's', ...extra })],
    ['KinesisPublisher', (extra) => new KinesisPublisher({ streamName: 'orders', source: 's', ...extra })],
    ['KafkaPublisher', (extra) => new KafkaPublisher({ kafka, topic: 'orders', source: 's', ...extra })],
    ['RabbitMqPublisher', (extra) => new RabbitMqPublisher({ connection, exchange: 'orders', source: 's', ...extra } as never)],
  ];

  test.each(makers)('%s', (owner, make) => {
    expect(() => make({ environment: 'Prod' })).toThrow(`${owner}: environment must be 1 to 20 lower-case letters`);
    expect(() => make({ largePayloads: { bucket: 'payloads', thresholdBytes: 0 } })).toThrow(`${owner}: largePayloads.thresholdBytes must be an integer from 1024 to `);
    expect(make({ environment: 'dev', largePayloads: { bucket: 'payloads' } })).toMatchObject({ environment: 'dev' });
  });

  test('createConsumer', () => {
    const handlers = { 'order.created': { handle: () => undefined } };
    expect(() => createConsumer({ handlers, idempotency: false, environment: 'dev_alice' })).toThrow('createConsumer: environment must be 1 to 20 lower-case letters');
    expect(() => createConsumer({ handlers, idempotency: false, largePayloads: { client: {} as never } })).toThrow('createConsumer: largePayloads.client must be an S3Client, got an object');
    expect(() => createConsumer({ handlers, idempotency: false, largePayloads: true as never })).toThrow('createConsumer: largePayloads must be an object ({ client? }), got true');
    expect(() => createConsumer({ handlers, idempotency: false, largePayloads: 'payloads' as never })).toThrow('createConsumer: largePayloads must be an object ({ client? }), got "payloads"');
    expect(createConsumer({ handlers, idempotency: false, largePayloads: {} })).toEqual(expect.any(Function));
  });
});

describe('readInbound: the environment check, raw and SNS-wrapped, before any S3 read', () => {
  // No S3 read may happen in these cases: a store that fails the test when asked.
  const noReads = { get: async () => { throw new Error('no S3 read expected'); }, put: async () => { throw new Error('no S3 write expected'); } };
  const pointer = pointerBody({ bucket: 'payloads', key: 'prod/order.created/k' });
  const raw = { body: pointer, messageAttributes: { environment: { dataType: 'String', stringValue: 'prod', stringListValues: [], binaryListValues: [] } } };
  const wrapped = {
    body: JSON.stringify({ Type: 'Notification', TopicArn: 'arn:t', MessageId: 'n-1', Message: pointer, MessageAttributes: { environment: { Type: 'String', Value: 'prod' } } }),
    messageAttributes: {},
  };

  test.each([['raw', raw], ['SNS-wrapped', wrapped]])('%s: another environment is poison wrong-environment', async (_, record) => {
    await expect(readInbound(record, { environment: 'dev', payloads: noReads })).rejects.toMatchObject({ reason: 'wrong-environment' });
  });

  test('an envelope without the attribute passes, unchanged', async () => {
    const text = JSON.stringify(envelope);
    await expect(readInbound({ body: text, messageAttributes: {} }, { environment: 'dev', payloads: noReads })).resolves.toEqual({ envelope, attributes: {} });
  });

  test('a pointer is replaced by what the store holds', async () => {
    const store = { get: async (where: { bucket: string; key: string }) => `${where.bucket}/${where.key}`, put: noReads.put };
    await expect(readInbound(wrapped, { environment: 'prod', payloads: store })).resolves.toEqual({ envelope: 'payloads/prod/order.created/k', attributes: { environment: 'prod' } });
  });
});
