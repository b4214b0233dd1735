import { Token } from 'aws-cdk-lib';
import type { FanOutTopicProps } from '../fanout-topic';
import { awsManagedKeyAlias } from './encryption';
import { ENVIRONMENT_RULE, environmentPrefixLength, sameEnvironmentRule } from './environment';
import { SNS_MAX_MESSAGE_SIZE } from './topic-message-size';
import { ALARM_TOPIC_RULE } from './validate-common-props';
import { ValidationRule, wholeNumberRule } from './validation';

/** SNS's topic names: letters, digits, `-` and `_` (and a FIFO topic's `.fifo`), at most 256 characters. */
const TOPIC_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
const MAX_TOPIC_NAME_LENGTH = 256;
/** A topic name known at synth time, without a FIFO topic's suffix. */
const knownTopicBaseName = (props: FanOutTopicProps) =>
  props.topicName === undefined || Token.isUnresolved(props.topicName) ? undefined : props.topicName.replace(/\.fifo$/, '');
/** How long the created topic's name is: the environment and its dash, the name, `.fifo`. */
const topicNameLength = (props: FanOutTopicProps) => environmentPrefixLength(props.environment) + knownTopicBaseName(props)!.length + (props.fifo ? '.fifo'.length : 0);

/** Props that configure a topic this construct creates, so they mean nothing with an adopted `topic`. */
const NEW_TOPIC_OPTIONS = ['topicName', 'contentBasedDeduplication'] as const;

/** Every rule of a fan-out's props; all broken ones are reported together. */
export const FAN_OUT_TOPIC_RULES: ReadonlyArray<ValidationRule<FanOutTopicProps>> = [
  ENVIRONMENT_RULE,
  sameEnvironmentRule<FanOutTopicProps>('payload bucket', (props) => props.payloadBucket, 'give the fan-out the payload bucket of its own environment'),
  wholeNumberRule('maxMessageSizeBytes', (props) => props.maxMessageSizeBytes, 1024, () => SNS_MAX_MESSAGE_SIZE),
  {
    condition: (props) => knownTopicBaseName(props) !== undefined && !TOPIC_NAME_PATTERN.test(knownTopicBaseName(props)!),
    message: (props) => `topicName '${props.topicName}' is not a topic name: use letters, digits, '-' and '_' (the construct adds '.fifo' to a FIFO topic's)`,
  },
  {
    condition: (props) => knownTopicBaseName(props) !== undefined && topicNameLength(props) > MAX_TOPIC_NAME_LENGTH,
    message: (props) => `topicName '${props.topicName}' makes a topic name of ${topicNameLength(props)} characters (with the environment in front and a FIFO topic's '.fifo'), `
      + `and SNS allows ${MAX_TOPIC_NAME_LENGTH}; shorten it`,
  },
  {
    condition: (props) => props.encryptionKey !== undefined && awsManagedKeyAlias(props.encryptionKey) !== undefined,
    message: (props) => `encryptionKey is the AWS-managed key ${awsManagedKeyAlias(props.encryptionKey!)}, which SNS cannot use to deliver to a queue; `
      + 'remove encryptionKey (queues then use SQS-managed encryption) or give a customer-managed kms.Key',
  },
  ALARM_TOPIC_RULE,
  {
    condition: (props) => props.topic === undefined && props.contentBasedDeduplication === true && !props.fifo,
    message: () => 'contentBasedDeduplication applies to FIFO topics only; set fifo: true or remove it',
  },
  ...NEW_TOPIC_OPTIONS.map((name): ValidationRule<FanOutTopicProps> => ({
    condition: (props) => props.topic !== undefined && props[name] !== undefined,
    message: () => `${name} configures a new topic and cannot be combined with topic; set it where the existing topic is defined`,
  })),
  {
    condition: (props) => props.topic !== undefined && props.fifo !== undefined && props.fifo !== props.topic.fifo,
    message: (props) => `fifo is ${props.fifo} but the given topic is ${props.topic!.fifo ? '' : 'not '}FIFO; remove fifo or make them match`,
  },
];
