/**
 * `@cdk-fanout/runtime/consumer`: what a consumer Lambda imports. Loads the DynamoDB client (the
 * idempotency record) and the SQS client (poison to the dead-letter queue), not SNS.
 */
export { createConsumer, type ConsumerHandler, type LambdaContextLike } from '../consumer.js';
export { kafkaRecordOf, type KafkaBatchItemFailure, type KafkaBatchResponse, type KafkaEvent, type KafkaRecord } from '../sources/kafka.js';
export { kinesisRecordOf } from '../sources/kinesis.js';
export { RabbitMqBatchRetryError, rabbitMqMessageOf, type RabbitMqEvent, type RabbitMqEventMessage } from '../sources/rabbitmq.js';
export type { ClaimMode, ConsumerLargePayloadOptions, CreateConsumerOptions, HandlerContext, IdempotencyOptions, SchemaOutput, TypeHandler } from '../consumer-options.js';
export type { Envelope } from '../envelope.js';
export type { Logger } from '../logger.js';
export type { MetricsOptions } from '../metrics.js';
export type { BatchCounts } from '../outcome.js';
export { PoisonMessageError, type PoisonReason } from '../poison-message-error.js';
