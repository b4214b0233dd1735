import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IConsumer } from './consumer-base';
import type { IdempotencyTable } from './idempotency-table';
import type { PayloadBucket } from './payload-bucket';
import { createAlarm } from './private/alarm';
import { AmazonMqQueue, amazonMqQueueMetric, deadLetterAlarm, queueDepthMetric } from './private/consumer-alarms';
import { consumerNameFromId } from './private/consumer-name';
import { createDeadLetterQueue } from './private/consumer-queues';
import { grantInspectAndPurge } from './private/dead-letter-operations';
import { tagEnvironment } from './private/environment';
import { wireHandler } from './private/handler-wiring';
import { allowCloudWatchAlarmsToUseKey } from './private/key-policy';
import { ROLE_DEAD_LETTER_QUEUE } from './private/names';
import { RabbitMqEventSource } from './private/rabbitmq-event-source';
import { registerStackConsumer } from './private/stack-consumers';
import { RABBITMQ_BATCH_SIZE, RABBITMQ_CONSUMER_RULES, RabbitMqConsumerValidationInput } from './private/validate-rabbitmq-consumer-props';
import { validateAllProps } from './private/validation';
import { RabbitMqBroker } from './rabbitmq-broker';

/** RabbitMQ's default virtual host. */
const DEFAULT_VIRTUAL_HOST = '/';
/** What the runtime's topology helper (`declareTopology`) names a consumer's broker dead-letter queue: `<queue>.dlq`. */
const BROKER_DEAD_LETTER_SUFFIX = '.dlq';

/**
 * Properties of a RabbitMqConsumer.
 */
export interface RabbitMqConsumerProps {
  /** The broker: `RabbitMqBroker.fromCfnBroker(broker)` or `RabbitMqBroker.fromBrokerArn(arn)`, in this stack's account. */
  readonly broker: RabbitMqBroker;

  /**
   * The Secrets Manager secret with the credentials of the broker user Lambda reads the queue as
   * (`{"username": "...", "password": "..."}`; RabbitMQ's PLAIN mechanism, the only one Lambda
   * uses). The handler's role is granted reading this secret and nothing else of Secrets Manager
   * (`secretsmanager:GetSecretValue` and `DescribeSecret` on it; with a customer-managed key,
   * `kms:Decrypt` through Secrets Manager). The user needs to read `queueName` in `virtualHost`.
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/process-mq-messages-with-lambda.html
   */
  readonly secret: secretsmanager.ISecret;

  /**
   * The Lambda function that processes the queue's messages. Lambda's RabbitMQ event has no
   * partial batch response: the function succeeds for the whole batch or fails it. It gets
   * `FANOUT_CONSUMER_NAME`, `FANOUT_DLQ_URL` and (with `idempotencyTable`)
   * `FANOUT_IDEMPOTENCY_TABLE`, and its role what Lambda's poller needs (`mq:DescribeBroker` on
   * the broker, the secret, and for a private broker the network interface actions). One function
   * per consumer.
   */
  readonly handler: lambda.IFunction;

  /**
   * The consumer's name: the scope of its idempotency keys, the `FANOUT_CONSUMER_NAME` of its
   * handler, the `fanout:consumer` tag of its dead-letter queue and, by default, the queue it
   * reads. Lower-case letters, digits and dashes, 1 to 64 characters; unique among every consumer
   * of its stack and of one idempotency table.
   *
   * @default - the construct id in lower case with dashes: `OrderBilling` becomes `order-billing`
   */
  readonly consumerName?: string;

  /**
   * The queue to read, in `virtualHost`. The construct does not declare it (nor exchanges,
   * bindings or queue arguments: no CloudFormation resource reaches inside a broker); declare it
   * with the runtime's `declareTopology` from `@cdk-fanout/runtime/rabbitmq`, which names a
   * consumer's queue after the consumer. 1 to 255 bytes, not starting with `amq.`.
   *
   * @default - the consumer name: the queue `declareTopology` declares for this consumer
   */
  readonly queueName?: string;

  /**
   * The RabbitMQ virtual host of the queue (Lambda's `VIRTUAL_HOST` source access configuration).
   *
   * @default '/'
   */
  readonly virtualHost?: string;

  /**
   * Messages per handler invocation, 1 to 10000. A failing message fails its whole batch, and the
   * broker delivers all of it again: every message of the batch counts a delivery against the
   * queue's `x-delivery-limit`. Smaller batches retry fewer messages with a bad one; larger ones
   * get more through the single poller Lambda runs per queue.
   *
   * @default 10 - (Lambda's default for Amazon MQ is 100)
   */
  readonly batchSize?: number;

  /**
   * How long Lambda gathers messages before invoking the handler. Up to 5 minutes.
   *
   * @default - Lambda's default for Amazon MQ, 500 milliseconds
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * The table the handler's idempotency records go to: the handler is granted access to its own
   * keys only and gets `FANOUT_IDEMPOTENCY_TABLE`. With a batch that fails and comes back, the
   * messages already processed are recognised as duplicates.
   *
   * @default - no idempotency table
   */
  readonly idempotencyTable?: IdempotencyTable;

  /**
   * A customer-managed KMS key for the SQS dead-letter queue (poison messages). AWS-managed keys
   * are refused.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The topic that receives the consumer's alarms (ALARM and OK transitions). A topic encrypted
   * with an AWS-managed key is refused (CloudWatch cannot use it).
   *
   * @default - alarms are created without actions
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * The broker queue that messages reach after the queue's `x-delivery-limit` failed deliveries
   * (bound to the queue's dead-letter exchange): alarmed when not empty, and on the dashboard.
   * Only its name is used here; the broker's topology makes it.
   *
   * @default - `<queueName>.dlq`, the dead-letter queue `declareTopology` binds to the consumer's
   *   dead-letter exchange
   */
  readonly brokerDeadLetterQueue?: string;

  /**
   * Alarm when this many messages or more are ready in the queue (Amazon MQ's
   * `MessageReadyCount` for it) for 3 minutes: one poller is not keeping up.
   *
   * @default - no depth alarm
   */
  readonly maxQueueDepth?: number;

  /**
   * The environment the consumer belongs to (`prod`, `staging`, `dev-alice`): 1 to 20 lower-case
   * letters, digits and dashes, starting with a letter. Its resources are tagged
   * `fanout:environment`, its handler gets `FANOUT_ENVIRONMENT` (the runtime then treats an
   * envelope stamped with another environment as poison) and writes idempotency keys under
   * `<environment>/<consumerName>#`. An idempotency table or payload bucket of another
   * environment is refused.
   *
   * @default - no environment
   */
  readonly environment?: string;

  /**
   * The bucket producers offload message bodies too large for the broker to (a claim check):
   * the handler is granted reading it (`s3:GetObject`). Its default expiration does not know how long the broker keeps a message: keep the queue's message TTL below it.
   *
   * @default - no payload bucket: the handler reads no offloaded payloads
   */
  readonly payloadBucket?: PayloadBucket;
}

/**
 * A Lambda consumer of a queue of an Amazon MQ for RabbitMQ broker: the event source mapping
 * (broker, queue, virtual host, credentials from Secrets Manager, batch size and window), the
 * permissions Lambda's poller needs, its own SQS dead-letter queue for poison (14 days, TLS-only,
 * tagged), alarms (handler errors, the SQS dead-letter queue and the broker's dead-letter queue
 * not empty, optionally the queue's depth), the runtime's environment and idempotency keys of its
 * own.
 *
 * What Lambda does not do for RabbitMQ, and this construct cannot change:
 * - **One poller per mapping.** Lambda runs at most one concurrent invocation per RabbitMQ event
 *   source mapping, whatever the function's reserved concurrency (AWS Support can raise it per
 *   mapping). Throughput is `batchSize` per handler duration.
 * - **No partial batch response.** A failing message fails the whole batch: Lambda acknowledges
 *   none of it and the broker delivers all of it again. So the handler records what it processed
 *   idempotently (those messages come back as duplicates), sends poison to the SQS dead-letter
 *   queue itself (`FANOUT_DLQ_URL`), and fails the batch for retryable failures only.
 * - **Dead-lettering retried messages is the broker's job**: a quorum queue with `x-delivery-limit`
 *   and a dead-letter exchange (`x-dead-letter-exchange`) moves a message that keeps failing to
 *   its dead-letter queue. Without them, a batch that always fails comes back forever.
 * - **Nothing inside the broker is configured here**: exchanges, the queue, its arguments
 *   (`x-queue-type`, `x-delivery-limit`, `x-dead-letter-exchange`) and bindings are not
 *   CloudFormation resources. Declare them with `declareTopology` of
 *   `@cdk-fanout/runtime/rabbitmq`, from the same consumer name.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-mq.html
 */
export class RabbitMqConsumer extends Construct implements IConsumer {
  /** The consumer's name: the scope of its idempotency keys. */
  public readonly consumerName: string;
  /** The broker. */
  public readonly broker: RabbitMqBroker;
  /** The queue the consumer reads. */
  public readonly queueName: string;
  /** The queue's virtual host. */
  public readonly virtualHost: string;
  /** The broker queue where messages go after the queue's delivery limit. */
  public readonly brokerDeadLetterQueue: string;
  /** The handler; always set (optional only as `IConsumer` declares it, like `lambda.Function.role`). */
  public readonly handler?: lambda.IFunction;
  /** Where the handler sends poison messages, with their reason (`FANOUT_DLQ_URL`). */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The event source mapping (`AWS::Lambda::EventSourceMapping`). */
  public readonly eventSourceMapping: lambda.CfnEventSourceMapping;
  /** The alarms: handler errors, the SQS dead-letter queue and the broker's dead-letter queue not empty, and (with `maxQueueDepth`) depth. */
  public readonly alarms: cloudwatch.IAlarm[];
  /** The consumer's environment, when it has one. */
  public readonly environment?: string;
  private readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: RabbitMqConsumerProps) {
    super(scope, id);
    this.consumerName = props.consumerName ?? consumerNameFromId(id);
    this.environment = props.environment;
    this.queueName = props.queueName ?? this.consumerName;
    this.virtualHost = props.virtualHost ?? DEFAULT_VIRTUAL_HOST;
    this.brokerDeadLetterQueue = props.brokerDeadLetterQueue ?? `${this.queueName}${BROKER_DEAD_LETTER_SUFFIX}`;
    const input: RabbitMqConsumerValidationInput = {
      ...props,
      construct: this,
      consumerName: this.consumerName,
      queueName: this.queueName,
      virtualHost: this.virtualHost,
      brokerDeadLetterQueue: this.brokerDeadLetterQueue,
      brokerDeadLetterQueueDerived: props.brokerDeadLetterQueue === undefined,
    };
    validateAllProps(this, input, RABBITMQ_CONSUMER_RULES);
    registerStackConsumer(this);
    this.broker = props.broker;
    this.handler = props.handler;
    this.encryptionKey = props.encryptionKey;

    this.deadLetterQueue = createDeadLetterQueue(this, {
      consumerName: this.consumerName,
      encryptionKey: props.encryptionKey,
      role: ROLE_DEAD_LETTER_QUEUE,
      nagReason: 'This queue is the dead-letter queue of a RabbitMQ consumer: its handler sends poison messages there (nothing redrives from SQS into a broker); a dead-letter queue has no dead-letter queue of its own.',
    });

    if (props.alarmTopic?.masterKey) {
      allowCloudWatchAlarmsToUseKey(props.alarmTopic.masterKey, this);
    }
    const subject = `RabbitMQ consumer ${this.consumerName} (${this.node.path})`;
    this.alarms = [
      createAlarm(this, 'HandlerErrorsAlarm', {
        metric: props.handler.metricErrors({ statistic: 'Sum', period: Duration.minutes(1) }),
        alarmDescription: `The handler of ${subject} failed (threw or timed out): Lambda acknowledged none of its batch, so the broker delivers it again `
          + `from queue ${this.queueName} until the queue's x-delivery-limit, then dead-letters it to ${this.brokerDeadLetterQueue}.`,
      }, props.alarmTopic),
      deadLetterAlarm(this, this.consumerName, this.deadLetterQueue,
        `Messages of ${subject} were rejected as poison; they are in its SQS dead-letter queue with their reason: inspect with \`fanout dlq inspect --force\`, `
        + 'fix, then publish them to the broker again (nothing redrives from SQS into a broker).',
        props.alarmTopic),
      createAlarm(this, 'BrokerDeadLetterAlarm', {
        metric: this.metricBrokerDeadLetterQueueDepth(),
        alarmDescription: `Messages of queue ${this.queueName} reached the broker's dead-letter queue ${this.brokerDeadLetterQueue} after the queue's x-delivery-limit `
          + `of failed deliveries (${subject} kept failing their batch); fix the cause, then move them back with the broker's tools (e.g. a shovel).`,
      }, props.alarmTopic),
    ];
    if (props.maxQueueDepth !== undefined) {
      this.alarms.push(createAlarm(this, 'QueueDepthAlarm', {
        metric: this.metricMessagesReady(),
        threshold: props.maxQueueDepth,
        evaluationPeriods: 3,
        alarmDescription: `${subject} is behind: ${props.maxQueueDepth} or more messages are ready in queue ${this.queueName} (Lambda reads it with one poller).`,
      }, props.alarmTopic));
    }

    const eventSource = new RabbitMqEventSource(this, {
      broker: props.broker,
      queueName: this.queueName,
      virtualHost: this.virtualHost,
      secret: props.secret,
      batchSize: props.batchSize ?? RABBITMQ_BATCH_SIZE,
      maxBatchingWindow: props.maxBatchingWindow,
    });
    wireHandler(this, props.handler, {
      eventSource,
      deadLetterQueue: this.deadLetterQueue,
      deadLetterKey: props.encryptionKey,
      idempotencyTable: props.idempotencyTable,
      payloadBucket: props.payloadBucket,
    });
    this.eventSourceMapping = eventSource.mapping!;
    // How long the broker keeps a message is the broker's to say: the DLQ's 14 days are known.
    props.payloadBucket?._addReader(Duration.seconds(0));
    tagEnvironment(this, props.environment);
  }

  /**
   * Let an on-call role run `fanout dlq inspect` and `fanout dlq purge` on this consumer's SQS
   * dead-letter queue (poison messages with their reason; tagged `fanout:role`
   * `dead-letter-queue`). Nothing redrives from it into the broker: publish fixed messages again.
   * The same permissions as a stream consumer's `grantDeadLetterOperations()`: read, peek and give
   * back, list its source queues (it has none), purge; the stack, to find it from `--stack` and
   * `--consumer`; with `encryptionKey`, `kms:Decrypt` on that key.
   *
   * @param grantee the on-call role (it must accept identity policies)
   */
  public grantDeadLetterOperations(grantee: iam.IGrantable): iam.Grant {
    return grantInspectAndPurge(grantee, this, this.deadLetterQueue, this.encryptionKey);
  }

  /** Messages ready in the queue (Amazon MQ's `MessageReadyCount`, Maximum, 1 minute). */
  public metricMessagesReady(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return amazonMqQueueMetric(this.brokerQueue(this.queueName), 'MessageReadyCount', props);
  }

  /** Messages of the queue delivered and not yet acknowledged (Amazon MQ's `MessageUnacknowledgedCount`, Maximum, 1 minute). */
  public metricMessagesUnacknowledged(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return amazonMqQueueMetric(this.brokerQueue(this.queueName), 'MessageUnacknowledgedCount', props);
  }

  /** Messages in the broker's dead-letter queue (Amazon MQ's `MessageCount` of `brokerDeadLetterQueue`, Maximum, 1 minute). */
  public metricBrokerDeadLetterQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return amazonMqQueueMetric(this.brokerQueue(this.brokerDeadLetterQueue), 'MessageCount', props);
  }

  /** Messages waiting in the SQS dead-letter queue (Maximum of `ApproximateNumberOfMessagesVisible`, 1 minute). */
  public metricDeadLetterQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return queueDepthMetric(this.deadLetterQueue, props);
  }

  private brokerQueue(queueName: string): AmazonMqQueue {
    return { brokerName: this.broker.brokerName, virtualHost: this.virtualHost, queueName };
  }
}
