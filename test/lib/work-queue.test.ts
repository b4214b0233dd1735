import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Match } from 'aws-cdk-lib/assertions';
import { FanOutTopic, IdempotencyTable, WorkQueue, WorkQueueProps } from '../../lib';
import { newHandler, newStack, newStacks, template, warnings } from './fixtures';

const logicalId = (stack: Stack, resource: { node: { defaultChild?: unknown } }) => stack.getLogicalId(resource.node.defaultChild as never);
const arnOf = (stack: Stack, resource: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalId(stack, resource), 'Arn'] });
const role = (stack: Stack, id: string) => new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });

/** The statements of the identity policy of one role or function, by the policy's logical id prefix. */
function statementsOf(stack: Stack, prefix: string): unknown[] {
  const policies = Object.entries(template(stack).findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith(prefix));
  expect(policies).toHaveLength(1);
  return policies[0][1].Properties.PolicyDocument.Statement;
}

function oneWorkQueue(props: WorkQueueProps = {}) {
  const stack = newStack();
  const work = new WorkQueue(stack, 'Invoices', props);
  return { stack, work, t: template(stack) };
}

describe('WorkQueue defaults (queue only)', () => {
  const { stack, work, t } = oneWorkQueue();
  const queueId = logicalId(stack, work.queue as never);
  const dlqId = logicalId(stack, work.deadLetterQueue as never);

  test('a standard queue with a DLQ after 5 receives, 4-day retention, 30 s visibility, SSE-SQS, tagged', () => {
    expect(t.findResources('AWS::SQS::Queue')[queueId].Properties).toEqual({
      QueueName: expect.stringMatching(/^TestInvoices/),
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
      MessageRetentionPeriod: 4 * 86400,
      VisibilityTimeout: 30,
      SqsManagedSseEnabled: true,
      Tags: [{ Key: 'fanout:consumer', Value: 'invoices' }, { Key: 'fanout:role', Value: 'queue' }],
    });
    expect(work.consumerName).toBe('invoices');
    expect(work.fifo).toBe(false);
  });

  test('a DLQ that keeps messages 14 days and accepts redrives only from its own queue', () => {
    const queueName = t.findResources('AWS::SQS::Queue')[queueId].Properties.QueueName;
    expect(t.findResources('AWS::SQS::Queue')[dlqId].Properties).toEqual({
      MessageRetentionPeriod: 14 * 86400,
      SqsManagedSseEnabled: true,
      RedriveAllowPolicy: {
        redrivePermission: 'byQueue',
        sourceQueueArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sqs:eu-west-1:123456789012:${queueName}`]] }],
      },
      Tags: [{ Key: 'fanout:consumer', Value: 'invoices' }, { Key: 'fanout:role', Value: 'dead-letter-queue' }],
    });
  });

  test('queue policies deny anything without TLS, and admit no topic', () => {
    for (const id of [queueId, dlqId]) {
      t.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: [{
            Effect: 'Deny', Action: 'sqs:*', Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: { 'Fn::GetAtt': [id, 'Arn'] },
          }],
          Version: '2012-10-17',
        },
      });
    }
    t.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('alarms: DLQ not empty and the oldest message 15 minutes old, without actions; no event source', () => {
    expect(work.alarms).toHaveLength(2);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: 'Messages of work queue invoices (Test/Invoices) reached its dead-letter queue; inspect with `fanout dlq inspect`, fix, then `fanout dlq redrive`.',
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'FILL(visible, 0) + FILL(sent, 0) + FILL(received, 0)' })]),
      AlarmActions: Match.absent(),
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: 'Work queue invoices (Test/Invoices) is behind: its oldest message is 15 minutes old or older.',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 900,
      EvaluationPeriods: 3,
    });
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
  });

  test('metric helpers read the queue and the DLQ', () => {
    expect(stack.resolve(work.metricQueueDepth().toMetricConfig().metricStat)).toMatchObject({
      metricName: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum', dimensions: [{ name: 'QueueName', value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    });
    expect(stack.resolve(work.metricAgeOfOldestMessage().toMetricConfig().metricStat)).toMatchObject({ metricName: 'ApproximateAgeOfOldestMessage' });
    expect(stack.resolve(work.metricDeadLetterQueueDepth().toMetricConfig().metricStat))
      .toMatchObject({ dimensions: [{ name: 'QueueName', value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }] });
  });
});

describe('WorkQueue options', () => {
  test('FIFO with content-based deduplication: both queues FIFO, named with the suffixes', () => {
    const { t } = oneWorkQueue({ fifo: true, contentBasedDeduplication: true, queueName: 'invoices' });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'invoices.fifo', FifoQueue: true, ContentBasedDeduplication: true });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'invoices-dlq.fifo', FifoQueue: true, ContentBasedDeduplication: Match.absent() });
  });

  test('maxReceiveCount, retention, depth and age alarms, and the alarm topic', () => {
    const stack = newStack();
    const ops = new sns.Topic(stack, 'Ops');
    new WorkQueue(stack, 'Invoices', { maxReceiveCount: 3, retentionPeriod: Duration.days(2), maxQueueDepth: 500, maxMessageAge: Duration.minutes(2), alarmTopic: ops });
    const t = template(stack);
    t.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 2 * 86400, RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 500, AlarmDescription: 'Work queue invoices (Test/Invoices) has 500 or more messages waiting.' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 120 });
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(3);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId(stack, ops) }]);
      expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
    }
  });

  test('an alarm topic with a customer key defined here: CloudWatch may use the key for this account\'s alarms', () => {
    const stack = newStack();
    const opsKey = new kms.Key(stack, 'OpsKey');
    new WorkQueue(stack, 'Invoices', { alarmTopic: new sns.Topic(stack, 'Ops', { masterKey: opsKey }) });
    template(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });
});

describe('WorkQueue with a handler: wired exactly like a fan-out consumer', () => {
  function withHandler(props: WorkQueueProps = {}, timeout = Duration.seconds(20)) {
    const stack = newStack();
    const handler = newHandler(stack, 'Fn', timeout);
    const table = new IdempotencyTable(stack, 'Idempotency');
    const work = new WorkQueue(stack, 'Invoices', { handler, idempotencyTable: table, ...props });
    return { stack, work, handler, table, t: template(stack) };
  }

  test('an SQS event source that always reports batch item failures, with the batch options', () => {
    const { stack, work, t } = withHandler({ batchSize: 50, maxBatchingWindow: Duration.seconds(10), maxConcurrency: 5 });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(stack, work.queue as never),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 10,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    expect(work.handler).toBeDefined();
  });

  test('visibility timeout 6 × the function timeout + the batching window; 10 records per batch by default', () => {
    const { work, t } = withHandler({ maxBatchingWindow: Duration.seconds(10) });
    t.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 130 });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 10 });
    expect(work.visibilityTimeout.toSeconds()).toBe(130);
  });

  test('environment and least privilege: consume the queue, send to the DLQ, its own idempotency keys', () => {
    const { stack, work, table, t } = withHandler();
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          FANOUT_CONSUMER_NAME: 'invoices',
          FANOUT_DLQ_URL: { Ref: logicalId(stack, work.deadLetterQueue as never) },
          FANOUT_IDEMPOTENCY_TABLE: { Ref: logicalId(stack, table.table as never) },
        },
      },
    });
    expect(statementsOf(stack, 'FnServiceRoleDefaultPolicy')).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: arnOf(stack, work.queue as never),
      },
      { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Resource: arnOf(stack, work.deadLetterQueue as never) },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:BatchGetItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'],
        Resource: arnOf(stack, table.table as never),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['invoices#*'] } },
      },
    ]);
  });

  test('a visibility timeout under 6 × the function timeout is a warning, under the timeout an error', () => {
    const { stack } = withHandler({ visibilityTimeout: Duration.seconds(60) });
    expect(warnings(stack).join('\n')).toContain('visibilityTimeout (60 s) is below AWS\'s recommendation of 6 × the handler timeout + maxBatchingWindow (120 s)');
    expect(() => withHandler({ visibilityTimeout: Duration.seconds(10) }))
      .toThrow('Test/Invoices: visibilityTimeout (10 seconds) is shorter than the handler\'s timeout (20 seconds)');
  });
});

describe('WorkQueue grants', () => {
  test('grantSendMessages: send to the queue only; with a customer key, kms:Decrypt and kms:GenerateDataKey on it and nothing more', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const work = new WorkQueue(stack, 'Invoices', { encryptionKey: key });
    expect(work.grantSendMessages(role(stack, 'Producer')).success).toBe(true);
    expect(statementsOf(stack, 'Producer')).toEqual([
      { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Resource: arnOf(stack, work.queue as never) },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: arnOf(stack, key) },
    ]);
    template(stack).hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: arnOf(stack, key), RedrivePolicy: Match.anyValue() });
  });

  test('grantSendMessages without a customer key: no KMS statement', () => {
    const stack = newStack();
    const work = new WorkQueue(stack, 'Invoices');
    work.grantSendMessages(role(stack, 'Producer'));
    expect(JSON.stringify(statementsOf(stack, 'Producer'))).not.toContain('kms:');
  });

  test('the handler on a customer key: kms:Decrypt to receive, kms:Decrypt and kms:GenerateDataKey to send poison; no kms:Encrypt', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    new WorkQueue(stack, 'Invoices', { encryptionKey: key, handler: newHandler(stack, 'Fn') });
    const json = JSON.stringify(statementsOf(stack, 'FnServiceRoleDefaultPolicy'));
    expect(json).toContain('"kms:GenerateDataKey"');
    expect(json).not.toContain('kms:Encrypt');
    expect(json).not.toContain('kms:ReEncrypt');
  });

  test('grantDeadLetterOperations: inspect, redrive and purge its DLQ, send back to its queue, read its stack', () => {
    const stack = newStack();
    const work = new WorkQueue(stack, 'Invoices');
    new WorkQueue(stack, 'Other');
    work.grantDeadLetterOperations(role(stack, 'OnCall'));
    expect(statementsOf(stack, 'OnCall')).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility',
          'sqs:ListDeadLetterSourceQueues', 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:CancelMessageMoveTask',
          'sqs:DeleteMessage', 'sqs:PurgeQueue',
        ],
        Resource: arnOf(stack, work.deadLetterQueue as never),
      },
      { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], Resource: arnOf(stack, work.queue as never) },
      {
        Effect: 'Allow',
        Action: ['cloudformation:GetTemplate', 'cloudformation:DescribeStackResource'],
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudformation:eu-west-1:123456789012:stack/Test/*']] },
      },
    ]);
  });
});

describe('WorkQueue validation', () => {
  test('every broken rule is reported in one error, before any resource is made', () => {
    const stack = newStack();
    const managed = kms.Alias.fromAliasName(stack, 'Managed', 'alias/aws/sqs');
    expect(() => new WorkQueue(stack, 'Invoices', { maxReceiveCount: 0, contentBasedDeduplication: true, encryptionKey: managed, batchSize: 5 })).toThrow(new Error([
      'Test/Invoices: 4 invalid props:',
      '  - maxReceiveCount must be a whole number from 1 to 1000, got 0',
      '  - contentBasedDeduplication applies to FIFO queues only; set fifo: true or remove it',
      '  - encryptionKey is the AWS-managed key alias/aws/sqs, whose policy cannot be changed, so the grants made here would not reach it; '
        + 'give a customer-managed kms.Key, or remove encryptionKey for SQS-managed encryption (SSE-SQS), which needs no grants',
      '  - batchSize configures the handler, but no handler was given; add handler or remove batchSize',
    ].join('\n')));
    expect(stack.node.findChild('Invoices').node.children).toEqual([]);
  });

  test('FIFO: at most 10 records per batch and no batching window', () => {
    const stack = newStack();
    expect(() => new WorkQueue(stack, 'Invoices', { fifo: true, handler: newHandler(stack, 'Fn'), batchSize: 11, maxBatchingWindow: Duration.seconds(1) })).toThrow(new Error([
      'Test/Invoices: 2 invalid props:',
      '  - batchSize must be a whole number from 1 to 10, got 11',
      '  - maxBatchingWindow cannot be used on a FIFO consumer (Lambda does not batch FIFO queues over time); remove it',
    ].join('\n')));
  });

  test('a bad consumer name, a queue name too long, an alarm topic on an AWS-managed key', () => {
    const stack = newStack();
    const ops = new sns.Topic(stack, 'Ops', { masterKey: kms.Alias.fromAliasName(stack, 'SnsKey', 'alias/aws/sns') });
    expect(() => new WorkQueue(stack, 'Invoices', { consumerName: 'Invoices!', fifo: true, queueName: 'q'.repeat(72), alarmTopic: ops })).toThrow(new Error([
      'Test/Invoices: 3 invalid props:',
      '  - consumer name \'Invoices!\' is invalid; use 1 to 64 lower-case letters, digits and dashes, starting with a letter or digit (set consumerName)',
      '  - alarmTopic is encrypted with the AWS-managed key alias/aws/sns, whose policy cannot let CloudWatch (cloudwatch.amazonaws.com) use it, '
        + 'so no alarm would reach the topic; encrypt the alarm topic with a customer-managed kms.Key (its policy is granted here when the key is defined in this app)',
      `  - queueName '${'q'.repeat(72)}' is 72 characters, so its dead-letter queue's name would be 81 and SQS allows 80; use at most 71 characters `
        + '(the construct adds \'-dlq\' and, on a FIFO queue, \'.fifo\')',
    ].join('\n')));
  });
});

describe('one consumer namespace per idempotency table, one function per consumer, across kinds', () => {
  const CLASH = 'two consumers sharing one key space would skip or poison each other\'s events as duplicates or conflicts, and could delete each other\'s records';

  test('a work queue (in another stack) with the name of a fan-out consumer on the same table is refused, naming both and the fix', () => {
    const [stack, jobs] = newStacks('Test', 'Jobs');
    const table = new IdempotencyTable(stack, 'Idempotency');
    new FanOutTopic(stack, 'Orders').addConsumer('Billing', { handler: newHandler(stack, 'BillingFn'), idempotencyTable: table });
    expect(() => new WorkQueue(jobs, 'Billing', { handler: newHandler(jobs, 'WorkFn'), idempotencyTable: table })).toThrow(new Error(
      `Jobs/Billing: consumer name 'billing' already owns the keys 'billing#*' of idempotency table Test/Idempotency, for Test/Orders/Billing; ${CLASH}; set a distinct consumerName`,
    ));
    new WorkQueue(jobs, 'BillingJobs', { consumerName: 'billing-jobs', handler: newHandler(jobs, 'JobsFn'), idempotencyTable: table });
  });

  test('a fan-out consumer (in another stack) with the name of a work queue on the same table is refused too', () => {
    const [stack, orders] = newStacks('Test', 'Orders');
    const table = new IdempotencyTable(stack, 'Idempotency');
    new WorkQueue(stack, 'Billing', { handler: newHandler(stack, 'WorkFn'), idempotencyTable: table });
    expect(() => new FanOutTopic(orders, 'Orders').addConsumer('Billing', { handler: newHandler(orders, 'BillingFn'), idempotencyTable: table }))
      .toThrow('Orders/Orders/Billing: consumer name \'billing\' already owns the keys \'billing#*\' of idempotency table Test/Idempotency, for Test/Billing;');
  });

  test('the handler of a fan-out consumer cannot also serve a work queue', () => {
    const stack = newStack();
    const handler = newHandler(stack, 'Fn');
    new FanOutTopic(stack, 'Orders').addConsumer('Billing', { handler });
    expect(() => new WorkQueue(stack, 'Invoices', { handler })).toThrow(new Error(
      'Test/Invoices: the handler Test/Fn already processes consumer \'billing\' (Test/Orders/Billing): a function has one FANOUT_CONSUMER_NAME and one FANOUT_DLQ_URL, '
      + 'so a second consumer would overwrite the first one\'s; give each consumer its own function',
    ));
  });
});
