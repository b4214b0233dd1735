import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { dynamoDbClient, snsClient, sqsClient } from '@cdk-fanout/testing';

test('the global set-up started DynamoDB Local and fauxqs', async () => {
  const ddb = dynamoDbClient();
  await ddb.send(new CreateTableCommand({
    TableName: 'smoke',
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  }));
  const table = await ddb.send(new DescribeTableCommand({ TableName: 'smoke' }));
  expect(table.Table?.TableStatus).toBe('ACTIVE');
  const topic = await snsClient().send(new CreateTopicCommand({ Name: 'smoke' }));
  expect(topic.TopicArn).toMatch(/^arn:aws:sns:us-east-1:\d+:smoke$/);
  const queue = await sqsClient().send(new CreateQueueCommand({ QueueName: 'smoke' }));
  expect(queue.QueueUrl).toContain('smoke');
});

test('fauxqs queue URLs are on 127.0.0.1, reachable from any process without DNS tricks', async () => {
  const { QueueUrl } = await sqsClient().send(new CreateQueueCommand({ QueueName: 'loopback' }));
  expect(new URL(QueueUrl!).host).toBe(new URL(process.env.FANOUT_TEST_FAUXQS_ENDPOINT!).host);
});
