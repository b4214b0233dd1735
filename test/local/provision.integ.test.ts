import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { App, Fn, Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { failedIds } from '../../local/src/batch-item-failures';
import { LocalDeployment } from '@cdk-fanout/local';
import { FanOutTopic, IdempotencyTable, StreamConsumer } from '../../lib';
import { startTestStack } from './e2e-support';

/** An app with one fan-out and resources the local stack has no stand-in for. */
function synthMixedApp(): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-provision-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Mixed');
  const fanOut = new FanOutTopic(stack, 'Orders');
  fanOut.addConsumer('AuditTrail', { rawMessageDelivery: false, eventTypes: ['order.created'], maxReceiveCount: 7 });
  new s3.Bucket(stack, 'Bucket');
  const python = new lambda.Function(stack, 'Python', {
    runtime: lambda.Runtime.PYTHON_3_13, handler: 'index.handler', code: lambda.Code.fromInline('def handler(e, c): pass'),
  });
  new sns.Subscription(stack, 'LambdaSubscription', { topic: fanOut.topic, protocol: sns.SubscriptionProtocol.LAMBDA, endpoint: python.functionArn });
  new sqs.CfnQueue(stack, 'Imported', { queueName: Fn.importValue('other-stack-output') });
  new IdempotencyTable(stack, 'Idempotency');
  app.synth();
  return outdir;
}

describe('provisioning a synthesized app', () => {
  let local: LocalDeployment;
  beforeAll(async () => {
    local = await startTestStack(synthMixedApp());
  });
  afterAll(() => local.stop());

  test('queues with their redrive policy and visibility timeout', async () => {
    const [stack] = local.stacks;
    const { queue, deadLetterQueue: dlq } = local.consumerQueues('audit-trail');
    expect(stack.queues.size).toBe(2);
    // Found by the tags the constructs set, by consumer name or construct id alike.
    expect(local.consumerQueues('AuditTrail')).toEqual({ queue, deadLetterQueue: dlq, deadLetterRole: 'dead-letter-queue' });
    expect(queue.tags).toEqual({ 'fanout:consumer': 'audit-trail', 'fanout:role': 'queue' });
    expect(dlq.tags).toEqual({ 'fanout:consumer': 'audit-trail', 'fanout:role': 'dead-letter-queue' });
    expect(() => local.consumerQueues('audit')).toThrow('this app has no consumer "audit"; its consumers: audit-trail');
    const { Attributes } = await local.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }));
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 7 });
    expect(Attributes!.VisibilityTimeout).toBe('30');
    expect(queue.redrive).toEqual({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 7 });
  });

  test('the subscription keeps raw delivery off, its filter policy and its dead-letter queue', async () => {
    const [stack] = local.stacks;
    const [topic] = stack.topics.values();
    const { Subscriptions = [] } = await local.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic.arn }));
    expect(Subscriptions).toHaveLength(1);
    const { Attributes } = await local.clients.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: Subscriptions[0].SubscriptionArn }));
    expect(JSON.parse(Attributes!.FilterPolicy!)).toEqual({ type: ['order.created'] });
    expect(Attributes!.RawMessageDelivery ?? 'false').toBe('false');
    expect(JSON.parse(Attributes!.RedrivePolicy!).deadLetterTargetArn).toMatch(/DeadLetterQueue/);
  });

  test('tables are created with their key schema', async () => {
    const [stack] = local.stacks;
    const [table] = stack.tables.values();
    const { Table } = await local.clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(stack.tables.size).toBe(1);
  });

  test('S3 buckets are created on fauxqs under a name S3 takes (lower case)', async () => {
    const [stack] = local.stacks;
    const [[logicalId, bucket]] = [...stack.buckets];
    expect(logicalId).toMatch(/^Bucket/);
    expect(bucket).toMatch(/^t[0-9a-f]{8}-mixed-bucket[0-9a-f]{8}$/);
    await expect(local.clients.s3.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
    expect(local.skippedSummary()).not.toContain('AWS::S3::Bucket');
  });

  test('unsupported resources are listed in one line, never a crash', () => {
    const summary = local.skippedSummary();
    expect(summary).toMatch(/^skipped \(no local stand-in\): /);
    for (const kind of ['AWS::CloudWatch::Alarm ×4', 'AWS::Lambda::Function(python3.13) ×1', 'AWS::SNS::Subscription(lambda) ×1', 'AWS::SQS::Queue(Imported: Fn::ImportValue is not supported by the local stack) ×1']) {
      expect(summary).toContain(kind);
    }
    expect(summary.split('\n')).toHaveLength(1);
  });
});

test('the same app started twice on the same emulators (no name prefix): the second run reuses what the first made', async () => {
  const cdkOut = synthMixedApp();
  const endpoints = { fauxqs: process.env.FANOUT_TEST_FAUXQS_ENDPOINT!, dynamodb: process.env.FANOUT_TEST_DYNAMODB_ENDPOINT! };
  const first = await LocalDeployment.start({ cdkOut, endpoints });
  await first.stop();
  const second = await LocalDeployment.start({ cdkOut, endpoints });
  try {
    const [topic] = second.stacks[0].topics.values();
    const { Subscriptions = [] } = await second.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic.arn }));
    expect(Subscriptions).toHaveLength(1);
    expect([...second.stacks[0].tables.values()]).toEqual([...first.stacks[0].tables.values()]);
  } finally {
    await second.stop();
  }
});

test('a consumer that owns only a dead-letter queue (a stream consumer) is found by the same lookup: consumerQueues refuses it, deadLetterQueueOf returns its DLQ', async () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-provision-stream-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Clicks');
  const handler = new lambda.Function(stack, 'Python', {
    runtime: lambda.Runtime.PYTHON_3_13, handler: 'index.handler', code: lambda.Code.fromInline('def handler(e, c): pass'),
  });
  new StreamConsumer(stack, 'ClickCounter', { stream: new kinesis.Stream(stack, 'Stream'), handler });
  new FanOutTopic(stack, 'Orders').addConsumer('Billing');
  app.synth();
  const local = await startTestStack(outdir);
  try {
    const [dlq] = [...local.stacks[0].queues.values()].filter((queue) => queue.tags['fanout:role'] === 'failure-records');
    expect(dlq.tags).toEqual({ 'fanout:consumer': 'click-counter', 'fanout:role': 'failure-records' });
    expect(() => local.consumerQueues('ClickCounter')).toThrow(`this app's consumer "ClickCounter" has no queue of its own: it reads a stream, a Kafka topic or a RabbitMQ queue `
      + `and owns only a dead-letter queue (${dlq.logicalId}, role failure-records); deadLetterQueueOf('ClickCounter') returns it`);
    expect(local.deadLetterQueueOf('ClickCounter')).toEqual({ deadLetterQueue: dlq, deadLetterRole: 'failure-records' });
    expect(local.consumerQueues('billing').deadLetterRole).toBe('dead-letter-queue');
  } finally {
    await local.stop();
  }
});

describe('bad input', () => {
  test('a missing cloud assembly names the command to run', async () => {
    await expect(LocalDeployment.start({ cdkOut: path.join(os.tmpdir(), 'no-such-cdk-out'), endpoints: { fauxqs: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:1' } }))
      .rejects.toThrow(/no synthesized app at .*no-such-cdk-out \(manifest.json is missing\): run `npx cdk synth`/);
  });
});

describe('failedIds (batch item failures)', () => {
  const messages = ['a', 'b'];
  test.each([
    ['no response', undefined, []],
    ['null', null, []],
    ['empty list', { batchItemFailures: [] }, []],
    ['one failure', { batchItemFailures: [{ itemIdentifier: 'b' }] }, ['b']],
  ])('%s', (_name, response, expected) => {
    expect([...failedIds(response, messages)!]).toEqual(expected);
  });
  test.each([
    ['not a list', { batchItemFailures: 'b' }],
    ['unknown id', { batchItemFailures: [{ itemIdentifier: 'z' }] }],
    ['empty id', { batchItemFailures: [{ itemIdentifier: '' }] }],
  ])('malformed (%s) fails the whole batch', (_name, response) => {
    expect(failedIds(response, messages)).toBeUndefined();
  });
});
