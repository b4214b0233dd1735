import { ArnFormat, Duration, Names, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { ROLE_DEAD_LETTER_QUEUE, ROLE_FAILURE_RECORDS, ROLE_QUEUE, TAG_CONSUMER, TAG_ROLE } from './names';
import { claimPhysicalNames, NameScope } from './physical-names';

/** How long a dead-letter queue keeps a message: SQS's maximum, so on-call has time to act. */
export const DEAD_LETTER_RETENTION = Duration.days(14);
/** How long a consumer's queue keeps a message: shorter than its dead-letter queue's 14 days. */
export const QUEUE_RETENTION = Duration.days(4);
/** Receives before SQS moves a message to the dead-letter queue: enough for transient failures. */
export const MAX_RECEIVE_COUNT = 5;
/** What the construct appends to a queue's base name for its dead-letter queue. */
export const DEAD_LETTER_SUFFIX = '-dlq';
/** What SQS requires at the end of a FIFO queue's name. */
export const FIFO_SUFFIX = '.fifo';

/** A consumer's two queues, as the grants and the alarms see them. */
export interface ConsumerQueues extends IConstruct {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
}

/** What differs between the consumers' queue pairs; all the rest is the same for every one. */
export interface QueuePairSpec {
  readonly consumerName: string;
  readonly fifo: boolean;
  /** The queue's name without `.fifo` (with its environment in front); undefined for a generated name. */
  readonly queueName?: string;
  readonly retentionPeriod?: Duration;
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount?: number;
  readonly contentBasedDeduplication?: boolean;
  /** A customer-managed key for both queues; SSE-SQS without one. */
  readonly encryptionKey?: kms.IKey;
  /** The largest message of the queue and of the dead-letter queue (bytes); SQS's default when undefined. */
  readonly maxMessageSizeBytes?: number;
  readonly deadLetterMaxMessageSizeBytes?: number;
}

/** SSE-KMS with the customer-managed key, else SSE-SQS (no key to pay for or grant). */
export function queueEncryption(key: kms.IKey | undefined): Pick<sqs.QueueProps, 'encryption' | 'encryptionMasterKey'> {
  return key ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key } : { encryption: sqs.QueueEncryption.SQS_MANAGED };
}

/**
 * A queue and its dead-letter queue (`Queue` and `DeadLetterQueue` in the scope): redrive after
 * `maxReceiveCount` receives, a DLQ that keeps messages 14 days and accepts redrives from this
 * queue only, both TLS-only, encrypted and tagged with the consumer's name and their role.
 */
export function createQueuePair(scope: Construct, spec: QueuePairSpec): { queue: sqs.Queue; deadLetterQueue: sqs.Queue } {
  const fifo = spec.fifo || undefined;
  const suffix = spec.fifo ? FIFO_SUFFIX : '';
  // The queue needs a name known before deployment: the DLQ's redrive-allow policy names the
  // queue's ARN, and a token would make the two queues depend on each other.
  const queueName = spec.queueName ?? Names.uniqueResourceName(scope, { maxLength: 80 - `${DEAD_LETTER_SUFFIX}${FIFO_SUFFIX}`.length });
  const queueArn = Stack.of(scope).formatArn({ service: 'sqs', resource: `${queueName}${suffix}`, arnFormat: ArnFormat.NO_RESOURCE_NAME });

  // Only this queue may use the DLQ, so a redrive cannot send its messages elsewhere.
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    queueName: spec.queueName && `${queueName}${DEAD_LETTER_SUFFIX}${suffix}`,
    fifo,
    retentionPeriod: DEAD_LETTER_RETENTION,
    redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.BY_QUEUE, sourceQueues: [sqs.Queue.fromQueueArn(scope, 'QueueRef', queueArn)] },
    maxMessageSizeBytes: spec.deadLetterMaxMessageSizeBytes,
    enforceSSL: true,
    ...queueEncryption(spec.encryptionKey),
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    queueName: `${queueName}${suffix}`,
    fifo,
    contentBasedDeduplication: spec.contentBasedDeduplication,
    retentionPeriod: spec.retentionPeriod ?? QUEUE_RETENTION,
    visibilityTimeout: spec.visibilityTimeout,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: spec.maxReceiveCount ?? MAX_RECEIVE_COUNT },
    maxMessageSizeBytes: spec.maxMessageSizeBytes,
    enforceSSL: true,
    ...queueEncryption(spec.encryptionKey),
  });
  if (spec.queueName) {
    claimPhysicalNames(scope, [
      { kind: 'SQS queue', name: `${queueName}${suffix}`, scope: NameScope.ACCOUNT_REGION },
      { kind: 'SQS queue', name: `${queueName}${DEAD_LETTER_SUFFIX}${suffix}`, scope: NameScope.ACCOUNT_REGION },
    ]);
  }
  tagConsumerQueue(queue, spec.consumerName, ROLE_QUEUE);
  tagConsumerQueue(deadLetterQueue, spec.consumerName, ROLE_DEAD_LETTER_QUEUE);
  return { queue, deadLetterQueue };
}

/** What a dead-letter queue without a source queue holds, and why cdk-nag cannot see it is one. */
export interface StandaloneDeadLetterSpec {
  readonly consumerName: string;
  readonly encryptionKey?: kms.IKey;
  /**
   * Its `fanout:role`: `failure-records` for a stream or Kafka consumer (Lambda's on-failure
   * records and poison), `dead-letter-queue` for a RabbitMQ consumer (poison records only).
   */
  readonly role: typeof ROLE_FAILURE_RECORDS | typeof ROLE_DEAD_LETTER_QUEUE;
  /** Why the queue has no dead-letter queue of its own: the reason of its AwsSolutions-SQS3 acknowledgement. */
  readonly nagReason: string;
}

/**
 * The dead-letter queue of a consumer without a queue of its own (a stream, Kafka or RabbitMQ
 * consumer): where the handler sends poison records and, for streams and Kafka, Lambda's
 * on-failure destination. 14 days, TLS-only, encrypted, tagged; no queue may name it as its
 * dead-letter queue.
 */
export function createDeadLetterQueue(scope: Construct, spec: StandaloneDeadLetterSpec): sqs.Queue {
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    retentionPeriod: DEAD_LETTER_RETENTION,
    redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.DENY_ALL },
    enforceSSL: true,
    ...queueEncryption(spec.encryptionKey),
  });
  tagConsumerQueue(deadLetterQueue, spec.consumerName, spec.role);
  // cdk-nag recognises a dead-letter queue by another queue's (or a function's) redrive policy
  // naming it, not by an event source mapping's on-failure destination or a handler's sends.
  Validations.of(deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: spec.nagReason });
  return deadLetterQueue;
}

/** The dead-letter queue of a stream or Kafka consumer: Lambda's on-failure destination (`failure-records`). */
export function createFailureRecordsQueue(scope: Construct, consumerName: string, encryptionKey: kms.IKey | undefined): sqs.Queue {
  return createDeadLetterQueue(scope, {
    consumerName,
    encryptionKey,
    role: ROLE_FAILURE_RECORDS,
    nagReason: 'This queue is the dead-letter queue of a stream or Kafka consumer: the event source mapping\'s on-failure destination; a dead-letter queue has no dead-letter queue of its own.',
  });
}

/** The command line and the local deployment find a consumer's queues by these two tags alone. */
function tagConsumerQueue(queue: sqs.Queue, consumerName: string, role: string): void {
  Tags.of(queue).add(TAG_CONSUMER, consumerName);
  Tags.of(queue).add(TAG_ROLE, role);
}
