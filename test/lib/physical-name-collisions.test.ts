import { App, Stack } from 'aws-cdk-lib';
import { FanOutTopic, IdempotencyTable, KafkaCluster, KafkaConsumer, PayloadBucket, WorkQueue } from '../../lib';
import { newHandler, newStacks } from './fixtures';

const MSK = 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/abcd1234-abcd-cafe-abab-9876543210ab-4';

describe('explicit physical names in one app', () => {
  test('two stacks giving one topic name in one account and region fail synth, naming both constructs', () => {
    const [a, b] = newStacks('OrdersA', 'OrdersB');
    new FanOutTopic(a, 'Orders', { topicName: 'orders' });
    new FanOutTopic(b, 'Orders', { topicName: 'orders' });
    expect(() => (a.node.root as App).synth()).toThrow(
      '[OrdersB/Orders] SNS topic name \'orders\' is already the name OrdersA/Orders gives in account 123456789012 region eu-west-1; '
      + 'physical names must be unique there, so give one of them another name or another environment',
    );
  });

  test('environments make the same names distinct; the same name after prefixing collides', () => {
    const [prod, dev, clash] = newStacks('Prod', 'Dev', 'Clash');
    new FanOutTopic(prod, 'Orders', { topicName: 'orders', environment: 'prod' }).addConsumer('Billing', { queueName: 'billing' });
    new FanOutTopic(dev, 'Orders', { topicName: 'orders', environment: 'dev' }).addConsumer('Billing', { queueName: 'billing' });
    (prod.node.root as App).synth();
    new WorkQueue(clash, 'Jobs', { queueName: 'dev-billing' });
    expect(() => (prod.node.root as App).synth({ force: true })).toThrow(
      '[Clash/Jobs] SQS queue name \'dev-billing\' is already the name Dev/Orders/Billing gives in account 123456789012 region eu-west-1',
    );
  });

  test('queues, dead-letter queues, tables, buckets (in every account) and Kafka consumer groups (per cluster) are checked', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const ireland = new Stack(app, 'Ireland', { env: { account: '123456789012', region: 'eu-west-1' } });
    const virginia = new Stack(app, 'Virginia', { env: { account: '210987654321', region: 'us-east-1' } });
    new WorkQueue(ireland, 'Jobs', { queueName: 'jobs' });
    new WorkQueue(ireland, 'JobsDlq', { queueName: 'jobs-dlq-dlq' });
    new WorkQueue(ireland, 'Named', { queueName: 'jobs-dlq' });
    new IdempotencyTable(ireland, 'Table', { tableName: 'idempotency' });
    new IdempotencyTable(ireland, 'Table2', { tableName: 'idempotency' });
    new IdempotencyTable(virginia, 'Table', { tableName: 'idempotency' });
    new PayloadBucket(ireland, 'Payloads', { bucketName: 'orders-payloads' });
    new PayloadBucket(virginia, 'Payloads', { bucketName: 'orders-payloads' });
    const cluster = KafkaCluster.msk({ clusterArn: MSK });
    new KafkaConsumer(ireland, 'Audit', { cluster, topic: 'payments', handler: newHandler(ireland, 'AuditFn'), consumerGroupId: 'ledger' });
    new KafkaConsumer(virginia, 'Audit', { cluster, topic: 'payments', handler: newHandler(virginia, 'AuditFn'), consumerGroupId: 'ledger' });
    let message = '';
    try {
      app.synth();
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n').filter((line) => line.includes('is already the name')).map((line) => line.trim().replace(/; physical names.*$/, ''));
    expect(lines.sort()).toEqual([
      '[Ireland/Named] SQS queue name \'jobs-dlq\' is already the name Ireland/Jobs gives in account 123456789012 region eu-west-1',
      '[Ireland/Named] SQS queue name \'jobs-dlq-dlq\' is already the name Ireland/JobsDlq gives in account 123456789012 region eu-west-1',
      '[Ireland/Table2] DynamoDB table name \'idempotency\' is already the name Ireland/Table gives in account 123456789012 region eu-west-1',
      '[Virginia/Audit] Kafka consumer group name \'ledger\' is already the name Ireland/Audit gives in every account',
      '[Virginia/Payloads] S3 bucket name \'orders-payloads\' is already the name Ireland/Payloads gives in every account',
    ]);
  });

  test('generated names are never checked, and an app without explicit names synthesizes', () => {
    const [a, b] = newStacks('A', 'B');
    new FanOutTopic(a, 'Orders').addConsumer('Billing');
    new FanOutTopic(b, 'Orders').addConsumer('Billing');
    expect(() => (a.node.root as App).synth()).not.toThrow();
  });
});
