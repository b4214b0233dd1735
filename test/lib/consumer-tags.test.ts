import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FanOutTopic } from '../../lib';

/** The command line and the local deployment find a consumer's queues by these tags alone. */
test('a consumer\'s queue and dead-letter queue carry its name and their role as tags', () => {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Tags');
  new FanOutTopic(stack, 'Orders').addConsumer('OrderHistory');
  const queues = Object.values(Template.fromStack(stack).findResources('AWS::SQS::Queue'));
  const tags = queues.map((queue) => queue.Properties.Tags).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  expect(tags).toEqual([
    [{ Key: 'fanout:consumer', Value: 'order-history' }, { Key: 'fanout:role', Value: 'dead-letter-queue' }],
    [{ Key: 'fanout:consumer', Value: 'order-history' }, { Key: 'fanout:role', Value: 'queue' }],
  ]);
});
