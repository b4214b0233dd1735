/*
 * End to end on the real broker: 200 envelopes through a topic exchange, routed by type to two
 * consumers (billing: `order.#`, shipping: `*.completed`), billing run by two consumer instances
 * on their own connections sharing the idempotency table on DynamoDB Local. Among them duplicates,
 * a poison message of every kind, messages that fail once and messages that always fail. Checks:
 * every effect exactly once, poison in the consumer's DLQ with its reason, the always-failing
 * messages dead-lettered by the broker after the queue's delivery limit.
 */
import { connect, type ChannelModel, type GetMessage } from 'amqplib';
import { z } from 'zod';
import { consumeRabbitMq, declareTopology, PoisonMessageError, RabbitMqPublisher, type RunningRabbitMqConsumer } from '@cdk-fanout/runtime/rabbitmq';
import { captureLogs, createIdempotencyTable, dynamoDbClient, getItem } from '@cdk-fanout/testing';
import { brokerUrl, describeWithBroker, drainQueue, unique, waitFor } from './support';

const DELIVERY_LIMIT = 3;
const VALID = 160;
const DUPLICATES = 20;
const FLAKY = 10;
const ALWAYS_FAILING = 2;

describeWithBroker('RabbitMQ end to end: 200 envelopes, duplicates, poison, retries', () => {
  const id = unique();
  const exchange = `orders-${id}`;
  const billing = `billing-${id}`;
  const shipping = `shipping-${id}`;
  const ddb = dynamoDbClient();
  let tableName: string;
  const connections: ChannelModel[] = [];
  const consumers: RunningRabbitMqConsumer[] = [];

  /** Effects per consumer and envelope id: how often a handler ran to success. */
  const effects = { billing: new Map<string, number>(), shipping: new Map<string, number>() };
  const attemptsOf = new Map<string, number>();
  const effect = (consumer: 'billing' | 'shipping', envelopeId: string) => effects[consumer].set(envelopeId, (effects[consumer].get(envelopeId) ?? 0) + 1);

  const Order = z.object({ orderId: z.string(), amount: z.number().positive().optional(), flaky: z.boolean().optional(), alwaysFail: z.boolean().optional(), poison: z.boolean().optional() });
  const billingHandler = (data: z.infer<typeof Order>, envelopeId: string) => {
    const attempt = (attemptsOf.get(envelopeId) ?? 0) + 1;
    attemptsOf.set(envelopeId, attempt);
    if (data.poison) throw new PoisonMessageError('non-retryable', `order ${data.orderId} can never be billed`);
    if (data.alwaysFail) throw new Error(`billing is down for order ${data.orderId}`);
    if (data.flaky && attempt === 1) throw new Error(`a timeout billing order ${data.orderId}`);
    effect('billing', envelopeId);
  };

  beforeAll(async () => {
    tableName = await createIdempotencyTable(ddb, 'rabbitmq');
    for (let i = 0; i < 4; i++) connections.push(await connect(brokerUrl!));
    await declareTopology(connections[0], {
      exchanges: [{ name: exchange, type: 'topic' }],
      consumers: [
        { name: billing, deliveryLimit: DELIVERY_LIMIT, bindings: [{ exchange, routingKeys: ['order.#'] }] },
        { name: shipping, bindings: [{ exchange, routingKeys: ['*.completed'] }] },
      ],
    });
  });

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop({ timeoutMs: 5000 })));
    await Promise.all(connections.map((connection) => connection.close().catch(() => undefined)));
  });

  test('effects exactly once, poison in the DLQ with its reason, retries dead-lettered after the delivery limit', async () => {
    const logs = captureLogs();
    const common = { idempotency: { tableName, client: ddb }, logger: logs.logger, requeueDelayMs: 500, prefetch: 10 };
    const billingHandlers = {
      'order.created': { schema: Order, handle: (data: z.infer<typeof Order>, ctx: { envelope: { id: string } }) => billingHandler(data, ctx.envelope.id) },
      'order.cancelled': { schema: Order, handle: (data: z.infer<typeof Order>, ctx: { envelope: { id: string } }) => billingHandler(data, ctx.envelope.id) },
      'order.completed': { schema: Order, handle: (data: z.infer<typeof Order>, ctx: { envelope: { id: string } }) => billingHandler(data, ctx.envelope.id) },
    };
    // Two billing instances on their own connections: duplicates race between them.
    for (const connection of connections.slice(0, 2)) {
      consumers.push(await consumeRabbitMq({ connection, consumerName: billing, handlers: billingHandlers, ...common }));
    }
    consumers.push(await consumeRabbitMq({
      connection: connections[2], consumerName: shipping, ...common,
      handlers: { 'order.completed': { handle: (_: unknown, ctx) => effect('shipping', ctx.envelope.id) } },
    }));

    const publisher = new RabbitMqPublisher({ connection: connections[3], exchange, source: 'order-service' });
    const types = ['order.created', 'order.cancelled', 'order.completed'] as const;
    const valid = Array.from({ length: VALID }, (_, i) => ({ type: types[i % 3], data: { orderId: `o-${i}`, amount: i + 1 }, id: `${id}-valid-${i}` }));
    const flaky = Array.from({ length: FLAKY }, (_, i) => ({ type: 'order.created' as const, data: { orderId: `f-${i}`, amount: 1, flaky: true }, id: `${id}-flaky-${i}` }));
    const failing = Array.from({ length: ALWAYS_FAILING }, (_, i) => ({ type: 'order.created' as const, data: { orderId: `x-${i}`, amount: 1, alwaysFail: true }, id: `${id}-failing-${i}` }));
    const duplicates = valid.slice(0, DUPLICATES);
    const poisonEnvelopes = [
      { type: 'order.created', data: { orderId: 'p-version', amount: 1 }, id: `${id}-unsupported-version`, version: '2' },
      { type: 'order.created', data: { orderId: 'p-schema', amount: -5 }, id: `${id}-schema` },
      { type: 'order.refunded', data: { orderId: 'p-unknown' }, id: `${id}-unknown-type` },
      { type: 'order.created', data: { orderId: 'p-poison', amount: 1, poison: true }, id: `${id}-non-retryable` },
    ];

    const started = Date.now();
    // Each duplicate right behind its original, so the two billing instances often hold both copies at once.
    const interleaved = valid.flatMap((entry, i) => (i < DUPLICATES ? [entry, duplicates[i]] : [entry]));
    const results = await publisher.publishBatch<unknown>([...interleaved, ...flaky, ...failing, ...poisonEnvelopes]);
    expect(results.filter((result) => !result.ok)).toEqual([]);
    // Poison no publisher would write, straight onto the exchange.
    const raw = await connections[3].createConfirmChannel();
    const rawPoison: [string, Buffer][] = [
      ['malformed-json', Buffer.from('{"id": "not json')],
      ['invalid-envelope', Buffer.from(JSON.stringify({ id: `${id}-no-source`, type: 'order.created', version: '1', timestamp: new Date().toISOString(), data: {} }))],
      ['not-utf-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ];
    for (const [, body] of rawPoison) raw.publish(exchange, 'order.created', body, { persistent: true });
    await raw.waitForConfirms();

    const expectedBilling = VALID + FLAKY;
    const shippingIds = valid.filter((entry) => entry.type === 'order.completed').map((entry) => entry.id);
    await waitFor('billing and shipping effects', () => effects.billing.size === expectedBilling && effects.shipping.size === shippingIds.length, 60_000);

    // The conflict: a processed id published again with other data.
    await publisher.publish('order.created', { orderId: 'o-0', amount: 999 }, { id: valid[0].id });
    const channel = await connections[3].createChannel();
    const poisonCount = poisonEnvelopes.length + rawPoison.length + 1;
    await waitFor(`${poisonCount} poison and ${ALWAYS_FAILING} dead-lettered messages in ${billing}.dlq`,
      async () => (await channel.checkQueue(`${billing}.dlq`)).messageCount === poisonCount + ALWAYS_FAILING, 60_000);
    await waitFor('every consumer idle', async () => consumers.every((consumer) => consumer.stats().inFlight === 0)
      && (await channel.checkQueue(billing)).messageCount === 0 && (await channel.checkQueue(shipping)).messageCount === 0, 30_000);
    const elapsedMs = Date.now() - started;

    // Exactly once: every effect once, none twice, and every id COMPLETED in the idempotency table.
    expect([...effects.billing.values()].every((count) => count === 1)).toBe(true);
    expect(effects.billing.size).toBe(expectedBilling);
    expect([...effects.shipping.keys()].sort()).toEqual([...shippingIds].sort());
    expect([...effects.shipping.values()].every((count) => count === 1)).toBe(true);
    for (const entry of [...valid, ...flaky]) {
      expect((await getItem(ddb, tableName, `${billing}#${entry.id}`))?.status?.S).toBe('COMPLETED');
    }
    for (const entry of flaky) expect(attemptsOf.get(entry.id)).toBe(2);

    // The DLQ: poison with its reason (published by the consumer), the failing ones with the broker's x-death.
    const dead = await drainQueue(channel, `${billing}.dlq`);
    const header = (message: GetMessage, name: string) => message.properties.headers?.[name] as string | undefined;
    const reasons = dead.map((message) => header(message, 'fanout.reason')).filter(Boolean).sort();
    expect(reasons).toEqual(['idempotency-conflict', 'invalid-envelope', 'malformed-json', 'malformed-json', 'non-retryable', 'schema', 'unknown-type', 'unsupported-version']);
    for (const message of dead.filter((m) => header(m, 'fanout.reason'))) {
      expect(header(message, 'fanout.error')).toEqual(expect.any(String));
      expect(message.fields.routingKey).toMatch(/^order\./);
    }
    expect(dead.find((message) => header(message, 'fanout.reason') === 'non-retryable')?.properties.messageId).toBe(`${id}-non-retryable`);
    expect(header(dead.find((message) => message.content.equals(rawPoison[2][1]))!, 'fanout.error')).toBe('body is not valid UTF-8');
    const deadLettered = dead.filter((message) => !header(message, 'fanout.reason'));
    expect(deadLettered.map((message) => message.properties.messageId).sort()).toEqual(failing.map((entry) => entry.id).sort());
    for (const message of deadLettered) {
      expect(header(message, 'x-first-death-queue')).toBe(billing);
      expect(header(message, 'x-first-death-reason')).toEqual(expect.any(String));
    }
    const failingAttempts = failing.map((entry) => attemptsOf.get(entry.id));
    // Nothing for the DLQ of shipping: it only got order.completed.
    expect((await channel.checkQueue(`${shipping}.dlq`)).messageCount).toBe(0);

    const logged = (message: string) => logs.lines.filter((line) => line.message === message).length;
    const duplicatesLogged = logged('already processed: duplicate');
    const heldElsewhere = logged('in progress in another invocation: will be retried');
    // Billing's 20 duplicates and shipping's copies of the order.completed ones among them.
    expect(duplicatesLogged).toBe(DUPLICATES + duplicates.filter((entry) => entry.type === 'order.completed').length);
    const stats = consumers.map((consumer) => consumer.stats());
    const total = (key: 'delivered' | 'acked' | 'requeued' | 'deadLettered') => stats.reduce((sum, s) => sum + s[key], 0);
    const published = results.length + rawPoison.length + 1;
    process.stdout.write([
      '',
      `RabbitMQ end to end (RabbitMQ on 127.0.0.1, DynamoDB Local, 2 billing instances + 1 shipping, prefetch 10 each): ${published} envelopes published and processed in ${elapsedMs} ms`,
      `  billing: ${effects.billing.size} effects for ${expectedBilling} distinct events (each exactly once), ${FLAKY} failed once then done`,
      `  duplicates recognised: ${duplicatesLogged} (DynamoDB idempotency record); copies returned to the queue because the other instance held the claim: ${heldElsewhere}`,
      `  shipping (*.completed): ${effects.shipping.size} effects for ${shippingIds.length} order.completed events`,
      `  ${billing}.dlq: ${reasons.length} poison with fanout.reason (${[...new Set(reasons)].join(', ')}), ${deadLettered.length} dead-lettered by the broker (x-first-death-reason ${header(deadLettered[0], 'x-first-death-reason')}) after ${failingAttempts.join(' and ')} handler attempts at x-delivery-limit ${DELIVERY_LIMIT}`,
      `  deliveries ${total('delivered')}, acks ${total('acked')}, requeues ${total('requeued')}, poison copies confirmed ${total('deadLettered')}`,
      '',
    ].join('\n'));
    await channel.close();
    await raw.close();
    await publisher.close();
  }, 120_000);
});
