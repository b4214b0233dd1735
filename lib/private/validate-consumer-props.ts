import type { ConsumerProps } from '../consumer';
import { sameEnvironmentRule } from './environment';
import { ATTRIBUTE_ENVIRONMENT, ATTRIBUTE_TYPE, EVENT_TYPE_PATTERN } from './names';
import { filterPolicies } from './subscription-filter';
import { SNS_DEFAULT_MESSAGE_SIZE, SQS_MAX_MESSAGE_SIZE } from './topic-message-size';
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

/** SNS's limits on one filter policy: keys, and combinations of values (the product of each key's number of values). */
const MAX_FILTER_KEYS = 5;
const MAX_FILTER_COMBINATIONS = 150;
/** The attribute filter policy the subscription gets (the user's, `type`, `environment`), when it has one. */
const attributePolicy = (input: ConsumerValidationInput) => input.filterPolicyWithMessageBody || (input.filterPolicy !== undefined && input.filterPolicyWithMessageBody !== undefined)
  ? undefined
  : filterPolicies(input, input.environment).filterPolicy;
const policyKeys = (input: ConsumerValidationInput) => Object.keys(attributePolicy(input) ?? {});
const policyCombinations = (input: ConsumerValidationInput) =>
  Object.values(attributePolicy(input) ?? {}).reduce((product, filter) => product * Math.max(filter.conditions.length, 1), 1);

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
  sameEnvironmentRule<ConsumerValidationInput>('fan-out', (input) => input.fanOut, 'remove environment: a fan-out consumer inherits its fan-out\'s'),
  {
    condition: (input) => input.environment !== undefined && input.filterPolicy?.[ATTRIBUTE_ENVIRONMENT] !== undefined,
    message: (input) => `filterPolicy filters '${ATTRIBUTE_ENVIRONMENT}', which the consumer's environment '${input.environment}' filters already; remove that key`,
  },
  {
    condition: (input) => policyKeys(input).length > MAX_FILTER_KEYS,
    message: (input) => `the subscription's filter policy would have ${policyKeys(input).length} keys (${quoted(policyKeys(input))}) and SNS allows ${MAX_FILTER_KEYS}; `
      + 'filter on fewer attributes (eventTypes adds \'type\', an environment adds \'environment\')',
  },
  {
    condition: (input) => policyKeys(input).length <= MAX_FILTER_KEYS && policyCombinations(input) > MAX_FILTER_COMBINATIONS,
    message: (input) => `the subscription's filter policy would have ${policyCombinations(input)} combinations of values (the product of each key's number of values) and SNS allows ${MAX_FILTER_COMBINATIONS}; `
      + 'list fewer values (an environment counts 2: its own, and a missing attribute)',
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
export const CONSUMER_WARNINGS: ReadonlyArray<WarningRule<ConsumerValidationInput>> = [
  ...QUEUE_WARNINGS,
  {
    id: 'cdk-fanout:rawMessageDeliveryLargeMessages',
    condition: (input) => input.rawMessageDelivery === false && (input.fanOut.maxMessageSizeBytes ?? 0) > SNS_DEFAULT_MESSAGE_SIZE,
    message: (input) => `the fan-out takes messages of up to ${input.fanOut.maxMessageSizeBytes} bytes and this subscription has raw delivery off: SNS's notification JSON `
      + `around a message near that size (the body escaped in a JSON string) can exceed SQS's ${SQS_MAX_MESSAGE_SIZE}, and SNS then sends it to the dead-letter queue; `
      + 'keep rawMessageDelivery on, or keep large bodies in the payload bucket',
  },
];
