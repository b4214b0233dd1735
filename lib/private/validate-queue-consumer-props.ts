import { Duration, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { QueueConsumerOptions } from '../consumer-base';
import { DEAD_LETTER_RETENTION, DEAD_LETTER_SUFFIX, FIFO_SUFFIX } from './consumer-queues';
import { environmentName, environmentPrefixLength } from './environment';
import { QUEUE_BATCH_SIZE } from './handler-wiring';
import {
  batchingWindowRule, ConsumerIdentityInput, durationRule, HANDLER_OWNER_RULE, handlerOptionRules, handlerRoleRule,
} from './validate-common-props';
import { knownSeconds, ValidationRule, WarningRule, wholeNumberRule } from './validation';

/** Lambda's default function timeout, used when a handler was created without one. */
export const LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3);
/** SQS's longest visibility timeout. */
export const MAX_VISIBILITY_TIMEOUT = Duration.hours(12);
/** SQS's shortest message retention. */
const MIN_RETENTION = Duration.minutes(1);
/** Lambda's largest batch from a standard queue (FIFO: 10, without a batching window: 10 too). */
const MAX_STANDARD_BATCH = 10000;
/** SQS's longest queue name, a FIFO queue's `.fifo` included. */
const MAX_QUEUE_NAME_LENGTH = 80;
/** What SQS allows in a queue name (besides a FIFO queue's `.fifo`, which the construct adds). */
const QUEUE_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
const QUEUE_NAME_SUFFIXES = `(the construct adds '${DEAD_LETTER_SUFFIX}' and, on a FIFO queue, '${FIFO_SUFFIX}')`;

/**
 * What the rules of a consumer with its own queue (a fan-out `Consumer`, a `WorkQueue`) look at:
 * the props, and what the construct derives from them.
 */
export interface QueueConsumerValidationInput extends QueueConsumerOptions, ConsumerIdentityInput {
  readonly consumerName: string;
  /** Whether the queues are FIFO. */
  readonly fifo: boolean;
  /**
   * The handler's timeout, when the handler is a `lambda.Function` of this app (Lambda's
   * default of 3 seconds when it was created without one); undefined when it is not known here.
   */
  readonly functionTimeout?: Duration;
}

/** The handler's timeout when it can be known at synth time. */
export function functionTimeoutOf(handler: lambda.IFunction | undefined): Duration | undefined {
  return handler instanceof lambda.Function ? handler.timeout ?? LAMBDA_DEFAULT_TIMEOUT : undefined;
}

/** AWS's recommended visibility timeout: 6 × the function timeout + the batching window, in seconds. */
export function recommendedVisibilitySeconds(input: Pick<QueueConsumerOptions, 'maxBatchingWindow'>, functionTimeout: Duration): number {
  return 6 * functionTimeout.toSeconds() + (knownSeconds(input.maxBatchingWindow) ?? 0);
}

/**
 * The queue's visibility timeout: the one given, else the recommendation (capped at SQS's 12
 * hours), else SQS's 30 seconds for a queue without handler. Call after the rules passed.
 */
export function visibilityTimeoutFor(input: QueueConsumerValidationInput): Duration {
  if (input.visibilityTimeout) {
    return input.visibilityTimeout;
  }
  if (!input.functionTimeout) {
    return Duration.seconds(30);
  }
  return Duration.seconds(Math.min(recommendedVisibilitySeconds(input, input.functionTimeout), MAX_VISIBILITY_TIMEOUT.toSeconds()));
}

/** The queue's name without the `.fifo` suffix, which the construct adds to a FIFO queue. */
export function queueBaseName(queueName: string): string {
  return queueName.endsWith(FIFO_SUFFIX) ? queueName.slice(0, -FIFO_SUFFIX.length) : queueName;
}

/** What the construct appends to the base name for the dead-letter queue, the longer of the two names. */
const deadLetterSuffix = (input: QueueConsumerValidationInput) => `${DEAD_LETTER_SUFFIX}${input.fifo ? FIFO_SUFFIX : ''}`;
/** The longest base name whose dead-letter queue name SQS still takes. */
const maxQueueBaseName = (input: QueueConsumerValidationInput) => MAX_QUEUE_NAME_LENGTH - deadLetterSuffix(input).length;
/** The base queue name, with the environment in front, when one is given and known at synth time. */
const knownQueueBaseName = (input: QueueConsumerValidationInput) =>
  input.queueName === undefined || Token.isUnresolved(input.queueName) ? undefined : environmentName(input.environment, queueBaseName(input.queueName));
/** How the messages say that the environment is put in front of the name. */
const withEnvironment = (input: QueueConsumerValidationInput) => input.environment ? ` with '${input.environment}-' in front` : '';

/** Whether Lambda may take more than 10 records: a batching window of at least 1 second, or one only known at deploy time. */
function hasBatchingWindow(input: QueueConsumerValidationInput): boolean {
  return input.maxBatchingWindow !== undefined && (knownSeconds(input.maxBatchingWindow) ?? 1) >= 1;
}

/** The numbers of a queue consumer's props, each a whole number in its range. */
export const QUEUE_NUMBER_RULES: ReadonlyArray<ValidationRule<QueueConsumerValidationInput>> = [
  wholeNumberRule('maxReceiveCount', (input) => input.maxReceiveCount, 1, () => 1000),
  wholeNumberRule('maxConcurrency', (input) => input.maxConcurrency, 2, () => 1000),
  wholeNumberRule('batchSize', (input) => input.batchSize, 1, (input) => input.fifo ? QUEUE_BATCH_SIZE : MAX_STANDARD_BATCH),
  wholeNumberRule('maxQueueDepth', (input) => input.maxQueueDepth, 1, () => Number.MAX_SAFE_INTEGER),
];

/** The rules of a queue consumer's queues and handler, after its numbers and its own rules. */
export const QUEUE_RULES: ReadonlyArray<ValidationRule<QueueConsumerValidationInput>> = [
  {
    condition: (input) => input.fifo && input.maxBatchingWindow !== undefined,
    message: () => 'maxBatchingWindow cannot be used on a FIFO consumer (Lambda does not batch FIFO queues over time); remove it',
  },
  {
    condition: (input) => {
      const base = knownQueueBaseName(input);
      return base !== undefined && !QUEUE_NAME_PATTERN.test(base);
    },
    message: (input) => `queueName '${input.queueName}' is not a queue name: use 1 to ${maxQueueBaseName(input) - environmentPrefixLength(input.environment)} letters, digits, '-' or '_' ${QUEUE_NAME_SUFFIXES}`,
  },
  {
    condition: (input) => (knownQueueBaseName(input)?.length ?? 0) > maxQueueBaseName(input),
    message: (input) => {
      const base = knownQueueBaseName(input)!;
      return `queueName '${input.queueName}'${withEnvironment(input)} is ${base.length} characters, so its dead-letter queue's name would be ${base.length + deadLetterSuffix(input).length} `
        + `and SQS allows ${MAX_QUEUE_NAME_LENGTH}; use at most ${maxQueueBaseName(input) - environmentPrefixLength(input.environment)} characters ${QUEUE_NAME_SUFFIXES}`;
    },
  },
  {
    // aws-cdk-lib checks this too, but without the construct path or the fix, and not a window of 0 seconds.
    // A batch over the maximum is the batchSize rule's alone.
    condition: (input) => input.handler !== undefined && !input.fifo && input.batchSize !== undefined && !Token.isUnresolved(input.batchSize)
      && input.batchSize > QUEUE_BATCH_SIZE && input.batchSize <= MAX_STANDARD_BATCH && !hasBatchingWindow(input),
    message: (input) => `batchSize ${input.batchSize} needs a maxBatchingWindow of at least 1 second (Lambda takes more than ${QUEUE_BATCH_SIZE} records from a standard queue only over a batching window); `
      + `set maxBatchingWindow, e.g. Duration.seconds(1), or a batchSize of at most ${QUEUE_BATCH_SIZE}`,
  },
  batchingWindowRule((input) => input.maxBatchingWindow),
  durationRule('retentionPeriod', (input) => input.retentionPeriod, MIN_RETENTION, DEAD_LETTER_RETENTION, '1 minute to 14 days'),
  {
    condition: (input) => (knownSeconds(input.visibilityTimeout) ?? 0) > MAX_VISIBILITY_TIMEOUT.toSeconds(),
    message: (input) => `visibilityTimeout must be at most 12 hours, got ${input.visibilityTimeout!.toHumanString()}`,
  },
  {
    condition: (input) => input.handler !== undefined && input.visibilityTimeout === undefined && input.functionTimeout === undefined,
    message: () => 'the handler\'s timeout is not known here (it is not a lambda.Function of this app); set visibilityTimeout to at least 6 × its timeout + maxBatchingWindow',
  },
  {
    condition: (input) => {
      const visibility = knownSeconds(input.visibilityTimeout);
      return visibility !== undefined && input.functionTimeout !== undefined && visibility < input.functionTimeout.toSeconds();
    },
    message: (input) => `visibilityTimeout (${input.visibilityTimeout!.toHumanString()}) is shorter than the handler's timeout (${input.functionTimeout!.toHumanString()}), so messages would be delivered again while still being processed; `
      + `remove visibilityTimeout to derive it, or set at least ${recommendedVisibilitySeconds(input, input.functionTimeout!)} seconds`,
  },
  ...handlerOptionRules<QueueConsumerValidationInput>(['idempotencyTable', 'batchSize', 'maxBatchingWindow', 'maxConcurrency']),
  HANDLER_OWNER_RULE,
  handlerRoleRule('its queue'),
];

/** What a queue consumer warns about but still builds. */
export const QUEUE_WARNINGS: ReadonlyArray<WarningRule<QueueConsumerValidationInput>> = [
  {
    id: 'cdk-fanout:retentionPeriod',
    condition: (input) => knownSeconds(input.retentionPeriod) === DEAD_LETTER_RETENTION.toSeconds(),
    message: () => 'retentionPeriod equals the dead-letter queue\'s 14 days: a message that fails late expires soon after it reaches the DLQ; keep it shorter',
  },
  {
    id: 'cdk-fanout:visibilityTimeout',
    condition: (input) => {
      const visibility = knownSeconds(input.visibilityTimeout);
      return visibility !== undefined && input.functionTimeout !== undefined && visibility < recommendedVisibilitySeconds(input, input.functionTimeout);
    },
    message: (input) => `visibilityTimeout (${knownSeconds(input.visibilityTimeout)} s) is below AWS's recommendation of 6 × the handler timeout + maxBatchingWindow `
      + `(${recommendedVisibilitySeconds(input, input.functionTimeout!)} s); throttled retries may then deliver messages twice`,
  },
];
