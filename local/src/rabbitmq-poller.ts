import { setTimeout as delay } from 'node:timers/promises';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { LocalFunction } from './lambda-function';
import { lambdaRabbitMqMessage, virtualHostUrl, type LocalRabbitMqEventSource } from './rabbitmq-source';

/** What one RabbitMQ event source mapping did, for progress reports and tests. */
export interface RabbitMqPollerStats {
  /** Messages the broker delivered (a redelivered batch counts again). */
  received: number;
  invocations: number;
  /** Messages acknowledged after their invocation returned. */
  acked: number;
  /** Messages returned to the queue (`nack` with requeue) because their invocation failed. */
  requeued: number;
  /** Invocations that threw, crashed or timed out: their whole batch went back to the queue. */
  failedInvocations: number;
  /** Subscriptions opened again after the broker closed the channel or the connection. */
  reconnects: number;
}

/** Between two attempts to reach the broker again; a local broker restarts in seconds. */
const RECONNECT_WAIT_MS = 1000;
/** Each wait for the broker: connecting, opening the channel, checking the queue, consuming, closing. */
const BROKER_TIMEOUT_MS = 10_000;

/** One subscription: the connection, its channel, and the messages delivered and not yet in a batch. */
interface Subscription {
  readonly connection: ChannelModel;
  readonly channel: Channel;
  readonly buffer: ConsumeMessage[];
  open: boolean;
  consumerTag?: string;
}

/**
 * Runs one Amazon MQ for RabbitMQ event source mapping the way Lambda does, against a RabbitMQ
 * broker given to the local deployment: one poller per mapping (one invocation at a time),
 * batches of up to `batchSize` messages gathered for at most the batching window after the first,
 * Lambda's `aws:rmq` event (`rmqMessagesByQueue` keyed `<queue>::<virtual host>`), then every
 * message of the batch acknowledged when the invocation returned, or returned to the queue
 * (`nack` with requeue) when it threw, crashed or timed out: there is no partial batch response,
 * and the queue's `x-delivery-limit` dead-letters a message whose batch keeps failing. When the
 * broker goes away the poller subscribes again once it is back; what was delivered and not
 * acknowledged is delivered again by the broker.
 */
export class RabbitMqPoller {
  readonly stats: RabbitMqPollerStats = { received: 0, invocations: 0, acked: 0, requeued: 0, failedInvocations: 0, reconnects: 0 };
  private running = false;
  private loop?: Promise<void>;
  private current?: Subscription;
  private wake?: () => void;

  constructor(
    readonly mapping: LocalRabbitMqEventSource,
    private readonly fn: LocalFunction,
    private readonly brokerUrl: string,
  ) {}

  /** Subscribes to the queue (refusing, in one line, a queue the broker does not have) and starts polling. */
  async start(): Promise<void> {
    if (this.running) return;
    this.current = await this.subscribe();
    this.running = true;
    this.loop = this.poll();
  }

  /** Lets the invocation under way finish, then closes the subscription: messages not acknowledged go back to the queue. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.close(this.current);
    this.current = undefined;
  }

  private get where(): string {
    const { host } = new URL(this.brokerUrl);
    return `queue ${JSON.stringify(this.mapping.queue)} in virtual host ${JSON.stringify(this.mapping.virtualHost)} at ${host}`;
  }

  private async subscribe(): Promise<Subscription> {
    const what = `local RabbitMQ event source ${this.mapping.logicalId}`;
    const connection = await connect(virtualHostUrl(this.brokerUrl, this.mapping.virtualHost), { timeout: BROKER_TIMEOUT_MS }).catch((error: Error) => {
      throw new Error(`${what}: cannot connect to the broker for ${this.where}: ${error.message}`, { cause: error });
    });
    // Reported through the channel's close; without a listener an 'error' event would end the process.
    connection.on('error', () => undefined);
    try {
      return await answered(this.consume(connection, what), `${what}: subscribing to ${this.where}`);
    } catch (error) {
      await answered(connection.close(), `${what}: closing the connection`).catch(() => undefined);
      throw error;
    }
  }

  /** Opens a channel on `connection`, checks the queue, and consumes it with a prefetch of one batch. */
  private async consume(connection: ChannelModel, what: string): Promise<Subscription> {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await channel.checkQueue(this.mapping.queue).catch((error: Error) => {
      throw new Error(`${what}: the broker has no ${this.where} (${error.message.split(';')[0]}); declare it first (fanout rabbitmq declare, or declareTopology)`, { cause: error });
    });
    const subscription: Subscription = { connection, channel, buffer: [], open: true };
    channel.on('close', () => {
      subscription.open = false;
      this.wake?.();
    });
    // No more than a batch delivered and not acknowledged: the next batch waits for this one, as with one Lambda poller.
    await channel.prefetch(this.mapping.batchSize);
    const { consumerTag } = await channel.consume(this.mapping.queue, (message) => {
      if (message === null) {
        void channel.close().catch(() => undefined);
        return;
      }
      subscription.buffer.push(message);
      this.wake?.();
    }, { noAck: false });
    subscription.consumerTag = consumerTag;
    return subscription;
  }

  private async close(subscription: Subscription | undefined): Promise<void> {
    if (!subscription) return;
    subscription.open = false;
    await answered(subscription.connection.close(), `local RabbitMQ event source ${this.mapping.logicalId}: closing the connection`).catch(() => undefined);
  }

  private async poll(): Promise<void> {
    while (this.running) {
      const subscription = this.current;
      if (!subscription?.open) {
        await this.resubscribe(subscription);
        continue;
      }
      const batch = await this.nextBatch(subscription);
      if (batch.length > 0) await this.invoke(subscription, batch);
    }
  }

  private async resubscribe(closed: Subscription | undefined): Promise<void> {
    await this.close(closed);
    this.current = undefined;
    await this.sleep(RECONNECT_WAIT_MS);
    if (!this.running) return;
    try {
      this.current = await this.subscribe();
      this.stats.reconnects++;
    } catch (error) {
      process.emitWarning(`local RabbitMQ event source ${this.mapping.logicalId}: ${(error as Error).message}; trying again`);
    }
  }

  /** Up to `batchSize` messages: waits for the first, then at most the batching window for more. */
  private async nextBatch(subscription: Subscription): Promise<ConsumeMessage[]> {
    const { batchSize, maxBatchingWindowSeconds } = this.mapping;
    while (this.running && subscription.open && subscription.buffer.length === 0) await this.sleep(1000);
    const deadline = Date.now() + maxBatchingWindowSeconds * 1000;
    while (this.running && subscription.open && subscription.buffer.length < batchSize && Date.now() < deadline) {
      await this.sleep(deadline - Date.now());
    }
    // Stopping, or the channel closed: what is buffered goes back to the queue with the channel.
    if (!this.running || !subscription.open) return [];
    return subscription.buffer.splice(0, batchSize);
  }

  private async invoke(subscription: Subscription, batch: readonly ConsumeMessage[]): Promise<void> {
    this.stats.received += batch.length;
    this.stats.invocations++;
    const event = {
      eventSource: 'aws:rmq',
      eventSourceArn: this.mapping.brokerArn,
      rmqMessagesByQueue: { [`${this.mapping.queue}::${this.mapping.virtualHost}`]: batch.map(lambdaRabbitMqMessage) },
    };
    const result = await this.fn.invoke(event);
    const succeeded = result.kind === 'returned';
    if (!succeeded) this.stats.failedInvocations++;
    if (!subscription.open) return; // The broker delivers the batch again on the next subscription.
    for (const message of batch) {
      try {
        if (succeeded) subscription.channel.ack(message);
        else subscription.channel.nack(message, false, true);
      } catch {
        // The channel closed meanwhile: the broker delivers the message again.
        continue;
      }
      if (succeeded) this.stats.acked++;
      else this.stats.requeued++;
    }
  }

  /** Resolves after `ms`, or sooner on a delivery, a closed channel or stop(). */
  private async sleep(ms: number): Promise<void> {
    const woken = new Promise<void>((resolve) => (this.wake = resolve));
    const controller = new AbortController();
    await Promise.race([woken, delay(Math.max(0, ms), undefined, { signal: controller.signal }).catch(() => undefined)]);
    controller.abort();
    this.wake = undefined;
  }
}

/** What `operation` gives, or an error naming `what` once the broker has not answered within BROKER_TIMEOUT_MS. */
async function answered<T>(operation: Promise<T>, what: string): Promise<T> {
  const controller = new AbortController();
  const timedOut = delay(BROKER_TIMEOUT_MS, undefined, { signal: controller.signal }).then(() => {
    throw new Error(`${what}: the broker did not answer within ${BROKER_TIMEOUT_MS} ms`);
  });
  try {
    return await Promise.race([operation, timedOut]);
  } finally {
    controller.abort();
    timedOut.catch(() => undefined);
  }
}
