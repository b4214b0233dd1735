import { SubscribeCommand } from '@aws-sdk/client-sns';
import { resolveString, resolveValue, type ReferenceResolver } from '../intrinsics';
import type { SnsPort } from './ports';
import { stringProperties } from './properties';
import { created, skip, type Creation, type CreationContext, type ResourceCreator } from './resource-creator';

/** `AWS::SNS::Subscription` of an SQS queue: subscribed on fauxqs (subscribing again returns the subscription); other protocols are skipped. */
export class SubscriptionCreator implements ResourceCreator {
  constructor(private readonly sns: SnsPort) {}

  async create(_logicalId: string, props: Record<string, unknown>, { ref }: CreationContext): Promise<Creation> {
    if (props.Protocol !== 'sqs') {
      return skip(`AWS::SNS::Subscription(${String(props.Protocol)})`);
    }
    const attributes = subscriptionAttributes(props, ref);
    const { SubscriptionArn } = await this.sns.send(new SubscribeCommand({
      TopicArn: resolveString(props.TopicArn, ref),
      Protocol: 'sqs',
      Endpoint: resolveString(props.Endpoint, ref),
      Attributes: attributes,
      ReturnSubscriptionArn: true,
    }));
    return created({ ref: SubscriptionArn!, attributes: {} });
  }
}

/** The Subscribe attributes: raw delivery and the filter policy's scope as strings, the filter and redrive policies as JSON. */
function subscriptionAttributes(props: Record<string, unknown>, ref: ReferenceResolver): Record<string, string> {
  const attributes = stringProperties(props, ['RawMessageDelivery', 'FilterPolicyScope'], ref);
  for (const key of ['FilterPolicy', 'RedrivePolicy']) {
    if (props[key] !== undefined) {
      const value = resolveValue(props[key], ref);
      attributes[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  return attributes;
}
