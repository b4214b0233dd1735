import type { KinesisStreamBatchResponse, KinesisStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { systemClock } from './clock.js';
import { resolveCreateConsumerOptions, type CreateConsumerOptions, type TypeHandler } from './consumer-options.js';
import { ConsumerPipeline, type LambdaContextLike } from './consumer-pipeline.js';
import { DeadLetterQueue } from './dead-letter.js';
import { IdempotencyStore } from './idempotency-store.js';
import { createJsonLogger } from './logger.js';
import { idempotencyKeyPrefix } from './names.js';
import { PoisonMarks } from './poison-marks.js';
import type { KafkaBatchResponse, KafkaEvent } from './sources/kafka.js';
import type { RabbitMqEvent } from './sources/rabbitmq.js';

export type { LambdaContextLike } from './consumer-pipeline.js';

/**
 * The Lambda handler of a consumer, for every event source it reads (recognised from the event):
 * SQS, Kinesis and Kafka (MSK, self-managed) with `reportBatchItemFailures` on, and Amazon MQ for
 * RabbitMQ. Assignable to `SQSHandler` and `KinesisStreamHandler`.
 */
export interface ConsumerHandler {
  (event: SQSEvent, context?: LambdaContextLike): Promise<SQSBatchResponse>;
  (event: KinesisStreamEvent, context?: LambdaContextLike): Promise<KinesisStreamBatchResponse>;
  (event: KafkaEvent, context?: LambdaContextLike): Promise<KafkaBatchResponse>;
  /** Amazon MQ for RabbitMQ has no partial batch response: rejects (`RabbitMqBatchRetryError`) when any record must be retried. */
  (event: RabbitMqEvent, context?: LambdaContextLike): Promise<void>;
}

/**
 * Creates the Lambda handler of a consumer: validates each record's envelope, routes it to the
 * handler for its type, enforces idempotency with DynamoDB conditional writes, sends poison to
 * the dead-letter queue and reports partial batch failures. The outcome of each situation is the semantics table of the README.
 */
export function createConsumer<H extends Record<string, unknown>>(options: CreateConsumerOptions<H>): ConsumerHandler {
  const config = resolveCreateConsumerOptions(options as CreateConsumerOptions, process.env);
  const pipeline = new ConsumerPipeline(config, options.handlers as Readonly<Record<string, TypeHandler>>, options.logger ?? createJsonLogger(), {
    store: config.idempotency && new IdempotencyStore(config.idempotency.client, config.idempotency.tableName),
    deadLetters: config.deadLetter && new DeadLetterQueue(config.deadLetter.client, config.deadLetter.queueUrl),
    poisonMarks: config.idempotency && new PoisonMarks(config.idempotency.client, config.idempotency.tableName, idempotencyKeyPrefix(config.consumerName ?? '', config.environment), config.idempotency.expiresAfterSeconds, systemClock),
    clock: systemClock,
  });
  return ((event: unknown, context?: LambdaContextLike) => pipeline.run(event, context)) as ConsumerHandler;
}
