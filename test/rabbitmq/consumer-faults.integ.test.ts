/*
 * consumeRabbitMq when the broker's side is wrong or goes away: a poison copy the dead-letter
 * exchange cannot route is never acknowledged (the message waits in the queue until the DLQ is
 * bound again), a consumer the broker cancels settles `closed` with the reason, and so does one
 * whose connection closed for good; one whose channel alone closed consumes again on a new one,
 * and stop() ends a wait to reconnect at once.
 */
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { consumeRabbitMq, declareTopology, rabbitMqNames, RabbitMqPublisher, type RabbitMqConsumerStateChange } from '@cdk-fanout/runtime/rabbitmq';
import { captureLogs } from '@cdk-fanout/testing';
import { brokerUrl, describeWithBroker, drainQueue, unique, waitFor } from './support';

describeWithBroker('consumer faults on RabbitMQ', () => {
  let connection: ChannelModel;
  beforeAll(async () => {
    connection = await connect(brokerUrl!);
  });
  afterAll(async () => {
    await connection?.close();
  });

  async function consumerQueue(): Promise<{ name: string; exchange: string }> {
    const name = `faulty-${unique()}`;
    const exchange = `events-${name}`;
    await declareTopology(connection, { exchanges: [{ name: exchange, type: 'topic' }], consumers: [{ name, bindings: [{ exchange, routingKeys: ['#'] }] }] });
    return { name, exchange };
  }

  test('a dead-letter exchange that routes nowhere: the poison is not acknowledged, and reaches the DLQ once it is bound again', async () => {
    const { name, exchange } = await consumerQueue();
    const names = rabbitMqNames(name);
    const admin = await connection.createConfirmChannel();
    await admin.unbindQueue(names.deadLetterQueue, names.deadLetterExchange, '');
    admin.publish(exchange, 'order.created', Buffer.from('not json'), { messageId: 'poison-1' });
    await admin.waitForConfirms();
    const logs = captureLogs();
    const consumer = await consumeRabbitMq({ connection, consumerName: name, idempotency: false, requeueDelayMs: 100, logger: logs.logger, handlers: {} });
    const refused = () => logs.lines.filter((line) => line.message === 'poison message could not be sent to the dead-letter queue: will be retried');
    await waitFor('a refused poison copy', () => refused().length >= 1, 10_000);
    expect(String(refused()[0].fields.sendError)).toContain(`exchange "${names.deadLetterExchange}" routed the poison copy to no queue; bind its dead-letter queue (declareTopology does)`);
    expect(consumer.stats().acked).toBe(0);

    await admin.bindQueue(names.deadLetterQueue, names.deadLetterExchange, '');
    await waitFor('the poison copy in the DLQ', async () => (await admin.checkQueue(names.deadLetterQueue)).messageCount === 1, 10_000);
    await waitFor('the poison acknowledged', () => consumer.stats().acked === 1, 10_000);
    const [copy] = await drainQueue(admin, names.deadLetterQueue);
    expect(copy.properties.headers).toMatchObject({ 'fanout.reason': 'malformed-json' });
    expect(copy.properties.messageId).toBe('poison-1');
    const stats = consumer.stats();
    await consumer.stop();
    await admin.close();
    process.stdout.write(`\nunbound DLQ: ${refused().length} poison copies refused as unroutable and the message returned ${stats.requeued} times, none acknowledged; bound again: 1 copy in the DLQ, then acknowledged\n`);
  });

  test('the broker cancels the consumer (its queue is deleted): closed settles with the reason', async () => {
    const { name } = await consumerQueue();
    const consumer = await consumeRabbitMq({ connection, consumerName: name, idempotency: false, logger: captureLogs().logger, handlers: {} });
    const admin = await connection.createChannel();
    await admin.deleteQueue(name);
    const reason = await Promise.race([consumer.closed, new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref())]);
    expect(reason).toEqual(new Error(`consumeRabbitMq: the broker cancelled the consumer of queue ${name}`));
    await expect(consumer.stop({ timeoutMs: 1000 })).resolves.toEqual({ drained: true, abandoned: 0 });
    await admin.close();
  });

  test('its connection closes and was opened without amqplib recovery: the consumer ends, saying how to make it resume', async () => {
    const { name } = await consumerQueue();
    const own = await connect(brokerUrl!);
    const states: string[] = [];
    const consumer = await consumeRabbitMq({ connection: own, consumerName: name, idempotency: false, logger: captureLogs().logger, handlers: {}, reconnect: { initialDelayMs: 10 }, onStateChange: (change) => states.push(change.state) });
    await own.close();
    const reason = await Promise.race([consumer.closed, new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref())]);
    expect(String(reason)).toMatch(/^Error: consumeRabbitMq: the connection closed and does not recover \(.+\); open it with amqplib's recovery option, connect\(url, \{ recovery: \{\} \}\), for the consumer to resume$/);
    expect(states).toEqual(['consuming', 'reconnecting', 'failed']);
    expect(consumer.state()).toBe('failed');
    await expect(consumer.stop({ timeoutMs: 1000 })).resolves.toEqual({ drained: true, abandoned: 0 });
  });

  /** The connection, with the consumer's confirm channel kept, so a test can close that channel alone. */
  function watchedConnection() {
    const channels: ConfirmChannel[] = [];
    const watched = {
      createChannel: () => connection.createChannel(),
      createConfirmChannel: async () => {
        const channel = await connection.createConfirmChannel();
        channels.push(channel);
        return channel;
      },
    };
    return { watched, channels };
  }

  test('its channel closes while the connection stays: it consumes again on a new channel', async () => {
    const { name, exchange } = await consumerQueue();
    const { watched, channels } = watchedConnection();
    const states: RabbitMqConsumerStateChange[] = [];
    const handled: string[] = [];
    const consumer = await consumeRabbitMq({
      connection: watched, consumerName: name, idempotency: false, logger: captureLogs().logger, reconnect: { initialDelayMs: 10 },
      onStateChange: (change) => states.push(change),
      handlers: { 'order.created': { handle: (_data, ctx) => void handled.push(ctx.envelope.id) } },
    });
    await channels[0].close();
    await waitFor('consuming again', () => consumer.state() === 'consuming' && consumer.stats().reconnects === 1, 10_000);
    const publisher = new RabbitMqPublisher({ connection, exchange, source: 'test' });
    await publisher.publish('order.created', { orderId: 'o-1' }, { id: 'after-reconnect' });
    await waitFor('the message handled on the new channel', () => handled.includes('after-reconnect'), 10_000);
    expect(states.map((change) => change.state)).toEqual(['consuming', 'reconnecting', 'consuming']);
    expect(states[1]).toMatchObject({ attempt: 1, delayMs: expect.any(Number) });
    expect(channels).toHaveLength(2);
    await expect(consumer.stop({ timeoutMs: 1000 })).resolves.toEqual({ drained: true, abandoned: 0 });
    await expect(consumer.closed).resolves.toBeUndefined();
    await publisher.close();
  });

  test('stop() while it waits to reconnect: it stops at once and never reconnects', async () => {
    const { name } = await consumerQueue();
    const { watched, channels } = watchedConnection();
    const consumer = await consumeRabbitMq({ connection: watched, consumerName: name, idempotency: false, logger: captureLogs().logger, reconnect: { initialDelayMs: 60_000 }, handlers: {} });
    await channels[0].close();
    await waitFor('reconnecting', () => consumer.state() === 'reconnecting', 10_000);
    const started = Date.now();
    await expect(consumer.stop({ timeoutMs: 5000 })).resolves.toEqual({ drained: true, abandoned: 0 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(consumer.state()).toBe('stopped');
    await expect(consumer.closed).resolves.toBeUndefined();
    expect(channels).toHaveLength(1);
  });
});
