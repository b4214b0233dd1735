import * as sns from 'aws-cdk-lib/aws-sns';
import { ATTRIBUTE_ENVIRONMENT } from './names';

/**
 * A consumer's filter on the `environment` attribute the publisher stamps: its own environment,
 * or no `environment` attribute at all (a publisher that does not stamp one, e.g. AWS's extended
 * client libraries; the runtime decides about those). A message stamped with another environment
 * does not reach the consumer; on a topic of its own environment it goes to the fan-out's
 * misrouted-messages queue instead (see `misroutedFilter`), so nothing is dropped unseen.
 *
 * SNS's `"exists": false` matches only messages with at least one attribute; the runtime's
 * Publisher always sets `type`, `version` and `source`.
 */
export function environmentFilter(environment: string): sns.SubscriptionFilter {
  return new sns.SubscriptionFilter([environment, { exists: false }]);
}

/**
 * The complement of `environmentFilter` among stamped messages: an `environment` attribute that
 * is present and not this environment (SNS's `anything-but` does not match a missing attribute).
 */
export function misroutedFilter(environment: string): { [attribute: string]: sns.SubscriptionFilter } {
  return { [ATTRIBUTE_ENVIRONMENT]: new sns.SubscriptionFilter([{ 'anything-but': [environment] }]) };
}
