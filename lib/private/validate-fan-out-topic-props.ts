import type { FanOutTopicProps } from '../fanout-topic';
import { awsManagedKeyAlias } from './encryption';
import { ALARM_TOPIC_RULE } from './validate-common-props';
import { ValidationRule } from './validation';

/** Props that configure a topic this construct creates, so they mean nothing with an adopted `topic`. */
const NEW_TOPIC_OPTIONS = ['topicName', 'contentBasedDeduplication'] as const;

/** Every rule of a fan-out's props; all broken ones are reported together. */
export const FAN_OUT_TOPIC_RULES: ReadonlyArray<ValidationRule<FanOutTopicProps>> = [
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
