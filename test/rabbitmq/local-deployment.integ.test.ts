/*
 * A RabbitMqConsumer on the local deployment, against the test broker: the app's Amazon MQ broker
 * is mapped to the broker's URL, and the local poller runs the mapping as Lambda does (batches of
 * 10 within Lambda's 500 ms window, Lambda's RabbitMQ event, ack on success, the whole batch back to the queue on a failure).
 * Envelopes with duplicates, poison of several kinds, and one that always fails: every effect once,
 * each poison once in the consumer's SQS DLQ with its reason (though the batches around the
 * failing message come back until the delivery limit), the failing one dead-lettered by the broker.
 */
import { connect, type ChannelModel, type GetMessage } from 'amqplib';
import type { LocalDeployment } from '@cdk-fanout/local';
import { declareTopology, RabbitMqPublisher } from '@cdk-fanout/runtime/rabbitmq';
import { fanout } from '../cli/support/run';
import { effectsOf, messagesIn, peek, startTestStack } from '../local/e2e-support';
import { synthRabbitMqApp } from './local-app';
import { brokerUrl, describeWithBroker, drainQueue, unique, waitFor } from './support';

const DELIVERY_LIMIT = 3;

describeWithBroker('a RabbitMqConsumer on the local deployment, polled like Lambda', () => {
  let local: LocalDeployment | undefined;
  let connection: ChannelModel;
  beforeAll(async () => {
    connection = await connect(brokerUrl!);
  });
  afterAll(async () => {
    await local?.stop();
    await connection?.close();
  });

  test('without a broker URL the mapping is skipped, and the summary says how to give one', async () => {
    const app = synthRabbitMqApp(`skipped-${unique()}`);
    const idle = await startTestStack(app);
    try {
      expect(idle.rabbitMqPollers).toEqual([]);
      expect(idle.skippedSummary()).toContain('AWS::Lambda::EventSourceMapping(RabbitMQ queue skipped-');
      expect(idle.skippedSummary()).toContain('no broker, give one as rabbitmq: { url } or fanout local --rabbitmq-url');
      expect(idle.skippedSummary()).toContain('AWS::AmazonMQ::Broker ×1');
    } finally {
      await idle.stop();
    }
  });

  test('fanout local --rabbitmq-url: prints the mapping, runs it, prints what it did', async () => {
    const name = `cli-${unique()}`;
    const exchange = `orders-${name}`;
    await declareTopology(connection, { exchanges: [{ name: exchange, type: 'topic' }], consumers: [{ name, bindings: [{ exchange, routingKeys: ['order.#'] }] }] });
    const publisher = new RabbitMqPublisher({ connection, exchange, source: 'e2e' });
    await publisher.publishBatch(Array.from({ length: 5 }, (_, i) => ({ type: 'order.created', data: { orderId: `c-${i}` } })));
    await publisher.close();
    const emulators = ['--fauxqs-endpoint', process.env.FANOUT_TEST_FAUXQS_ENDPOINT!, '--dynamodb-endpoint', process.env.FANOUT_TEST_DYNAMODB_ENDPOINT!];
    const result = await fanout(['local', '--cdk-out', synthRabbitMqApp(name), '--duration', '3', '--rabbitmq-url', brokerUrl!, ...emulators], { local: false });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`← RabbitMQ queue ${name} (virtual host /, batch 10)`);
    expect(result.stdout).toMatch(new RegExp(`\\(RabbitMQ ${name}\\): 5 received, \\d+ invocations, 5 acknowledged, 0 returned to the queue, 0 failed invocations`));
    expect((await connection.createChannel().then(async (channel) => {
      const { messageCount } = await channel.checkQueue(name);
      await channel.close();
      return messageCount;
    }))).toBe(0);
  }, 60_000);

  test('a queue the broker does not have is refused in one line naming it', async () => {
    const name = `undeclared-${unique()}`;
    await expect(startTestStack(synthRabbitMqApp(name), { rabbitmq: { url: brokerUrl! } }))
      .rejects.toThrow(`the broker has no queue "${name}" in virtual host "/"`);
  });

  test('duplicates, poison and a message that always fails: effects once, each poison once in the SQS DLQ, the failing one in the broker DLQ', async () => {
    const name = `billing-${unique()}`;
    const exchange = `orders-${name}`;
    await declareTopology(connection, { exchanges: [{ name: exchange, type: 'topic' }], consumers: [{ name, deliveryLimit: DELIVERY_LIMIT, bindings: [{ exchange, routingKeys: ['order.#'] }] }] });
    local = await startTestStack(synthRabbitMqApp(name), { rabbitmq: { url: brokerUrl! } });
    expect(local.rabbitMqPollers.map((poller) => [poller.mapping.queue, poller.mapping.virtualHost, poller.mapping.batchSize, poller.mapping.maxBatchingWindowSeconds]))
      .toEqual([[name, '/', 10, 0.5]]);

    const publisher = new RabbitMqPublisher({ connection, exchange, source: 'e2e' });
    const valid = Array.from({ length: 60 }, (_, i) => ({ type: 'order.created', data: { orderId: `o-${i}` }, id: `${name}-${i}` }));
    const poison = [
      { type: 'order.created', data: { orderId: 'p-1', poison: true }, id: `${name}-non-retryable` },
      { type: 'order.created', data: { orderId: 42 }, id: `${name}-schema` },
      { type: 'order.refunded', data: { orderId: 'p-3' }, id: `${name}-unknown-type` },
    ];
    const failing = { type: 'order.created', data: { orderId: 'x-1', failAlways: true }, id: `${name}-fails` };
    // The failing one among the first, so the batches around it come back with poison in them.
    const entries = [...valid.slice(0, 5), ...poison, failing, ...valid.slice(5), ...valid.slice(0, 15)];
    const results = await publisher.publishBatch<unknown>(entries);
    expect(results.filter((result) => !result.ok)).toEqual([]);
    const raw = await connection.createConfirmChannel();
    raw.publish(exchange, 'order.created', Buffer.from('{"id": "broken'), { messageId: `${name}-malformed`, persistent: true });
    await raw.waitForConfirms();

    const { deadLetterQueue } = local.deadLetterQueueOf(name);
    const admin = await connection.createChannel();
    await waitFor('the queue drained and the failing message dead-lettered by the broker', async () =>
      (await admin.checkQueue(name)).messageCount === 0 && (await admin.checkQueue(`${name}.dlq`)).messageCount >= 1
      && local!.rabbitMqPollers[0].stats.invocations > 0, 60_000);
    await waitFor('every valid effect', async () => (await effectsOf(local!, name)).size >= valid.length, 30_000);
    await waitFor('4 poison messages in the SQS DLQ', async () => (await messagesIn(local!, deadLetterQueue)) >= 4, 30_000);

    const effects = await effectsOf(local, name);
    const deadLetters = await peek(local, deadLetterQueue);
    const brokerDead = await drainQueue(admin, `${name}.dlq`);
    const stats = local.rabbitMqPollers[0].stats;
    const reasons = deadLetters.map((message) => message.MessageAttributes?.['fanout.reason']?.StringValue).sort();
    const header = (message: GetMessage, key: string) => message.properties.headers?.[key] as string | undefined;
    process.stdout.write([
      '',
      `RabbitMQ on the local deployment (broker ${new URL(brokerUrl!).host}, batch 10, Lambda's 500 ms window, x-delivery-limit ${DELIVERY_LIMIT}): ${entries.length + 1} messages published`,
      `  effects: ${effects.size} for ${valid.length} envelopes, ${[...effects.values()].filter((n) => n > 1).length} applied twice; 15 duplicates published`,
      `  SQS DLQ: ${deadLetters.length} poison (${reasons.join(', ')}), each once though its batch came back; broker DLQ ${name}.dlq: ${brokerDead.length} after x-delivery-limit (x-first-death-reason ${header(brokerDead[0], 'x-first-death-reason')}): the failing one and its batch-mates (${brokerDead.filter((m) => m.properties.messageId !== failing.id).length}, processed or poisoned already: Lambda's whole-batch redelivery)`,
      `  poller: ${stats.invocations} invocations, ${stats.failedInvocations} failed (batch returned), ${stats.received} deliveries, ${stats.acked} acked, ${stats.requeued} requeued`,
      '',
    ].join('\n'));

    expect(valid.filter((entry) => effects.get(entry.id) !== 1)).toEqual([]);
    expect(effects.has(failing.id)).toBe(false);
    expect(reasons).toEqual(['malformed-json', 'non-retryable', 'schema', 'unknown-type']);
    expect(brokerDead.map((message) => message.properties.messageId)).toContain(failing.id);
    expect(header(brokerDead.find((message) => message.properties.messageId === failing.id)!, 'x-first-death-reason')).toBe('delivery_limit');
    // The failing message's batches failed and came back: poison among them was not sent again.
    expect(stats.failedInvocations).toBeGreaterThanOrEqual(DELIVERY_LIMIT);
    expect(stats.requeued).toBeGreaterThan(0);
    await admin.close();
    await raw.close();
    await publisher.close();
  }, 120_000);
});
