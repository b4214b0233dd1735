import type { WorkQueueProps } from '../work-queue';
import { ALARM_TOPIC_RULE, CONSUMER_IDENTITY_RULES, QUEUE_KEY_RULE } from './validate-common-props';
import { QUEUE_NUMBER_RULES, QUEUE_RULES, QUEUE_WARNINGS, QueueConsumerValidationInput } from './validate-queue-consumer-props';
import { SQS_MAX_MESSAGE_SIZE } from './topic-message-size';
import { ValidationRule, WarningRule, wholeNumberRule } from './validation';

/** What a work queue's rules look at: its props, and what the construct derives from them. */
export interface WorkQueueValidationInput extends WorkQueueProps, QueueConsumerValidationInput {
  readonly consumerName: string;
  readonly fifo: boolean;
}

/** Every rule of a work queue's props; all broken ones are reported together. */
export const WORK_QUEUE_RULES: ReadonlyArray<ValidationRule<WorkQueueValidationInput>> = [
  ...CONSUMER_IDENTITY_RULES,
  ...QUEUE_NUMBER_RULES,
  {
    condition: (input) => input.contentBasedDeduplication === true && !input.fifo,
    message: () => 'contentBasedDeduplication applies to FIFO queues only; set fifo: true or remove it',
  },
  wholeNumberRule('maxMessageSizeBytes', (input) => input.maxMessageSizeBytes, 1024, () => SQS_MAX_MESSAGE_SIZE),
  QUEUE_KEY_RULE,
  ALARM_TOPIC_RULE,
  ...QUEUE_RULES,
];

/** What a work queue warns about but still builds. */
export const WORK_QUEUE_WARNINGS: ReadonlyArray<WarningRule<WorkQueueValidationInput>> = QUEUE_WARNINGS;
