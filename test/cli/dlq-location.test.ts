/* Finding a consumer's dead-letter queue among a stack's resources (the sample app's logical ids). */
import type { StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { pickDeadLetterQueue } from '../../bin/commands/dlq-location';

const queue = (logicalId: string, url = `https://sqs.eu-west-1.amazonaws.com/123456789012/${logicalId}`): StackResourceSummary => ({
  LogicalResourceId: logicalId,
  PhysicalResourceId: url,
  ResourceType: 'AWS::SQS::Queue',
  ResourceStatus: 'CREATE_COMPLETE',
  LastUpdatedTimestamp: new Date(0),
});

const STACK: StackResourceSummary[] = [
  queue('OrdersBillingQueue3F4B5A21'),
  queue('OrdersBillingDeadLetterQueue924D16D9'),
  queue('OrdersInventoryDeadLetterQueue27F5FD24'),
  queue('OrdersOrderHistoryDeadLetterQueueA1B2C3D4'),
  queue('RefundsBillingDeadLetterQueue0F1E2D3C'),
  { ...queue('OrdersAnalyticsDeadLetterQueue5970578C'), ResourceType: 'AWS::SQS::QueuePolicy' },
];

describe('pickDeadLetterQueue', () => {
  test.each([
    ['Inventory', 'OrdersInventoryDeadLetterQueue27F5FD24'],
    ['inventory', 'OrdersInventoryDeadLetterQueue27F5FD24'],
    ['order-history', 'OrdersOrderHistoryDeadLetterQueueA1B2C3D4'],
    ['OrderHistory', 'OrdersOrderHistoryDeadLetterQueueA1B2C3D4'],
    ['OrdersBilling', 'OrdersBillingDeadLetterQueue924D16D9'],
  ])('consumer %s → %s', (consumer, logicalId) => {
    expect(pickDeadLetterQueue(STACK, 'OrdersFanOut', consumer).PhysicalResourceId).toBe(`https://sqs.eu-west-1.amazonaws.com/123456789012/${logicalId}`);
  });

  test('several matches: says which, and how to choose', () => {
    expect(() => pickDeadLetterQueue(STACK, 'OrdersFanOut', 'billing')).toThrow(
      'consumer "billing" matches 2 dead-letter queues in stack OrdersFanOut (OrdersBillingDeadLetterQueue924D16D9, RefundsBillingDeadLetterQueue0F1E2D3C); add the topic id, e.g. --consumer OrdersBilling',
    );
  });

  test('no match: lists the dead-letter queues there are (not the main queues, not other resource types)', () => {
    expect(() => pickDeadLetterQueue(STACK, 'OrdersFanOut', 'shipping')).toThrow(
      'stack OrdersFanOut has no dead-letter queue for consumer "shipping"; its consumers\' dead-letter queues: OrdersBillingDeadLetterQueue924D16D9, OrdersInventoryDeadLetterQueue27F5FD24, OrdersOrderHistoryDeadLetterQueueA1B2C3D4, RefundsBillingDeadLetterQueue0F1E2D3C',
    );
    expect(() => pickDeadLetterQueue([queue('OrdersBillingQueue3F4B5A21')], 'Other', 'billing')).toThrow('stack Other has no dead-letter queue for consumer "billing"; it has no fan-out dead-letter queues');
  });
});
