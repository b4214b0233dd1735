import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { FanOutTopic, WorkQueue } from '../../lib';
import { newHandler, newStack, template, warnings } from './fixtures';

describe('FanOutTopic.maxMessageSizeBytes', () => {
  test('sets the topic\'s MaximumMessageSize; raw-delivery queues follow it, others and dead-letter queues take SQS\'s 1 MiB', () => {
    const stack = newStack();
    const orders = new FanOutTopic(stack, 'Orders', { maxMessageSizeBytes: 524_288 });
    orders.addConsumer('Billing');
    orders.addConsumer('Audit', { rawMessageDelivery: false });
    const t = template(stack);
    t.hasResourceProperties('AWS::SNS::Topic', { MaximumMessageSize: 524_288 });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: Match.stringLikeRegexp('Billing'), MaximumMessageSize: 524_288, RedrivePolicy: Match.anyValue() });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: Match.stringLikeRegexp('Audit'), MaximumMessageSize: 1_048_576, RedrivePolicy: Match.anyValue() });
    t.resourcePropertiesCountIs('AWS::SQS::Queue', { MessageRetentionPeriod: 1_209_600, MaximumMessageSize: 1_048_576 }, 2);
  });

  test('above 256 KiB, a subscription without raw delivery is warned about (the notification JSON may not fit SQS)', () => {
    const stack = newStack();
    const orders = new FanOutTopic(stack, 'Orders', { maxMessageSizeBytes: 524_288 });
    orders.addConsumer('Billing');
    orders.addConsumer('Audit', { rawMessageDelivery: false });
    const small = new FanOutTopic(stack, 'Small', { maxMessageSizeBytes: 262_144 });
    small.addConsumer('Wrapped', { rawMessageDelivery: false });
    expect(warnings(stack).filter((w) => w.includes('raw delivery off'))).toEqual([
      expect.stringMatching(/^the fan-out takes messages of up to 524288 bytes and this subscription has raw delivery off: .*\[ack: cdk-fanout:rawMessageDeliveryLargeMessages\]$/),
    ]);
  });

  test('without it, neither the topic nor the queues get a size', () => {
    const stack = newStack();
    new FanOutTopic(stack, 'Orders').addConsumer('Billing');
    const t = template(stack);
    t.hasResourceProperties('AWS::SNS::Topic', { MaximumMessageSize: Match.absent() });
    t.resourcePropertiesCountIs('AWS::SQS::Queue', { MaximumMessageSize: Match.anyValue() }, 0);
  });

  test('an adopted topic is left as it is, and its queues follow the size it states', () => {
    const stack = newStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Existing', 'arn:aws:sns:eu-west-1:123456789012:orders');
    new FanOutTopic(stack, 'Orders', { topic, maxMessageSizeBytes: 1_048_576 }).addConsumer('Billing');
    template(stack).resourceCountIs('AWS::SNS::Topic', 0);
    template(stack).resourcePropertiesCountIs('AWS::SQS::Queue', { MaximumMessageSize: 1_048_576 }, 2);
  });

  test('a work queue takes its own size; its dead-letter queue SQS\'s 1 MiB', () => {
    const stack = newStack();
    new WorkQueue(stack, 'Jobs', { maxMessageSizeBytes: 2048 });
    template(stack).hasResourceProperties('AWS::SQS::Queue', { MaximumMessageSize: 2048, RedrivePolicy: Match.anyValue() });
    template(stack).hasResourceProperties('AWS::SQS::Queue', { MaximumMessageSize: 1_048_576, RedrivePolicy: Match.absent() });
    expect(() => new WorkQueue(stack, 'Huge', { maxMessageSizeBytes: 2_000_000 })).toThrow('Test/Huge: maxMessageSizeBytes must be a whole number from 1024 to 1048576, got 2000000');
  });

  test('out of SNS\'s range is refused', () => {
    expect(() => new FanOutTopic(newStack(), 'Orders', { maxMessageSizeBytes: 2_097_152 })).toThrow(new Error(
      'Test/Orders: maxMessageSizeBytes must be a whole number from 1024 to 1048576, got 2097152',
    ));
  });

  test('above 256 KiB, a subscription other than SQS, Lambda or Firehose fails synth, naming it', () => {
    const stack = newStack();
    const orders = new FanOutTopic(stack, 'Orders', { maxMessageSizeBytes: 1_048_576 });
    orders.addConsumer('Billing');
    new sns.Subscription(stack, 'Email', { topic: orders.topic, protocol: sns.SubscriptionProtocol.EMAIL, endpoint: 'ops@example.com' });
    new sns.Subscription(stack, 'Fn', { topic: orders.topic, protocol: sns.SubscriptionProtocol.LAMBDA, endpoint: newHandler(stack, 'Handler').functionArn });
    expect(() => template(stack)).toThrow(
      '[Test/Orders] maxMessageSizeBytes 1048576 is above 262144, where SNS delivers only to sqs, lambda, firehose subscriptions, and Test/Email/Resource uses email; '
      + 'subscribe it through a queue, or keep maxMessageSizeBytes at 262144',
    );
  });

  test('above 256 KiB, more than 100 subscriptions (across the app\'s stacks) fail synth; exactly 100, or 101 at 256 KiB, pass', () => {
    const build = (size: number, consumers: number) => {
      const app = new App({ builtinCloudFormationValidation: false });
      const env = { account: '123456789012', region: 'eu-west-1' };
      const orders = new FanOutTopic(new Stack(app, 'Topic', { env }), 'Orders', { maxMessageSizeBytes: size });
      const other = new Stack(app, 'Other', { env });
      for (let i = 0; i < consumers; i++) {
        new sns.Subscription(i % 2 ? other : orders, `S${i}`, { topic: orders.topic, protocol: sns.SubscriptionProtocol.SQS, endpoint: `arn:aws:sqs:eu-west-1:123456789012:q${i}` });
      }
      return () => app.synth();
    };
    expect(build(262_145, 101)).toThrow('[Topic/Orders] maxMessageSizeBytes 262145 is above 262144, where SNS allows at most 100 subscriptions, and the topic has 101;');
    expect(build(262_145, 100)).not.toThrow();
    expect(build(262_144, 101)).not.toThrow();
  });
});
