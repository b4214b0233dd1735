import { Duration, Fn, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IConsumer } from './consumer-base';
import type { IdempotencyTable } from './idempotency-table';
import type { PayloadBucket } from './payload-bucket';
import { KafkaCluster } from './kafka-cluster';
import { KafkaDeadLetter } from './kafka-dead-letter';
import { createAlarm } from './private/alarm';
import { deadLetterAlarm, offsetLagMetric } from './private/consumer-alarms';
import { consumerNameFromId } from './private/consumer-name';
import { createFailureRecordsQueue } from './private/consumer-queues';
import { grantInspectAndPurge } from './private/dead-letter-operations';
import { environmentName, tagEnvironment } from './private/environment';
import { claimPhysicalNames, NameScope } from './private/physical-names';
import { DeadLetterQueueDestination, wireHandler } from './private/handler-wiring';
import { allowCloudWatchAlarmsToUseKey } from './private/key-policy';
import { ENV_DEAD_LETTER_TOPIC } from './private/names';
import { defaultConsumerGroupId, KAFKA_CONSUMER_RULES, KafkaConsumerValidationInput } from './private/validate-kafka-consumer-props';
import { STREAM_BATCH_SIZE, STREAM_RETRY_ATTEMPTS } from './private/validate-stream-props';
import { registerStackConsumer } from './private/stack-consumers';
import { validateAllProps } from './private/validation';

/** Offset-lag alarm threshold: records the consumer group may be behind before on-call hears of it. */
const MAX_OFFSET_LAG = 1000;

/**
 * Properties of a KafkaConsumer.
 */
export interface KafkaConsumerProps {
  /** The cluster: `KafkaCluster.msk({ clusterArn })` or `KafkaCluster.selfManaged({ bootstrapServers, ... })`. */
  readonly cluster: KafkaCluster;

  /** The topic to consume: 1 to 249 letters, digits, `.`, `_` and `-`. */
  readonly topic: string;

  /**
   * The Lambda function that processes the topic's records. It must answer with a partial batch
   * response: reporting batch item failures is always on. It gets `FANOUT_CONSUMER_NAME`,
   * `FANOUT_DLQ_URL` (with an SQS dead-letter queue), `FANOUT_DEAD_LETTER_TOPIC` (with a
   * dead-letter topic) and (with `idempotencyTable`) `FANOUT_IDEMPOTENCY_TABLE`. One function per
   * consumer.
   */
  readonly handler: lambda.IFunction;

  /**
   * The consumer's name: the scope of its idempotency keys and the `FANOUT_CONSUMER_NAME` of its
   * handler. Lower-case letters, digits and dashes, 1 to 64 characters; unique among every
   * consumer of its stack (the `fanout` commands find a consumer by `--stack` and `--consumer`)
   * and of one idempotency table.
   *
   * @default - the construct id in lower case with dashes: `PaymentAudit` becomes `payment-audit`
   */
  readonly consumerName?: string;

  /**
   * The Kafka consumer group Lambda joins. It cannot be changed once the event source mapping
   * exists. A group that has other members shares the topic's partitions with them.
   *
   * With an `environment`, `<environment>-` is put in front: two environments on one cluster never
   * share a group. One group id per cluster in the app: a second one is refused at synth.
   *
   * @default - `<stack name>-<consumer name>`: one group per deployment of the consumer, so two
   *   stacks (staging and production) on one cluster never split a topic between them
   */
  readonly consumerGroupId?: string;

  /**
   * Where a new consumer group starts reading. Ignored when the group already has committed
   * offsets (Lambda then continues from them).
   *
   * @default lambda.StartingPosition.TRIM_HORIZON - every record the topic still holds, so nothing
   *   written before the consumer was deployed is skipped unseen
   */
  readonly startingPosition?: lambda.StartingPosition;

  /**
   * With `startingPosition` AT_TIMESTAMP: the time to start reading from, in Unix time seconds.
   *
   * @default - none
   */
  readonly startingPositionTimestamp?: number;

  /**
   * Records per handler invocation, 1 to 10000.
   *
   * @default 100
   */
  readonly batchSize?: number;

  /**
   * How long Lambda gathers records before invoking the handler. Up to 5 minutes.
   *
   * @default - Lambda's default for Kafka, 500 milliseconds
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * How many times Lambda retries a failed batch (from the failed records, with partial batch
   * responses) before it sends it to the dead letter and moves on. 0 to 10000; infinite retries
   * (-1) are refused, since one bad record would stop its partition.
   *
   * @default 3
   */
  readonly retryAttempts?: number;

  /**
   * Records older than this are not sent to the handler but to the dead letter. From 1 minute to 7 days.
   *
   * @default - no limit: records are processed however old (the `OffsetLag` alarm says when the
   *   consumer falls behind)
   */
  readonly maxRecordAge?: Duration;

  /**
   * When the handler fails (throws or times out), split the batch in two and retry each half,
   * to isolate a bad record.
   *
   * @default true
   */
  readonly bisectBatchOnError?: boolean;

  /**
   * Where Lambda sends the records of a batch it gave up on.
   *
   * @default KafkaDeadLetter.KAFKA_TOPIC
   */
  readonly deadLetter?: KafkaDeadLetter;

  /**
   * The dead-letter topic, with `deadLetter` KAFKA_TOPIC. It must exist in the same cluster and
   * differ from `topic`; Lambda writes to it as a producer. On MSK the handler's role is granted
   * `kafka-cluster:WriteData` on it.
   *
   * @default - `<topic>.DLT`
   */
  readonly deadLetterTopic?: string;

  /**
   * Provisioned mode: the fewest event pollers Lambda keeps for this consumer, 1 to 200. Lambda
   * supports retries, splitting and partial batch responses for Kafka in provisioned mode only,
   * so this consumer always uses it; each poller is billed per hour (an Event Poller Unit).
   *
   * @default 1
   */
  readonly minimumPollers?: number;

  /**
   * Provisioned mode: the most event pollers Lambda may scale to, 1 to 2000 (each handles up to
   * about 5 MB/s or 5 concurrent invocations).
   *
   * @default - Lambda's default, 200
   */
  readonly maximumPollers?: number;

  /**
   * Provisioned mode: event source mappings with the same poller group name share their pollers.
   *
   * @default - pollers of its own
   */
  readonly pollerGroupName?: string;

  /**
   * The table the handler's idempotency records go to: the handler is granted access to its
   * own keys only and gets `FANOUT_IDEMPOTENCY_TABLE`.
   *
   * @default - no idempotency table
   */
  readonly idempotencyTable?: IdempotencyTable;

  /**
   * A customer-managed KMS key for the SQS dead-letter queue (`deadLetter` SQS_QUEUE only).
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The topic that receives the consumer's alarms (ALARM and OK transitions).
   *
   * @default - alarms are created without actions
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Alarm when the consumer group is this many records behind (the function's `OffsetLag`,
   * Maximum) for 3 minutes.
   *
   * @default 1000
   */
  readonly maxOffsetLag?: number;

  /**
   * The environment the consumer belongs to (`prod`, `staging`, `dev-alice`): 1 to 20 lower-case
   * letters, digits and dashes, starting with a letter. Its resources are tagged
   * `fanout:environment`, its handler gets `FANOUT_ENVIRONMENT` (the runtime then treats an
   * envelope stamped with another environment as poison) and writes idempotency keys under
   * `<environment>/<consumerName>#`; `<environment>-` is put in front of the consumer group id
   * (the default one and a given one). An idempotency table or payload bucket of another
   * environment is refused.
   *
   * @default - no environment
   */
  readonly environment?: string;

  /**
   * The bucket producers offload message bodies too large for the Kafka topic to (a claim check):
   * the handler is granted reading it (`s3:GetObject`). Its default expiration covers this consumer's `maxRecordAge`, when it has one; without one, a record read later than the expiration finds no payload (the offset-lag alarm fires long before).
   *
   * @default - no payload bucket: the handler reads no offloaded payloads
   */
  readonly payloadBucket?: PayloadBucket;
}

/**
 * A Lambda consumer of a Kafka topic (Amazon MSK or self-managed): partial batch responses
 * always on, bounded retries, split on error, provisioned mode (where Lambda supports those),
 * failed records to a dead-letter topic or to its own SQS dead-letter queue, alarms on the
 * offset lag and on handler errors, the runtime's environment and idempotency keys of its own.
 */
export class KafkaConsumer extends Construct implements IConsumer {
  /** The consumer's name: the scope of its idempotency keys. */
  public readonly consumerName: string;
  /** The topic it reads. */
  public readonly topic: string;
  /** The Kafka consumer group Lambda joins. */
  public readonly consumerGroupId: string;
  /** The handler; always set (optional only as `IConsumer` declares it, like `lambda.Function.role`). */
  public readonly handler?: lambda.IFunction;
  /** The dead-letter topic, with `deadLetter` KAFKA_TOPIC. */
  public readonly deadLetterTopic?: string;
  /** The SQS dead-letter queue, with `deadLetter` SQS_QUEUE. */
  public readonly deadLetterQueue?: sqs.IQueue;
  /** The alarms: offset lag, handler errors and, with an SQS dead-letter queue, that queue not empty. */
  public readonly alarms: cloudwatch.IAlarm[];
  /** The consumer's environment, when it has one. */
  public readonly environment?: string;
  private readonly fn: lambda.IFunction;
  private readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: KafkaConsumerProps) {
    super(scope, id);
    this.consumerName = props.consumerName ?? consumerNameFromId(id);
    this.environment = props.environment;
    this.consumerGroupId = environmentName(props.environment, props.consumerGroupId ?? defaultConsumerGroupId(Stack.of(this), this.consumerName));
    const deadLetter = props.deadLetter ?? KafkaDeadLetter.KAFKA_TOPIC;
    const input: KafkaConsumerValidationInput = { ...props, construct: this, consumerName: this.consumerName, consumerGroupId: this.consumerGroupId, deadLetter };
    validateAllProps(this, input, KAFKA_CONSUMER_RULES);
    registerStackConsumer(this);
    this.topic = props.topic;
    this.handler = props.handler;
    this.fn = props.handler;
    this.encryptionKey = props.encryptionKey;
    const retryAttempts = props.retryAttempts ?? STREAM_RETRY_ATTEMPTS;

    let onFailure: lambda.IEventSourceDlq;
    let deadLetterName: string;
    const environment: Record<string, string> = {};
    if (deadLetter === KafkaDeadLetter.SQS_QUEUE) {
      this.deadLetterQueue = createFailureRecordsQueue(this, this.consumerName, props.encryptionKey);
      onFailure = new DeadLetterQueueDestination(this.deadLetterQueue);
      deadLetterName = 'its dead-letter queue';
    } else {
      this.deadLetterTopic = props.deadLetterTopic ?? `${props.topic}.DLT`;
      onFailure = new eventSources.KafkaDlq(this.deadLetterTopic);
      deadLetterName = `the dead-letter topic ${this.deadLetterTopic}`;
      environment[ENV_DEAD_LETTER_TOPIC] = this.deadLetterTopic;
      if (props.cluster.clusterArn !== undefined) {
        // What Lambda needs to write failed records to a topic of an MSK cluster.
        iam.Grant.addToPrincipal({
          grantee: props.handler,
          actions: ['kafka-cluster:WriteData'],
          resourceArns: [mskTopicArn(props.cluster.clusterArn, this.deadLetterTopic)],
        });
      }
    }

    if (props.alarmTopic?.masterKey) {
      allowCloudWatchAlarmsToUseKey(props.alarmTopic.masterKey, this);
    }
    const maxOffsetLag = props.maxOffsetLag ?? MAX_OFFSET_LAG;
    const subject = `Kafka consumer ${this.consumerName} (${this.node.path})`;
    this.alarms = [
      createAlarm(this, 'OffsetLagAlarm', {
        metric: this.metricOffsetLag(),
        threshold: maxOffsetLag,
        evaluationPeriods: 3,
        alarmDescription: `${subject} is behind: its consumer group ${this.consumerGroupId} has ${maxOffsetLag} or more records of ${props.topic} to process.`,
      }, props.alarmTopic),
      createAlarm(this, 'HandlerErrorsAlarm', {
        metric: props.handler.metricErrors({ statistic: 'Sum', period: Duration.minutes(1) }),
        alarmDescription: `The handler of ${subject} failed (threw or timed out); Lambda retries the batch up to ${retryAttempts} times, then sends it to ${deadLetterName}.`,
      }, props.alarmTopic),
    ];
    if (this.deadLetterQueue) {
      this.alarms.push(deadLetterAlarm(this, this.consumerName, this.deadLetterQueue,
        `Records of ${subject} were given up on or rejected as poison; their topic, partition and offsets are in its dead-letter queue: `
        + 'read them with `fanout dlq inspect --force`, fix, then process those records again from the topic while it still holds them.',
        props.alarmTopic));
    }

    wireHandler(this, props.handler, {
      eventSource: props.cluster._eventSource({
        topic: props.topic,
        consumerGroupId: this.consumerGroupId,
        startingPosition: props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
        startingPositionTimestamp: props.startingPositionTimestamp,
        batchSize: props.batchSize ?? STREAM_BATCH_SIZE,
        maxBatchingWindow: props.maxBatchingWindow,
        reportBatchItemFailures: true,
        bisectBatchOnError: props.bisectBatchOnError ?? true,
        retryAttempts,
        maxRecordAge: props.maxRecordAge,
        onFailure,
        provisionedPollerConfig: {
          minimumPollers: props.minimumPollers ?? 1,
          maximumPollers: props.maximumPollers,
          pollerGroupName: props.pollerGroupName,
        },
      }),
      deadLetterQueue: this.deadLetterQueue,
      deadLetterKey: props.encryptionKey,
      idempotencyTable: props.idempotencyTable,
      payloadBucket: props.payloadBucket,
      environment,
    });
    props.payloadBucket?._addReader(props.maxRecordAge ?? Duration.seconds(0));
    tagEnvironment(this, props.environment);
    const cluster = props.cluster.clusterArn ?? props.cluster._selfManaged?.bootstrapServers.join(',');
    claimPhysicalNames(this, [cluster === undefined ? undefined : { kind: 'Kafka consumer group', name: this.consumerGroupId, scope: NameScope.GLOBAL, within: cluster }]);
  }

  /**
   * Let an on-call role run `fanout dlq inspect` and `fanout dlq purge` on this consumer's SQS
   * dead-letter queue (`deadLetter` SQS_QUEUE; tagged `fanout:role` `failure-records`). Lambda's
   * on-failure records there say where the given-up records are (topic, partition, offsets), not
   * what they are, so there is nothing to redrive: read them, process those records again from the
   * topic while it holds them, then purge. The same permissions as a stream consumer's
   * `grantDeadLetterOperations()`. A consumer whose dead letters go to a Kafka topic has no queue
   * to grant: the call is refused, naming the topic.
   *
   * @param grantee the on-call role (it must accept identity policies)
   */
  public grantDeadLetterOperations(grantee: iam.IGrantable): iam.Grant {
    if (!this.deadLetterQueue) {
      throw new Error(`${this.node.path}: has no SQS dead-letter queue to grant: its failed records go to the Kafka topic ${this.deadLetterTopic}; `
        + 'grant reading that topic on the cluster instead (e.g. kafka-cluster:ReadData on MSK), or choose deadLetter KafkaDeadLetter.SQS_QUEUE');
    }
    return grantInspectAndPurge(grantee, this, this.deadLetterQueue, this.encryptionKey);
  }

  /**
   * The function's `OffsetLag` (Maximum, 1 minute): how many records of the topic its consumer
   * group has not processed yet.
   */
  public metricOffsetLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return offsetLagMetric(this.fn, props);
  }
}

/**
 * The ARN of a topic of an MSK cluster, for IAM: `...:cluster/<name>/<uuid>` becomes
 * `...:topic/<name>/<uuid>/<topic>`. Resolved at synth time for a literal cluster ARN.
 */
function mskTopicArn(clusterArn: string, topic: string): string {
  const parts = Fn.split(':cluster/', clusterArn);
  return Fn.join('', [Fn.select(0, parts), ':topic/', Fn.select(1, parts), '/', topic]);
}
