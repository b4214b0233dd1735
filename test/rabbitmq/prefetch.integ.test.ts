/*
 * `prefetch` is the consumer's backpressure, measured on the real broker: with every handler
 * held, the broker delivers exactly `prefetch` messages and keeps the rest ready (its own count of
 * unacknowledged messages, read with rabbitmqctl, agrees); `maxConcurrency` bounds the handlers
 * running; `stop` with a timeout hands unfinished messages back to the queue.
 */
import { connect, type ChannelModel } from 'amqplib';
import { consumeRabbitMq, declareTopology, RabbitMqPublisher } from '@cdk-fanout/runtime/rabbitmq';
import { captureLogs, gate, rabbitmqctl, testRabbitMqControl } from '@cdk-fanout/testing';
import { brokerUrl, describeWithBroker, unique, waitFor } from './support';

const MESSAGES = 60;

describeWithBroker('prefetch bounds the messages in flight', () => {
  let connection: ChannelModel;
  beforeAll(async () => {
    connection = await connect(brokerUrl!);
  });
  afterAll(async () => {
    await connection?.close();
  });

  /** A fresh consumer queue holding MESSAGES envelopes. */
  async function filledQueue(): Promise<string> {
    const name = `prefetch-${unique()}`;
    const exchange = `events-${name}`;
    await declareTopology(connection, { exchanges: [{ name: exchange, type: 'direct' }], consumers: [{ name, bindings: [{ exchange, routingKeys: ['work.requested'] }] }] });
    const publisher = new RabbitMqPublisher({ connection, exchange, source: 'test' });
    const results = await publisher.publishBatch(Array.from({ length: MESSAGES }, (_, i) => ({ type: 'work.requested', data: { i } })));
    expect(results.every((result) => result.ok)).toBe(true);
    await publisher.close();
    return name;
  }

  /**
   * The broker's own counts for `queue`: ready messages (queue.declare-ok) and, from rabbitmqctl,
   * the unacknowledged messages of the channel consuming it (queue statistics lag by seconds,
   * channel ones do not). Undefined when this run did not start the broker.
   */
  async function brokerCounts(queue: string): Promise<{ ready: number; unacked: number } | undefined> {
    const control = testRabbitMqControl();
    if (!control) return undefined;
    const rows = async (args: string[]) => (await rabbitmqctl(control, ['--quiet', '--no-table-headers', ...args])).trim().split('\n').map((line) => line.trim().split('\t'));
    const channelPids = (await rows(['list_consumers', 'queue_name', 'channel_pid'])).filter(([name]) => name === queue).map(([, pid]) => pid);
    const unacked = (await rows(['list_channels', 'pid', 'messages_unacknowledged'])).filter(([pid]) => channelPids.includes(pid)).reduce((sum, [, count]) => sum + Number(count), 0);
    const channel = await connection.createChannel();
    const { messageCount } = await channel.checkQueue(queue);
    await channel.close();
    return { ready: messageCount, unacked };
  }

  test.each([1, 4, 16])('prefetch %i: with every handler held, exactly prefetch messages delivered; the broker agrees', async (prefetch) => {
    const queue = await filledQueue();
    const held = gate();
    let running = 0;
    let maxRunning = 0;
    const consumer = await consumeRabbitMq({
      connection, consumerName: queue, idempotency: false, prefetch, logger: captureLogs().logger,
      handlers: { 'work.requested': { handle: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await held.promise;
        running--;
      } } },
    });
    await waitFor(`${prefetch} handlers running`, () => running === prefetch, 10_000);
    // Time for the broker to send more, if it would.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const whileHeld = consumer.stats();
    const broker = await brokerCounts(queue);
    expect(whileHeld.delivered).toBe(prefetch);
    expect(whileHeld.inFlight).toBe(prefetch);
    if (broker) expect(broker).toEqual({ ready: MESSAGES - prefetch, unacked: prefetch });

    const started = Date.now();
    held.open();
    await waitFor(`all ${MESSAGES} acknowledged`, () => consumer.stats().acked === MESSAGES, 30_000);
    const elapsedMs = Date.now() - started;
    const after = consumer.stats();
    expect(after.maxInFlight).toBe(prefetch);
    expect(maxRunning).toBe(prefetch);
    await consumer.stop({ timeoutMs: 5000 });
    process.stdout.write(`\nprefetch ${prefetch}: handlers held → delivered ${whileHeld.delivered} of ${MESSAGES}, in flight ${whileHeld.inFlight}; broker: ${broker ? `ready ${broker.ready}, unacknowledged ${broker.unacked} (rabbitmqctl)` : 'not measured (broker not started by this run)'}; released → ${MESSAGES} acknowledged in ${elapsedMs} ms, most in flight ${after.maxInFlight}, most handlers running ${maxRunning}\n`);
  });

  test('maxConcurrency below prefetch: prefetch messages delivered, maxConcurrency handlers running', async () => {
    const queue = await filledQueue();
    let running = 0;
    let maxRunning = 0;
    const consumer = await consumeRabbitMq({
      connection, consumerName: queue, idempotency: false, prefetch: 10, maxConcurrency: 3, logger: captureLogs().logger,
      handlers: { 'work.requested': { handle: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
      } } },
    });
    await waitFor(`all ${MESSAGES} acknowledged`, () => consumer.stats().acked === MESSAGES, 30_000);
    const stats = consumer.stats();
    await consumer.stop();
    expect(maxRunning).toBe(3);
    expect(stats.maxRunning).toBe(3);
    expect(stats.maxInFlight).toBeLessThanOrEqual(10);
    process.stdout.write(`\nprefetch 10, maxConcurrency 3: most handlers running ${maxRunning}, most in flight ${stats.maxInFlight}\n`);
  });

  test('stop with a timeout: unfinished messages go back to the queue, nothing is lost', async () => {
    const queue = await filledQueue();
    const held = gate();
    const consumer = await consumeRabbitMq({
      connection, consumerName: queue, idempotency: false, prefetch: 5, logger: captureLogs().logger,
      handlers: { 'work.requested': { handle: () => held.promise } },
    });
    await waitFor('5 in flight', () => consumer.stats().inFlight === 5, 10_000);
    const started = Date.now();
    const stopped = await consumer.stop({ timeoutMs: 300 });
    const stopMs = Date.now() - started;
    expect(stopped).toEqual({ drained: false, abandoned: 5 });
    expect(await consumer.closed).toBeUndefined();
    held.open();
    const channel = await connection.createChannel();
    await waitFor('all messages ready again', async () => (await channel.checkQueue(queue)).messageCount === MESSAGES, 10_000);
    await channel.close();
    expect(stopMs).toBeLessThan(5000);
    process.stdout.write(`\nstop({ timeoutMs: 300 }) with 5 handlers held: returned in ${stopMs} ms, 5 abandoned and back in the queue (${MESSAGES} ready)\n`);
  });
});
