import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IConsumer, QueueConsumerOptions } from './consumer-base';
import type { FanOutTopic } from './fanout-topic';
import { ageOfOldestMessageMetric, backlogAlarms, deadLetterAlarm, queueDepthMetric, redriveDescription } from './private/consumer-alarms';
import { consumerNameFromId } from './private/consumer-name';
import { createQueuePair, QUEUE_RETENTION } from './private/consumer-queues';
import { DeadLetterOperationsGrant } from './private/dead-letter-operations';
import { environmentName, tagEnvironment } from './private/environment';
import { queueEventSource, wireHandler } from './private/handler-wiring';
import { queueMessageSizes } from './private/topic-message-size';
import { QueueSubscription } from './private/queue-subscription';
import { filterPolicies } from './private/subscription-filter';
import { CONSUMER_RULES, CONSUMER_WARNINGS, ConsumerValidationInput } from './private/validate-consumer-props';
import { functionTimeoutOf, queueBaseName, visibilityTimeoutFor } from './private/validate-queue-consumer-props';
import { registerStackConsumer } from './private/stack-consumers';
import { validateAllProps, warnAll } from './private/validation';

/**
 * Options of one consumer, given to `FanOutTopic.addConsumer()`: its queues and handler
 * (`QueueConsumerOptions`) and its subscription to the topic.
 */
export interface ConsumerOptions extends QueueConsumerOptions {
  /**
   * Event types (the envelope's `type`, e.g. `order.created`) this consumer receives. A
   * shorthand for a filter policy on the `type` message attribute that the Publisher sets; with
   * `filterPolicyWithMessageBody` it filters on the body's `type` field instead.
   *
   * @default - every event type
   */
  readonly eventTypes?: string[];

  /**
   * A filter policy on message attributes. Combined with `eventTypes`, which adds the `type` key,
   * and the environment, which adds the `environment` key. At most 5 keys in all, and at most
   * 150 combinations of values (SNS's limits).
   *
   * @default - no attribute filter beyond `eventTypes` and the environment
   */
  readonly filterPolicy?: { [attribute: string]: sns.SubscriptionFilter };

  /**
   * A filter policy on the message body (the envelope JSON), instead of on attributes. Cannot be
   * combined with `filterPolicy`. The envelope has no environment, so such a subscription does
   * not filter on it: the handler's runtime refuses another environment's messages as poison.
   *
   * @default - no body filter
   */
  readonly filterPolicyWithMessageBody?: { [attribute: string]: sns.FilterOrPolicy };

  /**
   * Deliver the published message as the SQS body as it is. When false, the body is SNS's
   * notification JSON; the runtime unwraps both.
   *
   * @default true
   */
  readonly rawMessageDelivery?: boolean;
}

/**
 * Properties of a Consumer created directly (`FanOutTopic.addConsumer()` fills `fanOut`).
 */
export interface ConsumerProps extends ConsumerOptions {
  /** The fan-out this consumer subscribes to. */
  readonly fanOut: FanOutTopic;
}

/**
 * One subscriber of a FanOutTopic: its queue, dead-letter queue, subscription, alarms and
 * optional Lambda handler.
 */
export class Consumer extends Construct implements IConsumer {
  /** The consumer's name: the scope of its idempotency keys. */
  public readonly consumerName: string;
  /** The queue SNS delivers this consumer's events to. */
  public readonly queue: sqs.IQueue;
  /** Where messages go after `maxReceiveCount` receives, and where poison messages are sent. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The SNS subscription of the queue to the topic. */
  public readonly subscription: sns.Subscription;
  /** The consumer's alarms: dead-letter queue not empty, age of the oldest message, and depth. */
  public readonly alarms: cloudwatch.IAlarm[];
  /** The handler, when one was given. */
  public readonly handler?: lambda.IFunction;
  /** The visibility timeout of the queue. */
  public readonly visibilityTimeout: Duration;
  /** The consumer's environment (the fan-out's), when it has one. */
  public readonly environment?: string;
  /** The fan-out's customer-managed key that encrypts both queues, when there is one. */
  private readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: ConsumerProps) {
    super(scope, id);
    const fanOut = props.fanOut;
    this.consumerName = props.consumerName ?? consumerNameFromId(id);
    this.environment = props.environment ?? fanOut.environment;
    // Every broken rule is reported in one error, before any resource is made.
    const input: ConsumerValidationInput = {
      ...props,
      construct: this,
      consumerName: this.consumerName,
      environment: this.environment,
      payloadBucket: fanOut.payloadBucket,
      fifo: fanOut.fifo,
      functionTimeout: functionTimeoutOf(props.handler),
    };
    validateAllProps(this, input, CONSUMER_RULES);
    registerStackConsumer(this);
    warnAll(this, input, CONSUMER_WARNINGS);
    this.handler = props.handler;
    this.visibilityTimeout = visibilityTimeoutFor(input);
    this.encryptionKey = fanOut.encryptionKey;

    const rawMessageDelivery = props.rawMessageDelivery ?? true;
    const sizes = queueMessageSizes(fanOut.maxMessageSizeBytes, rawMessageDelivery);
    const { queue, deadLetterQueue } = createQueuePair(this, {
      consumerName: this.consumerName,
      fifo: fanOut.fifo,
      queueName: props.queueName !== undefined ? environmentName(this.environment, queueBaseName(props.queueName)) : undefined,
      retentionPeriod: props.retentionPeriod,
      visibilityTimeout: this.visibilityTimeout,
      maxReceiveCount: props.maxReceiveCount,
      encryptionKey: fanOut.encryptionKey,
      maxMessageSizeBytes: sizes.queue,
      deadLetterMaxMessageSizeBytes: sizes.deadLetterQueue,
    });
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;

    // The subscription adds the queue policy that admits only this topic (aws:SourceArn);
    // deliveries SNS gives up on land in the same DLQ, so one alarm and one redrive cover both.
    this.subscription = fanOut.topic.addSubscription(new QueueSubscription(queue, {
      rawMessageDelivery,
      ...filterPolicies(props, this.environment),
      deadLetterQueue,
    })) as sns.Subscription;

    const subject = `Consumer ${this.consumerName} (${this.node.path})`;
    this.alarms = [
      deadLetterAlarm(this, this.consumerName, deadLetterQueue, redriveDescription('consumer', this), fanOut.alarmTopic),
      ...backlogAlarms(this, { subject, queue, maxMessageAge: props.maxMessageAge, maxQueueDepth: props.maxQueueDepth }, fanOut.alarmTopic),
    ];
    if (props.handler) {
      wireHandler(this, props.handler, {
        eventSource: queueEventSource(queue, props),
        deadLetterQueue,
        deadLetterKey: fanOut.encryptionKey,
        idempotencyTable: props.idempotencyTable,
        payloadBucket: fanOut.payloadBucket,
      });
    }
    // A message points to its payload as long as it may wait in the queue, then in the DLQ.
    fanOut.payloadBucket?._addReader(props.retentionPeriod ?? QUEUE_RETENTION);
    // Also when the consumer is not built inside its fan-out (new Consumer(scope, id, { fanOut })).
    tagEnvironment(this, this.environment);
    fanOut._registerConsumer(this);
  }

  /**
   * Let an on-call role run `fanout dlq inspect`, `fanout dlq redrive` and `fanout dlq purge` on
   * this consumer's dead-letter queue only: the same permissions as
   * `FanOutTopic.grantDeadLetterOperations()`, limited to this consumer's two queues and stack.
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
