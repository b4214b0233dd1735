/*
 * A broker restart in the middle of a run, on a RabbitMQ node this test starts for itself (never
 * the run's shared broker: other files use that one). Envelopes are published with confirms while
 * a consumer applies each one as a counter increment in DynamoDB Local (ctx.transact, committed
 * with the idempotency record). The node's application is stopped and started again
 * (`rabbitmqctl stop_app` / `start_app`) while messages are in flight. Checks: every confirmed
 * envelope applied, none applied twice, the consumer resumed on its own. Twice: the long-running
 * consumer (seeded jitter), and Lambda's path (a RabbitMqConsumer on the local deployment).
 */
import { CreateTableCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { connect, type RecoveringChannelModel } from 'amqplib';
import { consumeRabbitMq, declareTopology, RabbitMqPublisher, type RabbitMqConsumerStateChange, type RunningRabbitMqConsumer } from '@cdk-fanout/runtime/rabbitmq';
import { captureLogs, createIdempotencyTable, dynamoDbClient, rabbitMqServerCommand, rabbitmqctl, seededRandom, startRabbitMq, testSeed, uniqueName, type RabbitMqBroker } from '@cdk-fanout/testing';
import { effectsOf, handlerTotals, startTestStack } from '../local/e2e-support';
import { synthRabbitMqApp } from './local-app';
import { describeWithBroker, waitFor } from './support';

// The test restarts its broker, so it needs rabbitmq-server to start one of its own (a broker given by FANOUT_TEST_AMQP_URL is shared).
const canStartOwnBroker = rabbitMqServerCommand() !== undefined;
if (!canStartOwnBroker) process.stderr.write('RabbitMQ broker-restart test skipped: it starts a broker of its own and rabbitmq-server is not installed\n');

const ENVELOPES = 300;
const RESTART_AFTER = 100;

(canStartOwnBroker ? describeWithBroker : describe.skip)('RabbitMQ broker restart: the long-running consumer resumes, no confirmed message lost, no effect twice', () => {
  const seed = testSeed();
  let broker: RabbitMqBroker | undefined;
  let ddb: DynamoDBClient;
  const connections: RecoveringChannelModel[] = [];

  beforeAll(async () => {
    ddb = dynamoDbClient();
    broker = await startRabbitMq({ own: true });
  }, 90_000);

  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.close().catch(() => undefined)));
    await broker?.stop();
    ddb?.destroy();
  }, 60_000);

  /** A connection that amqplib re-opens after the broker comes back, its waits drawn from the seed. */
  async function recoveringConnection(random: () => number): Promise<RecoveringChannelModel> {
    const connection = await connect(broker!.url, {
      recovery: { maxRetries: 200, calculateDelay: (attempt: number) => Math.round(Math.min(1000, 50 * 2 ** (attempt - 1)) * (0.5 + random() / 2)) },
    });
    // The broker's connection.close on stop_app arrives as an error event: expected here.
    connection.on('error', () => undefined);
    connections.push(connection);
    return connection;
  }

  /**
   * Publishes ENVELOPES envelopes, ten at a time, with confirms (up to 5 attempts each); after
   * RESTART_AFTER are confirmed, stops and starts the broker's application. `inFlight` tells how
   * many messages the consumer held when the broker went.
   */
  async function publishThroughRestart(connection: RecoveringChannelModel, exchange: string, prefix: string, inFlight: () => number) {
    const publisher = new RabbitMqPublisher({ connection, exchange, source: 'order-service', maxAttempts: 5, retryBaseDelayMs: 200, timeoutMs: 5000 });
    const confirmed = new Set<string>();
    const failed: string[] = [];
    let restartMs = 0;
    const restart = (async () => {
      await waitFor(`${RESTART_AFTER} confirmed publishes`, () => confirmed.size >= RESTART_AFTER, 30_000);
      const held = inFlight();
      const stopAt = Date.now();
      await rabbitmqctl(broker!.control!, ['stop_app']);
      await rabbitmqctl(broker!.control!, ['start_app']);
      restartMs = Date.now() - stopAt;
      return held;
    })();
    const ids = Array.from({ length: ENVELOPES }, (_, i) => `${prefix}-${i}`);
    let next = 0;
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (next < ids.length) {
        const id = ids[next++];
        try {
          await publisher.publish('order.created', { orderId: id }, { id });
          confirmed.add(id);
        } catch {
          failed.push(id);
        }
      }
    }));
    const inFlightAtStop = await restart;
    await publisher.close();
    return { confirmed, failed, restartMs, inFlightAtStop };
  }

  test('the long-running consumer: stop_app and start_app in the middle of 300 envelopes', async () => {
    const random = seededRandom(seed);
    const name = `restart-${seed.toString(36)}`;
    const exchange = `orders-${name}`;
    const tableName = await createIdempotencyTable(ddb, 'rabbitmq-restart');
    const effectsTable = uniqueName('rabbitmq-restart-effects');
    await ddb.send(new CreateTableCommand({ TableName: effectsTable, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }));
    const consumerConnection = await recoveringConnection(random);
    const publisherConnection = await recoveringConnection(random);
    await declareTopology(consumerConnection, { exchanges: [{ name: exchange, type: 'topic' }], consumers: [{ name, deliveryLimit: 20, bindings: [{ exchange, routingKeys: ['order.#'] }] }] });

    let handlerRuns = 0;
    const states: RabbitMqConsumerStateChange[] = [];
    const logs = captureLogs();
    const consumer: RunningRabbitMqConsumer = await consumeRabbitMq({
      connection: consumerConnection,
      consumerName: name,
      prefetch: 20,
      requeueDelayMs: 100,
      idempotency: { tableName, client: ddb },
      logger: logs.logger,
      reconnect: { initialDelayMs: 100, maxDelayMs: 2000, random },
      onStateChange: (change) => states.push(change),
      handlers: {
        'order.created': {
          handle: async (_data, ctx) => {
            handlerRuns++;
            // Slow enough that messages are in flight when the broker goes away.
            await new Promise((resolve) => setTimeout(resolve, 5));
            ctx.transact({ Update: { TableName: effectsTable, Key: { pk: { S: ctx.envelope.id } }, UpdateExpression: 'ADD applied :one', ExpressionAttributeValues: { ':one': { N: '1' } } } });
          },
        },
      },
    });

    const started = Date.now();
    const { confirmed, failed, restartMs, inFlightAtStop } = await publishThroughRestart(publisherConnection, exchange, name, () => consumer.stats().inFlight);
    const applied = async () => {
      const counts = new Map<string, number>();
      let start: Record<string, { S?: string; N?: string }> | undefined;
      do {
        const page = await ddb.send(new ScanCommand({ TableName: effectsTable, ConsistentRead: true, ExclusiveStartKey: start as never }));
        for (const item of page.Items ?? []) counts.set(item.pk.S!, Number(item.applied.N));
        start = page.LastEvaluatedKey as typeof start;
      } while (start);
      return counts;
    };
    await waitFor('an effect for every confirmed envelope', async () => {
      const now = await applied();
      return [...confirmed].every((id) => now.has(id));
    }, 45_000);
    await waitFor('the consumer idle', () => consumer.stats().inFlight === 0, 15_000);
    const counts = await applied();
    const elapsedMs = Date.now() - started;
    const stats = consumer.stats();
    await consumer.stop({ timeoutMs: 5000 });

    const lost = [...confirmed].filter((id) => !counts.has(id));
    const twice = [...counts].filter(([, n]) => n > 1);
    expect(lost).toEqual([]);
    expect(twice).toEqual([]);
    expect(stats.reconnects).toBeGreaterThanOrEqual(1);
    expect(states.some((change) => change.state === 'reconnecting')).toBe(true);
    expect(states.at(-1)?.state).toBe('stopped');
    const duplicates = logs.lines.filter((line) => line.message === 'already processed: duplicate').length;
    const attempts = states.filter((change) => change.state === 'reconnecting').map((change) => `${change.attempt}:${change.delayMs} ms`);
    process.stdout.write([
      '',
      `RabbitMQ broker restart (seed ${seed}; own node, stop_app + start_app took ${restartMs} ms after ${RESTART_AFTER} confirmed publishes, ${inFlightAtStop} messages in flight at the consumer then), ${elapsedMs} ms in all:`,
      `  published ${ENVELOPES}: ${confirmed.size} confirmed, ${failed.length} not confirmed after 5 attempts (may or may not have arrived); ${counts.size} applied, ${lost.length} confirmed ones lost, ${twice.length} applied twice`,
      `  consumer: ${stats.reconnects} reconnection(s) (attempt:wait ${attempts.join(', ')}), ${stats.delivered} deliveries, ${stats.acked} acks, ${stats.unsettled} acks/returns lost with the channel, ${duplicates} duplicates recognised, ${handlerRuns} handler runs for ${counts.size} effects`,
      '',
    ].join('\n'));
  }, 120_000);

  test('Lambda\'s path, a RabbitMqConsumer on the local deployment: stop_app and start_app in the middle of 300 envelopes', async () => {
    const name = `local-restart-${seed.toString(36)}`;
    const exchange = `orders-${name}`;
    const random = seededRandom(seed + 1);
    const publisherConnection = await recoveringConnection(random);
    await declareTopology(publisherConnection, { exchanges: [{ name: exchange, type: 'topic' }], consumers: [{ name, deliveryLimit: 20, bindings: [{ exchange, routingKeys: ['order.#'] }] }] });
    const local = await startTestStack(synthRabbitMqApp(name), { rabbitmq: { url: broker!.url } });
    try {
      const [poller] = local.rabbitMqPollers;
      const started = Date.now();
      const { confirmed, failed, restartMs } = await publishThroughRestart(publisherConnection, exchange, name, () => 0);
      await waitFor('an effect for every confirmed envelope', async () => {
        const now = await effectsOf(local, name);
        return [...confirmed].every((id) => now.has(id));
      }, 45_000);
      const effects = await effectsOf(local, name);
      const lost = [...confirmed].filter((id) => !effects.has(id));
      const twice = [...effects].filter(([, n]) => n > 1);
      const totals = handlerTotals(local, name);
      process.stdout.write([
        '',
        `RabbitMQ broker restart, Lambda's path (local deployment, batch 10; stop_app + start_app took ${restartMs} ms after ${RESTART_AFTER} confirmed publishes), ${Date.now() - started} ms in all:`,
        `  published ${ENVELOPES}: ${confirmed.size} confirmed, ${failed.length} not confirmed; ${effects.size} applied, ${lost.length} confirmed ones lost, ${twice.length} applied twice`,
        `  poller: ${poller.stats.reconnects} resubscription(s), ${poller.stats.invocations} invocations (${poller.stats.failedInvocations} failed), ${poller.stats.received} deliveries, ${poller.stats.acked} acked; handlers: ${JSON.stringify(totals)}`,
        '',
      ].join('\n'));
      expect(lost).toEqual([]);
      expect(twice).toEqual([]);
      expect(poller.stats.reconnects).toBeGreaterThanOrEqual(1);
    } finally {
      await local.stop();
    }
  }, 120_000);
});
