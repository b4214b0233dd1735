import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Match } from 'aws-cdk-lib/assertions';
import { FanOutTopic, IdempotencyTable, StreamConsumer, StreamConsumerProps, WorkQueue } from '../../lib';
import { newHandler, newStack, newStacks, template } from './fixtures';

const logicalId = (stack: Stack, resource: { node: { defaultChild?: unknown } }) => stack.getLogicalId(resource.node.defaultChild as never);
const arnOf = (stack: Stack, resource: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalId(stack, resource), 'Arn'] });

function oneStreamConsumer(props: Partial<StreamConsumerProps> = {}, streamProps: kinesis.StreamProps = {}) {
  const stack = newStack();
  const stream = new kinesis.Stream(stack, 'Clicks', streamProps);
  const handler = newHandler(stack, 'Fn', Duration.seconds(30));
  const table = new IdempotencyTable(stack, 'Idempotency');
  const consumer = new StreamConsumer(stack, 'ClickCounter', { stream, handler, idempotencyTable: table, ...props });
  return { stack, stream, handler, table, consumer, t: template(stack) };
}

describe('StreamConsumer defaults', () => {
  const { stack, stream, table, consumer, t } = oneStreamConsumer();
  const dlqId = logicalId(stack, consumer.deadLetterQueue as never);

  test('a Kinesis event source: partial batch responses, split on error, 3 retries, 12 h record age, TRIM_HORIZON, 100 records, the DLQ on failure', () => {
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    const [mapping] = Object.values(t.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mapping.Properties).toEqual({
      FunctionName: { Ref: logicalId(stack, consumer.handler as never) },
      EventSourceArn: arnOf(stack, stream),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 12 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
  });

  test('its own DLQ: 14 days, SSE-SQS, no queue may redrive into it, TLS-only, tagged as failure records', () => {
    expect(t.findResources('AWS::SQS::Queue')[dlqId].Properties).toEqual({
      MessageRetentionPeriod: 14 * 86400,
      SqsManagedSseEnabled: true,
      RedriveAllowPolicy: { redrivePermission: 'denyAll' },
      Tags: [{ Key: 'fanout:consumer', Value: 'click-counter' }, { Key: 'fanout:role', Value: 'failure-records' }],
    });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
  });

  test('environment: consumer name, DLQ URL, idempotency table', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          FANOUT_CONSUMER_NAME: 'click-counter',
          FANOUT_DLQ_URL: { Ref: dlqId },
          FANOUT_IDEMPOTENCY_TABLE: { Ref: logicalId(stack, table.table as never) },
        },
      },
    });
  });

  test('least privilege: read the stream, send to its DLQ (Lambda\'s on-failure records and poison), its own idempotency keys', () => {
    const [policy] = Object.values(t.findResources('AWS::IAM::Policy'));
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'kinesis:SubscribeToShard', 'kinesis:DescribeStream', 'kinesis:ListStreams', 'kinesis:DescribeStreamConsumer'],
        Resource: arnOf(stack, stream),
      },
      { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Resource: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:BatchGetItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'],
        Resource: arnOf(stack, table.table as never),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['click-counter#*'] } },
      },
    ]);
    expect(JSON.stringify(statements)).not.toContain('kms:');
  });

  test('alarms: the function\'s IteratorAge at 15 minutes for 3 minutes, and the DLQ not empty', () => {
    expect(consumer.alarms).toHaveLength(2);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, consumer.handler as never) } }],
      Statistic: 'Maximum',
      Threshold: 15 * 60 * 1000,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^Records of stream consumer click-counter \\(Test/ClickCounter\\) were given up on \\(3 retries, or older than 12 hours\\)'),
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'FILL(visible, 0) + FILL(sent, 0) + FILL(received, 0)' })]),
    });
  });
});

describe('StreamConsumer.grantDeadLetterOperations', () => {
  const onCallStatements = (stack: Stack) => {
    const policies = Object.entries(template(stack).findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('OnCall'));
    expect(policies).toHaveLength(1);
    return policies[0][1].Properties.PolicyDocument.Statement;
  };

  test('inspect and purge its DLQ (Lambda\'s on-failure records), read its stack: no delete, send or message move task', () => {
    const stack = newStack();
    const consumer = new StreamConsumer(stack, 'ClickCounter', { stream: new kinesis.Stream(stack, 'Clicks'), handler: newHandler(stack, 'Fn') });
    const grant = consumer.grantDeadLetterOperations(new iam.Role(stack, 'OnCall', { assumedBy: new iam.AccountRootPrincipal() }));
    expect(grant.success).toBe(true);
    expect(onCallStatements(stack)).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:ListDeadLetterSourceQueues', 'sqs:PurgeQueue'],
        Resource: arnOf(stack, consumer.deadLetterQueue as never),
      },
      {
        Effect: 'Allow',
        Action: ['cloudformation:GetTemplate', 'cloudformation:DescribeStackResource'],
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudformation:eu-west-1:123456789012:stack/Test/*']] },
      },
    ]);
  });

  test('with a customer key: kms:Decrypt on it, nothing to encrypt', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const consumer = new StreamConsumer(stack, 'ClickCounter', { stream: new kinesis.Stream(stack, 'Clicks'), handler: newHandler(stack, 'Fn'), encryptionKey: key });
    consumer.grantDeadLetterOperations(new iam.Role(stack, 'OnCall', { assumedBy: new iam.AccountRootPrincipal() }));
    const statements = onCallStatements(stack);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: arnOf(stack, key) });
    expect(JSON.stringify(statements)).not.toMatch(/kms:GenerateDataKey|kms:Encrypt/);
  });
});

describe('StreamConsumer options', () => {
  test('LATEST, a batching window, parallelization, bounded retries and age, no bisect', () => {
    const { t } = oneStreamConsumer({
      startingPosition: lambda.StartingPosition.LATEST, batchSize: 500, maxBatchingWindow: Duration.seconds(5), parallelizationFactor: 4,
      retryAttempts: 0, maxRecordAge: Duration.hours(1), bisectBatchOnError: false,
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'LATEST', BatchSize: 500, MaximumBatchingWindowInSeconds: 5, ParallelizationFactor: 4,
      MaximumRetryAttempts: 0, MaximumRecordAgeInSeconds: 3600, BisectBatchOnFunctionError: false,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('an encrypted stream: the handler may decrypt with its key', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'StreamKey');
    const stream = new kinesis.Stream(stack, 'Clicks', { encryption: kinesis.StreamEncryption.KMS, encryptionKey: key });
    new StreamConsumer(stack, 'ClickCounter', { stream, handler: newHandler(stack, 'Fn') });
    const [policy] = Object.values(template(stack).findResources('AWS::IAM::Policy'));
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt', Resource: arnOf(stack, key) }));
  });

  test('a customer key on the DLQ: kms:Decrypt and kms:GenerateDataKey for the handler, no kms:Encrypt', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const consumer = new StreamConsumer(stack, 'ClickCounter', { stream: new kinesis.Stream(stack, 'Clicks'), handler: newHandler(stack, 'Fn'), encryptionKey: key });
    template(stack).hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: arnOf(stack, key) });
    const [policy] = Object.values(template(stack).findResources('AWS::IAM::Policy'));
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: arnOf(stack, key) });
    expect(JSON.stringify(statements)).not.toMatch(/kms:Encrypt|kms:ReEncrypt/);
    expect(consumer.deadLetterQueue).toBeDefined();
  });

  test('the alarm topic and the iterator-age threshold', () => {
    const stack = newStack();
    const ops = new sns.Topic(stack, 'Ops');
    const consumer = new StreamConsumer(stack, 'ClickCounter', {
      stream: new kinesis.Stream(stack, 'Clicks'), handler: newHandler(stack, 'Fn'), alarmTopic: ops, maxIteratorAge: Duration.minutes(2),
    });
    const t = template(stack);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge', Threshold: 120000 });
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId(stack, ops) }]);
    }
    expect(stack.resolve(consumer.metricIteratorAge().toMetricConfig().metricStat)).toMatchObject({ metricName: 'IteratorAge', namespace: 'AWS/Lambda', statistic: 'Maximum' });
  });
});

describe('StreamConsumer validation', () => {
  test('every broken rule is reported in one error', () => {
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Clicks');
    expect(() => new StreamConsumer(stack, 'ClickCounter', {
      stream, handler: newHandler(stack, 'Fn'), retryAttempts: -1, maxRecordAge: Duration.days(8), batchSize: 10001, parallelizationFactor: 11,
      startingPosition: lambda.StartingPosition.AT_TIMESTAMP, maxBatchingWindow: Duration.minutes(6),
      encryptionKey: kms.Alias.fromAliasName(stack, 'Managed', 'alias/aws/sqs'),
    })).toThrow(new Error([
      'Test/ClickCounter: 7 invalid props:',
      '  - batchSize must be a whole number from 1 to 10000, got 10001',
      '  - retryAttempts must be a whole number from 0 to 10000, got -1',
      '  - maxRecordAge must be from 1 minute to 7 days, got 8 days',
      '  - maxBatchingWindow must be at most 5 minutes, got 6 minutes',
      '  - startingPosition AT_TIMESTAMP needs startingPositionTimestamp (Unix time in seconds); set it, or choose TRIM_HORIZON or LATEST',
      '  - parallelizationFactor must be a whole number from 1 to 10, got 11',
      '  - encryptionKey is the AWS-managed key alias/aws/sqs, whose policy cannot be changed, so the grants made here would not reach it; '
        + 'give a customer-managed kms.Key, or remove encryptionKey for SQS-managed encryption (SSE-SQS), which needs no grants',
    ].join('\n')));
    expect(stack.node.findChild('ClickCounter').node.children).toEqual([]);
  });

  test('a timestamp without AT_TIMESTAMP, and an imported handler without a role', () => {
    const stack = newStack();
    const handler = lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:eu-west-1:123456789012:function:clicks');
    expect(() => new StreamConsumer(stack, 'ClickCounter', { stream: new kinesis.Stream(stack, 'Clicks'), handler, startingPositionTimestamp: 1700000000 })).toThrow(new Error([
      'Test/ClickCounter: 2 invalid props:',
      '  - startingPositionTimestamp is only read with startingPosition AT_TIMESTAMP; set that, or remove startingPositionTimestamp',
      '  - the handler has no role known here, so it cannot be granted its stream; import it with lambda.Function.fromFunctionAttributes({ functionArn, role })',
    ].join('\n')));
  });

  test('AT_TIMESTAMP with a timestamp is fine', () => {
    const { t } = oneStreamConsumer({ startingPosition: lambda.StartingPosition.AT_TIMESTAMP, startingPositionTimestamp: 1700000000 });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: 1700000000 });
  });

  test('one consumer name per idempotency table and one function per consumer, with fan-out consumers and work queues', () => {
    const [stack, other] = newStacks('Test', 'Other');
    const table = new IdempotencyTable(stack, 'Idempotency');
    const stream = new kinesis.Stream(stack, 'Clicks');
    const shared = newHandler(stack, 'SharedFn');
    new FanOutTopic(stack, 'Orders').addConsumer('Billing', { handler: shared, idempotencyTable: table });
    new WorkQueue(other, 'Invoices', { handler: newHandler(other, 'InvoicesFn'), idempotencyTable: table });
    expect(() => new StreamConsumer(stack, 'Invoices2', { consumerName: 'invoices', stream, handler: newHandler(stack, 'ClicksFn'), idempotencyTable: table }))
      .toThrow('Test/Invoices2: consumer name \'invoices\' already owns the keys \'invoices#*\' of idempotency table Test/Idempotency, for Other/Invoices;');
    expect(() => new StreamConsumer(stack, 'Clicks2', { stream, handler: shared }))
      .toThrow('Test/Clicks2: the handler Test/SharedFn already processes consumer \'billing\' (Test/Orders/Billing)');
    const role = new iam.Role(stack, 'Poller', { assumedBy: new iam.AccountRootPrincipal() });
    table.grant(role, 'clicks');
    expect(() => new StreamConsumer(stack, 'ClickCounter', { consumerName: 'clicks', stream, handler: newHandler(stack, 'Clicks3Fn'), idempotencyTable: table }))
      .toThrow('Test/ClickCounter: consumer name \'clicks\' already owns the keys \'clicks#*\' of idempotency table Test/Idempotency, for Test/Poller;');
  });
});
