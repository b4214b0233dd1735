/*
 * RabbitMqPublisher when the broker closes its channel mid-stream (a real channel error: the
 * broker answers an acknowledgement of an unknown delivery tag with 406 and closes the channel,
 * failing every publish waiting for its confirm). The publisher retries on a new channel; no
 * message ever reaches the queue more than maxAttempts times, and none it reported confirmed is
 * missing.
 */
import { connect, type ChannelModel, type ConfirmChannel, type Message } from 'amqplib';
import { declareTopology, RabbitMqPublisher } from '@cdk-fanout/runtime/rabbitmq';
import { brokerUrl, describeWithBroker, drainQueue, unique, waitFor } from './support';

const MESSAGES = 300;

describeWithBroker('publisher under a broker that closes the channel mid-stream', () => {
  let connection: ChannelModel;
  beforeAll(async () => {
    connection = await connect(brokerUrl!);
  });
  afterAll(async () => {
    await connection?.close();
  });

  test.each([3, 1])('maxAttempts %i: at most maxAttempts copies of any message, every confirmed one delivered', async (maxAttempts) => {
    const name = `faults-${unique()}`;
    const exchange = `events-${name}`;
    await declareTopology(connection, { exchanges: [{ name: exchange, type: 'topic' }], consumers: [{ name, bindings: [{ exchange, routingKeys: ['#'] }] }] });
    // The publisher's channels, as it opens them.
    const channels: ConfirmChannel[] = [];
    const watched = {
      createConfirmChannel: async () => {
        const channel = await connection.createConfirmChannel();
        channels.push(channel);
        return channel;
      },
    };
    const publisher = new RabbitMqPublisher({ connection: watched, exchange, source: 'test', maxAttempts, retryBaseDelayMs: 5, timeoutMs: 5000 });
    // Every 15 ms the broker closes the publisher's current channel.
    let closes = 0;
    let faulting = true;
    const faults = (async () => {
      while (faulting) {
        await new Promise((resolve) => setTimeout(resolve, 15));
        const channel = channels.at(-1);
        if (!channel || !faulting) continue;
        try {
          channel.ack({ fields: { deliveryTag: 999_999 } } as Message);
          closes++;
        } catch {
          // Already closed: the publisher has not opened the next one yet.
        }
      }
    })();
    const started = Date.now();
    // In waves of 20 concurrent publishes, so the closes land while confirms are outstanding.
    const results = [];
    for (let wave = 0; wave < MESSAGES / 20; wave++) {
      results.push(...await publisher.publishBatch(Array.from({ length: 20 }, (_, i) => ({ type: 'work.requested', data: { n: wave * 20 + i }, id: `${name}-${wave * 20 + i}` }))));
    }
    faulting = false;
    await faults;
    const elapsedMs = Date.now() - started;

    const reader = await connection.createChannel();
    // Copies still in flight to the queue settle quickly; then the queue holds what it will hold.
    let last = -1;
    await waitFor('the queue to stop growing', async () => {
      const { messageCount } = await reader.checkQueue(name);
      const stable = messageCount === last;
      last = messageCount;
      return stable;
    }, 10_000);
    const copies = new Map<string, number>();
    for (const message of await drainQueue(reader, name)) copies.set(message.properties.messageId, (copies.get(message.properties.messageId) ?? 0) + 1);
    await reader.close();
    await publisher.close();

    const confirmed = results.filter((result) => result.ok);
    const failed = results.filter((result) => !result.ok);
    expect(closes).toBeGreaterThan(3);
    expect(Math.max(...copies.values())).toBeLessThanOrEqual(maxAttempts);
    for (const result of confirmed) expect(copies.get(result.envelope.id) ?? 0).toBeGreaterThanOrEqual(1);
    for (const result of results) expect(result.attempts).toBeLessThanOrEqual(maxAttempts);
    const stats = publisher.stats();
    expect(stats.publishes).toBeLessThanOrEqual(MESSAGES * maxAttempts);
    const received = [...copies.values()].reduce((sum, count) => sum + count, 0);
    const duplicated = [...copies.values()].filter((count) => count > 1).length;
    const failedButDelivered = failed.filter((result) => copies.has(result.envelope.id)).length;
    process.stdout.write(`\npublisher, maxAttempts ${maxAttempts}, broker closing its channel ${closes} times in ${elapsedMs} ms: ${confirmed.length}/${MESSAGES} confirmed, ${failed.length} failed (${failedButDelivered} of them reached the queue anyway); ${stats.publishes} publishes on ${stats.channelsOpened} channels, ${stats.retries} retries; queue received ${received} messages for ${copies.size} ids, ${duplicated} ids more than once, most copies of one id ${Math.max(...copies.values())} (bound ${maxAttempts})\n`);
  }, 60_000);
});
