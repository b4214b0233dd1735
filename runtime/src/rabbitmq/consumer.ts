import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { systemClock } from '../clock.js';
import { createConsumer } from '../consumer.js';
import type { CreateConsumerOptions } from '../consumer-options.js';
import { createJsonLogger, withFields } from '../logger.js';
import { resolveConsumerSettings } from './consumer-settings.js';
import { RabbitMqConsumption } from './consumption.js';
import { DeadLetterExchange } from './dead-letter-exchange.js';
import { connectionGone, type RabbitMqReconnectOptions } from './reconnect.js';
import { subscribe } from './subscription.js';
import { systemTimer } from './timer.js';

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

/** The `deadLetterQueueUrl` createConsumer is given; its poison sends never leave the process. */
const SINK_URL_PREFIX = 'amqp-dead-letter-exchange:';

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
  const settings = resolveConsumerSettings(options as ConsumeRabbitMqOptions);
  const { connection, queue, deadLetterExchange, prefetch, timeoutMs } = settings;
  const logger = withFields(options.logger ?? createJsonLogger(), { queue });

  // The pipeline's dead-letter path stays in the process: its SendMessage becomes a confirmed publish.
  const delivering = new AsyncLocalStorage<ConsumeMessage>();
  const deadLetters = new DeadLetterExchange(deadLetterExchange, timeoutMs, () => consumption.subscription);
  const deadLetterSink = deadLetters.sqsClient(() => delivering.getStore());
  const handler = createConsumer({
    ...(options as CreateConsumerOptions<H>),
    logger,
    deadLetterQueueUrl: `${SINK_URL_PREFIX}${deadLetterExchange}`,
    sqsClient: deadLetterSink,
    maxConcurrency: 1,
  });

  const consumption: RabbitMqConsumption = new RabbitMqConsumption(settings, {
    channels: {
      subscribe: (events) => subscribe({ connection, queue, deadLetterExchange, prefetch, timeoutMs, logger, ...events }),
      isGone: (error) => connectionGone(error, connection),
    },
    deadLetters,
    pipeline: {
      run: (record, message) => delivering.run(message, () => handler({ Records: [record] })),
      close: () => deadLetterSink.destroy(),
    },
    clock: systemClock,
    timer: systemTimer,
  }, logger);
  await consumption.start();
  return consumption.handle();
}
