/*
 * The orchestration of consumeRabbitMq over its ports, no broker: resuming after the channel
 * closed, stop waking a reconnection wait, the requeue delay. The channel source, timer and
 * pipeline are test stand-ins because these tests need the waits to run on command (the broker
 * tests in this folder cover the same steps against a real RabbitMQ, with real timers).
 */
import type { ConsumeMessage } from 'amqplib';
import type { SQSBatchResponse } from 'aws-lambda';
import { captureLogs } from '@cdk-fanout/testing';
import type { RabbitMqConsumerStateChange } from '@cdk-fanout/runtime/rabbitmq';
import { RabbitMqConsumption, type ChannelSource } from '../../runtime/src/rabbitmq/consumption';
import type { ConsumerSettings } from '../../runtime/src/rabbitmq/consumer-settings';
import type { Subscription, SubscribeOptions } from '../../runtime/src/rabbitmq/subscription';

function fakeSubscription(settled: string[]): Subscription {
  const channel = {
    ack: (message: ConsumeMessage) => settled.push(`ack ${message.fields.deliveryTag}`),
    nack: (message: ConsumeMessage) => settled.push(`nack ${message.fields.deliveryTag}`),
    cancel: async () => ({}),
    close: async () => undefined,
  };
  return { channel, consumerTag: 'c-1', open: true, returned: false, cancelled: false } as unknown as Subscription;
}

function message(deliveryTag: number): ConsumeMessage {
  return { content: Buffer.from('{}'), fields: { deliveryTag, redelivered: false, exchange: '', routingKey: 'q', consumerTag: 'c-1' }, properties: { headers: {} } } as unknown as ConsumeMessage;
}

/** Runs each wait only when the test says so. */
function manualTimer() {
  const pending: { ms: number; run: () => void; cancelled: boolean }[] = [];
  return {
    pending,
    after(ms: number, run: () => void) {
      const entry = { ms, run, cancelled: false };
      pending.push(entry);
      return () => (entry.cancelled = true);
    },
    fireAll() {
      for (const entry of pending.splice(0)) if (!entry.cancelled) entry.run();
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function consumption(channels: ChannelSource, options: { reconnect?: boolean; failures?: number } = {}) {
  const timer = manualTimer();
  const changes: RabbitMqConsumerStateChange[] = [];
  const settings: ConsumerSettings = {
    connection: {} as ConsumerSettings['connection'], consumerName: 'billing', queue: 'billing', deadLetterExchange: 'billing.dlx',
    prefetch: 10, maxConcurrency: 2, requeueDelayMs: 500, timeoutMs: 1000,
    reconnect: options.reconnect === false ? undefined : { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 1000, random: () => 0 },
    onStateChange: (change) => changes.push(change),
  };
  let failures = options.failures ?? 0;
  const pipeline = {
    run: async (): Promise<SQSBatchResponse> => ({ batchItemFailures: failures-- > 0 ? [{ itemIdentifier: 'x' }] : [] }),
    close: () => undefined,
  };
  const running = new RabbitMqConsumption(settings, { channels, deadLetters: { confirmed: 0, publish: async () => undefined }, pipeline, clock: { now: () => 0 }, timer }, captureLogs().logger);
  return { running, timer, changes };
}

test('a closed channel: waits, retries until a new channel consumes, counts the reconnection', async () => {
  const settled: string[] = [];
  const events: Pick<SubscribeOptions, 'onMessage' | 'onClose'>[] = [];
  let calls = 0;
  const first = fakeSubscription(settled);
  const channels: ChannelSource = {
    subscribe: async (on) => {
      events.push(on);
      calls++;
      if (calls === 1) return first;
      if (calls <= 3) throw new Error(`attempt ${calls - 1} refused`);
      return fakeSubscription(settled);
    },
    isGone: () => false,
  };
  const { running, timer, changes } = consumption(channels);
  await running.start();
  const handle = running.handle();
  first.open = false;
  first.error = new Error('channel lost');
  events[0].onClose(first);
  for (let attempt = 1; attempt <= 3; attempt++) {
    await flush();
    expect(timer.pending.map((entry) => entry.ms)).toEqual([[50, 100, 200][attempt - 1]]);
    timer.fireAll();
    await flush();
  }
  expect(changes.map((change) => `${change.state}${change.attempt ?? ''}${change.error ? `: ${change.error.message}` : ''}`)).toEqual([
    'consuming', 'reconnecting1: channel lost', 'reconnecting2: attempt 1 refused', 'reconnecting3: attempt 2 refused', 'consuming',
  ]);
  expect(handle.stats().reconnects).toBe(1);
  expect(handle.state()).toBe('consuming');
});

test('stop during a reconnection wait wakes it: no further attempt, the consumer ends stopped', async () => {
  const settled: string[] = [];
  const first = fakeSubscription(settled);
  let onClose: ((subscription: Subscription) => void) | undefined;
  const subscribe = jest.fn(async (on: Pick<SubscribeOptions, 'onMessage' | 'onClose'>) => ((onClose = on.onClose), first));
  const { running, timer, changes } = consumption({ subscribe, isGone: () => false });
  await running.start();
  const handle = running.handle();
  first.open = false;
  onClose?.(first);
  expect(timer.pending).toHaveLength(1);
  await expect(handle.stop({ timeoutMs: 100 })).resolves.toEqual({ drained: true, abandoned: 0 });
  await flush();
  expect(subscribe).toHaveBeenCalledTimes(1);
  expect(timer.pending[0].cancelled).toBe(true);
  await expect(handle.closed).resolves.toBeUndefined();
  expect(changes.map((change) => change.state)).toEqual(['consuming', 'reconnecting', 'stopping', 'stopped']);
});

test('a failed message is held for the requeue delay, then returned; stop returns a held one at once', async () => {
  const settled: string[] = [];
  const subscription = fakeSubscription(settled);
  let onMessage: SubscribeOptions['onMessage'] | undefined;
  const { running, timer } = consumption({ subscribe: async (on) => ((onMessage = on.onMessage), subscription), isGone: () => false }, { failures: 2 });
  await running.start();
  const handle = running.handle();
  onMessage?.(subscription, message(1));
  await flush();
  expect(settled).toEqual([]);
  expect(timer.pending.map((entry) => entry.ms)).toEqual([500]);
  timer.fireAll();
  expect(settled).toEqual(['nack 1']);
  onMessage?.(subscription, message(2));
  onMessage?.(subscription, message(3));
  await flush();
  expect(settled).toEqual(['nack 1', 'ack 3']);
  await expect(handle.stop({ timeoutMs: 100 })).resolves.toEqual({ drained: true, abandoned: 0 });
  expect(settled).toEqual(['nack 1', 'ack 3', 'nack 2']);
  expect(handle.stats()).toMatchObject({ delivered: 3, acked: 1, requeued: 2, inFlight: 0, maxRunning: 2 });
});
