import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { FanOutTopic, KafkaCluster, KafkaConsumer, StreamConsumer, WorkQueue } from '../../lib';
import { newHandler, newStack, newStacks, template } from './fixtures';

/*
 * `fanout dlq … --stack S --consumer NAME` finds a consumer's queues by their tags in the stack's
 * template, ignoring case and dashes: every consumer of a stack, whatever its kind, needs a name
 * of its own there.
 */

const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/abcd1234-abcd-cafe-abab-9876543210ab-4';
const taken = (path: string, other: string, name: string, alike = '') => `${path}: consumer name '${name}' is already used in stack Test by ${other}${alike}; `
  + `the fanout commands find a consumer by its name in its stack (--stack Test --consumer ${name}), so give one of them another id or consumerName`;

describe('one consumer per name in a stack, across kinds', () => {
  test('a work queue named like a fan-out consumer is refused, naming both construct paths', () => {
    const stack = newStack();
    new FanOutTopic(stack, 'Orders').addConsumer('Billing');
    expect(() => new WorkQueue(stack, 'Billing')).toThrow(new Error(taken('Test/Billing', 'Test/Orders/Billing', 'billing')));
  });

  test('a fan-out consumer named like a work queue, a stream consumer named like a Kafka consumer, and the other way round', () => {
    const stack = newStack();
    new WorkQueue(stack, 'Invoices');
    expect(() => new FanOutTopic(stack, 'Orders').addConsumer('Invoices')).toThrow(new Error(taken('Test/Orders/Invoices', 'Test/Invoices', 'invoices')));
    new KafkaConsumer(stack, 'PaymentAudit', { cluster: KafkaCluster.msk({ clusterArn: CLUSTER_ARN }), topic: 'payments', handler: newHandler(stack, 'AuditFn') });
    const stream = new kinesis.Stream(stack, 'Clicks');
    expect(() => new StreamConsumer(stack, 'Audit', { consumerName: 'payment-audit', stream, handler: newHandler(stack, 'ClicksFn') }))
      .toThrow(new Error(taken('Test/Audit', 'Test/PaymentAudit', 'payment-audit')));
    new StreamConsumer(stack, 'ClickCounter', { stream, handler: newHandler(stack, 'CounterFn') });
    expect(() => new KafkaConsumer(stack, 'Counter', { consumerName: 'click-counter', cluster: KafkaCluster.msk({ clusterArn: CLUSTER_ARN }), topic: 'clicks', handler: newHandler(stack, 'Fn3') }))
      .toThrow(new Error(taken('Test/Counter', 'Test/ClickCounter', 'click-counter')));
  });

  test('names the command line cannot tell apart (case and dashes ignored) are refused, saying so', () => {
    const stack = newStack();
    new WorkQueue(stack, 'OrderHistory');
    expect(() => new WorkQueue(stack, 'History', { consumerName: 'orderhistory' }))
      .toThrow(new Error(taken('Test/History', 'Test/OrderHistory', 'orderhistory', ' as \'order-history\' (the command line ignores case and dashes)')));
  });

  test('reported with the other failures, before any resource is made', () => {
    const stack = newStack();
    new WorkQueue(stack, 'Invoices');
    expect(() => new WorkQueue(stack, 'Invoices2', { consumerName: 'invoices', maxReceiveCount: 0 })).toThrow(new Error([
      'Test/Invoices2: 2 invalid props:',
      `  - ${taken('x', 'Test/Invoices', 'invoices').slice('x: '.length)}`,
      '  - maxReceiveCount must be a whole number from 1 to 1000, got 0',
    ].join('\n')));
    expect(stack.node.findChild('Invoices2').node.children).toEqual([]);
  });

  test('one name in two stacks is fine: --stack tells them apart', () => {
    const [a, b] = newStacks('A', 'B');
    new WorkQueue(a, 'Invoices');
    new WorkQueue(b, 'Invoices');
    template(a).resourceCountIs('AWS::SQS::Queue', 2);
    template(b).resourceCountIs('AWS::SQS::Queue', 2);
  });

  test('a consumer refused for its name does not take the name', () => {
    const stack = newStack();
    expect(() => new WorkQueue(stack, 'Invoices', { maxReceiveCount: 0 })).toThrow('maxReceiveCount');
    new WorkQueue(stack, 'Invoices2', { consumerName: 'invoices' });
  });
});
