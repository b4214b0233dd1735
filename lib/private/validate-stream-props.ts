import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ALARM_TOPIC_RULE, batchingWindowRule, ConsumerIdentityInput, durationRule } from './validate-common-props';
import { ValidationRule, wholeNumberRule } from './validation';

/** Lambda's default batch size for Kinesis and Kafka event sources, and this library's. */
export const STREAM_BATCH_SIZE = 100;
/** Retries of a failed batch before Lambda sends its records to the on-failure destination. */
export const STREAM_RETRY_ATTEMPTS = 3;
/** Lambda's largest batch from a Kinesis stream or a Kafka topic. */
const MAX_STREAM_BATCH = 10000;
/** Lambda's range of maximum record ages (besides -1, infinite, which this library does not take). */
const MIN_RECORD_AGE = Duration.minutes(1);
const MAX_RECORD_AGE = Duration.days(7);

/** What the rules of a stream or Kafka consumer look at, besides its own props. */
export interface StreamSourceInput extends ConsumerIdentityInput {
  readonly batchSize?: number;
  readonly maxBatchingWindow?: Duration;
  readonly retryAttempts?: number;
  readonly maxRecordAge?: Duration;
  readonly startingPosition?: lambda.StartingPosition;
  readonly startingPositionTimestamp?: number;
  readonly alarmTopic?: sns.ITopic;
}

/** The rules every consumer of a stream (Kinesis) or a topic (Kafka) shares. */
export const STREAM_RULES: ReadonlyArray<ValidationRule<StreamSourceInput>> = [
  wholeNumberRule('batchSize', (input) => input.batchSize, 1, () => MAX_STREAM_BATCH),
  wholeNumberRule('retryAttempts', (input) => input.retryAttempts, 0, () => 10000),
  durationRule('maxRecordAge', (input) => input.maxRecordAge, MIN_RECORD_AGE, MAX_RECORD_AGE, '1 minute to 7 days'),
  batchingWindowRule((input) => input.maxBatchingWindow),
  {
    condition: (input) => input.startingPosition === lambda.StartingPosition.AT_TIMESTAMP && input.startingPositionTimestamp === undefined,
    message: () => 'startingPosition AT_TIMESTAMP needs startingPositionTimestamp (Unix time in seconds); set it, or choose TRIM_HORIZON or LATEST',
  },
  {
    condition: (input) => input.startingPositionTimestamp !== undefined && input.startingPosition !== lambda.StartingPosition.AT_TIMESTAMP,
    message: () => 'startingPositionTimestamp is only read with startingPosition AT_TIMESTAMP; set that, or remove startingPositionTimestamp',
  },
  ALARM_TOPIC_RULE,
];
