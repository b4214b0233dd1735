/* consumeRabbitMq checks its options before it touches the connection: one line naming the option. */
import type { ChannelModel } from 'amqplib';
import { consumeRabbitMq, type ConsumeRabbitMqOptions } from '@cdk-fanout/runtime/rabbitmq';

const untouched = {
  createChannel: () => Promise.reject(new Error('must not be called')),
  createConfirmChannel: () => Promise.reject(new Error('must not be called')),
} as unknown as Pick<ChannelModel, 'createChannel' | 'createConfirmChannel'>;
const start = (options: Record<string, unknown>) =>
  consumeRabbitMq({ connection: untouched, consumerName: 'billing', idempotency: false, handlers: {}, ...options } as ConsumeRabbitMqOptions);

test.each([
  ['prefetch', 0, 'consumeRabbitMq: prefetch must be an integer from 1 to 1000, got 0'],
  ['prefetch', NaN, 'consumeRabbitMq: prefetch must be an integer from 1 to 1000, got NaN'],
  ['maxConcurrency', 11, 'consumeRabbitMq: maxConcurrency must be an integer from 1 to 10, got 11'],
  ['requeueDelayMs', -1, 'consumeRabbitMq: requeueDelayMs must be an integer from 0 to 60000, got -1'],
  ['timeoutMs', 0, 'consumeRabbitMq: timeoutMs must be an integer from 1 to 300000, got 0'],
  ['connection', undefined, 'consumeRabbitMq: connection must be an amqplib connection (await amqplib.connect(url)), got nothing'],
  ['reconnect', 5, 'consumeRabbitMq: reconnect must be an object or false, got 5'],
  ['reconnect', { maxAttempts: 0 }, 'consumeRabbitMq: reconnect.maxAttempts must be an integer from 1 to 1000000, got 0'],
  ['reconnect', { maxDelayMs: 0.5 }, 'consumeRabbitMq: reconnect.maxDelayMs must be an integer from 1 to 300000, got 0.5'],
  ['reconnect', { random: 0.5 }, 'consumeRabbitMq: reconnect.random must be a function returning numbers in [0, 1), got 0.5'],
  ['onStateChange', 'log', 'consumeRabbitMq: onStateChange must be a function, got "log"'],
  ['consumerName', 'Billing', 'rabbitMqNames: consumer name "Billing" is invalid; use 1 to 64 lower-case letters, digits and dashes, starting with a letter or digit'],
])('%s = %p is refused', async (option, value, message) => {
  await expect(start({ [option]: value })).rejects.toThrow(new Error(message));
});

test('without a consumer name the queue must be given', async () => {
  await expect(start({ consumerName: undefined })).rejects.toThrow(new Error('consumeRabbitMq: queue must be a name of 1 to 255 bytes, got nothing; pass consumerName (the queue and dead-letter exchange are named after it) or queue'));
});
