/*
 * Finding a consumer's dead-letter queue among a stack's resources (the sample app's logical
 * ids). No emulator here runs CloudFormation, so ListStackResources is answered with recorded
 * responses (the XML shape of the CloudFormation API reference's example) by a middleware on a
 * real CloudFormationClient.
 */
import { CloudFormationClient, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { deadLetterQueueUrlFromStack, pickDeadLetterQueue } from '../../cli/src/commands/dlq-location';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';
import { answerOperations } from '@cdk-fanout/testing';

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

/** A recorded ListStackResources page. */
function listStackResourcesPage(resources: readonly StackResourceSummary[], nextToken?: string): string {
  const members = resources.map((resource) => `
      <member>
        <ResourceStatus>${resource.ResourceStatus}</ResourceStatus>
        <LogicalResourceId>${resource.LogicalResourceId}</LogicalResourceId>
        <LastUpdatedTimestamp>2026-01-01T00:00:00.000Z</LastUpdatedTimestamp>
        <PhysicalResourceId>${resource.PhysicalResourceId}</PhysicalResourceId>
        <ResourceType>${resource.ResourceType}</ResourceType>
      </member>`).join('');
  return `<ListStackResourcesResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <ListStackResourcesResult>
    <StackResourceSummaries>${members}
    </StackResourceSummaries>${nextToken ? `
    <NextToken>${nextToken}</NextToken>` : ''}
  </ListStackResourcesResult>
  <ResponseMetadata><RequestId>2d06e36c-ac1d-11e0-a958-f9382b6eb86b</RequestId></ResponseMetadata>
</ListStackResourcesResponse>`;
}

test('deadLetterQueueUrlFromStack reads every page of ListStackResources', async () => {
  // Never reaches the network: the only call is answered below.
  const client = new CloudFormationClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: 'http://127.0.0.1:9' });
  const answered = answerOperations(client, { ListStackResources: [listStackResourcesPage(STACK.slice(0, 2), 'page-2'), listStackResourcesPage(STACK.slice(2))] });

  const url = await deadLetterQueueUrlFromStack(client, 'OrdersFanOut', 'order-history');
  client.destroy();

  expect(url).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/OrdersOrderHistoryDeadLetterQueueA1B2C3D4');
  expect(answered).toEqual([
    { operation: 'ListStackResources', body: { StackName: 'OrdersFanOut' } },
    { operation: 'ListStackResources', body: { StackName: 'OrdersFanOut', NextToken: 'page-2' } },
  ]);
});
