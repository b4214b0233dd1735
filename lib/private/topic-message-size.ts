import { Stack, Token } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';

/** SNS's message size without `MaximumMessageSize`, and the most a topic with it takes (bytes). */
export const SNS_DEFAULT_MESSAGE_SIZE = 262_144;
export const SNS_MAX_MESSAGE_SIZE = 1_048_576;
/** SQS's largest message (bytes): a dead-letter queue takes what its queue took plus the runtime's reason attributes. */
export const SQS_MAX_MESSAGE_SIZE = 1_048_576;
/** Above 256 KiB, SNS delivers to at most this many subscriptions ... */
const LARGE_MESSAGE_MAX_SUBSCRIPTIONS = 100;
/** ... with these protocols only. */
const LARGE_MESSAGE_PROTOCOLS: readonly string[] = ['sqs', 'lambda', 'firehose'];

/** One subscription of a topic in the app, as the size checks see it. */
interface TopicSubscription {
  readonly path: string;
  readonly protocol: string;
}

/** Every subscription to the topic defined in the app: `AWS::SNS::Subscription` resources and a created topic's inline ones. */
function subscriptionsOf(scope: IConstruct, topic: sns.ITopic): TopicSubscription[] {
  const found: TopicSubscription[] = [];
  for (const construct of scope.node.root.node.findAll()) {
    if (construct instanceof sns.CfnSubscription && construct.topicArn === topic.topicArn) {
      found.push({ path: construct.node.path, protocol: String(construct.protocol) });
    }
    if (construct instanceof sns.CfnTopic && construct === topic.node.defaultChild && construct.subscription) {
      const inline = Stack.of(construct).resolve(construct.subscription) as Array<{ Protocol?: string; protocol?: string }>;
      for (const subscription of Array.isArray(inline) ? inline : []) {
        found.push({ path: construct.node.path, protocol: String(subscription.Protocol ?? subscription.protocol) });
      }
    }
  }
  return found;
}

/**
 * What SNS refuses on a topic whose `MaximumMessageSize` is above 256 KiB: more than 100
 * subscriptions, or one with a protocol other than SQS, Lambda or Firehose. Checked at synth
 * over the subscriptions this app defines; ones made outside it are SNS's to refuse.
 */
export function largeMessageViolations(scope: IConstruct, topic: sns.ITopic, maxMessageSizeBytes: number | undefined): string[] {
  if (maxMessageSizeBytes === undefined || Token.isUnresolved(maxMessageSizeBytes) || maxMessageSizeBytes <= SNS_DEFAULT_MESSAGE_SIZE) {
    return [];
  }
  const subscriptions = subscriptionsOf(scope, topic);
  const violations: string[] = [];
  if (subscriptions.length > LARGE_MESSAGE_MAX_SUBSCRIPTIONS) {
    violations.push(`maxMessageSizeBytes ${maxMessageSizeBytes} is above ${SNS_DEFAULT_MESSAGE_SIZE}, where SNS allows at most ${LARGE_MESSAGE_MAX_SUBSCRIPTIONS} subscriptions, `
      + `and the topic has ${subscriptions.length}; split the consumers over several topics, or keep maxMessageSizeBytes at ${SNS_DEFAULT_MESSAGE_SIZE} and offload large bodies to a payload bucket`);
  }
  for (const subscription of subscriptions.filter((s) => !LARGE_MESSAGE_PROTOCOLS.includes(s.protocol))) {
    violations.push(`maxMessageSizeBytes ${maxMessageSizeBytes} is above ${SNS_DEFAULT_MESSAGE_SIZE}, where SNS delivers only to ${LARGE_MESSAGE_PROTOCOLS.join(', ')} subscriptions, `
      + `and ${subscription.path} uses ${subscription.protocol}; subscribe it through a queue, or keep maxMessageSizeBytes at ${SNS_DEFAULT_MESSAGE_SIZE}`);
  }
  return violations;
}

/**
 * The message sizes of a queue subscribed to a topic of `topicMaxMessageSize` bytes, and of its
 * dead-letter queue: with raw delivery SQS gets the message and its attributes as published,
 * which SNS limited to the topic's size; otherwise SNS's notification JSON around it is larger,
 * so SQS's maximum. A dead letter carries the runtime's reason attributes too: SQS's maximum.
 * Both undefined when the topic's size is not set (the queues keep SQS's default).
 */
export function queueMessageSizes(topicMaxMessageSize: number | undefined, rawMessageDelivery: boolean): { queue?: number; deadLetterQueue?: number } {
  if (topicMaxMessageSize === undefined) {
    return {};
  }
  return { queue: rawMessageDelivery ? topicMaxMessageSize : SQS_MAX_MESSAGE_SIZE, deadLetterQueue: SQS_MAX_MESSAGE_SIZE };
}
