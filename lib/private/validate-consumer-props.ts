import type { ConsumerProps } from '../consumer';
import { ATTRIBUTE_TYPE, EVENT_TYPE_PATTERN } from './names';
import { CONSUMER_IDENTITY_RULES } from './validate-common-props';
import { QUEUE_NUMBER_RULES, QUEUE_RULES, QUEUE_WARNINGS, QueueConsumerValidationInput } from './validate-queue-consumer-props';
import { ValidationRule, WarningRule } from './validation';

/** What a fan-out consumer's rules look at: its props, and what the construct derives from them. */
export interface ConsumerValidationInput extends ConsumerProps, QueueConsumerValidationInput {
  readonly consumerName: string;
}

const typeFilter = (input: ConsumerValidationInput) => input.filterPolicy?.[ATTRIBUTE_TYPE] ?? input.filterPolicyWithMessageBody?.[ATTRIBUTE_TYPE];
const badEventTypes = (input: ConsumerValidationInput) => (input.eventTypes ?? []).filter((type) => !EVENT_TYPE_PATTERN.test(type));
const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/** What only a fan-out consumer has: its subscription's filters. */
const SUBSCRIPTION_RULES: ReadonlyArray<ValidationRule<ConsumerValidationInput>> = [
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
];

/** Every rule of a consumer's props; all broken ones are reported together. */
export const CONSUMER_RULES: ReadonlyArray<ValidationRule<ConsumerValidationInput>> = [
  ...CONSUMER_IDENTITY_RULES,
  ...QUEUE_NUMBER_RULES,
  ...SUBSCRIPTION_RULES,
  ...QUEUE_RULES,
];

/** What a consumer warns about but still builds. */
export const CONSUMER_WARNINGS: ReadonlyArray<WarningRule<ConsumerValidationInput>> = QUEUE_WARNINGS;
