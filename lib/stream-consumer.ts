import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IConsumer } from './consumer-base';
import type { IdempotencyTable } from './idempotency-table';
import type { PayloadBucket } from './payload-bucket';
import { createAlarm } from './private/alarm';
import { deadLetterAlarm, iteratorAgeMetric, MAX_MESSAGE_AGE, queueDepthMetric } from './private/consumer-alarms';
import { consumerNameFromId } from './private/consumer-name';
import { createFailureRecordsQueue } from './private/consumer-queues';
import { grantInspectAndPurge } from './private/dead-letter-operations';
import { tagEnvironment } from './private/environment';
import { DeadLetterQueueDestination, wireHandler } from './private/handler-wiring';
import { allowCloudWatchAlarmsToUseKey } from './private/key-policy';
import { STREAM_CONSUMER_RULES, StreamConsumerValidationInput } from './private/validate-stream-consumer-props';
import { STREAM_BATCH_SIZE, STREAM_RETRY_ATTEMPTS } from './private/validate-stream-props';
import { registerStackConsumer } from './private/stack-consumers';
import { validateAllProps } from './private/validation';

/**
 * How old a record may get before Lambda gives up on it: half of Kinesis' shortest (and
 * default) retention of 24 hours, so the stream still holds a given-up record for at least as
 * long again, to be read from its shard and sequence number.
 */
const MAX_RECORD_AGE = Duration.hours(12);

/**
 * Properties of a StreamConsumer.
 */
export interface StreamConsumerProps {
  /** The Kinesis data stream to consume. The handler is granted to read it (and its key). */
  readonly stream: kinesis.IStream;

  /**
   * The Lambda function that processes the stream's records. It must answer with a partial
   * batch response (`batchItemFailures` with the failed records' sequence numbers): reporting
   * batch item failures is always on. It gets `FANOUT_CONSUMER_NAME`, `FANOUT_DLQ_URL` and (with
   * `idempotencyTable`) `FANOUT_IDEMPOTENCY_TABLE`. One function per consumer.
   */
  readonly handler: lambda.IFunction;

  /**
   * The consumer's name: the scope of its idempotency keys, the `FANOUT_CONSUMER_NAME` of its
   * handler and the `fanout:consumer` tag of its dead-letter queue. Lower-case letters, digits
   * and dashes, 1 to 64 characters; unique among every consumer of its stack (the `fanout`
   * commands find a consumer by `--stack` and `--consumer`) and of one idempotency table.
   *
   * @default - the construct id in lower case with dashes: `ClickStream` becomes `click-stream`
   */
  readonly consumerName?: string;

  /**
   * Where a new consumer starts reading each shard. TRIM_HORIZON reads every record the stream
   * still holds, so no record written before the consumer was deployed is skipped unseen (the
   * idempotency table makes records seen twice harmless); LATEST starts with the records written
   * after the event source mapping is created.
   *
   * @default lambda.StartingPosition.TRIM_HORIZON
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
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * Batches processed at once per shard, 1 to 10; records of one partition key stay in order.
   *
   * @default 1
   */
  readonly parallelizationFactor?: number;

  /**
   * How many times Lambda retries a failed batch (from the first failed record, with partial
   * batch responses) before it sends the failed records' location to the dead-letter queue and
   * moves on. 0 to 10000; infinite retries (-1) are refused, since one bad record would stop its
   * shard until the record expires.
   *
   * @default 3
   */
  readonly retryAttempts?: number;

  /**
   * Records older than this are not sent to the handler: their location goes to the dead-letter
   * queue instead. From 1 minute to 7 days; keep it below the stream's retention period, so a
   * given-up record can still be read again.
   *
   * @default Duration.hours(12)
   */
  readonly maxRecordAge?: Duration;

  /**
   * When the handler fails (throws or times out), split the batch in two and retry each half,
   * to isolate a bad record. Retries of halves count against `retryAttempts`.
   *
   * @default true
   */
  readonly bisectBatchOnError?: boolean;

  /**
   * The table the handler's idempotency records go to: the handler is granted access to its
   * own keys only and gets `FANOUT_IDEMPOTENCY_TABLE`.
   *
   * @default - no idempotency table
   */
  readonly idempotencyTable?: IdempotencyTable;

  /**
   * A customer-managed KMS key for the dead-letter queue. AWS-managed keys are refused.
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
   * Alarm when the function's `IteratorAge` (the age of the last record of a batch when Lambda
   * read it) reaches this for 3 minutes: the consumer is behind the stream.
   *
   * @default Duration.minutes(15)
   */
  readonly maxIteratorAge?: Duration;

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
   * The bucket producers offload message bodies too large for the stream to (a claim check):
   * the handler is granted reading it (`s3:GetObject`). Its default expiration covers this consumer's `maxRecordAge`.
   *
   * @default - no payload bucket: the handler reads no offloaded payloads
   */
  readonly payloadBucket?: PayloadBucket;
}

/**
 * A Lambda consumer of a Kinesis data stream, done completely: partial batch responses always
 * on, split on error, bounded retries and record age, its own dead-letter queue as the
 * on-failure destination (14 days, TLS-only, tagged), alarms on the iterator age and on the
 * dead-letter queue, the runtime's environment and idempotency keys of its own.
 */
export class StreamConsumer extends Construct implements IConsumer {
  /** The consumer's name: the scope of its idempotency keys. */
  public readonly consumerName: string;
  /** The stream it reads. */
  public readonly stream: kinesis.IStream;
  /** The handler; always set (optional only as `IConsumer` declares it, like `lambda.Function.role`). */
  public readonly handler?: lambda.IFunction;
  /**
   * Lambda's on-failure destination: for each batch given up on, a record of where its records
   * are (shard, sequence numbers), not the records themselves; and where the handler sends poison.
   */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The alarms: iterator age, and dead-letter queue not empty. */
  public readonly alarms: cloudwatch.IAlarm[];
  /** The consumer's environment, when it has one. */
  public readonly environment?: string;
  private readonly fn: lambda.IFunction;
  private readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    this.consumerName = props.consumerName ?? consumerNameFromId(id);
    this.environment = props.environment;
    const input: StreamConsumerValidationInput = { ...props, construct: this, consumerName: this.consumerName };
    validateAllProps(this, input, STREAM_CONSUMER_RULES);
    registerStackConsumer(this);
    this.stream = props.stream;
    this.handler = props.handler;
    this.fn = props.handler;
    this.encryptionKey = props.encryptionKey;
    const retryAttempts = props.retryAttempts ?? STREAM_RETRY_ATTEMPTS;
    const maxRecordAge = props.maxRecordAge ?? MAX_RECORD_AGE;

    const deadLetterQueue = createFailureRecordsQueue(this, this.consumerName, props.encryptionKey);
    this.deadLetterQueue = deadLetterQueue;

    if (props.alarmTopic?.masterKey) {
      allowCloudWatchAlarmsToUseKey(props.alarmTopic.masterKey, this);
    }
    const maxIteratorAge = props.maxIteratorAge ?? MAX_MESSAGE_AGE;
    this.alarms = [
      createAlarm(this, 'IteratorAgeAlarm', {
        metric: this.metricIteratorAge(),
        threshold: maxIteratorAge.toMilliseconds(),
        evaluationPeriods: 3,
        alarmDescription: `Stream consumer ${this.consumerName} (${this.node.path}) is behind: the records it reads are ${maxIteratorAge.toHumanString()} old or older.`,
      }, props.alarmTopic),
      deadLetterAlarm(this, this.consumerName, deadLetterQueue,
        `Records of stream consumer ${this.consumerName} (${this.node.path}) were given up on (${retryAttempts} retries, or older than ${maxRecordAge.toHumanString()}) `
        + 'or rejected as poison; their shard and sequence numbers are in its dead-letter queue: read them with `fanout dlq inspect --force`, fix, '
        + 'then process those records again from the stream while it still holds them.',
        props.alarmTopic),
    ];

    wireHandler(this, props.handler, {
      eventSource: new eventSources.KinesisEventSource(props.stream, {
        startingPosition: props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
        startingPositionTimestamp: props.startingPositionTimestamp,
        batchSize: props.batchSize ?? STREAM_BATCH_SIZE,
        maxBatchingWindow: props.maxBatchingWindow,
        parallelizationFactor: props.parallelizationFactor,
        reportBatchItemFailures: true,
        bisectBatchOnError: props.bisectBatchOnError ?? true,
        retryAttempts,
        maxRecordAge,
        onFailure: new DeadLetterQueueDestination(deadLetterQueue),
      }),
      deadLetterQueue,
      deadLetterKey: props.encryptionKey,
      idempotencyTable: props.idempotencyTable,
      payloadBucket: props.payloadBucket,
    });
    props.payloadBucket?._addReader(maxRecordAge);
    tagEnvironment(this, props.environment);
  }

  /**
   * Let an on-call role run `fanout dlq inspect` and `fanout dlq purge` on this consumer's
   * dead-letter queue (tagged `fanout:role` `failure-records`). Lambda's on-failure records there
   * say where the given-up records are (shard, sequence numbers), not what they are, so there is
   * nothing to redrive: read them, process those records again from the stream while it holds
   * them, then purge. Granted on the queue only: read, peek and give back, list its source queues
   * (it has none), purge; `cloudformation:GetTemplate` and `DescribeStackResource` on this stack
   * to find it from `--stack` and `--consumer`; with `encryptionKey`, `kms:Decrypt` on that key.
   * No `sqs:DeleteMessage`, `sqs:SendMessage` or message move tasks.
   *
   * @param grantee the on-call role (it must accept identity policies)
   * @see https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
   */
  public grantDeadLetterOperations(grantee: iam.IGrantable): iam.Grant {
    return grantInspectAndPurge(grantee, this, this.deadLetterQueue, this.encryptionKey);
  }

  /**
   * The function's `IteratorAge` (Maximum, 1 minute), milliseconds: how old the last record of
   * each batch was when Lambda read it. The stream's own `GetRecords.IteratorAgeMilliseconds`
   * mixes every consumer of the stream; this one is this consumer's alone.
   */
  public metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return iteratorAgeMetric(this.fn, props);
  }

  /** Messages waiting in the dead-letter queue (Maximum of `ApproximateNumberOfMessagesVisible`, 1 minute). */
  public metricDeadLetterQueueDepth(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return queueDepthMetric(this.deadLetterQueue, props);
  }
}
