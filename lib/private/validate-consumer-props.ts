import { Duration, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { ConsumerProps } from '../consumer';
import { invalidConsumerNameMessage, isValidConsumerName, keysAlreadyOwnedMessage } from './consumer-name';
import { consumerOfHandler } from './handler-owner';
import { ATTRIBUTE_TYPE, ENV_CONSUMER_NAME, ENV_DLQ_URL, EVENT_TYPE_PATTERN } from './names';
import { knownSeconds, ValidationRule, WarningRule, wholeNumberRule } from './validation';

/** How long a dead-letter queue keeps a message: SQS's maximum, so on-call has time to redrive. */
export const DEAD_LETTER_RETENTION = Duration.days(14);
/** Lambda's default function timeout, used when a handler was created without one. */
export const LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3);
/** SQS's longest visibility timeout. */
export const MAX_VISIBILITY_TIMEOUT = Duration.hours(12);
/** Lambda's longest batching window for SQS event sources. */
const MAX_BATCHING_WINDOW = Duration.minutes(5);
/** SQS's shortest message retention. */
const MIN_RETENTION = Duration.minutes(1);
/** Lambda takes more records than this from a standard queue only over a batching window. */
const MAX_BATCH_WITHOUT_WINDOW = 10;
/** Lambda's largest batch from a standard queue (FIFO: 10). */
const MAX_STANDARD_BATCH = 10000;
/** SQS's longest queue name, a FIFO queue's `.fifo` included. */
const MAX_QUEUE_NAME_LENGTH = 80;
/** What SQS allows in a queue name (besides a FIFO queue's `.fifo`, which the construct adds). */
const QUEUE_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/** What the consumer rules look at: the props, and what the construct derives from them. */
export interface ConsumerValidationInput extends ConsumerProps {
  /** The consumer's name: `consumerName`, or the one derived from the construct id. */
  readonly consumerName: string;
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
export function recommendedVisibilitySeconds(input: Pick<ConsumerValidationInput, 'maxBatchingWindow'>, functionTimeout: Duration): number {
  return 6 * functionTimeout.toSeconds() + (knownSeconds(input.maxBatchingWindow) ?? 0);
}

/**
 * The queue's visibility timeout: the one given, else the recommendation (capped at SQS's 12
 * hours), else SQS's 30 seconds for a queue without handler. Call after the rules passed.
 */
export function visibilityTimeoutFor(input: ConsumerValidationInput): Duration {
  if (input.visibilityTimeout) {
    return input.visibilityTimeout;
  }
  if (!input.functionTimeout) {
    return Duration.seconds(30);
  }
  return Duration.seconds(Math.min(recommendedVisibilitySeconds(input, input.functionTimeout), MAX_VISIBILITY_TIMEOUT.toSeconds()));
}

/** The queue's name without the `.fifo` suffix, which the construct adds on a FIFO topic. */
export function queueBaseName(queueName: string): string {
  return queueName.replace(/\.fifo$/, '');
}

/** What the construct appends to the base name for the dead-letter queue, the longer of the two names. */
const deadLetterSuffix = (input: ConsumerValidationInput) => `-dlq${input.fanOut.fifo ? '.fifo' : ''}`;
/** The longest base name whose dead-letter queue name SQS still takes. */
const maxQueueBaseName = (input: ConsumerValidationInput) => MAX_QUEUE_NAME_LENGTH - deadLetterSuffix(input).length;
/** The base queue name when one is given and known at synth time. */
const knownQueueBaseName = (input: ConsumerValidationInput) =>
  input.queueName === undefined || Token.isUnresolved(input.queueName) ? undefined : queueBaseName(input.queueName);
const QUEUE_NAME_SUFFIXES = '(the construct adds \'-dlq\' and, on a FIFO topic, \'.fifo\')';

/** Whether Lambda may take more than 10 records: a batching window of at least 1 second, or one only known at deploy time. */
function hasBatchingWindow(input: ConsumerValidationInput): boolean {
  return input.maxBatchingWindow !== undefined && (knownSeconds(input.maxBatchingWindow) ?? 1) >= 1;
}

/** Options that configure the handler's event source or its idempotency, and mean nothing without one. */
const HANDLER_OPTIONS = ['idempotencyTable', 'batchSize', 'maxBatchingWindow', 'maxConcurrency'] as const;

const typeFilter = (input: ConsumerValidationInput) => input.filterPolicy?.[ATTRIBUTE_TYPE] ?? input.filterPolicyWithMessageBody?.[ATTRIBUTE_TYPE];
const badEventTypes = (input: ConsumerValidationInput) => (input.eventTypes ?? []).filter((type) => !EVENT_TYPE_PATTERN.test(type));
const clashingConsumer = (input: ConsumerValidationInput) => input.fanOut.consumers.find((c) => c.consumerName === input.consumerName);
const handlerOwner = (input: ConsumerValidationInput) => input.handler && consumerOfHandler(input.handler);
/** What else already holds this consumer name's keys in the idempotency table. */
const otherKeyOwner = (input: ConsumerValidationInput) => input.idempotencyTable && input.handler && isValidConsumerName(input.consumerName)
  ? input.idempotencyTable._otherKeyOwner(input.consumerName, input.handler)
  : undefined;
const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/** Every rule of a consumer's props; all broken ones are reported together. */
export const CONSUMER_RULES: ReadonlyArray<ValidationRule<ConsumerValidationInput>> = [
  {
    condition: (input) => !isValidConsumerName(input.consumerName),
    message: (input) => invalidConsumerNameMessage(input.consumerName),
  },
  {
    condition: (input) => clashingConsumer(input) !== undefined,
    message: (input) => `consumer name '${input.consumerName}' is already used by ${clashingConsumer(input)!.node.path} on this topic; give one of them another id or consumerName`,
  },
  {
    condition: (input) => otherKeyOwner(input) !== undefined,
    message: (input) => `${keysAlreadyOwnedMessage(input.consumerName, `idempotency table ${input.idempotencyTable!.node.path}`, otherKeyOwner(input)!)}; set a distinct consumerName`,
  },
  wholeNumberRule('maxReceiveCount', (input) => input.maxReceiveCount, 1, () => 1000),
  wholeNumberRule('maxConcurrency', (input) => input.maxConcurrency, 2, () => 1000),
  wholeNumberRule('batchSize', (input) => input.batchSize, 1, (input) => input.fanOut.fifo ? MAX_BATCH_WITHOUT_WINDOW : MAX_STANDARD_BATCH),
  wholeNumberRule('maxQueueDepth', (input) => input.maxQueueDepth, 1, () => Number.MAX_SAFE_INTEGER),
  {
    condition: (input) => input.eventTypes !== undefined && input.eventTypes.length === 0,
    message: () => 'eventTypes is empty, so the consumer would receive nothing; list at least one type or remove eventTypes to receive every type',
  },
  {
    condition: (input) => badEventTypes(input).length > 0,
    message: (input) => {
      const bad = badEventTypes(input);
      return bad.length === 1
        ? `eventTypes contains ${quoted(bad)}, which is not an event type: use lower-case noun.verb, e.g. 'order.created'`
        : `eventTypes contains ${quoted(bad)}, which are not event types: use lower-case noun.verb, e.g. 'order.created'`;
    },
  },
  {
    condition: (input) => input.filterPolicy !== undefined && input.filterPolicyWithMessageBody !== undefined,
    message: () => 'filterPolicy and filterPolicyWithMessageBody cannot both be set (SNS applies one filter policy scope per subscription); keep one',
  },
  {
    condition: (input) => input.eventTypes !== undefined && typeFilter(input) !== undefined,
    message: () => `eventTypes and a filter policy on '${ATTRIBUTE_TYPE}' both filter the event type; keep one`,
  },
  {
    condition: (input) => input.fanOut.fifo && input.maxBatchingWindow !== undefined,
    message: () => 'maxBatchingWindow cannot be used on a FIFO consumer (Lambda does not batch FIFO queues over time); remove it',
  },
  {
    condition: (input) => {
      const base = knownQueueBaseName(input);
      return base !== undefined && !QUEUE_NAME_PATTERN.test(base);
    },
    message: (input) => `queueName '${input.queueName}' is not a queue name: use 1 to ${maxQueueBaseName(input)} letters, digits, '-' or '_' ${QUEUE_NAME_SUFFIXES}`,
  },
  {
    condition: (input) => (knownQueueBaseName(input)?.length ?? 0) > maxQueueBaseName(input),
    message: (input) => {
      const base = knownQueueBaseName(input)!;
      return `queueName '${input.queueName}' is ${base.length} characters, so its dead-letter queue's name would be ${base.length + deadLetterSuffix(input).length} `
        + `and SQS allows ${MAX_QUEUE_NAME_LENGTH}; use at most ${maxQueueBaseName(input)} characters ${QUEUE_NAME_SUFFIXES}`;
    },
  },
  {
    // aws-cdk-lib checks this too, but without the construct path or the fix, and not a window of 0 seconds.
    // A batch over the maximum is the batchSize rule's alone.
    condition: (input) => input.handler !== undefined && !input.fanOut.fifo && input.batchSize !== undefined && !Token.isUnresolved(input.batchSize)
      && input.batchSize > MAX_BATCH_WITHOUT_WINDOW && input.batchSize <= MAX_STANDARD_BATCH && !hasBatchingWindow(input),
    message: (input) => `batchSize ${input.batchSize} needs a maxBatchingWindow of at least 1 second (Lambda takes more than ${MAX_BATCH_WITHOUT_WINDOW} records from a standard queue only over a batching window); `
      + `set maxBatchingWindow, e.g. Duration.seconds(1), or a batchSize of at most ${MAX_BATCH_WITHOUT_WINDOW}`,
  },
  {
    condition: (input) => (knownSeconds(input.maxBatchingWindow) ?? 0) > MAX_BATCHING_WINDOW.toSeconds(),
    message: (input) => `maxBatchingWindow must be at most 5 minutes, got ${input.maxBatchingWindow!.toHumanString()}`,
  },
  {
    condition: (input) => {
      const seconds = knownSeconds(input.retentionPeriod);
      return seconds !== undefined && (seconds < MIN_RETENTION.toSeconds() || seconds > DEAD_LETTER_RETENTION.toSeconds());
    },
    message: (input) => `retentionPeriod must be from 1 minute to 14 days, got ${input.retentionPeriod!.toHumanString()}`,
  },
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
  ...HANDLER_OPTIONS.map((name): ValidationRule<ConsumerValidationInput> => ({
    condition: (input) => input.handler === undefined && input[name] !== undefined,
    message: () => `${name} configures the handler, but no handler was given; add handler or remove ${name}`,
  })),
  {
    condition: (input) => handlerOwner(input) !== undefined,
    message: (input) => {
      const owner = handlerOwner(input)!;
      return `the handler ${input.handler!.node.path} already processes consumer '${owner.consumerName}' (${owner.node.path}): a function has one `
        + `${ENV_CONSUMER_NAME} and one ${ENV_DLQ_URL}, so a second consumer would overwrite the first one's; give each consumer its own function`;
    },
  },
  {
    condition: (input) => input.handler !== undefined && input.handler.role === undefined,
    message: () => 'the handler has no role known here, so it cannot be granted its queue; import it with lambda.Function.fromFunctionAttributes({ functionArn, role })',
  },
];

/** What a consumer warns about but still builds. */
export const CONSUMER_WARNINGS: ReadonlyArray<WarningRule<ConsumerValidationInput>> = [
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
