/*
 * declareTopology's spec checks and what it declares, without a broker: one line naming the
 * field and the fix for each bad spec; quorum queues with their dead-letter exchange, delivery
 * limit and dead-letter queue named after the consumer.
 */
import { rabbitMqNames, topologyPlan, type TopologySpec } from '@cdk-fanout/runtime/rabbitmq';

const spec: TopologySpec = {
  exchanges: [{ name: 'orders', type: 'topic' }, { name: 'payments', type: 'direct' }],
  consumers: [
    { name: 'billing', bindings: [{ exchange: 'orders', routingKeys: ['order.#'] }, { exchange: 'payments', routingKeys: ['payment.failed'] }], deliveryLimit: 3 },
    { name: 'shipping', bindings: [{ exchange: 'orders', routingKeys: ['*.completed'] }] },
  ],
};

test('names follow the consumer name', () => {
  expect(rabbitMqNames('order-history')).toEqual({ queue: 'order-history', deadLetterExchange: 'order-history.dlx', deadLetterQueue: 'order-history.dlq' });
  expect(() => rabbitMqNames('Billing')).toThrow('rabbitMqNames: consumer name "Billing" is invalid; use 1 to 64 lower-case letters, digits and dashes, starting with a letter or digit');
});

test('the plan: exchanges, each consumer\'s dead-letter side, its quorum queue and bindings', () => {
  const plan = topologyPlan(spec);
  expect(plan.exchanges).toEqual([
    { name: 'orders', type: 'topic' },
    { name: 'payments', type: 'direct' },
    { name: 'billing.dlx', type: 'fanout' },
    { name: 'shipping.dlx', type: 'fanout' },
  ]);
  expect(plan.queues).toEqual([
    { name: 'billing.dlq', arguments: { 'x-queue-type': 'quorum' } },
    { name: 'billing', arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': 'billing.dlx', 'x-delivery-limit': 3, 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } },
    { name: 'shipping.dlq', arguments: { 'x-queue-type': 'quorum' } },
    { name: 'shipping', arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': 'shipping.dlx', 'x-delivery-limit': 5, 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } },
  ]);
  expect(plan.bindings).toEqual([
    { queue: 'billing.dlq', exchange: 'billing.dlx', routingKey: '' },
    { queue: 'billing', exchange: 'orders', routingKey: 'order.#' },
    { queue: 'billing', exchange: 'payments', routingKey: 'payment.failed' },
    { queue: 'shipping.dlq', exchange: 'shipping.dlx', routingKey: '' },
    { queue: 'shipping', exchange: 'orders', routingKey: '*.completed' },
  ]);
});

const withConsumer = (consumer: object) => ({ ...spec, consumers: [consumer] }) as unknown as TopologySpec;
const withExchanges = (exchanges: unknown[]) => ({ ...spec, exchanges }) as unknown as TopologySpec;

test.each<[string, TopologySpec, string]>([
  ['no spec', undefined as unknown as TopologySpec, 'declareTopology: the spec must be { exchanges, consumers }, got nothing'],
  ['exchanges missing', { consumers: [] } as unknown as TopologySpec, 'declareTopology: exchanges must be an array, got nothing; add { name, type: \'topic\' | \'direct\' } for each exchange producers publish to'],
  ['consumers not an array', { exchanges: [], consumers: {} } as unknown as TopologySpec, 'declareTopology: consumers must be an array, got an object; add { name, bindings } for each consumer'],
  ['exchange type fanout', withExchanges([{ name: 'orders', type: 'fanout' }]), 'declareTopology: exchanges[0].type must be \'direct\' or \'topic\', got "fanout"; use \'topic\' to bind patterns such as \'order.#\''],
  ['exchange name with a space', withExchanges([{ name: 'my orders', type: 'topic' }]), 'declareTopology: exchanges[0].name must be 1 to 255 letters, digits, \'-\', \'_\', \'.\' or \':\', got "my orders"'],
  ['reserved exchange name', withExchanges([{ name: 'amq.topic', type: 'topic' }]), 'declareTopology: exchanges[0].name "amq.topic" starts with \'amq.\', which the broker reserves; choose another name'],
  ['exchange twice', withExchanges([{ name: 'orders', type: 'topic' }, { name: 'orders', type: 'direct' }]), 'declareTopology: exchanges[1].name "orders" is declared twice; keep one entry'],
  ['exchange named like a dead-letter exchange', withExchanges([{ name: 'orders', type: 'topic' }, { name: 'billing.dlx', type: 'direct' }]), 'declareTopology: exchanges[1].name "billing.dlx" is the dead-letter exchange of consumers[0]; choose another exchange name'],
  ['consumer name upper case', withConsumer({ name: 'Billing', bindings: [] }), 'declareTopology: consumers[0].name must be 1 to 64 lower-case letters, digits and dashes, starting with a letter or digit (a consumer name), got "Billing"'],
  ['consumer twice', { ...spec, consumers: [spec.consumers[1], spec.consumers[1]] }, 'declareTopology: consumers[1].name "shipping" is declared twice; give each consumer its own name'],
  ['delivery limit 0', withConsumer({ name: 'billing', bindings: [{ exchange: 'orders', routingKeys: ['order.#'] }], deliveryLimit: 0 }), 'declareTopology: consumers[0].deliveryLimit must be an integer from 1 to 1000, got 0'],
  ['delivery limit NaN', withConsumer({ name: 'billing', bindings: [{ exchange: 'orders', routingKeys: ['order.#'] }], deliveryLimit: NaN }), 'declareTopology: consumers[0].deliveryLimit must be an integer from 1 to 1000, got NaN'],
  ['no bindings', withConsumer({ name: 'billing', bindings: [] }), 'declareTopology: consumers[0].bindings is empty, so the queue would receive nothing; add { exchange, routingKeys } for the events this consumer reads'],
  ['bindings missing', withConsumer({ name: 'billing' }), 'declareTopology: consumers[0].bindings must be an array, got nothing; add { exchange, routingKeys } for the events this consumer reads'],
  ['binding to an undeclared exchange', withConsumer({ name: 'billing', bindings: [{ exchange: 'order', routingKeys: ['order.#'] }] }), 'declareTopology: consumers[0].bindings[0].exchange "order" is not one of the spec\'s exchanges (orders, payments); add it to exchanges or bind to a declared one'],
  ['no routing keys', withConsumer({ name: 'billing', bindings: [{ exchange: 'orders', routingKeys: [] }] }), 'declareTopology: consumers[0].bindings[0].routingKeys is empty; list the event types (or, on a topic exchange, patterns) to bind'],
  ['empty routing key', withConsumer({ name: 'billing', bindings: [{ exchange: 'orders', routingKeys: [''] }] }), 'declareTopology: consumers[0].bindings[0].routingKeys[0] must be a non-empty string of at most 255 bytes (an event type such as \'order.created\'), got ""'],
  ['wildcard on a direct exchange', withConsumer({ name: 'billing', bindings: [{ exchange: 'payments', routingKeys: ['payment.*'] }] }), 'declareTopology: consumers[0].bindings[0].routingKeys[0] "payment.*" has a wildcard, but exchange "payments" is direct, where * and # match only themselves; make the exchange a topic exchange or list the event types'],
  ['wildcard inside a word', withConsumer({ name: 'billing', bindings: [{ exchange: 'orders', routingKeys: ['order*'] }] }), 'declareTopology: consumers[0].bindings[0].routingKeys[0] "order*" has the word "order*": * and # stand for whole words only (use \'order.*\' or \'order.#\')'],
])('%s: one line naming the field and the fix', (_, bad, message) => {
  expect(() => topologyPlan(bad)).toThrow(new Error(message));
  expect(message).not.toContain('\n');
});
