/*
 * The options of the SQS, Kinesis and Kafka publishers are checked when one is made, as the SNS
 * Publisher's: one line naming the publisher, the option, what it must be and the value.
 */
import { KafkaPublisher, type KafkaPublisherOptions } from '@cdk-fanout/runtime/kafka-publisher';
import { KinesisPublisher, type KinesisPublisherOptions } from '@cdk-fanout/runtime/kinesis-publisher';
import { SqsPublisher, type SqsPublisherOptions } from '@cdk-fanout/runtime/sqs-publisher';

/** Every message a constructor throws is one line. */
function refused(make: () => unknown, message: string): void {
  expect(make).toThrow(new Error(message));
  try {
    make();
  } catch (err) {
    expect((err as Error).message).not.toContain('\n');
  }
}

const common: Array<[string, unknown, string]> = [
  ['maxAttempts', NaN, 'maxAttempts must be an integer from 1 to 10, got NaN'],
  ['maxAttempts', 0, 'maxAttempts must be an integer from 1 to 10, got 0'],
  ['maxAttempts', 11, 'maxAttempts must be an integer from 1 to 10, got 11'],
  ['maxAttempts', 2.5, 'maxAttempts must be an integer from 1 to 10, got 2.5'],
  ['maxAttempts', '3', 'maxAttempts must be an integer from 1 to 10, got "3"'],
  ['retryBaseDelayMs', -1, 'retryBaseDelayMs must be an integer from 0 to 60000, got -1'],
  ['retryBaseDelayMs', Infinity, 'retryBaseDelayMs must be an integer from 0 to 60000, got Infinity'],
  ['source', '', 'source must be a non-empty string of valid Unicode, got ""'],
  ['source', 'svc\uD800', 'source must be a non-empty string of valid Unicode, got "svc\\ud800"'],
];

describe('SqsPublisher options', () => {
  const make = (options: Partial<Record<keyof SqsPublisherOptions, unknown>>) => () =>
    new SqsPublisher({ queueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/work', source: 'refund-service', ...options } as SqsPublisherOptions);

  test.each([
    ...common,
    ['queueUrl', undefined, 'queueUrl must be a non-empty string of valid Unicode, got nothing'],
    ['client', {}, 'client must be an SQSClient, got an object'],
  ])('%s = %p is refused', (option, value, message) => refused(make({ [option]: value }), `SqsPublisher: ${message}`));

  test('no options object; the range ends and the defaults are accepted', () => {
    refused(() => new SqsPublisher(undefined as unknown as SqsPublisherOptions), 'SqsPublisher: options must be an object, got nothing');
    for (const options of [{ maxAttempts: 1 }, { maxAttempts: 10 }, { retryBaseDelayMs: 0 }, { retryBaseDelayMs: 60_000 }, {}]) expect(make(options)).not.toThrow();
  });
});

describe('KinesisPublisher options', () => {
  const make = (options: Partial<Record<keyof KinesisPublisherOptions, unknown>>) => () =>
    new KinesisPublisher({ streamName: 'orders', source: 'order-service', ...options } as KinesisPublisherOptions);

  test.each([
    ...common,
    ['streamName', '', 'streamName must be a non-empty string of valid Unicode, got ""'],
    ['streamArn', 42, 'streamArn must be a non-empty string of valid Unicode, got 42'],
    ['client', { send: () => undefined }, 'client must be a KinesisClient, got an object'],
  ])('%s = %p is refused', (option, value, message) => refused(make({ [option]: value }), `KinesisPublisher: ${message}`));

  test('a stream is required; no options object; the range ends and the defaults are accepted', () => {
    refused(make({ streamName: undefined }), 'KinesisPublisher: give streamName or streamArn (the stream to write to), got neither');
    refused(() => new KinesisPublisher(null as unknown as KinesisPublisherOptions), 'KinesisPublisher: options must be an object, got null');
    expect(make({ streamName: undefined, streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/orders' })).not.toThrow();
    for (const options of [{ maxAttempts: 1 }, { maxAttempts: 10 }, { retryBaseDelayMs: 0 }, { retryBaseDelayMs: 60_000 }, {}]) expect(make(options)).not.toThrow();
  });

  test('the default client makes one request per call: every retry is the publisher\'s', async () => {
    const client = (new KinesisPublisher({ streamName: 'orders', source: 'order-service' }) as unknown as { client: { config: { maxAttempts(): Promise<number> }; destroy(): void } }).client;
    expect(await client.config.maxAttempts()).toBe(1);
    client.destroy();
  });
});

describe('KafkaPublisher options', () => {
  const kafka = { producer: () => ({ connect: async () => undefined, disconnect: async () => undefined, send: async () => [] }) };
  const make = (options: Partial<Record<keyof KafkaPublisherOptions, unknown>>) => () =>
    new KafkaPublisher({ kafka, topic: 'orders', source: 'order-service', ...options } as KafkaPublisherOptions);

  test.each([
    // kafkajs refuses an idempotent producer without retries: maxAttempts starts at 2.
    ...common.map(([option, value, message]): [string, unknown, string] => [option, value, message.replace('from 1 to 10', 'from 2 to 10')]),
    ['maxAttempts', 1, 'maxAttempts must be an integer from 2 to 10, got 1'],
    ['maxMessageBytes', 1_023, 'maxMessageBytes must be an integer from 1024 to 104857600, got 1023'],
    ['maxMessageBytes', NaN, 'maxMessageBytes must be an integer from 1024 to 104857600, got NaN'],
    ['topic', '', 'topic must be a non-empty string of valid Unicode, got ""'],
    ['topic', 'orders/eu', 'topic must be 1 to 249 letters, digits, \'.\', \'_\' and \'-\', got "orders/eu"'],
    ['kafka', undefined, 'kafka must be a kafkajs Kafka instance (with a producer() method), got nothing'],
    ['kafka', {}, 'kafka must be a kafkajs Kafka instance (with a producer() method), got an object'],
    ['createPartitioner', 'murmur2', 'createPartitioner must be a kafkajs partitioner factory (e.g. Partitioners.DefaultPartitioner), got "murmur2"'],
  ])('%s = %p is refused', (option, value, message) => refused(make({ [option]: value }), `KafkaPublisher: ${message}`));

  test('no options object; the range ends and the defaults are accepted', () => {
    refused(() => new KafkaPublisher(undefined as unknown as KafkaPublisherOptions), 'KafkaPublisher: options must be an object, got nothing');
    for (const options of [{ maxAttempts: 2 }, { maxAttempts: 10 }, { retryBaseDelayMs: 0 }, { maxMessageBytes: 1_024 }, { maxMessageBytes: 104_857_600 }, {}]) expect(make(options)).not.toThrow();
  });
});
