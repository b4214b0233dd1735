import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.js';
import { brokerText } from './topology.js';
import { withTimeout } from './timeout.js';

const OWNER = 'consumeRabbitMq';

/** One subscription of `consumeRabbitMq`: a confirm channel consuming the queue. A new one replaces it after a reconnection. */
export interface Subscription {
  readonly channel: ConfirmChannel;
  readonly consumerTag: string;
  open: boolean;
  /** The broker returned the last poison copy published on this channel as unroutable (`basic.return`). */
  returned: boolean;
  /** Why the channel closed, when the broker or the connection closed it. */
  error?: Error;
  /** The broker cancelled the subscription: resuming would find no queue. */
  cancelled: boolean;
}

export interface SubscribeOptions {
  readonly connection: Pick<ChannelModel, 'createChannel' | 'createConfirmChannel'>;
  readonly queue: string;
  readonly deadLetterExchange: string;
  readonly prefetch: number;
  /** Each wait for the broker, in milliseconds. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** A delivery. (When the broker cancels the consumer, the channel is closed, `cancelled` set.) */
  onMessage(subscription: Subscription, message: ConsumeMessage): void;
  /** The channel closed, for whatever reason, after `subscribe` resolved. */
  onClose(subscription: Subscription): void;
}

/**
 * Checks that the queue and the dead-letter exchange exist (declaring nothing), opens a confirm
 * channel, sets `prefetch` and consumes the queue. Every wait is bounded by `timeoutMs`; a channel
 * that opens after its wait ran out (a recovering connection came back late) is closed at once.
 */
export async function subscribe(options: SubscribeOptions): Promise<Subscription> {
  const { connection, queue, prefetch, timeoutMs, logger } = options;
  await checkTopology(options);
  const channel = await channelWithin(connection.createConfirmChannel(), timeoutMs, 'opening a confirm channel');
  let consumerTag = '';
  let subscribed = false;
  const subscription: Subscription = {
    channel,
    get consumerTag() {
      return consumerTag;
    },
    open: true,
    returned: false,
    cancelled: false,
  };
  channel.on('error', (error: Error) => {
    subscription.error ??= error;
    logger.error('channel error', { error });
  });
  channel.on('return', () => {
    subscription.returned = true;
  });
  channel.on('close', () => {
    subscription.open = false;
    if (subscribed) options.onClose(subscription);
  });
  try {
    await withTimeout(channel.prefetch(prefetch), timeoutMs, `${OWNER}: setting prefetch`);
    ({ consumerTag } = await withTimeout(channel.consume(queue, (message) => {
      if (message !== null) return options.onMessage(subscription, message);
      // The broker cancelled the consumer (the queue was deleted, or its leader moved away).
      subscription.cancelled = true;
      subscription.error ??= new Error(`${OWNER}: the broker cancelled the consumer of queue ${queue}`);
      void channel.close().catch(() => undefined);
    }, { noAck: false }), timeoutMs, `${OWNER}: starting to consume ${queue}`));
  } catch (error) {
    subscription.open = false;
    await withTimeout(channel.close(), timeoutMs, `${OWNER}: closing a channel`).catch(() => undefined);
    throw error;
  }
  if (!subscription.open) throw subscription.error ?? new Error(`${OWNER}: the channel closed while subscribing to ${queue}`);
  subscribed = true;
  logger.info('consuming', { consumerTag, prefetch });
  return subscription;
}

/** Checks the queue and the dead-letter exchange on a throwaway channel (a missing one closes the channel it is asked on). */
async function checkTopology({ connection, queue, deadLetterExchange, timeoutMs }: SubscribeOptions): Promise<void> {
  const probe = await channelWithin(connection.createChannel(), timeoutMs, 'opening a channel');
  probe.on('error', () => undefined);
  try {
    await withTimeout(probe.checkQueue(queue), timeoutMs, `${OWNER}: checking queue ${queue}`);
    await withTimeout(probe.checkExchange(deadLetterExchange), timeoutMs, `${OWNER}: checking exchange ${deadLetterExchange}`);
  } catch (error) {
    throw new Error(`${OWNER}: ${brokerText(error)}; declare the consumer's queue and dead-letter exchange first (declareTopology)`, { cause: error });
  } finally {
    await withTimeout(probe.close(), timeoutMs, `${OWNER}: closing a channel`).catch(() => undefined);
  }
}

/** A channel within `timeoutMs`; one that opens later is closed at once. */
async function channelWithin<T extends { close(): Promise<void> }>(opening: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  try {
    return await withTimeout(opening, timeoutMs, `${OWNER}: ${what}`);
  } catch (error) {
    opening.then((late) => late.close().catch(() => undefined), () => undefined);
    throw error;
  }
}
