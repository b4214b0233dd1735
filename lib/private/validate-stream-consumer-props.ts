import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { StreamConsumerProps } from '../stream-consumer';
import { CONSUMER_IDENTITY_RULES, durationRule, HANDLER_OWNER_RULE, handlerRoleRule, QUEUE_KEY_RULE } from './validate-common-props';
import { STREAM_RULES, StreamSourceInput } from './validate-stream-props';
import { ValidationRule, wholeNumberRule } from './validation';

/** What a stream consumer's rules look at: its props, and its name. */
export interface StreamConsumerValidationInput extends StreamConsumerProps, StreamSourceInput {
  readonly consumerName: string;
  readonly handler: lambda.IFunction;
}

/** Every rule of a stream consumer's props; all broken ones are reported together. */
export const STREAM_CONSUMER_RULES: ReadonlyArray<ValidationRule<StreamConsumerValidationInput>> = [
  ...CONSUMER_IDENTITY_RULES,
  ...STREAM_RULES,
  wholeNumberRule('parallelizationFactor', (input) => input.parallelizationFactor, 1, () => 10),
  durationRule('maxIteratorAge', (input) => input.maxIteratorAge, Duration.seconds(1), Duration.days(7), '1 second to 7 days'),
  QUEUE_KEY_RULE,
  HANDLER_OWNER_RULE,
  handlerRoleRule('its stream'),
];
