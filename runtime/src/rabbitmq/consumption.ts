/*
 * A running `consumeRabbitMq` consumer, as named steps over its ports: deliver a message to the
 * consumer pipeline and settle it, requeue it later, resume on a new channel after the channel
 * closed, stop within a timeout. The ports (the channel source, the dead-letter exchange, the
 * pipeline, the clock and the timer) are given, so tests can replace them.
 */
import type { ConsumeMessage } from 'amqplib';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { integerInRange } from '../option-range.js';
import { ConsumerLifecycle } from './consumer-lifecycle.js';
import { OWNER, type ConsumerSettings } from './consumer-settings.js';
import type { RunningRabbitMqConsumer } from './consumer.js';
import { Deliveries, type Delivery } from './deliveries.js';
import { HandlerSlots } from './handler-slots.js';
import { amqpRecord } from './record.js';
import { reconnectDelayMs, type ResolvedReconnect } from './reconnect.js';
import type { Subscription, SubscribeOptions } from './subscription.js';
import type { Timer } from './timer.js';
import { withTimeout } from './timeout.js';

/** Where the consumer's channels come from. */
export interface ChannelSource {
  /** A channel consuming the queue (`subscribe`), calling back on each delivery and when it closes. */
  subscribe(events: Pick<SubscribeOptions, 'onMessage' | 'onClose'>): Promise<Subscription>;
  /** Whether a failed attempt to subscribe means no further attempt can succeed (`connectionGone`). */
  isGone(error: unknown): boolean;
}

/** Where poison goes (`DeadLetterExchange`). */
export interface PoisonSink {
  /** Poison copies the broker confirmed. */
  readonly confirmed: number;
  /** Resolves once the broker confirmed the copy; rejects otherwise. */
  publish(message: ConsumeMessage, reason: string, error: string): Promise<void>;
}

/** The `createConsumer` pipeline, one record at a time. */
export interface RecordPipeline {
  /** Runs the record made from `message`; its dead-letter path publishes `message`. */
  run(record: SQSRecord, message: ConsumeMessage): Promise<SQSBatchResponse>;
  /** Releases what the pipeline holds, once the consumer stopped. */
  close(): void;
}

export interface ConsumptionPorts {
  readonly channels: ChannelSource;
  readonly deadLetters: PoisonSink;
  readonly pipeline: RecordPipeline;
  readonly clock: Clock;
  readonly timer: Timer;
}

export class RabbitMqConsumption {
  private current: Subscription | undefined;
  private stopping = false;
  private reconnects = 0;
  private wakeFromWait: (() => void) | undefined;
  private stopped: Promise<{ readonly drained: boolean; readonly abandoned: number }> | undefined;
  private readonly lifecycle: ConsumerLifecycle;
  private readonly deliveries: Deliveries;
  private readonly slots: HandlerSlots;
  private readonly events: Pick<SubscribeOptions, 'onMessage' | 'onClose'> = {
    onMessage: (subscription, message) => void this.process(this.deliveries.received(subscription, message)),
    onClose: (subscription) => this.channelClosed(subscription),
  };

  constructor(private readonly settings: ConsumerSettings, private readonly ports: ConsumptionPorts, private readonly logger: Logger) {
    this.lifecycle = new ConsumerLifecycle(settings.onStateChange, logger);
    this.deliveries = new Deliveries(settings.requeueDelayMs, ports.timer, logger);
    this.slots = new HandlerSlots(settings.maxConcurrency);
  }

  /** The open subscription, if any: where poison copies are published. */
  get subscription(): Subscription | undefined {
    return this.current;
  }

  async start(): Promise<void> {
    this.current = await this.ports.channels.subscribe(this.events);
    this.lifecycle.change({ state: 'consuming' });
  }

  /** The handle `consumeRabbitMq` returns. */
  handle(): RunningRabbitMqConsumer {
    const consumption = this;
    const { deliveries, slots, lifecycle } = this;
    return {
      queue: this.settings.queue,
      get consumerTag() {
        return consumption.current?.consumerTag ?? '';
      },
      stats: () => ({
        delivered: deliveries.delivered, acked: deliveries.acked, deadLettered: this.ports.deadLetters.confirmed, requeued: deliveries.requeued, unsettled: deliveries.unsettled,
        inFlight: deliveries.inFlight, maxInFlight: deliveries.maxInFlight, maxRunning: slots.maxRunning, reconnects: this.reconnects,
      }),
      state: () => lifecycle.state,
      closed: lifecycle.closed,
      stop: (stopOptions = {}) => {
        const stopTimeoutMs = integerInRange(`${OWNER} stop`, 'timeoutMs', stopOptions.timeoutMs, 30_000, 0, 900_000);
        return (this.stopped ??= this.stop(stopTimeoutMs));
      },
    };
  }

  /** One delivery, once a handler slot is free: settled by what the pipeline made of it; returned to the queue later on any failure. */
  private async process(delivery: Delivery): Promise<void> {
    await this.slots.acquire();
    try {
      const settled = await this.handleMessage(delivery.message);
      if (settled === 'ack') this.deliveries.settle(delivery, 'ack');
      else this.deliveries.requeueLater(delivery, this.stopping);
    } catch (error) {
      this.logger.error('message failed outside its handler: returned to the queue', { error, deliveryTag: delivery.message.fields.deliveryTag });
      this.deliveries.requeueLater(delivery, this.stopping);
    } finally {
      this.slots.release();
    }
  }

  /** `ack` when the message ended (processed, duplicate, skipped, poison confirmed in the dead-letter exchange); `requeue` when it may succeed later. */
  private async handleMessage(message: ConsumeMessage): Promise<'ack' | 'requeue'> {
    const receivedAtMs = this.ports.clock.now();
    let body: string;
    try {
      body = UTF8.decode(message.content);
    } catch {
      // SQS bodies are always valid Unicode, so the pipeline never sees such a body; it is poison here.
      await this.ports.deadLetters.publish(message, 'malformed-json', 'body is not valid UTF-8');
      this.logger.error('poison message sent to the dead-letter exchange', { reason: 'malformed-json', error: 'body is not valid UTF-8', deliveryTag: message.fields.deliveryTag });
      return 'ack';
    }
    const response = await this.ports.pipeline.run(amqpRecord(message, body, this.settings.queue, receivedAtMs), message);
    return response.batchItemFailures.length === 0 ? 'ack' : 'requeue';
  }

  /** The current channel closed: resume on a new one, or end (stopping, the broker cancelled the consumer, `reconnect` off). */
  private channelClosed(subscription: Subscription): void {
    if (subscription !== this.current) return;
    this.current = undefined;
    if (this.stopping) return;
    const error = subscription.error ?? new Error(`${OWNER}: the channel of queue ${this.settings.queue} closed`);
    if (subscription.cancelled || !this.settings.reconnect) return this.lifecycle.end(error);
    this.logger.warn('the channel closed: consuming again on a new one', { error });
    void this.resume(this.settings.reconnect, error);
  }

  /** Attempts to consume on a new channel, waiting `reconnectDelayMs` before each, until one succeeds, `stop`, or no attempt can. */
  private async resume(reconnect: ResolvedReconnect, closedBy: Error): Promise<void> {
    let lastError = closedBy;
    for (let attempt = 1; attempt <= reconnect.maxAttempts; attempt++) {
      const delayMs = reconnectDelayMs(attempt, reconnect, reconnect.random);
      this.lifecycle.change({ state: 'reconnecting', attempt, delayMs, error: lastError });
      await this.wait(delayMs);
      if (this.stopping) return;
      try {
        const subscription = await this.ports.channels.subscribe(this.events);
        if (this.stopping) return await this.close(subscription);
        this.current = subscription;
        this.reconnects++;
        this.lifecycle.change({ state: 'consuming' });
        return;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
        this.logger.warn('could not consume again', { attempt, error: lastError });
        if (this.ports.channels.isGone(error)) {
          return this.lifecycle.end(new Error(`${OWNER}: the connection closed and does not recover (${lastError.message}); open it with amqplib's recovery option, connect(url, { recovery: {} }), for the consumer to resume`, { cause: error }));
        }
      }
    }
    this.lifecycle.end(new Error(`${OWNER}: gave up consuming queue ${this.settings.queue} again after ${reconnect.maxAttempts} attempts: ${lastError.message}`, { cause: lastError }));
  }

  /** Waits `ms`, or until `stop` wakes it. */
  private async wait(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const cancel = this.ports.timer.after(ms, resolve);
      this.wakeFromWait = () => {
        cancel();
        resolve();
      };
    });
    this.wakeFromWait = undefined;
  }

  /**
   * Cancels the subscription, returns the messages held for their requeue delay, waits up to
   * `stopTimeoutMs` in all for the rest to settle, then closes the channel (the broker returns
   * what is still unsettled) and ends the consumer.
   */
  private async stop(stopTimeoutMs: number): Promise<{ readonly drained: boolean; readonly abandoned: number }> {
    const failed = this.lifecycle.state === 'failed';
    this.stopping = true;
    if (!failed) this.lifecycle.change({ state: 'stopping' });
    this.wakeFromWait?.();
    const deadline = this.ports.clock.now() + stopTimeoutMs;
    const left = () => Math.max(1, deadline - this.ports.clock.now());
    const subscription = this.current;
    if (subscription?.open) {
      await withTimeout(subscription.channel.cancel(subscription.consumerTag), left(), `${OWNER}: cancelling the consumer`).catch(() => undefined);
    }
    this.deliveries.requeueHeld();
    await this.deliveries.drained(left());
    const abandoned = this.deliveries.inFlight;
    if (subscription?.open) await this.close(subscription);
    this.current = undefined;
    this.ports.pipeline.close();
    if (abandoned > 0) this.logger.warn('stopped with messages unsettled: the broker delivers them again', { abandoned });
    this.lifecycle.end(undefined);
    return { drained: abandoned === 0, abandoned };
  }

  private async close(subscription: Subscription): Promise<void> {
    subscription.open = false;
    await withTimeout(subscription.channel.close(), this.settings.timeoutMs, `${OWNER}: closing the channel`).catch(() => undefined);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
