import type { Stack } from 'aws-cdk-lib';
import type * as sns from 'aws-cdk-lib/aws-sns';

export type ConstructsName = 'cdk-fanout' | 'aws-sns-sqs' | 'aws-cdk-lib';
export const CONSTRUCTS_NAMES: readonly ConstructsName[] = ['cdk-fanout', 'aws-sns-sqs', 'aws-cdk-lib'];

/**
 * One topic fanned out to `consumers` queues, each with a dead-letter queue and a subscription,
 * written the way a user of each library would, with that library's defaults (alarms included
 * where the library makes them). Each builder requires only its own library when called, so a
 * synth pays for the modules its app would load and no others.
 */
export const BUILD_FAN_OUT: Record<ConstructsName, (stack: Stack, consumers: number) => void> = {
  'cdk-fanout': (stack, consumers) => {
    const { FanOutTopic } = require('../../lib') as typeof import('../../lib');
    const orders = new FanOutTopic(stack, 'Orders');
    for (let i = 0; i < consumers; i++) orders.addConsumer(`Consumer${i}`, {});
  },
  // Each SnsToSqs makes a topic unless given one: the first consumer's topic serves the rest.
  'aws-sns-sqs': (stack, consumers) => {
    const { SnsToSqs } = require('@aws-solutions-constructs/aws-sns-sqs') as typeof import('@aws-solutions-constructs/aws-sns-sqs');
    let topic: sns.Topic | undefined;
    for (let i = 0; i < consumers; i++) {
      const pattern = new SnsToSqs(stack, `Consumer${i}`, topic ? { existingTopicObj: topic } : {});
      topic ??= pattern.snsTopic;
    }
  },
  // The hand-written baseline: topic, and per consumer a queue, its DLQ and the subscription.
  'aws-cdk-lib': (stack, consumers) => {
    const { Topic } = require('aws-cdk-lib/aws-sns') as typeof import('aws-cdk-lib/aws-sns');
    const { SqsSubscription } = require('aws-cdk-lib/aws-sns-subscriptions') as typeof import('aws-cdk-lib/aws-sns-subscriptions');
    const { Queue } = require('aws-cdk-lib/aws-sqs') as typeof import('aws-cdk-lib/aws-sqs');
    const topic = new Topic(stack, 'Orders');
    for (let i = 0; i < consumers; i++) {
      const deadLetterQueue = new Queue(stack, `Consumer${i}Dlq`);
      const queue = new Queue(stack, `Consumer${i}Queue`, { deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 } });
      topic.addSubscription(new SqsSubscription(queue));
    }
  },
};
