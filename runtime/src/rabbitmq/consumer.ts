import { AsyncLocalStorage } from 'node:async_hooks';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ChannelModel, ConfirmChannel, ConsumeMessage, Message, Options } from 'amqplib';
import { createConsumer, type ConsumerHandler } from '../consumer.js';
import type { CreateConsumerOptions } from '../consumer-options.js';
import { describeValue } from '../describe-value.js';
import { createJsonLogger, withFields } from '../logger.js';
import { ATTRIBUTE_ERROR, ATTRIBUTE_REASON, ENV_CONSUMER_NAME } from '../names.js';
import { integerInRange } from '../option-range.js';
import { rabbitMqNames } from './names.js';
import { amqpRecord } from './record.js';
import { brokerText } from './topology.js';
import { withTimeout } from './timeout.js';

/** Options of `consumeRabbitMq`: `createConsumer`'s (handlers, consumerName, idempotency, …) and the channel's. */
export interface ConsumeRabbitMqOptions<H extends Record<string, unknown> = Record<string, unknown>>
  extends Omit<CreateConsumerOptions<H>, 'deadLetterQueueUrl' | 'sqsClient' | 'maxConcurrency' | 'minRemainingTimeMs'> {
  /** The connection (`await amqplib.connect(url)`); the consumer opens one confirm channel on it and closes it on `stop`. */
  readonly connection: Pick<ChannelModel, 'createChannel' | 'createConfirmChannel'>;
  /**
   * The queue to read.
   * @default `rabbitMqNames(consumerName).queue`: the consumer name
   */
  readonly queue?: string;
  /**
   * Where poison goes, with the `fanout.reason` and `fanout.error` headers.
   * @default `rabbitMqNames(consumerName).deadLetterExchange`: `<consumer>.dlx`, the queue's own dead-letter exchange
   */
  readonly deadLetterExchange?: string;
  /**
   * Messages the broker may have delivered and not yet seen acknowledged (`basic.qos`): the
   * backpressure. An integer from 1 to 1000.
   * @default 10
   */
  readonly prefetch?: number;
  /**
   * Messages whose handlers run at once: an integer from 1 to `prefetch`.
   * @default `prefetch`
   */
  readonly maxConcurrency?: number;
  /**
   * How long a message that failed (and may succeed later) is held before it is returned to the
   * queue, in milliseconds: an integer from 0 to 60000. The broker redelivers a returned message
   * at once and counts each return against the queue's `x-delivery-limit`; the delay keeps a
   * message whose idempotency record another consumer holds from spending its deliveries in a
   * burst.
   * @default 1000
   */
  readonly requeueDelayMs?: number;
  /**
   * How long to wait for the broker, in milliseconds (opening the channel, the confirm of a
   * poison message sent to the dead-letter exchange): an integer from 1 to 300000.
   * @default 10000
   */
  readonly timeoutMs?: number;
}

/** What a running consumer has done so far. */
export interface RabbitMqConsumerStats {
  /** Messages the broker delivered. */
  readonly delivered: number;
  /** Acknowledged: processed, duplicates, skipped, and poison once its copy was in the dead-letter exchange. */
  readonly acked: number;
  /** Poison copies the broker confirmed in the dead-letter exchange. */
  readonly deadLettered: number;
  /** Returned to the queue for another delivery (`nack` with requeue). */
  readonly requeued: number;
  /** Delivered, not yet acknowledged or returned. */
  readonly inFlight: number;
  /** The most messages in flight at once. */
  readonly maxInFlight: number;
  /** The most handlers running at once. */
  readonly maxRunning: number;
}

/** A consumer `consumeRabbitMq` started: its queue, its figures, and how to stop it. (`RabbitMqConsumer` is the construct of a Lambda consumer.) */
export interface RunningRabbitMqConsumer {
  readonly queue: string;
  readonly consumerTag: string;
  stats(): RabbitMqConsumerStats;
  /**
   * Settles when the channel closes: with the error that closed it (the broker closed it, the
   * connection dropped, the broker cancelled the consumer), or undefined after `stop`. Messages
   * not acknowledged by then go back to the queue; restart the consumer on a new connection.
   */
  readonly closed: Promise<Error | undefined>;
  /**
   * Stops taking messages (`basic.cancel`), waits up to `timeoutMs` (default 30000) for the
   * messages in flight to finish and settle, then closes the channel: any message still
   * unsettled goes back to the queue. Resolves with how many were abandoned that way.
   */
  stop(options?: { readonly timeoutMs?: number }): Promise<{ readonly drained: boolean; readonly abandoned: number }>;
}

const OWNER = 'consumeRabbitMq';
/** The `deadLetterQueueUrl` createConsumer is given; its poison sends never leave the process. */
const SINK_URL_PREFIX = 'amqp-dead-letter-exchange:';

interface Delivery {
  readonly message: ConsumeMessage;
  settled: boolean;
}

/**
 * Runs `createConsumer` handlers on a RabbitMQ queue, outside Lambda (a container, a VM). Each
 * delivered message becomes a record (see `amqpRecord`) handled by the same pipeline: envelope,
 * schema, idempotency, poison. Then:
 *
 * - processed, duplicate or skipped: `ack`;
 * - poison: a copy (content, properties and headers, plus `fanout.reason` and `fanout.error`) is
 *   published to the dead-letter exchange and confirmed by the broker, then the message is
 *   acknowledged. (A `nack` cannot add headers: the broker would dead-letter it without the
 *   reason.) If the copy is not confirmed, the message is returned to the queue instead;
 * - any other failure: held `requeueDelayMs`, then `nack` with requeue. The quorum queue counts
 *   deliveries and dead-letters the message itself after `x-delivery-limit`.
 *
 * `prefetch` bounds the messages delivered and not yet settled; `maxConcurrency` the handlers
 * running. No reconnection: when the channel closes, `closed` settles with the reason.
 */
export async function consumeRabbitMq<H extends Record<string, unknown>>(options: ConsumeRabbitMqOptions<H>): Promise<RunningRabbitMqConsumer> {
  if (typeof options !== 'object' || options === null) throw new Error(`${OWNER}: options must be an object, got ${describeValue(options)}`);
  const connection = options.connection;
  if (typeof connection?.createConfirmChannel !== 'function' || typeof connection.createChannel !== 'function') {
    throw new Error(`${OWNER}: connection must be an amqplib connection (await amqplib.connect(url)), got ${describeValue(connection)}`);
  }
  const prefetch = integerInRange(OWNER, 'prefetch', options.prefetch, 10, 1, 1000);
  const maxConcurrency = integerInRange(OWNER, 'maxConcurrency', options.maxConcurrency, prefetch, 1, prefetch);
  const requeueDelayMs = integerInRange(OWNER, 'requeueDelayMs', options.requeueDelayMs, 1000, 0, 60_000);
  const timeoutMs = integerInRange(OWNER, 'timeoutMs', options.timeoutMs, 10_000, 1, 300_000);
  const consumerName = options.consumerName ?? (process.env[ENV_CONSUMER_NAME] || undefined);
  const named = consumerName === undefined ? undefined : rabbitMqNames(consumerName);
  const queue = nameOption('queue', options.queue ?? named?.queue);
  const deadLetterExchange = nameOption('deadLetterExchange', options.deadLetterExchange ?? named?.deadLetterExchange);
  const logger = withFields(options.logger ?? createJsonLogger(), { queue });

  const counts = { delivered: 0, acked: 0, deadLettered: 0, requeued: 0, inFlight: 0, maxInFlight: 0, running: 0, maxRunning: 0 };
  // The dead-letter path of the pipeline, kept in the process: its SendMessage becomes a confirmed publish.
  const current = new AsyncLocalStorage<Delivery>();
  let channel: ConfirmChannel | undefined;
  const deadLetterSink = new SQSClient({ region: 'local', credentials: { accessKeyId: 'none', secretAccessKey: 'none' } });
  deadLetterSink.middlewareStack.add(
    () => async (args) => {
      const input = args.input as { MessageAttributes?: Record<string, { StringValue?: string }> };
      const delivery = current.getStore();
      if (!delivery) throw new Error('no AMQP message to dead-letter');
      if (!channel) throw new Error('the channel is closed: the broker delivers the message again');
      const reason = input.MessageAttributes?.[ATTRIBUTE_REASON]?.StringValue ?? 'non-retryable';
      const error = input.MessageAttributes?.[ATTRIBUTE_ERROR]?.StringValue ?? reason;
      await publishDeadLetter(channel, delivery.message, reason, error);
      return { output: { MessageId: delivery.message.properties.messageId, $metadata: {} }, response: undefined };
    },
    { step: 'initialize', priority: 'high', name: 'fanoutAmqpDeadLetter' },
  );
  const handler: ConsumerHandler = createConsumer({
    ...(options as CreateConsumerOptions<H>),
    logger,
    deadLetterQueueUrl: `${SINK_URL_PREFIX}${deadLetterExchange}`,
    sqsClient: deadLetterSink,
    maxConcurrency: 1,
  });

  // Poison copies are published one at a time, so a basic.return (unroutable) belongs to the one outstanding.
  let deadLetterChain: Promise<unknown> = Promise.resolve();
  let returned = false;
  function publishDeadLetter(on: ConfirmChannel, message: ConsumeMessage, reason: string, error: string): Promise<void> {
    const run = async () => {
      returned = false;
      const { userId: _userId, expiration: _expiration, headers, ...properties } = message.properties as Message['properties'] & Record<string, unknown>;
      const publishOptions: Options.Publish = {
        ...withoutUndefined(properties),
        // Not kept: a user id must match this connection's user, and a TTL would expire the poison from the DLQ.
        headers: { ...headers, [ATTRIBUTE_REASON]: reason, [ATTRIBUTE_ERROR]: error },
        persistent: true,
        mandatory: true,
      };
      await withTimeout(new Promise<void>((resolve, reject) => {
        on.publish(deadLetterExchange, message.fields.routingKey, message.content, publishOptions, (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
      }), timeoutMs, `the broker's confirm of a poison copy sent to exchange ${JSON.stringify(deadLetterExchange)}`);
      if (returned) {
        throw new Error(`exchange ${JSON.stringify(deadLetterExchange)} routed the poison copy to no queue; bind its dead-letter queue (declareTopology does)`);
      }
      counts.deadLettered++;
    };
    const result = deadLetterChain.then(run, run);
    deadLetterChain = result.catch(() => undefined);
    return result;
  }

  // Fail fast, on a throwaway channel (a missing queue or exchange closes the channel it is asked on).
  const probe = await withTimeout(connection.createChannel(), timeoutMs, `${OWNER}: opening a channel`);
  probe.on('error', () => undefined);
  try {
    await withTimeout(probe.checkQueue(queue), timeoutMs, `${OWNER}: checking queue ${queue}`);
    await withTimeout(probe.checkExchange(deadLetterExchange), timeoutMs, `${OWNER}: checking exchange ${deadLetterExchange}`);
  } catch (error) {
    throw new Error(`${OWNER}: ${brokerText(error)}; declare the consumer's queue and dead-letter exchange first (declareTopology)`, { cause: error });
  } finally {
    await withTimeout(probe.close(), timeoutMs, `${OWNER}: closing a channel`).catch(() => undefined);
  }

  const opened = await withTimeout(connection.createConfirmChannel(), timeoutMs, `${OWNER}: opening a confirm channel`);
  channel = opened;
  let closeError: Error | undefined;
  let stopping = false;
  let resolveClosed!: (error: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => (resolveClosed = resolve));
  opened.on('error', (error: Error) => {
    closeError ??= error;
    logger.error('channel error', { error });
  });
  opened.on('return', () => {
    returned = true;
  });
  opened.on('close', () => {
    channel = undefined;
    resolveClosed(stopping ? undefined : closeError ?? new Error(`${OWNER}: the channel of queue ${queue} closed`));
  });

  const waiting: Array<() => void> = [];
  const heldForRequeue = new Map<Delivery, NodeJS.Timeout>();
  let idle: (() => void) | undefined;

  function settle(delivery: Delivery, how: 'ack' | 'requeue'): void {
    if (delivery.settled) return;
    delivery.settled = true;
    counts.inFlight--;
    try {
      if (!channel) throw new Error('channel closed');
      if (how === 'ack') {
        channel.ack(delivery.message);
        counts.acked++;
      } else {
        channel.nack(delivery.message, false, true);
        counts.requeued++;
      }
    } catch (error) {
      // The broker returns it to the queue with the channel.
      logger.warn('could not settle a message: the channel is closed, the broker delivers it again', { how, deliveryTag: delivery.message.fields.deliveryTag, error });
    }
    if (counts.inFlight === 0) idle?.();
  }

  function requeueLater(delivery: Delivery): void {
    if (requeueDelayMs === 0 || stopping) return settle(delivery, 'requeue');
    heldForRequeue.set(delivery, setTimeout(() => {
      heldForRequeue.delete(delivery);
      settle(delivery, 'requeue');
    }, requeueDelayMs));
  }

  async function run(delivery: Delivery): Promise<void> {
    if (counts.running >= maxConcurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    counts.running++;
    counts.maxRunning = Math.max(counts.maxRunning, counts.running);
    try {
      const receivedAtMs = Date.now();
      let body: string;
      try {
        body = UTF8.decode(delivery.message.content);
      } catch {
        // SQS bodies are always valid Unicode, so the pipeline never sees such a body; it is poison here.
        if (!channel) throw new Error('channel closed');
        await current.run(delivery, () => publishDeadLetter(channel!, delivery.message, 'malformed-json', 'body is not valid UTF-8'));
        logger.error('poison message sent to the dead-letter exchange', { reason: 'malformed-json', error: 'body is not valid UTF-8', deliveryTag: delivery.message.fields.deliveryTag });
        settle(delivery, 'ack');
        return;
      }
      const record = amqpRecord(delivery.message, body, queue, receivedAtMs);
      const response = await current.run(delivery, () => handler({ Records: [record] }));
      if (response.batchItemFailures.length === 0) settle(delivery, 'ack');
      else requeueLater(delivery);
    } catch (error) {
      logger.error('message failed outside its handler: returned to the queue', { error, deliveryTag: delivery.message.fields.deliveryTag });
      requeueLater(delivery);
    } finally {
      counts.running--;
      waiting.shift()?.();
    }
  }

  await withTimeout(opened.prefetch(prefetch), timeoutMs, `${OWNER}: setting prefetch`);
  const { consumerTag } = await withTimeout(opened.consume(queue, (message) => {
    if (message === null) {
      // The broker cancelled the consumer (the queue was deleted, or its leader moved away).
      closeError ??= new Error(`${OWNER}: the broker cancelled the consumer of queue ${queue}`);
      void opened.close().catch(() => undefined);
      return;
    }
    counts.delivered++;
    counts.inFlight++;
    counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    void run({ message, settled: false });
  }, { noAck: false }), timeoutMs, `${OWNER}: starting to consume ${queue}`);
  logger.info('consuming', { consumerTag, prefetch, maxConcurrency });

  return {
    queue,
    consumerTag,
    stats: () => ({
      delivered: counts.delivered, acked: counts.acked, deadLettered: counts.deadLettered, requeued: counts.requeued,
      inFlight: counts.inFlight, maxInFlight: counts.maxInFlight, maxRunning: counts.maxRunning,
    }),
    closed,
    async stop(stopOptions = {}) {
      const stopTimeoutMs = integerInRange(`${OWNER} stop`, 'timeoutMs', stopOptions.timeoutMs, 30_000, 0, 900_000);
      stopping = true;
      const deadline = Date.now() + stopTimeoutMs;
      if (channel) {
        await withTimeout(opened.cancel(consumerTag), Math.max(1, deadline - Date.now()), `${OWNER}: cancelling the consumer`).catch(() => undefined);
      }
      // Messages held for their requeue delay go back now.
      for (const [delivery, timer] of heldForRequeue) {
        clearTimeout(timer);
        heldForRequeue.delete(delivery);
        settle(delivery, 'requeue');
      }
      if (counts.inFlight > 0) {
        await withTimeout(new Promise<void>((resolve) => (idle = resolve)), Math.max(1, deadline - Date.now()), 'draining').catch(() => undefined);
      }
      const abandoned = counts.inFlight;
      if (channel) await withTimeout(opened.close(), timeoutMs, `${OWNER}: closing the channel`).catch(() => undefined);
      deadLetterSink.destroy();
      if (abandoned > 0) logger.warn('stopped with messages unsettled: the broker delivers them again', { abandoned });
      return { drained: abandoned === 0, abandoned };
    },
  };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function nameOption(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > 255) {
    throw new Error(`${OWNER}: ${name} must be a name of 1 to 255 bytes, got ${describeValue(value)}; pass consumerName (the queue and dead-letter exchange are named after it) or ${name}`);
  }
  return value;
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

