import { Annotations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConsumer, QueueConsumerOptions } from '../consumer-base';
import type { IdempotencyTable } from '../idempotency-table';
import type { PayloadBucket } from '../payload-bucket';
import { claimHandler } from './handler-owner';
import { SEND_KEY_ACTIONS } from './key-policy';
import { ENV_CONSUMER_NAME, ENV_DLQ_URL, ENV_ENVIRONMENT, ENV_IDEMPOTENCY_TABLE } from './names';

/** Lambda's batch size for SQS event sources, and this library's default for queue consumers. */
export const QUEUE_BATCH_SIZE = 10;

/** How a consumer's handler is connected; the same for every kind of consumer. */
export interface HandlerWiring {
  /** The event source that invokes the handler (an SQS queue, a Kinesis stream, a Kafka topic). */
  readonly eventSource: lambda.IEventSource;
  /** Where the handler sends poison records, and Lambda its on-failure records. */
  readonly deadLetterQueue?: sqs.IQueue;
  /** The customer-managed key of the dead-letter queue, when it has one. */
  readonly deadLetterKey?: kms.IKey;
  readonly idempotencyTable?: IdempotencyTable;
  /** The bucket the handler reads offloaded payloads from: granted `s3:GetObject` on its objects. */
  readonly payloadBucket?: PayloadBucket;
  /** What else the runtime reads from this kind of consumer (e.g. a Kafka consumer's `FANOUT_DEAD_LETTER_TOPIC`). */
  readonly environment?: Record<string, string>;
}

/** The SQS event source of a queue consumer: partial batch responses always on. */
export function queueEventSource(queue: sqs.IQueue, options: QueueConsumerOptions): lambda.IEventSource {
  return new eventSources.SqsEventSource(queue, {
    reportBatchItemFailures: true,
    batchSize: options.batchSize ?? QUEUE_BATCH_SIZE,
    maxBatchingWindow: options.maxBatchingWindow,
    maxConcurrency: options.maxConcurrency,
  });
}

/**
 * Lambda's on-failure destination for stream and Kafka records: the consumer's own dead-letter
 * queue. The function's role sends to it, with the grant `wireHandler` makes for poison records
 * (`sqs:SendMessage`, and `kms:Decrypt` and `kms:GenerateDataKey` on its key); aws-cdk-lib's
 * `SqsDlq` would also grant `kms:Encrypt` and `kms:ReEncrypt*`.
 */
export class DeadLetterQueueDestination implements lambda.IEventSourceDlq {
  constructor(private readonly queue: sqs.IQueue) {}

  public bind(): lambda.DlqDestinationConfig {
    return { destination: this.queue.queueArn };
  }
}

/**
 * Connects a consumer's handler: the event source (which grants reading it), sending to the
 * dead-letter queue, its own idempotency keys, reading offloaded payloads, and the environment
 * the runtime reads (`FANOUT_CONSUMER_NAME`, `FANOUT_DLQ_URL`, `FANOUT_IDEMPOTENCY_TABLE`,
 * `FANOUT_ENVIRONMENT`). Records that the function now serves this consumer (one function per
 * consumer). Call after the props rules passed.
 */
export function wireHandler(consumer: IConsumer, handler: lambda.IFunction, wiring: HandlerWiring): void {
  handler.addEventSource(wiring.eventSource);
  const environment: Record<string, string> = { [ENV_CONSUMER_NAME]: consumer.consumerName, ...wiring.environment };
  if (consumer.environment) {
    environment[ENV_ENVIRONMENT] = consumer.environment;
  }
  if (wiring.deadLetterQueue) {
    // Poison records go to the DLQ (and Lambda's on-failure records, sent with the function's
    // role). Not grantSendMessages: it also grants kms:Encrypt and kms:ReEncrypt*.
    wiring.deadLetterQueue.grant(handler, 'sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl');
    wiring.deadLetterKey?.grant(handler, ...SEND_KEY_ACTIONS);
    environment[ENV_DLQ_URL] = wiring.deadLetterQueue.queueUrl;
  }
  if (wiring.idempotencyTable) {
    wiring.idempotencyTable.grantConsumer(consumer);
    environment[ENV_IDEMPOTENCY_TABLE] = wiring.idempotencyTable.tableName;
  }
  wiring.payloadBucket?.grantRead(handler);
  if (handler instanceof lambda.Function) {
    for (const [key, value] of Object.entries(environment)) {
      handler.addEnvironment(key, value);
    }
  } else {
    Annotations.of(consumer).addWarningV2('cdk-fanout:handlerEnvironment',
      `the handler is not a lambda.Function defined in this app, so its environment cannot be set here; set ${Object.keys(environment).join(', ')} on it yourself, or pass these options to createConsumer()`);
  }
  claimHandler(handler, consumer);
}
