// The README's runtime and local examples for large messages, the SQS, Kinesis and Kafka
// publishers (which take largePayloads too), RabbitMQ and the local deployment,
// as written there, against the installed @cdk-fanout/runtime and @cdk-fanout/local (strict,
// skipLibCheck: false; tsconfig.entry-points.json). An ES module: the examples await at top level.
// Only type-checked, never run. What the README leaves to the reader is declared first.
import { z } from 'zod';
import { connect } from 'amqplib';
import { Publisher } from '@cdk-fanout/runtime/publisher';
import { SqsPublisher } from '@cdk-fanout/runtime/sqs-publisher';
import { KinesisPublisher } from '@cdk-fanout/runtime/kinesis-publisher';
import { KafkaPublisher } from '@cdk-fanout/runtime/kafka-publisher';
import { Kafka } from 'kafkajs';
import { consumeRabbitMq, declareTopology, RabbitMqPublisher } from '@cdk-fanout/runtime/rabbitmq';
import { LocalDeployment } from '@cdk-fanout/local';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';

declare const topicArn: string;
declare const bigOrder: { readonly orderId: string; readonly lines: readonly string[] };
const OrderCreated = z.object({ orderId: z.string(), amount: z.number() });

// "Large messages (claim check)"
const publisher = new Publisher({
  topicArn, source: 'order-service',
  // bucket defaults to FANOUT_PAYLOAD_BUCKET: with it set, this option is not needed at all
  largePayloads: { bucket: 'orders-payloads', thresholdBytes: 256 * 1024 },
});
await publisher.publish('order.created', bigOrder); // over 256 KiB: S3 first, then the pointer

// "Publishing to SQS, Kinesis and Kafka"
export async function otherPublishers() {
  // A work queue, point to point (FIFO: messageGroupId required, as on a FIFO topic).
  const refunds = new SqsPublisher({ queueUrl: process.env.REFUNDS_QUEUE_URL!, source: 'order-service' });
  await refunds.publish('refund.requested', { orderId: 'o-1', amount: 12.5 });

  // A stream: the partition key is the entity's id, so one order's records stay in order on one shard.
  const stream = new KinesisPublisher({ streamArn: process.env.ORDERS_STREAM_ARN!, source: 'order-service' });
  const results = await stream.publishBatch([
    { type: 'order.created', data: { orderId: 'o-1' }, partitionKey: 'o-1' },
    { type: 'order.paid', data: { orderId: 'o-1' }, partitionKey: 'o-1' },
  ]);

  // A topic: the key is the entity's id (one key, one partition, in order).
  const kafka = new Kafka({ clientId: 'order-service', brokers: process.env.KAFKA_BROKERS!.split(',') /* , ssl, sasl */ });
  const orders = new KafkaPublisher({ kafka, topic: 'orders', source: 'order-service' });
  await orders.publish('order.created', { orderId: 'o-1' }, { key: 'o-1' });
  await orders.disconnect(); // when the service stops

  // Large bodies through S3, the same option on every publisher.
  const large = new SqsPublisher({ queueUrl: process.env.REFUNDS_QUEUE_URL!, source: 'order-service', largePayloads: { bucket: 'orders-payloads' } });
  return { results, large };
}

// "RabbitMQ"
export async function rabbitMq() {
  // amqplib's own recovery re-opens the connection after a broker restart; the consumer resumes on it.
  const connection = await connect(process.env.AMQP_URL!, { recovery: { maxRetries: Infinity } });
  connection.on('error', (error) => console.warn('AMQP connection', error.message));   // required: an unhandled 'error' ends the process

  // Exchanges, and per consumer its quorum queue, dead-letter exchange and dead-letter queue. Idempotent.
  await declareTopology(connection, {
    exchanges: [{ name: 'orders', type: 'topic' }],
    consumers: [
      { name: 'billing', bindings: [{ exchange: 'orders', routingKeys: ['order.#'] }], deliveryLimit: 5 },
      { name: 'shipping', bindings: [{ exchange: 'orders', routingKeys: ['*.completed'] }] },
    ],
  });

  const publisher = new RabbitMqPublisher({ connection, exchange: 'orders', source: 'order-service' });
  await publisher.publish('order.created', { orderId: 'o-1', amount: 12.5 });   // routing key order.created

  const consumer = await consumeRabbitMq({
    connection,
    consumerName: 'billing',                 // reads queue `billing`, poison to `billing.dlx`
    prefetch: 10,                            // at most 10 messages delivered and not yet acknowledged
    handlers: { 'order.created': { schema: OrderCreated, handle: async (order, ctx) => { ctx.logger.info('order', { orderId: order.orderId }); } } },
    // idempotency, unknownType, logger, metrics: as createConsumer (FANOUT_* variables included)
  });
  consumer.closed.then((error) => error && process.exit(1));   // ended for good (see Reconnection)
  process.on('SIGTERM', () => consumer.stop({ timeoutMs: 30_000 }));
}

// "Run it locally": LocalDeployment from code, with a RabbitMQ broker of your own.
export async function localDeployment() {
  const local = await LocalDeployment.start({
    cdkOut: 'cdk.out',
    onHandlerOutput: (fn, text) => process.stdout.write(`[${fn}] ${text}`),  // the handlers' logs
    rabbitmq: { url: 'amqp://guest:guest@127.0.0.1:5672' },
  });
  const { queue, deadLetterQueue } = local.consumerQueues('billing');     // found by tag
  const [bucket] = local.stacks[0].buckets.values();                     // S3 buckets by logical id
  const { deadLetterQueue: clicksDlq } = local.deadLetterQueueOf('click-counter');  // a consumer without a queue
  await local.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url }));  // SDK clients for the emulators
  const stats = [local.rabbitMqPollers[0]?.stats, local.streamPollers[0]?.stats];
  await local.stop();
  return { deadLetterQueue, bucket, clicksDlq, stats };
}
