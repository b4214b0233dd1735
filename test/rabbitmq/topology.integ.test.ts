/*
 * declareTopology on the real broker: declares quorum queues with their dead-letter exchange,
 * delivery limit and dead-letter queue, routes by topic and direct bindings, is idempotent, and
 * refuses a queue that exists with other arguments in one line.
 */
import { connect, type ChannelModel } from 'amqplib';
import { declareTopology, type TopologySpec } from '@cdk-fanout/runtime/rabbitmq';
import { brokerUrl, describeWithBroker, unique } from './support';

describeWithBroker('declareTopology on RabbitMQ', () => {
  let connection: ChannelModel;
  const id = unique();
  const spec: TopologySpec = {
    exchanges: [{ name: `orders-${id}`, type: 'topic' }, { name: `payments-${id}`, type: 'direct' }],
    consumers: [
      { name: `billing-${id}`, deliveryLimit: 3, bindings: [{ exchange: `orders-${id}`, routingKeys: ['order.#'] }, { exchange: `payments-${id}`, routingKeys: ['payment.failed'] }] },
      { name: `shipping-${id}`, bindings: [{ exchange: `orders-${id}`, routingKeys: ['*.completed'] }] },
    ],
  };

  beforeAll(async () => {
    connection = await connect(brokerUrl!);
  });
  afterAll(async () => {
    await connection?.close();
  });

  test('declared twice: the same topology, no error; messages route by the bindings', async () => {
    const first = await declareTopology(connection, spec);
    const second = await declareTopology(connection, spec);
    expect(second).toEqual(first);
    expect(first.consumers).toEqual([
      { name: `billing-${id}`, queue: `billing-${id}`, deadLetterExchange: `billing-${id}.dlx`, deadLetterQueue: `billing-${id}.dlq`, deliveryLimit: 3 },
      { name: `shipping-${id}`, queue: `shipping-${id}`, deadLetterExchange: `shipping-${id}.dlx`, deadLetterQueue: `shipping-${id}.dlq`, deliveryLimit: 5 },
    ]);
    const channel = await connection.createConfirmChannel();
    for (const [exchange, key] of [[`orders-${id}`, 'order.created'], [`orders-${id}`, 'order.completed'], [`payments-${id}`, 'payment.failed'], [`payments-${id}`, 'payment.captured'], [`orders-${id}`, 'invoice.completed']]) {
      channel.publish(exchange, key, Buffer.from('{}'));
    }
    await channel.waitForConfirms();
    // billing: order.created, order.completed, payment.failed; shipping: order.completed, invoice.completed.
    expect((await channel.checkQueue(`billing-${id}`)).messageCount).toBe(3);
    expect((await channel.checkQueue(`shipping-${id}`)).messageCount).toBe(2);
    expect((await channel.checkQueue(`billing-${id}.dlq`)).messageCount).toBe(0);
    await channel.close();
  });

  test('a queue that exists with other arguments: one line naming the queue, the broker\'s reason and the fix', async () => {
    const changed: TopologySpec = { ...spec, consumers: [{ ...spec.consumers[0], deliveryLimit: 7 }] };
    const error = await declareTopology(connection, changed).then(() => undefined, (err: Error) => err);
    expect(error?.message).toMatch(new RegExp(`^declareTopology: declaring queue "billing-${id}" \\(.*x-delivery-limit=7.*\\) failed: PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' .*; a queue's arguments cannot change once declared: drain and delete the queue, then declare it again \\(or change x-delivery-limit with a policy\\)$`));
    expect(error?.message).not.toContain('\n');
    // The caller's connection is unharmed: the refusal closed declareTopology's own channel only.
    await expect(declareTopology(connection, spec)).resolves.toBeDefined();
  });
});
