/*
 * Publisher options are checked when the Publisher is made: one line naming the option, its
 * range and the value. (NaN for maxAttempts used to retry forever.)
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { Publisher, type PublisherOptions } from '@cdk-fanout/runtime';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:orders';
const make = (options: Partial<Record<keyof PublisherOptions, unknown>>) => () =>
  new Publisher({ topicArn: TOPIC, source: 'order-service', ...options } as PublisherOptions);

describe('Publisher options', () => {
  test.each([
    ['maxAttempts', NaN, 'Publisher: maxAttempts must be an integer from 1 to 10, got NaN'],
    ['maxAttempts', Infinity, 'Publisher: maxAttempts must be an integer from 1 to 10, got Infinity'],
    ['maxAttempts', 0, 'Publisher: maxAttempts must be an integer from 1 to 10, got 0'],
    ['maxAttempts', -1, 'Publisher: maxAttempts must be an integer from 1 to 10, got -1'],
    ['maxAttempts', 11, 'Publisher: maxAttempts must be an integer from 1 to 10, got 11'],
    ['maxAttempts', 2.5, 'Publisher: maxAttempts must be an integer from 1 to 10, got 2.5'],
    ['maxAttempts', '3', 'Publisher: maxAttempts must be an integer from 1 to 10, got "3"'],
    ['maxAttempts', null, 'Publisher: maxAttempts must be an integer from 1 to 10, got null'],
    ['retryBaseDelayMs', NaN, 'Publisher: retryBaseDelayMs must be an integer from 0 to 60000, got NaN'],
    ['retryBaseDelayMs', -1, 'Publisher: retryBaseDelayMs must be an integer from 0 to 60000, got -1'],
    ['retryBaseDelayMs', 60_001, 'Publisher: retryBaseDelayMs must be an integer from 0 to 60000, got 60001'],
    ['retryBaseDelayMs', 0.5, 'Publisher: retryBaseDelayMs must be an integer from 0 to 60000, got 0.5'],
    ['retryBaseDelayMs', -Infinity, 'Publisher: retryBaseDelayMs must be an integer from 0 to 60000, got -Infinity'],
    ['topicArn', '', 'Publisher: topicArn must be a non-empty string of valid Unicode, got ""'],
    ['topicArn', undefined, 'Publisher: topicArn must be a non-empty string of valid Unicode, got nothing'],
    ['source', '', 'Publisher: source must be a non-empty string of valid Unicode, got ""'],
    ['source', 42, 'Publisher: source must be a non-empty string of valid Unicode, got 42'],
    ['source', 'svc\uD800', 'Publisher: source must be a non-empty string of valid Unicode, got "svc\\ud800"'],
    ['client', {}, 'Publisher: client must be an SNSClient, got an object'],
  ])('%s = %p is refused at construction', (option, value, message) => {
    expect(make({ [option]: value })).toThrow(new Error(message));
    try {
      make({ [option]: value })();
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  test('the range ends and the defaults are accepted', () => {
    for (const options of [{ maxAttempts: 1 }, { maxAttempts: 10 }, { retryBaseDelayMs: 0 }, { retryBaseDelayMs: 60_000 }, { maxAttempts: undefined }, {}]) {
      expect(make(options)).not.toThrow();
    }
  });

  test('no options object: a one-line error, not a TypeError', () => {
    expect(() => new Publisher(undefined as unknown as PublisherOptions)).toThrow(new Error('Publisher: options must be an object, got nothing'));
  });

  test('the default client makes one request per call: every retry is the publisher\'s', async () => {
    const publisher = new Publisher({ topicArn: TOPIC, source: 'order-service' });
    const client = (publisher as unknown as { client: SNSClient }).client;
    expect(await client.config.maxAttempts()).toBe(1);
    client.destroy();
  });
});
