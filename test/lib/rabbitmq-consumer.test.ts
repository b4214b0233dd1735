import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as mq from 'aws-cdk-lib/aws-amazonmq';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Match } from 'aws-cdk-lib/assertions';
import { IdempotencyTable, RabbitMqBroker, RabbitMqConsumer, RabbitMqConsumerProps, WorkQueue } from '../../lib';
import { newHandler, newStack, template } from './fixtures';

/*
 * Template tests: nothing here runs against Lambda or an Amazon MQ broker (the runtime's RabbitMQ
 * tests use a real RabbitMQ server).
 */

const BROKER_ARN = 'arn:aws:mq:eu-west-1:123456789012:broker:orders:b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9';
const logicalId = (stack: Stack, resource: { node: { defaultChild?: unknown } }) => stack.getLogicalId(resource.node.defaultChild as never);
const arnOf = (stack: Stack, resource: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalId(stack, resource), 'Arn'] });
const NETWORK_ACTIONS = ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'];

function oneRabbitMqConsumer(props: Partial<RabbitMqConsumerProps> = {}) {
  const stack = newStack();
  const handler = newHandler(stack, 'Fn', Duration.seconds(30));
  const table = new IdempotencyTable(stack, 'Idempotency');
  const secret = new secretsmanager.Secret(stack, 'BrokerUser');
  const consumer = new RabbitMqConsumer(stack, 'Billing', {
    broker: RabbitMqBroker.fromBrokerArn(BROKER_ARN), secret, handler, idempotencyTable: table, ...props,
  });
  return { stack, handler, table, secret, consumer, t: template(stack) };
}

/** The resources of a type whose logical id starts with `prefix`. */
function resourcesOf(stack: Stack, type: string, prefix: string) {
  return Object.entries(template(stack).findResources(type)).filter(([id]) => id.startsWith(prefix)).map(([, resource]) => resource);
}

function mappingOf(stack: Stack) {
  const mappings = Object.values(template(stack).findResources('AWS::Lambda::EventSourceMapping'));
  expect(mappings).toHaveLength(1);
  return mappings[0];
}

describe('RabbitMqConsumer defaults (a private broker by ARN)', () => {
  const { stack, handler, table, secret, consumer, t } = oneRabbitMqConsumer();
  const dlqId = logicalId(stack, consumer.deadLetterQueue as never);

  test('an event source mapping of queue billing in / with the secret, 10 messages per batch, no partial batch responses, created after its permissions', () => {
    const mapping = mappingOf(stack);
    expect(mapping.Properties).toEqual({
      FunctionName: { Ref: logicalId(stack, handler) },
      EventSourceArn: BROKER_ARN,
      Queues: ['billing'],
      SourceAccessConfigurations: [{ Type: 'BASIC_AUTH', URI: { Ref: logicalId(stack, secret) } }, { Type: 'VIRTUAL_HOST', URI: '/' }],
      BatchSize: 10,
    });
    expect(mapping.DependsOn.sort()).toEqual([
      stack.getLogicalId(consumer.node.findChild('BrokerNetworkPolicy').node.defaultChild as never),
      stack.getLogicalId(handler.role!.node.findChild('DefaultPolicy').node.defaultChild as never),
    ].sort());
    expect(consumer.queueName).toBe('billing');
    expect(consumer.virtualHost).toBe('/');
    expect(consumer.brokerDeadLetterQueue).toBe('billing.dlq');
    expect(consumer.eventSourceMapping).toBeInstanceOf(lambda.CfnEventSourceMapping);
  });

  test('least privilege: describe the broker, read this secret only, send to its DLQ, its own idempotency keys', () => {
    const [policy] = resourcesOf(stack, 'AWS::IAM::Policy', 'FnServiceRoleDefaultPolicy');
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'mq:DescribeBroker', Resource: BROKER_ARN },
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: logicalId(stack, secret) } },
      { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Resource: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:BatchGetItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'],
        Resource: arnOf(stack, table.table as never),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['billing#*'] } },
      },
    ]);
  });

  test('a private broker: the network interface actions in a policy of their own on the handler\'s role', () => {
    const [network] = resourcesOf(stack, 'AWS::IAM::Policy', 'BillingBrokerNetworkPolicy');
    expect(network.Properties.PolicyDocument.Statement).toEqual([{ Effect: 'Allow', Action: NETWORK_ACTIONS, Resource: '*' }]);
    expect(network.Properties.Roles).toEqual([{ Ref: logicalId(stack, handler.role as never) }]);
  });

  test('environment: consumer name, DLQ URL, idempotency table', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { FANOUT_CONSUMER_NAME: 'billing', FANOUT_DLQ_URL: { Ref: dlqId }, FANOUT_IDEMPOTENCY_TABLE: { Ref: logicalId(stack, table.table as never) } },
      },
    });
  });

  test('its own DLQ for poison: 14 days, SSE-SQS, no queue redrives into it, TLS-only, tagged dead-letter-queue', () => {
    expect(t.findResources('AWS::SQS::Queue')[dlqId].Properties).toEqual({
      MessageRetentionPeriod: 14 * 86400,
      SqsManagedSseEnabled: true,
      RedriveAllowPolicy: { redrivePermission: 'denyAll' },
      Tags: [{ Key: 'fanout:consumer', Value: 'billing' }, { Key: 'fanout:role', Value: 'dead-letter-queue' }],
    });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
  });

  test('alarms: handler errors, the SQS DLQ not empty, the broker\'s dead-letter queue not empty', () => {
    expect(consumer.alarms).toHaveLength(3);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Threshold: 1, EvaluationPeriods: 1,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, handler) } }],
      AlarmDescription: 'The handler of RabbitMQ consumer billing (Test/Billing) failed (threw or timed out): Lambda acknowledged none of its batch, so the broker delivers it again '
        + 'from queue billing until the queue\'s x-delivery-limit, then dead-letters it to billing.dlq.',
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^Messages of RabbitMQ consumer billing \\(Test/Billing\\) were rejected as poison'),
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'FILL(visible, 0) + FILL(sent, 0) + FILL(received, 0)' })]),
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/AmazonMQ', MetricName: 'MessageCount', Statistic: 'Maximum', Period: 60, Threshold: 1, TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'Broker', Value: 'orders' }, { Name: 'Queue', Value: 'billing.dlq' }, { Name: 'VirtualHost', Value: '/' }],
      AlarmDescription: Match.stringLikeRegexp('^Messages of queue billing reached the broker\'s dead-letter queue billing.dlq after the queue\'s x-delivery-limit'),
    });
  });

  test('metrics: the queue\'s ready and unacknowledged messages, the broker\'s and the SQS dead letters', () => {
    const stat = (metric: { toMetricConfig(): { metricStat?: unknown } }) => stack.resolve(metric.toMetricConfig().metricStat);
    const dimensions = (queue: string) => [{ name: 'Broker', value: 'orders' }, { name: 'Queue', value: queue }, { name: 'VirtualHost', value: '/' }];
    expect(stat(consumer.metricMessagesReady())).toMatchObject({ namespace: 'AWS/AmazonMQ', metricName: 'MessageReadyCount', dimensions: dimensions('billing') });
    expect(stat(consumer.metricMessagesUnacknowledged())).toMatchObject({ metricName: 'MessageUnacknowledgedCount', dimensions: dimensions('billing') });
    expect(stat(consumer.metricBrokerDeadLetterQueueDepth())).toMatchObject({ metricName: 'MessageCount', dimensions: dimensions('billing.dlq') });
    expect(stat(consumer.metricDeadLetterQueueDepth())).toMatchObject({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible' });
  });
});

describe('RabbitMqConsumer options', () => {
  test('a public CfnBroker of this app: its ARN and name, no network interface actions', () => {
    const stack = newStack();
    const broker = new mq.CfnBroker(stack, 'Broker', {
      brokerName: 'orders-broker', engineType: 'RABBITMQ', engineVersion: '3.13', hostInstanceType: 'mq.m5.large', deploymentMode: 'SINGLE_INSTANCE',
      publiclyAccessible: true, users: [{ username: 'fanout', password: 'not-a-real-password' }],
    });
    const consumer = new RabbitMqConsumer(stack, 'Billing', {
      broker: RabbitMqBroker.fromCfnBroker(broker), secret: new secretsmanager.Secret(stack, 'BrokerUser'), handler: newHandler(stack, 'Fn'),
    });
    expect(mappingOf(stack).Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(broker), 'Arn'] });
    expect(resourcesOf(stack, 'AWS::IAM::Policy', 'BillingBrokerNetworkPolicy')).toEqual([]);
    expect(JSON.stringify(template(stack).toJSON())).not.toContain('ec2:');
    expect(stack.resolve(consumer.metricMessagesReady().toMetricConfig().metricStat).dimensions).toContainEqual({ name: 'Broker', value: 'orders-broker' });
  });

  test('a private CfnBroker: the network interface actions', () => {
    const stack = newStack();
    const broker = new mq.CfnBroker(stack, 'Broker', {
      brokerName: 'orders-broker', engineType: 'RabbitMQ', hostInstanceType: 'mq.m5.large', deploymentMode: 'CLUSTER_MULTI_AZ', publiclyAccessible: false,
      users: [{ username: 'fanout', password: 'not-a-real-password' }],
    });
    new RabbitMqConsumer(stack, 'Billing', { broker: RabbitMqBroker.fromCfnBroker(broker), secret: new secretsmanager.Secret(stack, 'BrokerUser'), handler: newHandler(stack, 'Fn') });
    expect(resourcesOf(stack, 'AWS::IAM::Policy', 'BillingBrokerNetworkPolicy')).toHaveLength(1);
  });

  test('fromBrokerArn with publiclyAccessible: no network interface actions', () => {
    const { stack } = oneRabbitMqConsumer({ broker: RabbitMqBroker.fromBrokerArn(BROKER_ARN, { publiclyAccessible: true }) });
    expect(JSON.stringify(template(stack).toJSON())).not.toContain('ec2:');
  });

  test('queue, virtual host, batching, a broker dead-letter queue of its own, a depth alarm', () => {
    const { stack, consumer, t } = oneRabbitMqConsumer({
      queueName: 'billing.orders', virtualHost: 'payments', batchSize: 500, maxBatchingWindow: Duration.seconds(2),
      brokerDeadLetterQueue: 'billing-parked', maxQueueDepth: 1000,
    });
    expect(mappingOf(stack).Properties).toMatchObject({ Queues: ['billing.orders'], BatchSize: 500, MaximumBatchingWindowInSeconds: 2 });
    expect(mappingOf(stack).Properties.SourceAccessConfigurations[1]).toEqual({ Type: 'VIRTUAL_HOST', URI: 'payments' });
    expect(consumer.alarms).toHaveLength(4);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'MessageReadyCount', Threshold: 1000, EvaluationPeriods: 3,
      Dimensions: [{ Name: 'Broker', Value: 'orders' }, { Name: 'Queue', Value: 'billing.orders' }, { Name: 'VirtualHost', Value: 'payments' }],
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'MessageCount', Dimensions: Match.arrayWith([{ Name: 'Queue', Value: 'billing-parked' }]) });
  });

  test('a broker ARN known only at deploy time: its name for the metrics is taken from it in the template', () => {
    const stack = newStack();
    const arn = new CfnParameter(stack, 'BrokerArn').valueAsString;
    const consumer = new RabbitMqConsumer(stack, 'Billing', { broker: RabbitMqBroker.fromBrokerArn(arn), secret: new secretsmanager.Secret(stack, 'BrokerUser'), handler: newHandler(stack, 'Fn') });
    expect(stack.resolve(consumer.broker.brokerName)).toEqual({ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: 'BrokerArn' }] }] });
    expect(resourcesOf(stack, 'AWS::IAM::Policy', 'FnServiceRoleDefaultPolicy')[0].Properties.PolicyDocument.Statement[0]).toEqual({ Effect: 'Allow', Action: 'mq:DescribeBroker', Resource: { Ref: 'BrokerArn' } });
  });

  test('a secret with a customer key: kms:Decrypt through Secrets Manager only', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'SecretKey');
    new RabbitMqConsumer(stack, 'Billing', { broker: RabbitMqBroker.fromBrokerArn(BROKER_ARN), secret: new secretsmanager.Secret(stack, 'BrokerUser', { encryptionKey: key }), handler: newHandler(stack, 'Fn') });
    template(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } } })]) },
    });
  });

  test('grantDeadLetterOperations: inspect and purge the SQS DLQ, read the stack; nothing redrives', () => {
    const stack = newStack();
    const consumer = new RabbitMqConsumer(stack, 'Billing', { broker: RabbitMqBroker.fromBrokerArn(BROKER_ARN), secret: new secretsmanager.Secret(stack, 'BrokerUser'), handler: newHandler(stack, 'Fn') });
    consumer.grantDeadLetterOperations(new iam.Role(stack, 'OnCall', { assumedBy: new iam.AccountRootPrincipal() }));
    expect(resourcesOf(stack, 'AWS::IAM::Policy', 'OnCall')[0].Properties.PolicyDocument.Statement).toEqual([
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
});

describe('RabbitMqConsumer validation', () => {
  test('every broken rule is reported in one error, each with its fix, before any resource is made', () => {
    const stack = newStack();
    const activeMq = new mq.CfnBroker(stack, 'ActiveMq', {
      brokerName: 'legacy', engineType: 'ACTIVEMQ', hostInstanceType: 'mq.m5.large', deploymentMode: 'SINGLE_INSTANCE', publiclyAccessible: false,
      users: [{ username: 'fanout', password: 'not-a-real-password' }],
    });
    expect(() => new RabbitMqConsumer(stack, 'Billing', {
      broker: RabbitMqBroker.fromCfnBroker(activeMq),
      secret: undefined as never,
      handler: newHandler(stack, 'Fn'),
      queueName: 'amq.billing',
      virtualHost: '',
      batchSize: 10001,
      maxBatchingWindow: Duration.minutes(6),
      maxQueueDepth: 0,
      encryptionKey: kms.Alias.fromAliasName(stack, 'Managed', 'alias/aws/sqs'),
    })).toThrow(new Error([
      'Test/Billing: 8 invalid props:',
      '  - secret is missing: Lambda reads a RabbitMQ queue only as a broker user whose credentials are in Secrets Manager (BASIC_AUTH); '
        + 'give secret: the secretsmanager.ISecret with {"username": ..., "password": ...} of that user',
      '  - the broker Test/ActiveMq has engineType \'ACTIVEMQ\'; a RabbitMqConsumer reads Amazon MQ for RabbitMQ brokers only (engineType RABBITMQ)',
      '  - queueName \'amq.billing\' starts with \'amq.\', which RabbitMQ keeps for its own queues; name the consumer\'s queue otherwise',
      '  - virtualHost \'\' is not a RabbitMQ virtual host: use 1 to 255 bytes (UTF-8), got 0',
      '  - batchSize must be a whole number from 1 to 10000, got 10001',
      '  - maxBatchingWindow must be at most 5 minutes, got 6 minutes',
      '  - maxQueueDepth must be a whole number from 1 to 9007199254740991, got 0',
      '  - encryptionKey is the AWS-managed key alias/aws/sqs, whose policy cannot be changed, so the grants made here would not reach it; '
        + 'give a customer-managed kms.Key, or remove encryptionKey for SQS-managed encryption (SSE-SQS), which needs no grants',
    ].join('\n')));
    expect(stack.node.findChild('Billing').node.children).toEqual([]);
  });

  test('a broker ARN that is not one, a broker of another account, names too long in UTF-8, reading its own dead letters', () => {
    const stack = newStack();
    const secret = new secretsmanager.Secret(stack, 'BrokerUser');
    expect(() => new RabbitMqConsumer(stack, 'A', { broker: RabbitMqBroker.fromBrokerArn('arn:aws:sqs:eu-west-1:123456789012:orders'), secret, handler: newHandler(stack, 'FnA') }))
      .toThrow(new Error('Test/A: \'arn:aws:sqs:eu-west-1:123456789012:orders\' is not an Amazon MQ broker ARN: give arn:<partition>:mq:<region>:<account>:broker:<name>:<id> (RabbitMqBroker.fromBrokerArn)'));
    expect(() => new RabbitMqConsumer(stack, 'B', { broker: RabbitMqBroker.fromBrokerArn(BROKER_ARN.replace('123456789012', '210987654321')), secret, handler: newHandler(stack, 'FnB') }))
      .toThrow(new Error('Test/B: the broker is in account 210987654321 and this stack in 123456789012: Lambda does not read Amazon MQ brokers of other accounts; deploy the consumer in the broker\'s account'));
    expect(() => new RabbitMqConsumer(stack, 'C', { broker: RabbitMqBroker.fromBrokerArn(BROKER_ARN), secret, handler: newHandler(stack, 'FnC'), queueName: 'é'.repeat(128), brokerDeadLetterQueue: 'é'.repeat(128) }))
      .toThrow(new Error([
        'Test/C: 3 invalid props:',
        `  - queueName '${'é'.repeat(128)}' is not a RabbitMQ queue name: use 1 to 255 bytes (UTF-8), got 256`,
        `  - brokerDeadLetterQueue '${'é'.repeat(128)}' is not a RabbitMQ queue name: use 1 to 255 bytes (UTF-8), got 256`,
        `  - brokerDeadLetterQueue is the consumed queue '${'é'.repeat(128)}': the consumer would read its own dead letters; name the queue its dead-letter exchange routes to`,
      ].join('\n')));
    expect(() => new RabbitMqConsumer(stack, 'D', { broker: RabbitMqBroker.fromBrokerArn(BROKER_ARN), secret, handler: newHandler(stack, 'FnD'), queueName: 'é'.repeat(127) }))
      .toThrow(new Error(`Test/D: brokerDeadLetterQueue '${'é'.repeat(127)}.dlq' is not a RabbitMQ queue name: use 1 to 255 bytes (UTF-8), got 258 `
        + '(the default, queueName + \'.dlq\'); set brokerDeadLetterQueue, or a shorter queueName'));
    new RabbitMqConsumer(stack, 'E', { broker: RabbitMqBroker.fromBrokerArn(BROKER_ARN), secret, handler: newHandler(stack, 'FnE'), queueName: 'é'.repeat(125) });
  });

  test('an imported handler without a role, a handler that serves a work queue, a name taken in the stack', () => {
    const stack = newStack();
    const secret = new secretsmanager.Secret(stack, 'BrokerUser');
    const broker = RabbitMqBroker.fromBrokerArn(BROKER_ARN);
    const imported = lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:eu-west-1:123456789012:function:billing');
    expect(() => new RabbitMqConsumer(stack, 'A', { broker, secret, handler: imported }))
      .toThrow(new Error('Test/A: the handler has no role known here, so it cannot be granted its broker and its secret; import it with lambda.Function.fromFunctionAttributes({ functionArn, role })'));
    const handler = newHandler(stack, 'Fn');
    new WorkQueue(stack, 'Invoices', { handler });
    expect(() => new RabbitMqConsumer(stack, 'B', { broker, secret, handler }))
      .toThrow('Test/B: the handler Test/Fn already processes consumer \'invoices\' (Test/Invoices)');
    expect(() => new RabbitMqConsumer(stack, 'Invoices2', { consumerName: 'invoices', broker, secret, handler: newHandler(stack, 'Fn2') }))
      .toThrow('Test/Invoices2: consumer name \'invoices\' is already used in stack Test by Test/Invoices;');
  });

  test('the idempotency table grants its own keys; a name granted to another principal is refused', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    table.grant(new iam.Role(stack, 'Poller', { assumedBy: new iam.AccountRootPrincipal() }), 'billing');
    expect(() => new RabbitMqConsumer(stack, 'Billing', {
      broker: RabbitMqBroker.fromBrokerArn(BROKER_ARN), secret: new secretsmanager.Secret(stack, 'BrokerUser'), handler: newHandler(stack, 'Fn'), idempotencyTable: table,
    })).toThrow('Test/Billing: consumer name \'billing\' already owns the keys \'billing#*\' of idempotency table Test/Idempotency, for Test/Poller;');
  });
});
