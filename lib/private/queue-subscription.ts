import { ArnFormat, Names, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { IConstruct } from 'constructs';

/** What a consumer's subscription sets beyond its queue. */
export type QueueSubscriptionOptions = Pick<sns.SubscriptionOptions, 'rawMessageDelivery' | 'filterPolicy' | 'filterPolicyWithMessageBody' | 'deadLetterQueue'>;

/**
 * A consumer queue's subscription to the fan-out's topic. It does what aws-cdk-lib's
 * `SqsSubscription` does (a queue policy that admits only this topic, the subscription in the
 * topic's region, the stack dependency) except add a statement to the queue's key policy: that
 * statement has no condition, or, with `@aws-cdk/aws-sns-subscriptions:restrictSqsDescryption`,
 * names the topic's ARN, a dependency cycle when the topic is encrypted with the same key.
 * FanOutTopic lets SNS use the key once, with `aws:SourceAccount` and, when it can, `aws:SourceArn`.
 */
export class QueueSubscription implements sns.ITopicSubscription {
  constructor(private readonly queue: sqs.Queue, private readonly options: QueueSubscriptionOptions) {}

  public bind(topic: sns.ITopic): sns.TopicSubscriptionConfig {
    const policy = this.queue.addToResourcePolicy(new iam.PolicyStatement({
      resources: [this.queue.queueArn],
      actions: ['sqs:SendMessage'],
      principals: [snsServicePrincipal(topic, this.queue)],
      conditions: { ArnEquals: { 'aws:SourceArn': topic.topicArn } },
    }));
    if (topic instanceof sns.Topic && topic.stack !== this.queue.stack) {
      this.queue.stack.addStackDependency(topic.stack);
    }
    return {
      ...this.options,
      subscriberScope: this.queue,
      subscriberId: Names.nodeUniqueId(topic.node),
      endpoint: this.queue.queueArn,
      protocol: sns.SubscriptionProtocol.SQS,
      region: subscriptionRegion(topic, this.queue),
      subscriptionDependency: policy.policyDependable,
    };
  }
}

/** The topic's region when it is known here. */
function topicRegion(topic: sns.ITopic, subscriber: IConstruct): string | undefined {
  if (topic instanceof sns.Topic) {
    return Token.isUnresolved(topic.env.region) ? undefined : topic.env.region;
  }
  if (Token.isUnresolved(topic.topicArn)) {
    return undefined;
  }
  const region = Stack.of(subscriber).splitArn(topic.topicArn, ArnFormat.SLASH_RESOURCE_NAME).region;
  return region && !Token.isUnresolved(region) ? region : undefined;
}

/**
 * The SNS principal that delivers from the topic to a subscriber: `sns.amazonaws.com`, or the
 * regional one when the topic or the subscriber is in an opt-in region and the two differ (as
 * aws-cdk-lib's subscriptions do).
 */
export function snsServicePrincipal(topic: sns.ITopic, subscriber: IConstruct): iam.IPrincipal {
  const fromRegion = topicRegion(topic, subscriber);
  const toRegion = Stack.of(subscriber).region;
  if (!fromRegion || Token.isUnresolved(toRegion) || fromRegion === toRegion) {
    return new iam.ServicePrincipal('sns.amazonaws.com');
  }
  if (RegionInfo.get(toRegion).isOptInRegion) {
    return iam.ServicePrincipal.fromStaticServicePrincipleName(`sns.${toRegion}.amazonaws.com`);
  }
  if (RegionInfo.get(fromRegion).isOptInRegion) {
    return iam.ServicePrincipal.fromStaticServicePrincipleName(`sns.${fromRegion}.amazonaws.com`);
  }
  return new iam.ServicePrincipal('sns.amazonaws.com');
}

/** Where the subscription is made: the topic's region, when it differs from the queue's (as aws-cdk-lib's `SqsSubscription` decides). */
function subscriptionRegion(topic: sns.ITopic, queue: sqs.Queue): string | undefined {
  if (topic instanceof sns.Topic) {
    return topic.stack !== queue.stack && !Token.isUnresolved(topic.env.region) && topic.env.region !== queue.env.region ? topic.env.region : undefined;
  }
  return Stack.of(topic).splitArn(topic.topicArn, ArnFormat.SLASH_RESOURCE_NAME).region;
}
