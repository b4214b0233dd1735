import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IConsumer, QueueConsumerOptions } from './consumer-base';
import type { PayloadBucket } from './payload-bucket';
import { ageOfOldestMessageMetric, backlogAlarms, deadLetterAlarm, queueDepthMetric, redriveDescription } from './private/consumer-alarms';
import { consumerNameFromId } from './private/consumer-name';
import { createQueuePair, QUEUE_RETENTION } from './private/consumer-queues';
import { DeadLetterOperationsGrant } from './private/dead-letter-operations';
import { environmentName, tagEnvironment } from './private/environment';
import { queueEventSource, wireHandler } from './private/handler-wiring';
import { allowCloudWatchAlarmsToUseKey, SEND_KEY_ACTIONS } from './private/key-policy';
import { SQS_MAX_MESSAGE_SIZE } from './private/topic-message-size';
import { functionTimeoutOf, queueBaseName, visibilityTimeoutFor } from './private/validate-queue-consumer-props';
import { WORK_QUEUE_RULES, WORK_QUEUE_WARNINGS, WorkQueueValidationInput } from './private/validate-work-queue-props';
import { setProducerEnvironment } from './private/producer-environment';
import { registerStackConsumer } from './private/stack-consumers';
import { validateAllProps, warnAll } from './private/validation';

/** What a producer does to a work queue: send, and find the queue. */
const SEND_ACTIONS = ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];

/**
 * Properties of a WorkQueue: its queues and handler (`QueueConsumerOptions`), and what a fan-out
 * consumer takes from its topic.
 */
export interface WorkQueueProps extends QueueConsumerOptions {
  /**
   * Whether the queue and its dead-letter queue are FIFO: the messages of one message group are
   * processed in order. At most 10 records per batch and no batching window (Lambda's rules for
   * FIFO queues).
   *
   * @default false
   */
  readonly fifo?: boolean;

  /**
   * Deduplicate on a SHA-256 hash of the message body (FIFO queues only), for producers that do
   * not set a deduplication id.
   *
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;

  /**
   * A customer-managed KMS key for the queue and its dead-letter queue. The handler, producers
   * (`grantSendMessages`) and on-call (`grantDeadLetterOperations`) are granted its use.
   * AWS-managed keys (`alias/aws/sqs`) are refused: their policies cannot be changed.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS): encrypted at rest, no key to pay
   *   for or grant
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The topic that receives the work queue's alarms (ALARM and OK transitions). A topic
   * encrypted with an AWS-managed key is refused (CloudWatch cannot use it); a customer-managed
   * key defined in this app lets `cloudwatch.amazonaws.com` use it for this account's alarms.
   *
   * @default - alarms are created without actions
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * The largest message the queue accepts, body and attributes together, in bytes: 1024 to
   * 1048576 (1 MiB). The dead-letter queue then takes SQS's 1 MiB (a poison message carries the
   * runtime's reason attributes too).
   *
   * @default - SQS's default, 1048576 (1 MiB)
   */
  readonly maxMessageSizeBytes?: number;

  /**
   * The bucket producers offload message bodies too large for the queue to (a claim check): the
   * handler is granted reading it, `grantSendMessages` writing it, and its default expiration
   * covers this queue's retention.
   *
   * @default - no payload bucket
   */
  readonly payloadBucket?: PayloadBucket;
}

/**
 * Point-to-point work without a topic: one SQS queue (standard or FIFO) that producers send to,
 * its dead-letter queue, alarms and an optional Lambda handler wired exactly like a fan-out
 * consumer's (partial batch responses, the runtime's environment, idempotency keys of its own).
 */
export class WorkQueue extends Construct implements IConsumer {
  /** The work queue's name: the scope of its idempotency keys and the `fanout:consumer` tag of its queues. */
  public readonly consumerName: string;
  /** The queue producers send to. */
  public readonly queue: sqs.IQueue;
  /** Where messages go after `maxReceiveCount` receives, and where poison messages are sent. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The alarms: dead-letter queue not empty, age of the oldest message, and depth. */
  public readonly alarms: cloudwatch.IAlarm[];
  /** The handler, when one was given. */
  public readonly handler?: lambda.IFunction;
  /** The visibility timeout of the queue. */
  public readonly visibilityTimeout: Duration;
  /** Whether the queues are FIFO. */
  public readonly fifo: boolean;
  /** The customer-managed key of both queues, when there is one. */
  public readonly encryptionKey?: kms.IKey;
  /** The work queue's environment, when it has one. */
  public readonly environment?: string;
  /** The bucket producers offload large bodies to, when there is one. */
  public readonly payloadBucket?: PayloadBucket;

  constructor(scope: Construct, id: string, props: WorkQueueProps = {}) {
    super(scope, id);
    this.consumerName = props.consumerName ?? consumerNameFromId(id);
    this.fifo = props.fifo ?? false;
    this.environment = props.environment;
    this.payloadBucket = props.payloadBucket;
    // Every broken rule is reported in one error, before any resource is made.
    const input: WorkQueueValidationInput = {
      ...props, construct: this, consumerName: this.consumerName, fifo: this.fifo, functionTimeout: functionTimeoutOf(props.handler),
    };
    validateAllProps(this, input, WORK_QUEUE_RULES);
    registerStackConsumer(this);
    warnAll(this, input, WORK_QUEUE_WARNINGS);
    this.handler = props.handler;
    this.visibilityTimeout = visibilityTimeoutFor(input);
    this.encryptionKey = props.encryptionKey;

    const { queue, deadLetterQueue } = createQueuePair(this, {
      consumerName: this.consumerName,
      fifo: this.fifo,
      queueName: props.queueName !== undefined ? environmentName(props.environment, queueBaseName(props.queueName)) : undefined,
      retentionPeriod: props.retentionPeriod,
      visibilityTimeout: this.visibilityTimeout,
      maxReceiveCount: props.maxReceiveCount,
      contentBasedDeduplication: props.contentBasedDeduplication,
      encryptionKey: props.encryptionKey,
      maxMessageSizeBytes: props.maxMessageSizeBytes,
      deadLetterMaxMessageSizeBytes: props.maxMessageSizeBytes === undefined ? undefined : SQS_MAX_MESSAGE_SIZE,
    });
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;

    if (props.alarmTopic?.masterKey) {
      allowCloudWatchAlarmsToUseKey(props.alarmTopic.masterKey, this);
    }
    const subject = `Work queue ${this.consumerName} (${this.node.path})`;
    this.alarms = [
      deadLetterAlarm(this, this.consumerName, deadLetterQueue, redriveDescription('work queue', this), props.alarmTopic),
      ...backlogAlarms(this, { subject, queue, maxMessageAge: props.maxMessageAge, maxQueueDepth: props.maxQueueDepth }, props.alarmTopic),
    ];
    if (props.handler) {
      wireHandler(this, props.handler, {
        eventSource: queueEventSource(queue, props),
        deadLetterQueue,
        deadLetterKey: props.encryptionKey,
        idempotencyTable: props.idempotencyTable,
        payloadBucket: props.payloadBucket,
      });
    }
    props.payloadBucket?._addReader(props.retentionPeriod ?? QUEUE_RETENTION);
    tagEnvironment(this, props.environment);
  }

  /**
   * Let a producer send messages to the queue: `sqs:SendMessage`, `sqs:GetQueueAttributes` and
   * `sqs:GetQueueUrl` on it and, with `encryptionKey`, `kms:Decrypt` and `kms:GenerateDataKey`
   * on that key (what an SQS producer needs; no `kms:Encrypt` or `kms:ReEncrypt*`). With a
   * `payloadBucket`, also offloading large bodies to it (`PayloadBucket.grantPublish`).
   *
   * @param grantee the producer, e.g. a Lambda function or a role
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
   */
  public grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    let grant = this.queue.grant(grantee, ...SEND_ACTIONS);
    if (this.encryptionKey) {
      grant = grant.combine(this.encryptionKey.grant(grantee, ...SEND_KEY_ACTIONS));
    }
    return this.payloadBucket ? grant.combine(this.payloadBucket.grantPublish(grantee)) : grant;
  }

  /**
   * Set up a producer function: `grantSendMessages`, and the environment the runtime's
   * SqsPublisher reads: `FANOUT_PAYLOAD_BUCKET` (with a `payloadBucket`) and `FANOUT_ENVIRONMENT`
   * (with an `environment`). The queue's URL is the function's to pass to the publisher (`queueUrl`).
   *
   * @param producer a Lambda function of this app that sends to the work queue
   */
  public configureProducer(producer: lambda.Function): iam.Grant {
    setProducerEnvironment(producer, this.payloadBucket, this.environment);
    return this.grantSendMessages(producer);
  }

  /**
   * Let an on-call role run `fanout dlq inspect`, `fanout dlq redrive` and `fanout dlq purge` on
   * this work queue's dead-letter queue: the same permissions as a fan-out consumer's
   * `grantDeadLetterOperations()`, limited to these two queues and this stack.
   *
   * @param grantee the on-call role
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
   */
  public grantDeadLetterOperations(grantee: iam.IGrantable): iam.Grant {
    const grant = new DeadLetterOperationsGrant(grantee, this.encryptionKey);
    grant.add(this);
    return grant.grant;
  }

  /** Messages waiting in the queue (Maximum of `ApproximateNumberOfMessagesVisible`, 1 minute). */
  public metricQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return queueDepthMetric(this.queue, props);
  }

  /** Age of the oldest message in the queue, seconds (Maximum, 1 minute). */
  public metricAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return ageOfOldestMessageMetric(this.queue, props);
  }

  /** Messages waiting in the dead-letter queue (Maximum of `ApproximateNumberOfMessagesVisible`, 1 minute). */
  public metricDeadLetterQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return queueDepthMetric(this.deadLetterQueue, props);
  }
}
