/**
 * `@cdk-fanout/runtime/rabbitmq`: the same envelope, handlers and idempotency on RabbitMQ (Amazon
 * MQ for RabbitMQ, or any RabbitMQ 3.8+): declare a consumer's quorum queue with its dead-letter
 * exchange and queue, publish with confirms, run `createConsumer` handlers on a queue outside
 * Lambda. Bring your own amqplib connection (`amqplib`, an optional peer dependency: this entry
 * only uses its types).
 */
export * from './rabbitmq-topology.js';
export { RabbitMqPublisher, RABBITMQ_PUBLISHER_OPTION_RANGES, type RabbitMqBatchEntry, type RabbitMqBatchEntryResult, type RabbitMqPublisherOptions, type RabbitMqPublishOptions, type RabbitMqPublishResult } from '../rabbitmq/publisher.js';
export { consumeRabbitMq, type ConsumeRabbitMqOptions, type RunningRabbitMqConsumer, type RabbitMqConsumerStats, type RabbitMqConsumerState, type RabbitMqConsumerStateChange } from '../rabbitmq/consumer.js';
export { reconnectDelayMs, type RabbitMqReconnectOptions } from '../rabbitmq/reconnect.js';
export { amqpMessageOf, amqpRecord, AMQP_EVENT_SOURCE } from '../rabbitmq/record.js';
export { createEnvelope, type Envelope, type EnvelopeInput } from '../envelope.js';
export type { LargePayloadOptions } from '../claim-check.js';
export { PoisonMessageError, type PoisonReason } from '../poison-message-error.js';
export type { CreateConsumerOptions, HandlerContext, TypeHandler } from '../consumer-options.js';
