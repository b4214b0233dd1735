import { Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import type { IdempotencyTable } from '../idempotency-table';
import type { PayloadBucket } from '../payload-bucket';
import { invalidConsumerNameMessage, isValidConsumerName, keysAlreadyOwnedMessage } from './consumer-name';
import { awsManagedKeyAlias } from './encryption';
import { ENVIRONMENT_RULE, sameEnvironmentRule } from './environment';
import { consumerOfHandler } from './handler-owner';
import { ENV_CONSUMER_NAME, ENV_DLQ_URL, idempotencyKeyPrefix } from './names';
import { consumerOfStackNamed } from './stack-consumers';
import { knownSeconds, ValidationRule } from './validation';

/**
 * What every consumer's rules look at, whatever its kind: its name, its handler and the
 * idempotency table its keys are in.
 */
export interface ConsumerIdentityInput {
  /** The consumer being built: its stack scopes its name. */
  readonly construct: IConstruct;
  /** The consumer's name: `consumerName`, or the one derived from the construct id. */
  readonly consumerName: string;
  readonly handler?: lambda.IFunction;
  readonly idempotencyTable?: IdempotencyTable;
  /** The consumer's environment: its own, or (a fan-out consumer) its fan-out's. */
  readonly environment?: string;
  /** The bucket the consumer reads offloaded payloads from, when it has one. */
  readonly payloadBucket?: PayloadBucket;
}

/** The handler's function already serves this consumer, when it does. */
const handlerOwner = (input: ConsumerIdentityInput) => input.handler && consumerOfHandler(input.handler);

/** The consumer of the same stack that `--stack <stack> --consumer <name>` would also find. */
const stackNamesake = (input: ConsumerIdentityInput) => isValidConsumerName(input.consumerName) ? consumerOfStackNamed(input.construct, input.consumerName) : undefined;

/** What else already holds this consumer name's keys in the idempotency table. */
const otherKeyOwner = (input: ConsumerIdentityInput) => input.idempotencyTable && input.handler && isValidConsumerName(input.consumerName)
  ? input.idempotencyTable._otherKeyOwner(idempotencyKeyPrefix(input.consumerName, input.environment), input.handler)
  : undefined;

/** The name scopes idempotency keys and an IAM condition: lower-case letters, digits and dashes. */
export const CONSUMER_NAME_RULE: ValidationRule<ConsumerIdentityInput> = {
  condition: (input) => !isValidConsumerName(input.consumerName),
  message: (input) => invalidConsumerNameMessage(input.consumerName),
};

/**
 * One consumer per name in a stack, whatever its kind: the command line finds a consumer's queues
 * by `--stack` and `--consumer` (case and dashes ignored), and must find exactly one.
 */
export const STACK_CONSUMER_NAME_RULE: ValidationRule<ConsumerIdentityInput> = {
  condition: (input) => stackNamesake(input) !== undefined,
  message: (input) => {
    const other = stackNamesake(input)!;
    const stack = Stack.of(input.construct).stackName;
    const alike = other.consumerName === input.consumerName ? '' : ` as '${other.consumerName}' (the command line ignores case and dashes)`;
    return `consumer name '${input.consumerName}' is already used in stack ${stack} by ${other.node.path}${alike}; `
      + `the fanout commands find a consumer by its name in its stack (--stack ${stack} --consumer ${input.consumerName}), so give one of them another id or consumerName`;
  },
};

/**
 * One principal per consumer name on an idempotency table, whatever the kind of consumer: two
 * consumers with one name would take each other's records for their own. A namesake in the same
 * stack is reported by `STACK_CONSUMER_NAME_RULE` alone (one fix for both).
 */
export const KEY_OWNER_RULE: ValidationRule<ConsumerIdentityInput> = {
  condition: (input) => otherKeyOwner(input) !== undefined && stackNamesake(input) === undefined,
  message: (input) => `${keysAlreadyOwnedMessage(input.consumerName, idempotencyKeyPrefix(input.consumerName, input.environment), `idempotency table ${input.idempotencyTable!.node.path}`, otherKeyOwner(input)!)}; set a distinct consumerName`,
};

/**
 * Who the consumer is: a valid name, its own in its stack, and its own on its idempotency table;
 * a valid environment, the one of its table and payload bucket when they have one.
 */
export const CONSUMER_IDENTITY_RULES: ReadonlyArray<ValidationRule<ConsumerIdentityInput>> = [
  CONSUMER_NAME_RULE,
  STACK_CONSUMER_NAME_RULE,
  KEY_OWNER_RULE,
  ENVIRONMENT_RULE,
  sameEnvironmentRule<ConsumerIdentityInput>('idempotency table', (input) => input.idempotencyTable, 'give the consumer the idempotency table of its own environment, or one without an environment'),
  sameEnvironmentRule<ConsumerIdentityInput>('payload bucket', (input) => input.payloadBucket, 'give the consumer the payload bucket of its own environment, or one without an environment'),
];

/** One function per consumer: its environment names one consumer and one dead-letter queue. */
export const HANDLER_OWNER_RULE: ValidationRule<ConsumerIdentityInput> = {
  condition: (input) => handlerOwner(input) !== undefined,
  message: (input) => {
    const owner = handlerOwner(input)!;
    return `the handler ${input.handler!.node.path} already processes consumer '${owner.consumerName}' (${owner.node.path}): a function has one `
      + `${ENV_CONSUMER_NAME} and one ${ENV_DLQ_URL}, so a second consumer would overwrite the first one's; give each consumer its own function`;
  },
};

/** The handler must have a role here to be granted what it reads (`source`: its queue, stream or topic). */
export function handlerRoleRule(source: string): ValidationRule<ConsumerIdentityInput> {
  return {
    condition: (input) => input.handler !== undefined && input.handler.role === undefined,
    message: () => `the handler has no role known here, so it cannot be granted ${source}; import it with lambda.Function.fromFunctionAttributes({ functionArn, role })`,
  };
}

/** The AWS-managed key the alarm topic is encrypted with, when it is one. */
const alarmTopicKeyAlias = (input: { readonly alarmTopic?: sns.ITopic }) => input.alarmTopic?.masterKey && awsManagedKeyAlias(input.alarmTopic.masterKey);

/** CloudWatch cannot publish alarms to a topic encrypted with an AWS-managed key. */
export const ALARM_TOPIC_RULE: ValidationRule<{ readonly alarmTopic?: sns.ITopic }> = {
  condition: (input) => alarmTopicKeyAlias(input) !== undefined,
  message: (input) => `alarmTopic is encrypted with the AWS-managed key ${alarmTopicKeyAlias(input)}, whose policy cannot let CloudWatch (cloudwatch.amazonaws.com) use it, `
    + 'so no alarm would reach the topic; encrypt the alarm topic with a customer-managed kms.Key (its policy is granted here when the key is defined in this app)',
};

/**
 * A queue's own `encryptionKey` must be customer-managed: an AWS-managed key's policy cannot be
 * changed, so the grants made here (handler, producers, on-call) would mean nothing to it.
 */
export const QUEUE_KEY_RULE: ValidationRule<{ readonly encryptionKey?: kms.IKey }> = {
  condition: (input) => input.encryptionKey !== undefined && awsManagedKeyAlias(input.encryptionKey) !== undefined,
  message: (input) => `encryptionKey is the AWS-managed key ${awsManagedKeyAlias(input.encryptionKey!)}, whose policy cannot be changed, so the grants made here would not reach it; `
    + 'give a customer-managed kms.Key, or remove encryptionKey for SQS-managed encryption (SSE-SQS), which needs no grants',
};

/** Lambda's longest batching window, for every event source. */
export const MAX_BATCHING_WINDOW = Duration.minutes(5);

/** A rule that a batching window, when given and known, is at most 5 minutes. */
export function batchingWindowRule<T>(window: (input: T) => Duration | undefined): ValidationRule<T> {
  return {
    condition: (input) => (knownSeconds(window(input)) ?? 0) > MAX_BATCHING_WINDOW.toSeconds(),
    message: (input) => `maxBatchingWindow must be at most 5 minutes, got ${window(input)!.toHumanString()}`,
  };
}

/** A rule that a duration, when given and known, is from `min` to `max` (`range` says so in words). */
export function durationRule<T>(name: string, value: (input: T) => Duration | undefined, min: Duration, max: Duration, range: string): ValidationRule<T> {
  return {
    condition: (input) => {
      const seconds = knownSeconds(value(input));
      return seconds !== undefined && (seconds < min.toSeconds() || seconds > max.toSeconds());
    },
    message: (input) => `${name} must be from ${range}, got ${value(input)!.toHumanString()}`,
  };
}

/** Options that mean nothing without a handler: one rule each. */
export function handlerOptionRules<T extends ConsumerIdentityInput>(names: ReadonlyArray<keyof T & string>): Array<ValidationRule<T>> {
  return names.map((name) => ({
    condition: (input: T) => input.handler === undefined && input[name] !== undefined,
    message: () => `${name} configures the handler, but no handler was given; add handler or remove ${name}`,
  }));
}
