import type { ChannelModel } from 'amqplib';
import { describeValue } from '../describe-value.js';
import { ENV_CONSUMER_NAME } from '../names.js';
import { integerInRange } from '../option-range.js';
import type { ConsumeRabbitMqOptions, RabbitMqConsumerStateChange } from './consumer.js';
import { rabbitMqNames } from './names.js';
import { resolveReconnectOptions, type ResolvedReconnect } from './reconnect.js';

export const OWNER = 'consumeRabbitMq';

/** `consumeRabbitMq`'s own options checked, with every default filled in. */
export interface ConsumerSettings {
  readonly connection: Pick<ChannelModel, 'createChannel' | 'createConfirmChannel'>;
  readonly consumerName: string | undefined;
  readonly queue: string;
  readonly deadLetterExchange: string;
  /** Messages delivered and not yet settled (1 to 1000). */
  readonly prefetch: number;
  /** Handlers running at once (1 to `prefetch`). */
  readonly maxConcurrency: number;
  /** How long a failed message is held before it goes back to the queue, in milliseconds (0 to 60000). */
  readonly requeueDelayMs: number;
  /** Each wait for the broker, in milliseconds (1 to 300000). */
  readonly timeoutMs: number;
  /** Undefined: never resume after the channel closed. */
  readonly reconnect: ResolvedReconnect | undefined;
  readonly onStateChange: ((change: RabbitMqConsumerStateChange) => void) | undefined;
}

/** Checks `consumeRabbitMq`'s options (throws one line naming the field and the fix) and fills in the defaults. */
export function resolveConsumerSettings(options: ConsumeRabbitMqOptions): ConsumerSettings {
  if (typeof options !== 'object' || options === null) throw new Error(`${OWNER}: options must be an object, got ${describeValue(options)}`);
  const connection = options.connection;
  if (typeof connection?.createConfirmChannel !== 'function' || typeof connection.createChannel !== 'function') {
    throw new Error(`${OWNER}: connection must be an amqplib connection (await amqplib.connect(url)), got ${describeValue(connection)}`);
  }
  const prefetch = integerInRange(OWNER, 'prefetch', options.prefetch, 10, 1, 1000);
  const maxConcurrency = integerInRange(OWNER, 'maxConcurrency', options.maxConcurrency, prefetch, 1, prefetch);
  const requeueDelayMs = integerInRange(OWNER, 'requeueDelayMs', options.requeueDelayMs, 1000, 0, 60_000);
  const timeoutMs = integerInRange(OWNER, 'timeoutMs', options.timeoutMs, 10_000, 1, 300_000);
  const reconnect = resolveReconnectOptions(OWNER, options.reconnect);
  if (options.onStateChange !== undefined && typeof options.onStateChange !== 'function') {
    throw new Error(`${OWNER}: onStateChange must be a function, got ${describeValue(options.onStateChange)}`);
  }
  const consumerName = options.consumerName ?? (process.env[ENV_CONSUMER_NAME] || undefined);
  const named = consumerName === undefined ? undefined : rabbitMqNames(consumerName);
  return {
    connection,
    consumerName,
    queue: nameOption('queue', options.queue ?? named?.queue),
    deadLetterExchange: nameOption('deadLetterExchange', options.deadLetterExchange ?? named?.deadLetterExchange),
    prefetch, maxConcurrency, requeueDelayMs, timeoutMs, reconnect,
    onStateChange: options.onStateChange,
  };
}

function nameOption(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > 255) {
    throw new Error(`${OWNER}: ${name} must be a name of 1 to 255 bytes, got ${describeValue(value)}; pass consumerName (the queue and dead-letter exchange are named after it) or ${name}`);
  }
  return value;
}
