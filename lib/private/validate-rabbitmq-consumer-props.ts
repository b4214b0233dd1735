import { Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { RabbitMqConsumerProps } from '../rabbitmq-consumer';
import {
  ALARM_TOPIC_RULE, batchingWindowRule, CONSUMER_IDENTITY_RULES, ConsumerIdentityInput, HANDLER_OWNER_RULE, handlerRoleRule, QUEUE_KEY_RULE,
} from './validate-common-props';
import { ValidationRule, wholeNumberRule } from './validation';

/**
 * This library's batch size for RabbitMQ (Lambda's default is 100): without partial batch
 * responses a failing message sends its whole batch back, and 10 bounds what is retried with it.
 */
export const RABBITMQ_BATCH_SIZE = 10;
/** Lambda's largest batch from an Amazon MQ queue. */
const MAX_MQ_BATCH = 10000;
/** RabbitMQ's names (queues, virtual hosts) are AMQP short strings: at most 255 bytes of UTF-8. */
const MAX_NAME_BYTES = 255;
/** Queue names the broker keeps for itself: a client cannot declare them. */
const RESERVED_QUEUE_PREFIX = 'amq.';
/** `arn:<partition>:mq:<region>:<account>:broker:<name>:<id>`. */
const BROKER_ARN_PATTERN = /^arn:[a-z-]+:mq:[a-z0-9-]+:(\d{12}):broker:[^:]+:[^:]+$/;

/** What a RabbitMQ consumer's rules look at: its props, and what the construct derives from them. */
export interface RabbitMqConsumerValidationInput extends RabbitMqConsumerProps, ConsumerIdentityInput {
  readonly consumerName: string;
  readonly handler: lambda.IFunction;
  /** `queueName`, or the consumer name. */
  readonly queueName: string;
  /** `virtualHost`, or `/`. */
  readonly virtualHost: string;
  /** `brokerDeadLetterQueue`, or `<queueName>.dlq`. */
  readonly brokerDeadLetterQueue: string;
  /** Whether `brokerDeadLetterQueue` is the default derived from `queueName`. */
  readonly brokerDeadLetterQueueDerived: boolean;
}

const known = (value: string | undefined): value is string => value !== undefined && !Token.isUnresolved(value);

/** The length of a string in UTF-8 bytes (what AMQP counts). */
function bytes(value: string): number {
  let length = 0;
  for (const char of value) {
    const codePoint = char.codePointAt(0)!;
    length += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
  }
  return length;
}

/** A RabbitMQ name (queue or virtual host) that is empty or longer than the broker takes; `fix` adds to the message. */
function nameRule(prop: string, value: (input: RabbitMqConsumerValidationInput) => string, what: string,
  fix: (input: RabbitMqConsumerValidationInput) => string = () => ''): ValidationRule<RabbitMqConsumerValidationInput> {
  return {
    condition: (input) => known(value(input)) && (value(input).length === 0 || bytes(value(input)) > MAX_NAME_BYTES),
    message: (input) => `${prop} '${value(input)}' is not ${what}: use 1 to ${MAX_NAME_BYTES} bytes (UTF-8), got ${bytes(value(input))}${fix(input)}`,
  };
}

/** The account of a broker ARN known at synth time. */
const brokerAccount = (input: RabbitMqConsumerValidationInput) =>
  known(input.broker.brokerArn) ? BROKER_ARN_PATTERN.exec(input.broker.brokerArn)?.[1] : undefined;

/** Every rule of a RabbitMQ consumer's props; all broken ones are reported together. */
export const RABBITMQ_CONSUMER_RULES: ReadonlyArray<ValidationRule<RabbitMqConsumerValidationInput>> = [
  ...CONSUMER_IDENTITY_RULES,
  {
    condition: (input) => input.secret === undefined,
    message: () => 'secret is missing: Lambda reads a RabbitMQ queue only as a broker user whose credentials are in Secrets Manager (BASIC_AUTH); '
      + 'give secret: the secretsmanager.ISecret with {"username": ..., "password": ...} of that user',
  },
  {
    condition: (input) => known(input.broker._engineType) && input.broker._engineType.toUpperCase() !== 'RABBITMQ',
    message: (input) => `the broker ${input.broker._path} has engineType '${input.broker._engineType}'; a RabbitMqConsumer reads Amazon MQ for RabbitMQ brokers only (engineType RABBITMQ)`,
  },
  {
    condition: (input) => known(input.broker.brokerArn) && !BROKER_ARN_PATTERN.test(input.broker.brokerArn),
    message: (input) => `'${input.broker.brokerArn}' is not an Amazon MQ broker ARN: give arn:<partition>:mq:<region>:<account>:broker:<name>:<id> (RabbitMqBroker.fromBrokerArn)`,
  },
  {
    condition: (input) => {
      const account = brokerAccount(input);
      const stackAccount = Stack.of(input.construct).account;
      return account !== undefined && !Token.isUnresolved(stackAccount) && account !== stackAccount;
    },
    message: (input) => `the broker is in account ${brokerAccount(input)} and this stack in ${Stack.of(input.construct).account}: `
      + 'Lambda does not read Amazon MQ brokers of other accounts; deploy the consumer in the broker\'s account',
  },
  nameRule('queueName', (input) => input.queueName, 'a RabbitMQ queue name'),
  {
    condition: (input) => known(input.queueName) && input.queueName.startsWith(RESERVED_QUEUE_PREFIX),
    message: (input) => `queueName '${input.queueName}' starts with '${RESERVED_QUEUE_PREFIX}', which RabbitMQ keeps for its own queues; name the consumer's queue otherwise`,
  },
  nameRule('virtualHost', (input) => input.virtualHost, 'a RabbitMQ virtual host'),
  nameRule('brokerDeadLetterQueue', (input) => input.brokerDeadLetterQueue, 'a RabbitMQ queue name',
    (input) => input.brokerDeadLetterQueueDerived ? ' (the default, queueName + \'.dlq\'); set brokerDeadLetterQueue, or a shorter queueName' : ''),
  {
    condition: (input) => known(input.queueName) && input.queueName === input.brokerDeadLetterQueue,
    message: (input) => `brokerDeadLetterQueue is the consumed queue '${input.queueName}': the consumer would read its own dead letters; name the queue its dead-letter exchange routes to`,
  },
  wholeNumberRule('batchSize', (input) => input.batchSize, 1, () => MAX_MQ_BATCH),
  batchingWindowRule((input) => input.maxBatchingWindow),
  wholeNumberRule('maxQueueDepth', (input) => input.maxQueueDepth, 1, () => Number.MAX_SAFE_INTEGER),
  QUEUE_KEY_RULE,
  ALARM_TOPIC_RULE,
  HANDLER_OWNER_RULE,
  handlerRoleRule('its broker and its secret'),
];
