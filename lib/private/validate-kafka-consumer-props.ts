import { Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { KafkaConsumerProps } from '../kafka-consumer';
import { KafkaDeadLetter } from '../kafka-dead-letter';
import { CONSUMER_IDENTITY_RULES, HANDLER_OWNER_RULE, handlerRoleRule, QUEUE_KEY_RULE } from './validate-common-props';
import { STREAM_RULES, StreamSourceInput } from './validate-stream-props';
import { ValidationRule, wholeNumberRule } from './validation';

/** Kafka's topic names: 1 to 249 letters, digits, `.`, `_` and `-`. */
const TOPIC_PATTERN = /^[A-Za-z0-9._-]{1,249}$/;
/** Lambda's consumer group ids: 1 to 200 of these characters. */
const CONSUMER_GROUP_ID_PATTERN = /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/;

/** What a Kafka consumer's rules look at: its props, and what the construct derives from them. */
export interface KafkaConsumerValidationInput extends KafkaConsumerProps, StreamSourceInput {
  readonly consumerName: string;
  readonly handler: lambda.IFunction;
  /** `consumerGroupId`, or the one derived from the stack and the consumer name. */
  readonly consumerGroupId: string;
  /** `deadLetter`, or its default. */
  readonly deadLetter: KafkaDeadLetter;
}

/** The default consumer group: `<stack name>-<consumer name>`, one per deployment of the consumer. */
export function defaultConsumerGroupId(stack: Stack, consumerName: string): string {
  return `${stack.stackName}-${consumerName}`;
}

/** A name known at synth time that does not match the pattern. */
const badName = (name: string | undefined, pattern: RegExp) => name !== undefined && !Token.isUnresolved(name) && !pattern.test(name);
/** The dead-letter topic the consumer will use, when it uses one. */
const deadLetterTopic = (input: KafkaConsumerValidationInput) =>
  input.deadLetter === KafkaDeadLetter.KAFKA_TOPIC ? input.deadLetterTopic ?? `${input.topic}.DLT` : undefined;
const known = (n: number | undefined): n is number => n !== undefined && !Token.isUnresolved(n);
const selfManaged = (input: KafkaConsumerValidationInput) => input.cluster._selfManaged;

/** Every rule of a Kafka consumer's props; all broken ones are reported together. */
export const KAFKA_CONSUMER_RULES: ReadonlyArray<ValidationRule<KafkaConsumerValidationInput>> = [
  ...CONSUMER_IDENTITY_RULES,
  ...STREAM_RULES,
  {
    condition: (input) => badName(input.topic, TOPIC_PATTERN),
    message: (input) => `topic '${input.topic}' is not a Kafka topic name: use 1 to 249 letters, digits, '.', '_' or '-'`,
  },
  {
    condition: (input) => badName(deadLetterTopic(input), TOPIC_PATTERN),
    message: (input) => `the dead-letter topic '${deadLetterTopic(input)}' is not a Kafka topic name: use 1 to 249 letters, digits, '.', '_' or '-' (set deadLetterTopic)`,
  },
  {
    condition: (input) => deadLetterTopic(input) !== undefined && deadLetterTopic(input) === input.topic,
    message: (input) => `deadLetterTopic is the consumed topic '${input.topic}' (Lambda refuses to write failed records back to their source); name another topic`,
  },
  {
    condition: (input) => badName(input.consumerGroupId, CONSUMER_GROUP_ID_PATTERN),
    message: (input) => `consumer group id '${input.consumerGroupId}' is invalid: use 1 to 200 letters, digits and - / * : _ + = . @ (set consumerGroupId)`,
  },
  {
    condition: (input) => input.deadLetter === KafkaDeadLetter.SQS_QUEUE && input.deadLetterTopic !== undefined,
    message: () => 'deadLetterTopic is only used with deadLetter KafkaDeadLetter.KAFKA_TOPIC; remove it, or choose KAFKA_TOPIC',
  },
  {
    condition: (input) => input.deadLetter === KafkaDeadLetter.KAFKA_TOPIC && input.encryptionKey !== undefined,
    message: () => 'encryptionKey encrypts the SQS dead-letter queue, and deadLetter is KafkaDeadLetter.KAFKA_TOPIC; remove it, or choose SQS_QUEUE',
  },
  wholeNumberRule('minimumPollers', (input) => input.minimumPollers, 1, () => 200),
  wholeNumberRule('maximumPollers', (input) => input.maximumPollers, 1, () => 2000),
  {
    condition: (input) => known(input.maximumPollers) && (known(input.minimumPollers) ? input.minimumPollers : 1) > input.maximumPollers,
    message: (input) => `maximumPollers (${input.maximumPollers}) is below minimumPollers (${input.minimumPollers ?? 1}); raise maximumPollers or lower minimumPollers`,
  },
  wholeNumberRule('maxOffsetLag', (input) => input.maxOffsetLag, 1, () => Number.MAX_SAFE_INTEGER),
  {
    condition: (input) => selfManaged(input) !== undefined && selfManaged(input)!.bootstrapServers.length === 0,
    message: () => 'the self-managed cluster has no bootstrapServers; list at least one broker as host:port',
  },
  {
    condition: (input) => selfManaged(input) !== undefined && selfManaged(input)!.vpc === undefined && selfManaged(input)!.secret === undefined,
    message: () => 'the self-managed cluster is reached over the internet (no vpc) without a secret; give the secret with its credentials, or the vpc it is reached in',
  },
  {
    condition: (input) => selfManaged(input)?.vpc !== undefined && (selfManaged(input)!.vpcSubnets === undefined || selfManaged(input)!.securityGroup === undefined),
    message: () => 'the self-managed cluster\'s vpc needs vpcSubnets and securityGroup for Lambda\'s pollers; give both',
  },
  QUEUE_KEY_RULE,
  HANDLER_OWNER_RULE,
  handlerRoleRule('its topic'),
];
