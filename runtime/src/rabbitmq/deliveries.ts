import type { ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.js';
import type { Subscription } from './subscription.js';
import type { Timer } from './timer.js';
import { withTimeout } from './timeout.js';

/** A message the broker delivered to `consumeRabbitMq`, until it is acknowledged or returned. */
export interface Delivery {
  readonly message: ConsumeMessage;
  /** Acknowledged or returned on the channel that delivered it, never another (delivery tags are per channel). */
  readonly subscription: Subscription;
  settled: boolean;
}

/**
 * The messages delivered and not yet settled, and how each is settled: `ack`, or returned to the
 * queue (`nack` with requeue) at once or after the requeue delay. A settlement its channel can no
 * longer send is counted as unsettled: the broker delivers that message again.
 */
export class Deliveries {
  delivered = 0;
  acked = 0;
  requeued = 0;
  unsettled = 0;
  inFlight = 0;
  maxInFlight = 0;
  private readonly held = new Map<Delivery, () => void>();
  private idle: (() => void) | undefined;

  constructor(private readonly requeueDelayMs: number, private readonly timer: Timer, private readonly logger: Logger) {}

  received(subscription: Subscription, message: ConsumeMessage): Delivery {
    this.delivered++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return { message, subscription, settled: false };
  }

  settle(delivery: Delivery, how: 'ack' | 'requeue'): void {
    if (delivery.settled) return;
    delivery.settled = true;
    this.inFlight--;
    try {
      if (!delivery.subscription.open) throw new Error('channel closed');
      if (how === 'ack') {
        delivery.subscription.channel.ack(delivery.message);
        this.acked++;
      } else {
        delivery.subscription.channel.nack(delivery.message, false, true);
        this.requeued++;
      }
    } catch (error) {
      // The broker returns it to the queue with the channel; an acknowledged effect comes back as a duplicate.
      this.unsettled++;
      this.logger.warn('could not settle a message: the channel is closed, the broker delivers it again', { how, deliveryTag: delivery.message.fields.deliveryTag, error });
    }
    if (this.inFlight === 0) this.idle?.();
  }

  /** Returns the message to the queue after the requeue delay; at once when there is none or `now`. */
  requeueLater(delivery: Delivery, now: boolean): void {
    if (this.requeueDelayMs === 0 || now) return this.settle(delivery, 'requeue');
    this.held.set(delivery, this.timer.after(this.requeueDelayMs, () => {
      this.held.delete(delivery);
      this.settle(delivery, 'requeue');
    }));
  }

  /** Returns every message held for its requeue delay now. */
  requeueHeld(): void {
    for (const [delivery, cancel] of this.held) {
      cancel();
      this.held.delete(delivery);
      this.settle(delivery, 'requeue');
    }
  }

  /** Resolves when no message is in flight or after `timeoutMs`, whichever comes first. */
  async drained(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return;
    await withTimeout(new Promise<void>((resolve) => (this.idle = resolve)), timeoutMs, 'draining').catch(() => undefined);
  }
}
