import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Match } from 'aws-cdk-lib/assertions';
import { IdempotencyTable, KafkaCluster, KafkaConsumer, KafkaConsumerProps, KafkaDeadLetter, WorkQueue } from '../../lib';
import { newHandler, newStack, newStacks, template } from './fixtures';

/*
 * Template tests only: nothing here (or anywhere in this repository) runs against a Kafka broker.
 */

const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/abcd1234-abcd-cafe-abab-9876543210ab-4';
const logicalId = (stack: Stack, resource: { node: { defaultChild?: unknown } }) => stack.getLogicalId(resource.node.defaultChild as never);

function oneKafkaConsumer(props: Partial<KafkaConsumerProps> = {}) {
  const stack = newStack();
  const handler = newHandler(stack, 'Fn', Duration.seconds(30));
  const table = new IdempotencyTable(stack, 'Idempotency');
  const consumer = new KafkaConsumer(stack, 'PaymentAudit', {
    cluster: KafkaCluster.msk({ clusterArn: CLUSTER_ARN }), topic: 'payments', handler, idempotencyTable: table, ...props,
  });
  return { stack, handler, table, consumer, t: template(stack) };
}

/** The environment variables of the one function in the template. */
function fnEnvironment(t: ReturnType<typeof template>): Record<string, unknown> {
  const functions = Object.values(t.findResources('AWS::Lambda::Function'));
  expect(functions).toHaveLength(1);
  return functions[0].Properties.Environment.Variables;
}

/** Every statement of the handler's identity policy. */
function handlerStatements(stack: Stack): Array<Record<string, unknown>> {
  const policies = Object.entries(template(stack).findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('FnServiceRoleDefaultPolicy'));
  expect(policies).toHaveLength(1);
  return policies[0][1].Properties.PolicyDocument.Statement;
}

describe('KafkaConsumer defaults (MSK, dead-letter topic)', () => {
  const { stack, table, consumer, t } = oneKafkaConsumer();

  test('an MSK event source in provisioned mode: partial batch responses, split on error, 3 retries, TRIM_HORIZON, <stack>-<name> group, <topic>.DLT on failure', () => {
    const [mapping] = Object.values(t.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mapping.Properties).toEqual({
      FunctionName: { Ref: logicalId(stack, consumer.handler as never) },
      EventSourceArn: CLUSTER_ARN,
      Topics: ['payments'],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      DestinationConfig: { OnFailure: { Destination: 'kafka://payments.DLT' } },
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'Test-payment-audit' },
      ProvisionedPollerConfig: { MinimumPollers: 1 },
    });
    expect(consumer.consumerGroupId).toBe('Test-payment-audit');
    expect(consumer.deadLetterTopic).toBe('payments.DLT');
    expect(consumer.deadLetterQueue).toBeUndefined();
    t.resourceCountIs('AWS::SQS::Queue', 0);
  });

  test('the handler may write to the dead-letter topic of this MSK cluster (kafka-cluster:WriteData on its ARN), and its own idempotency keys', () => {
    const statements = handlerStatements(stack);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'kafka-cluster:WriteData',
      Resource: 'arn:aws:kafka:eu-west-1:123456789012:topic/payments/abcd1234-abcd-cafe-abab-9876543210ab-4/payments.DLT',
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kafka:DescribeCluster', 'kafka:GetBootstrapBrokers', 'kafka:ListScramSecrets'],
      Resource: CLUSTER_ARN,
    });
    expect(statements).toContainEqual(expect.objectContaining({
      Resource: { 'Fn::GetAtt': [logicalId(stack, table.table as never), 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['payment-audit#*'] } },
    }));
    expect(JSON.stringify(statements)).not.toContain('sqs:');
  });

  test('environment: consumer name, idempotency table and the dead-letter topic; no DLQ URL without a dead-letter queue', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          FANOUT_CONSUMER_NAME: 'payment-audit', FANOUT_DEAD_LETTER_TOPIC: 'payments.DLT', FANOUT_IDEMPOTENCY_TABLE: { Ref: logicalId(stack, table.table as never) },
        },
      },
    });
    const fn = Object.values(t.findResources('AWS::Lambda::Function'))[0];
    expect(fn.Properties.Environment.Variables.FANOUT_DLQ_URL).toBeUndefined();
  });

  test('alarms: OffsetLag 1000 or more for 3 minutes, and any handler error', () => {
    expect(consumer.alarms).toHaveLength(2);
    const fnRef = { Ref: logicalId(stack, consumer.handler as never) };
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda', MetricName: 'OffsetLag', Statistic: 'Maximum', Dimensions: [{ Name: 'FunctionName', Value: fnRef }],
      Threshold: 1000, EvaluationPeriods: 3,
      AlarmDescription: 'Kafka consumer payment-audit (Test/PaymentAudit) is behind: its consumer group Test-payment-audit has 1000 or more records of payments to process.',
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Dimensions: [{ Name: 'FunctionName', Value: fnRef }], Threshold: 1, EvaluationPeriods: 1,
      AlarmDescription: 'The handler of Kafka consumer payment-audit (Test/PaymentAudit) failed (threw or timed out); Lambda retries the batch up to 3 times, then sends it to the dead-letter topic payments.DLT.',
    });
  });
});

describe('KafkaConsumer with its SQS dead-letter queue', () => {
  test('the DLQ is the on-failure destination: 14 days, TLS-only, tagged, redrive denied, alarmed; FANOUT_DLQ_URL; send granted without kms:Encrypt', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const consumer = new KafkaConsumer(stack, 'PaymentAudit', {
      cluster: KafkaCluster.msk({ clusterArn: CLUSTER_ARN }), topic: 'payments', handler: newHandler(stack, 'Fn'),
      deadLetter: KafkaDeadLetter.SQS_QUEUE, encryptionKey: key,
    });
    const t = template(stack);
    const dlqId = logicalId(stack, consumer.deadLetterQueue as never);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } } });
    expect(t.findResources('AWS::SQS::Queue')[dlqId].Properties).toEqual({
      MessageRetentionPeriod: 14 * 86400,
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, key), 'Arn'] },
      RedriveAllowPolicy: { redrivePermission: 'denyAll' },
      Tags: [{ Key: 'fanout:consumer', Value: 'payment-audit' }, { Key: 'fanout:role', Value: 'failure-records' }],
    });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', { Queues: [{ Ref: dlqId }], PolicyDocument: { Statement: [Match.objectLike({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] } });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ FANOUT_DLQ_URL: { Ref: dlqId } }) } });
    const statements = handlerStatements(stack);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Resource: { 'Fn::GetAtt': [dlqId, 'Arn'] } });
    expect(JSON.stringify(statements)).not.toMatch(/kms:Encrypt|kms:ReEncrypt|kafka-cluster:WriteData/);
    expect(consumer.alarms).toHaveLength(3);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^Records of Kafka consumer payment-audit \\(Test/PaymentAudit\\) were given up on'),
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'FILL(visible, 0) + FILL(sent, 0) + FILL(received, 0)' })]),
    });
    expect(consumer.deadLetterTopic).toBeUndefined();
    expect(Object.keys(fnEnvironment(t))).not.toContain('FANOUT_DEAD_LETTER_TOPIC');
  });

  test('grantDeadLetterOperations: inspect and purge the DLQ (on-failure records), read the stack, decrypt with its key', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const consumer = new KafkaConsumer(stack, 'PaymentAudit', {
      cluster: KafkaCluster.msk({ clusterArn: CLUSTER_ARN }), topic: 'payments', handler: newHandler(stack, 'Fn'), deadLetter: KafkaDeadLetter.SQS_QUEUE, encryptionKey: key,
    });
    consumer.grantDeadLetterOperations(new iam.Role(stack, 'OnCall', { assumedBy: new iam.AccountRootPrincipal() }));
    const [policy] = Object.entries(template(stack).findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('OnCall')).map(([, p]) => p);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:ListDeadLetterSourceQueues', 'sqs:PurgeQueue'],
        Resource: { 'Fn::GetAtt': [logicalId(stack, consumer.deadLetterQueue as never), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['cloudformation:GetTemplate', 'cloudformation:DescribeStackResource'],
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudformation:eu-west-1:123456789012:stack/Test/*']] },
      },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [logicalId(stack, key), 'Arn'] } },
    ]);
  });

  test('grantDeadLetterOperations with a dead-letter topic: refused, naming the topic', () => {
    const { stack, consumer } = oneKafkaConsumer();
    expect(() => consumer.grantDeadLetterOperations(new iam.Role(stack, 'OnCall', { assumedBy: new iam.AccountRootPrincipal() })))
      .toThrow('Test/PaymentAudit: has no SQS dead-letter queue to grant: its failed records go to the Kafka topic payments.DLT;');
  });
});

describe('KafkaConsumer options', () => {
  test('a self-managed cluster with its secret: bootstrap servers, the group id, a named dead-letter topic, no MSK grants', () => {
    const stack = newStack();
    const secret = new secretsmanager.Secret(stack, 'KafkaCredentials');
    new KafkaConsumer(stack, 'PaymentAudit', {
      cluster: KafkaCluster.selfManaged({ bootstrapServers: ['broker-1.example.com:9092'], secret }),
      topic: 'payments', handler: newHandler(stack, 'Fn'), consumerGroupId: 'payment-audit-v2', deadLetterTopic: 'payments-failed',
    });
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: ['broker-1.example.com:9092'] } },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'payment-audit-v2' },
      SourceAccessConfigurations: [{ Type: 'SASL_SCRAM_512_AUTH', URI: { Ref: logicalId(stack, secret) } }],
      DestinationConfig: { OnFailure: { Destination: 'kafka://payments-failed' } },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ProvisionedPollerConfig: { MinimumPollers: 1 },
    });
    expect(JSON.stringify(handlerStatements(stack))).not.toContain('kafka-cluster:');
  });

  test('pollers, batching, record age, LATEST, no bisect, retries', () => {
    const { t } = oneKafkaConsumer({
      minimumPollers: 2, maximumPollers: 10, pollerGroupName: 'payments', batchSize: 500, maxBatchingWindow: Duration.seconds(2),
      maxRecordAge: Duration.hours(6), startingPosition: lambda.StartingPosition.LATEST, bisectBatchOnError: false, retryAttempts: 10,
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 10, PollerGroupName: 'payments' },
      BatchSize: 500, MaximumBatchingWindowInSeconds: 2, MaximumRecordAgeInSeconds: 6 * 3600, StartingPosition: 'LATEST',
      BisectBatchOnFunctionError: false, MaximumRetryAttempts: 10,
    });
  });

  test('a cluster ARN known only at deploy time: the dead-letter topic\'s ARN is derived in the template', () => {
    const stack = newStack();
    const arn = new CfnParameter(stack, 'ClusterArn').valueAsString;
    new KafkaConsumer(stack, 'PaymentAudit', { cluster: KafkaCluster.msk({ clusterArn: arn }), topic: 'payments', handler: newHandler(stack, 'Fn') });
    const write = handlerStatements(stack).find((s) => s.Action === 'kafka-cluster:WriteData')!;
    expect(write.Resource).toEqual({
      'Fn::Join': ['', [
        { 'Fn::Select': [0, { 'Fn::Split': [':cluster/', { Ref: 'ClusterArn' }] }] },
        ':topic/',
        { 'Fn::Select': [1, { 'Fn::Split': [':cluster/', { Ref: 'ClusterArn' }] }] },
        '/payments.DLT',
      ]],
    });
  });

  test('metricOffsetLag reads the function\'s OffsetLag', () => {
    const { stack, consumer } = oneKafkaConsumer();
    expect(stack.resolve(consumer.metricOffsetLag().toMetricConfig().metricStat)).toMatchObject({ namespace: 'AWS/Lambda', metricName: 'OffsetLag', statistic: 'Maximum' });
  });
});

describe('KafkaConsumer validation', () => {
  test('every broken rule is reported in one error, before any resource is made', () => {
    const stack = newStack();
    expect(() => new KafkaConsumer(stack, 'PaymentAudit', {
      cluster: KafkaCluster.msk({ clusterArn: CLUSTER_ARN }), topic: 'payments', handler: newHandler(stack, 'Fn'),
      deadLetterTopic: 'payments', retryAttempts: -1, minimumPollers: 5, maximumPollers: 2, consumerGroupId: 'audit group',
      encryptionKey: new kms.Key(stack, 'Key'), maxOffsetLag: 0,
    })).toThrow(new Error([
      'Test/PaymentAudit: 6 invalid props:',
      '  - retryAttempts must be a whole number from 0 to 10000, got -1',
      '  - deadLetterTopic is the consumed topic \'payments\' (Lambda refuses to write failed records back to their source); name another topic',
      '  - consumer group id \'audit group\' is invalid: use 1 to 200 letters, digits and - / * : _ + = . @ (set consumerGroupId)',
      '  - encryptionKey encrypts the SQS dead-letter queue, and deadLetter is KafkaDeadLetter.KAFKA_TOPIC; remove it, or choose SQS_QUEUE',
      '  - maximumPollers (2) is below minimumPollers (5); raise maximumPollers or lower minimumPollers',
      '  - maxOffsetLag must be a whole number from 1 to 9007199254740991, got 0',
    ].join('\n')));
    expect(stack.node.findChild('PaymentAudit').node.children).toEqual([]);
  });

  test('bad topic names, a dead-letter topic with an SQS dead letter, pollers out of range', () => {
    const stack = newStack();
    expect(() => new KafkaConsumer(stack, 'PaymentAudit', {
      cluster: KafkaCluster.msk({ clusterArn: CLUSTER_ARN }), topic: 'pay ments', handler: newHandler(stack, 'Fn'),
      deadLetter: KafkaDeadLetter.SQS_QUEUE, deadLetterTopic: 'x', minimumPollers: 201, maximumPollers: 2001,
    })).toThrow(new Error([
      'Test/PaymentAudit: 4 invalid props:',
      '  - topic \'pay ments\' is not a Kafka topic name: use 1 to 249 letters, digits, \'.\', \'_\' or \'-\'',
      '  - deadLetterTopic is only used with deadLetter KafkaDeadLetter.KAFKA_TOPIC; remove it, or choose KAFKA_TOPIC',
      '  - minimumPollers must be a whole number from 1 to 200, got 201',
      '  - maximumPollers must be a whole number from 1 to 2000, got 2001',
    ].join('\n')));
  });

  test('a self-managed cluster reached over the internet without a secret, or in a VPC without subnets and security group', () => {
    const stack = newStack();
    expect(() => new KafkaConsumer(stack, 'A', { cluster: KafkaCluster.selfManaged({ bootstrapServers: [] }), topic: 'payments', handler: newHandler(stack, 'FnA') })).toThrow(new Error([
      'Test/A: 2 invalid props:',
      '  - the self-managed cluster has no bootstrapServers; list at least one broker as host:port',
      '  - the self-managed cluster is reached over the internet (no vpc) without a secret; give the secret with its credentials, or the vpc it is reached in',
    ].join('\n')));
    const vpc = new ec2.Vpc(stack, 'Vpc');
    expect(() => new KafkaConsumer(stack, 'B', { cluster: KafkaCluster.selfManaged({ bootstrapServers: ['b:9092'], vpc }), topic: 'payments', handler: newHandler(stack, 'FnB') }))
      .toThrow(new Error('Test/B: the self-managed cluster\'s vpc needs vpcSubnets and securityGroup for Lambda\'s pollers; give both'));
  });

  test('a consumer name granted elsewhere on the table, and a handler that already serves a work queue', () => {
    const [stack, other] = newStacks('Test', 'Other');
    const table = new IdempotencyTable(stack, 'Idempotency');
    const handler = newHandler(stack, 'Fn');
    new WorkQueue(stack, 'PaymentAudit', { handler, idempotencyTable: table });
    expect(() => new KafkaConsumer(other, 'Audit', {
      consumerName: 'payment-audit', cluster: KafkaCluster.msk({ clusterArn: CLUSTER_ARN }), topic: 'payments', handler: newHandler(other, 'Fn2'), idempotencyTable: table,
    })).toThrow('Other/Audit: consumer name \'payment-audit\' already owns the keys \'payment-audit#*\' of idempotency table Test/Idempotency, for Test/PaymentAudit;');
    expect(() => new KafkaConsumer(stack, 'Audit2', { cluster: KafkaCluster.msk({ clusterArn: CLUSTER_ARN }), topic: 'payments', handler }))
      .toThrow('Test/Audit2: the handler Test/Fn already processes consumer \'payment-audit\' (Test/PaymentAudit)');
  });
});
