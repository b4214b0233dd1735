import * as sns from 'aws-cdk-lib/aws-sns';
import type { ConsumerOptions } from '../consumer';
import { environmentFilter } from './environment-filter';
import { ATTRIBUTE_ENVIRONMENT, ATTRIBUTE_TYPE } from './names';
import type { QueueSubscriptionOptions } from './queue-subscription';

/** What a consumer's subscription filters on. */
export type SubscriptionFilterOptions = Pick<ConsumerOptions, 'eventTypes' | 'filterPolicy' | 'filterPolicyWithMessageBody'>;

/**
 * The subscription's filter policy: the user's, `eventTypes` on `type`, and the environment on
 * `environment` (attribute policies only: the envelope in the body carries no environment).
 */
export function filterPolicies(props: SubscriptionFilterOptions, environment: string | undefined): Pick<QueueSubscriptionOptions, 'filterPolicy' | 'filterPolicyWithMessageBody'> {
  const types = props.eventTypes && sns.SubscriptionFilter.stringFilter({ allowlist: props.eventTypes });
  if (props.filterPolicyWithMessageBody) {
    return {
      filterPolicyWithMessageBody: {
        ...props.filterPolicyWithMessageBody,
        ...(types && { [ATTRIBUTE_TYPE]: sns.FilterOrPolicy.filter(types) }),
      },
    };
  }
  if (!types && !props.filterPolicy && !environment) {
    return {};
  }
  return {
    filterPolicy: {
      ...props.filterPolicy,
      ...(types && { [ATTRIBUTE_TYPE]: types }),
      ...(environment && { [ATTRIBUTE_ENVIRONMENT]: environmentFilter(environment) }),
    },
  };
}
