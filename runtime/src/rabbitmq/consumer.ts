import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { createConsumer, type ConsumerHandler } from '../consumer.js';
import type { CreateConsumerOptions } from '../consumer-options.js';
import { describeValue } from '../describe-value.js';
import { createJsonLogger, withFields } from '../logger.js';
import { ENV_CONSUMER_NAME } from '../names.js';
import { integerInRange } from '../option-range.js';
import { DeadLetterExchange } from './dead-letter-exchange.js';
import { rabbitMqNames } from './names.js';
import { amqpRecord } from './record.js';
import { subscribe, type Subscription, type SubscribeOptions } from './subscription.js';
import { connectionGone, reconnectDelayMs, resolveReconnectOptions, type RabbitMqReconnectOptions, type ResolvedReconnect } from './reconnect.js';
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
  /**
   * Whether and how the consumer resumes when its channel closes unexpectedly (a broker restart,
   * the network, a channel error): it opens a new channel on `connection`, checks that the queue
   * and dead-letter exchange exist (it declares nothing), sets `prefetch` and consumes again, with
   * bounded exponential backoff and jitter between attempts. For the connection itself to come
   * back, open it with amqplib's `recovery` option (`await connect(url, { recovery: {} })`): a new
   * channel waits for it. A plain connection that closed cannot come back, so the consumer ends
   * (`closed` says why); so does a consumer the broker cancelled (its queue deleted). `false`:
   * never resume.
   * @default - resume, with unlimited attempts, waits from 100 ms doubling up to 30 s
   */
  readonly reconnect?: RabbitMqReconnectOptions | false;
  /**
   * Called on each change of state (`consuming`, `reconnecting` with the attempt and its wait,
   * `stopping`, `stopped`, `failed` with the reason). Called synchronously; what it throws is
   * logged and ignored.
   * @default - none
   */
  readonly onStateChange?: (change: RabbitMqConsumerStateChange) => void;
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
  /** Acknowledgements and returns that could not be sent because their channel had closed: the broker delivers those messages again. */
  readonly unsettled: number;
  /** Delivered, not yet acknowledged or returned. */
  readonly inFlight: number;
  /** The most messages in flight at once. */
  readonly maxInFlight: number;
  /** The most handlers running at once. */
  readonly maxRunning: number;
  /** Times the consumer resumed on a new channel after its channel closed unexpectedly. */
  readonly reconnects: number;
}

/**
 * Where a consumer is: `consuming`; `reconnecting` (its channel closed unexpectedly, waiting for
 * or making an attempt); `stopping`, then `stopped` (after `stop`); `failed` (it gave up: `closed`
 * holds why).
 */
export type RabbitMqConsumerState = 'consuming' | 'reconnecting' | 'stopping' | 'stopped' | 'failed';

/** One change of a consumer's state, as `onStateChange` receives it. */
export interface RabbitMqConsumerStateChange {
  readonly state: RabbitMqConsumerState;
  /** What closed the channel or failed the last attempt (`reconnecting`), or ended the consumer (`failed`). */
  readonly error?: Error;
  /** `reconnecting`: the attempt about to be made, 1 for the first. */
  readonly attempt?: number;
  /** `reconnecting`: the wait before that attempt, in milliseconds. */
  readonly delayMs?: number;
}

/** A consumer `consumeRabbitMq` started: its queue, its figures, and how to stop it. (`RabbitMqConsumer` is the construct of a Lambda consumer.) */
export interface RunningRabbitMqConsumer {
  readonly queue: string;
  /** The broker's tag of the current subscription (a new one after each reconnection). */
  readonly consumerTag: string;
  stats(): RabbitMqConsumerStats;
  state(): RabbitMqConsumerState;
  /**
   * Settles when the consumer has ended: undefined after `stop`, or the error that ended it (the
   * broker cancelled the consumer, the connection closed and does not recover, `reconnect` is
   * off or its attempts ran out). Messages not acknowledged by then go back to the queue.
   */
  readonly closed: Promise<Error | undefined>;
  /**
   * Stops taking messages (`basic.cancel`; a reconnection under way is abandoned), waits up to
   * `timeoutMs` (default 30000) for the messages in flight to finish and settle, then closes the
   * channel: any message still unsettled goes back to the queue. Resolves with how many were
   * abandoned that way. The connection is the caller's to close.
   */
  stop(options?: { readonly timeoutMs?: number }): Promise<{ readonly drained: boolean; readonly abandoned: number }>;
}

const OWNER = 'consumeRabbitMq';
/** The `deadLetterQueueUrl` createConsumer is given; its poison sends never leave the process. */
const SINK_URL_PREFIX = 'amqp-dead-letter-exchange:';

interface Delivery {
  readonly message: ConsumeMessage;
  /** Acknowledged or returned on the channel that delivered it, never another (delivery tags are per channel). */
  readonly subscription: Subscription;
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
 * running. When the channel closes unexpectedly the consumer resumes on a new one (`reconnect`);
 * messages whose acknowledgement the old channel could not send come again as duplicates.
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
  const reconnect = resolveReconnectOptions(OWNER, options.reconnect);
  if (options.onStateChange !== undefined && typeof options.onStateChange !== 'function') {
    throw new Error(`${OWNER}: onStateChange must be a function, got ${describeValue(options.onStateChange)}`);
  }
  const consumerName = options.consumerName ?? (process.env[ENV_CONSUMER_NAME] || undefined);
  const named = consumerName === undefined ? undefined : rabbitMqNames(consumerName);
  const queue = nameOption('queue', options.queue ?? named?.queue);
  const deadLetterExchange = nameOption('deadLetterExchange', options.deadLetterExchange ?? named?.deadLetterExchange);
  const logger = withFields(options.logger ?? createJsonLogger(), { queue });

  const counts = { delivered: 0, acked: 0, requeued: 0, unsettled: 0, inFlight: 0, maxInFlight: 0, running: 0, maxRunning: 0, reconnects: 0 };
  let current: Subscription | undefined;
  let state: RabbitMqConsumerState = 'consuming';
  let stopping = false;
  let resolveClosed!: (error: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => (resolveClosed = resolve));

  function changeState(change: RabbitMqConsumerStateChange): void {
    state = change.state;
    try {
      options.onStateChange?.(change);
    } catch (error) {
      logger.warn('onStateChange threw; ignored', { error });
    }
  }

  // The pipeline's dead-letter path stays in the process: its SendMessage becomes a confirmed publish.
  const delivering = new AsyncLocalStorage<Delivery>();
  const deadLetters = new DeadLetterExchange(deadLetterExchange, timeoutMs, () => current);
  const deadLetterSink = deadLetters.sqsClient(() => delivering.getStore()?.message);
  const handler: ConsumerHandler = createConsumer({
    ...(options as CreateConsumerOptions<H>),
    logger,
    deadLetterQueueUrl: `${SINK_URL_PREFIX}${deadLetterExchange}`,
    sqsClient: deadLetterSink,
    maxConcurrency: 1,
  });

  const subscribeOptions: SubscribeOptions = {
    connection, queue, deadLetterExchange, prefetch, timeoutMs, logger,
    onMessage: (subscription, message) => {
      counts.delivered++;
      counts.inFlight++;
      counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
      void run({ message, subscription, settled: false });
    },
    onClose: (subscription) => subscriptionClosed(subscription),
  };

  function end(error: Error | undefined): void {
    if (state === 'stopped' || state === 'failed') return;
    if (error) logger.error('consumer ended', { error });
    changeState(error ? { state: 'failed', error } : { state: 'stopped' });
    resolveClosed(error);
  }

  function subscriptionClosed(subscription: Subscription): void {
    if (subscription !== current) return;
    current = undefined;
    if (stopping) return;
    const error = subscription.error ?? new Error(`${OWNER}: the channel of queue ${queue} closed`);
    if (subscription.cancelled || !reconnect) return end(error);
    logger.warn('the channel closed: consuming again on a new one', { error });
    void resume(reconnect, error);
  }

  let wakeFromWait: (() => void) | undefined;
  async function resume(settings: ResolvedReconnect, closedBy: Error): Promise<void> {
    let lastError = closedBy;
    for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
      const delayMs = reconnectDelayMs(attempt, settings, settings.random);
      changeState({ state: 'reconnecting', attempt, delayMs, error: lastError });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        wakeFromWait = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeFromWait = undefined;
      if (stopping) return;
      try {
        const subscription = await subscribe(subscribeOptions);
        if (stopping) {
          subscription.open = false;
          await withTimeout(subscription.channel.close(), timeoutMs, `${OWNER}: closing the channel`).catch(() => undefined);
          return;
        }
        current = subscription;
        counts.reconnects++;
        changeState({ state: 'consuming' });
        return;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
        logger.warn('could not consume again', { attempt, error: lastError });
        if (connectionGone(error, connection)) {
          return end(new Error(`${OWNER}: the connection closed and does not recover (${lastError.message}); open it with amqplib's recovery option, connect(url, { recovery: {} }), for the consumer to resume`, { cause: error }));
        }
      }
    }
    end(new Error(`${OWNER}: gave up consuming queue ${queue} again after ${settings.maxAttempts} attempts: ${lastError.message}`, { cause: lastError }));
  }

  const waiting: Array<() => void> = [];
  const heldForRequeue = new Map<Delivery, NodeJS.Timeout>();
  let idle: (() => void) | undefined;

  function settle(delivery: Delivery, how: 'ack' | 'requeue'): void {
    if (delivery.settled) return;
    delivery.settled = true;
    counts.inFlight--;
    try {
      if (!delivery.subscription.open) throw new Error('channel closed');
      if (how === 'ack') {
        delivery.subscription.channel.ack(delivery.message);
        counts.acked++;
      } else {
        delivery.subscription.channel.nack(delivery.message, false, true);
        counts.requeued++;
      }
    } catch (error) {
      // The broker returns it to the queue with the channel; an acknowledged effect comes back as a duplicate.
      counts.unsettled++;
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
        await deadLetters.publish(delivery.message, 'malformed-json', 'body is not valid UTF-8');
        logger.error('poison message sent to the dead-letter exchange', { reason: 'malformed-json', error: 'body is not valid UTF-8', deliveryTag: delivery.message.fields.deliveryTag });
        settle(delivery, 'ack');
        return;
      }
      const record = amqpRecord(delivery.message, body, queue, receivedAtMs);
      const response = await delivering.run(delivery, () => handler({ Records: [record] }));
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

  current = await subscribe(subscribeOptions);
  changeState({ state: 'consuming' });

  let stopped: Promise<{ readonly drained: boolean; readonly abandoned: number }> | undefined;
  async function stop(stopTimeoutMs: number): Promise<{ readonly drained: boolean; readonly abandoned: number }> {
    const ended = state === 'failed';
    stopping = true;
    if (!ended) changeState({ state: 'stopping' });
    wakeFromWait?.();
    const deadline = Date.now() + stopTimeoutMs;
    const subscription = current;
    if (subscription?.open) {
      await withTimeout(subscription.channel.cancel(subscription.consumerTag), Math.max(1, deadline - Date.now()), `${OWNER}: cancelling the consumer`).catch(() => undefined);
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
    if (subscription?.open) {
      subscription.open = false;
      await withTimeout(subscription.channel.close(), timeoutMs, `${OWNER}: closing the channel`).catch(() => undefined);
    }
    current = undefined;
    deadLetterSink.destroy();
    if (abandoned > 0) logger.warn('stopped with messages unsettled: the broker delivers them again', { abandoned });
    end(undefined);
    return { drained: abandoned === 0, abandoned };
  }

  return {
    queue,
    get consumerTag() {
      return current?.consumerTag ?? '';
    },
    stats: () => ({
      delivered: counts.delivered, acked: counts.acked, deadLettered: deadLetters.confirmed, requeued: counts.requeued, unsettled: counts.unsettled,
      inFlight: counts.inFlight, maxInFlight: counts.maxInFlight, maxRunning: counts.maxRunning, reconnects: counts.reconnects,
    }),
    state: () => state,
    closed,
    stop(stopOptions = {}) {
      const stopTimeoutMs = integerInRange(`${OWNER} stop`, 'timeoutMs', stopOptions.timeoutMs, 30_000, 0, 900_000);
      stopped ??= stop(stopTimeoutMs);
      return stopped;
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
