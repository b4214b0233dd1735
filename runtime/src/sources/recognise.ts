import type { SQSEvent } from 'aws-lambda';
import type { SourceBatch } from './batch.js';
import { isKafkaEvent, kafkaBatch } from './kafka.js';
import { isKinesisEvent, kinesisBatch } from './kinesis.js';
import { isRabbitMqEvent, rabbitMqBatch } from './rabbitmq.js';
import { sqsBatch } from './sqs.js';

/** The batch of whichever event Lambda delivered, recognised from its shape; anything else is read as an SQS event. */
export function sourceBatch(event: unknown): SourceBatch {
  if (isKinesisEvent(event)) return kinesisBatch(event);
  if (isKafkaEvent(event)) return kafkaBatch(event);
  if (isRabbitMqEvent(event)) return rabbitMqBatch(event);
  return sqsBatch((event ?? {}) as SQSEvent);
}
