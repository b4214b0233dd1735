import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConsumerOptions, FanOutTopic, IdempotencyTable } from '../../lib';
import { newHandler, newStack, template, warnings } from './fixtures';

const logicalId = (stack: Stack, resource: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(resource.node.defaultChild as never);

function oneConsumer(options: ConsumerOptions = {}, fifo = false) {
  const stack = newStack();
  const fanOut = new FanOutTopic(stack, 'Orders', { fifo });
  const consumer = fanOut.addConsumer('Billing', options);
  return { stack, fanOut, consumer, t: template(stack) };
}

describe('Consumer defaults (queue only)', () => {
  const { stack, consumer, t } = oneConsumer();
  const queueId = logicalId(stack, consumer.queue as never);
  const dlqId = logicalId(stack, consumer.deadLetterQueue as never);

  test('a queue with a DLQ after 5 receives, 4-day retention, 30 s visibility, SSE-SQS', () => {
    t.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
      MessageRetentionPeriod: 4 * 86400,
      VisibilityTimeout: 30,
      SqsManagedSseEnabled: true,
    });
    expect(consumer.visibilityTimeout.toSeconds()).toBe(30);
  });

  test('a DLQ that keeps messages 14 days and accepts redrives only from its own queue', () => {
    const dlq = t.findResources('AWS::SQS::Queue')[dlqId];
    const queueName = t.findResources('AWS::SQS::Queue')[queueId].Properties.QueueName;
    expect(dlq.Properties).toEqual({
      MessageRetentionPeriod: 14 * 86400,
      SqsManagedSseEnabled: true,
      RedriveAllowPolicy: {
        redrivePermission: 'byQueue',
        sourceQueueArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sqs:eu-west-1:123456789012:${queueName}`]] }],
      },
      Tags: [{ Key: 'fanout:consumer', Value: 'billing' }, { Key: 'fanout:role', Value: 'dead-letter-queue' }],
    });
  });

  test('a raw-delivery subscription whose delivery failures land in the DLQ', () => {
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
      RawMessageDelivery: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
      FilterPolicy: Match.absent(),
    });
    expect(consumer.subscription).toBeInstanceOf(sns.Subscription);
  });

  test('queue policies: TLS only, and only this topic may send', () => {
    for (const id of [queueId, dlqId]) {
      t.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Deny', Action: 'sqs:*', Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: { 'Fn::GetAtt': [id, 'Arn'] },
            },
            {
              Effect: 'Allow', Action: 'sqs:SendMessage', Principal: { Service: 'sns.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': { Ref: Match.stringLikeRegexp('^OrdersTopic') } } },
              Resource: { 'Fn::GetAtt': [id, 'Arn'] },
            },
          ],
          Version: '2012-10-17',
        },
      });
    }
  });

  test('alarms: DLQ not empty (also when drained fast) and age of the oldest message ≥ 15 minutes', () => {
    expect(consumer.alarms).toHaveLength(2);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(visible, 0) + FILL(sent, 0) + FILL(received, 0)' }),
        Match.objectLike({ Id: 'visible', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }] }), Stat: 'Maximum' }) }),
        Match.objectLike({ Id: 'sent', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'NumberOfMessagesSent' }), Stat: 'Sum' }) }),
        Match.objectLike({ Id: 'received', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'NumberOfMessagesReceived' }), Stat: 'Sum' }) }),
      ]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 900,
      EvaluationPeriods: 3,
    });
  });

  test('the consumer name comes from the id, and no handler resources are made', () => {
    expect(consumer.consumerName).toBe('billing');
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
  });

  test('metric helpers read the queue and the DLQ', () => {
    const depth = stack.resolve(consumer.metricQueueDepth().toMetricConfig().metricStat);
    expect(depth).toMatchObject({ metricName: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum', dimensions: [{ name: 'QueueName', value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }] });
    expect(stack.resolve(consumer.metricAgeOfOldestMessage().toMetricConfig().metricStat)).toMatchObject({ metricName: 'ApproximateAgeOfOldestMessage' });
    expect(stack.resolve(consumer.metricDeadLetterQueueDepth({ period: Duration.minutes(5) }).toMetricConfig().metricStat))
      .toMatchObject({ metricName: 'ApproximateNumberOfMessagesVisible', dimensions: [{ name: 'QueueName', value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }] });
  });
});

describe('Consumer subscription options', () => {
  test('eventTypes becomes a filter policy on the type attribute', () => {
    oneConsumer({ eventTypes: ['order.created', 'order.cancelled'] }).t.hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicy: { type: ['order.created', 'order.cancelled'] },
    });
  });

  test('eventTypes and filterPolicy combine', () => {
    oneConsumer({
      eventTypes: ['order.created'],
      filterPolicy: { source: sns.SubscriptionFilter.stringFilter({ allowlist: ['shop'] }) },
    }).t.hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicy: { type: ['order.created'], source: ['shop'] },
      FilterPolicyScope: Match.absent(),
    });
  });

  test('body filtering puts eventTypes on the body\'s type field', () => {
    oneConsumer({
      eventTypes: ['order.created'],
      filterPolicyWithMessageBody: { source: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ allowlist: ['shop'] })) },
    }).t.hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: { type: ['order.created'], source: ['shop'] },
    });
  });

  test('rawMessageDelivery: false keeps the SNS notification envelope', () => {
    oneConsumer({ rawMessageDelivery: false }).t.hasResourceProperties('AWS::SNS::Subscription', { RawMessageDelivery: false });
  });

  test('maxReceiveCount, retention, names, depth and age alarms are configurable', () => {
    const { t } = oneConsumer({ maxReceiveCount: 3, retentionPeriod: Duration.days(2), queueName: 'billing', maxQueueDepth: 500, maxMessageAge: Duration.minutes(2) });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'billing', MessageRetentionPeriod: 2 * 86400, RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'billing-dlq' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 500 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 120 });
  });

  test('FIFO topic: FIFO queue and DLQ with the .fifo suffix', () => {
    const { t } = oneConsumer({ queueName: 'billing' }, true);
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'billing.fifo', FifoQueue: true });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'billing-dlq.fifo', FifoQueue: true });
  });
});

describe('Consumer with a handler', () => {
  function withHandler(options: object = {}, timeout = Duration.seconds(20), fifo = false) {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders', { fifo });
    const handler = newHandler(stack, 'Fn', timeout);
    const table = new IdempotencyTable(stack, 'Idempotency');
    const consumer = fanOut.addConsumer('Billing', { handler, idempotencyTable: table, ...options });
    return { stack, consumer, handler, table, t: template(stack) };
  }

  test('an SQS event source that always reports batch item failures', () => {
    const { stack, consumer, t } = withHandler({ batchSize: 50, maxBatchingWindow: Duration.seconds(10), maxConcurrency: 5 });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, consumer.queue as never), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 10,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  test('visibility timeout derived as 6 × function timeout + batching window', () => {
    const { consumer, t } = withHandler({ maxBatchingWindow: Duration.seconds(10) }, Duration.seconds(20));
    t.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 130 });
    expect(consumer.visibilityTimeout.toSeconds()).toBe(130);
  });

  test('a handler without a timeout counts as Lambda\'s default 3 seconds', () => {
    const stack = newStack();
    new FanOutTopic(stack, 'Orders').addConsumer('Billing', { handler: newHandler(stack, 'Fn') });
    template(stack).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 18 });
  });

  test('environment: consumer name, DLQ URL and idempotency table', () => {
    const { stack, consumer, table, t } = withHandler();
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          FANOUT_CONSUMER_NAME: 'billing',
          FANOUT_DLQ_URL: { Ref: logicalId(stack, consumer.deadLetterQueue as never) },
          FANOUT_IDEMPOTENCY_TABLE: { Ref: logicalId(stack, table.table as never) },
        },
      },
    });
  });

  test('least privilege: consume its queue, send to its DLQ, touch only its own idempotency keys', () => {
    const { stack, consumer, table, t } = withHandler();
    const statements = Object.values(t.findResources('AWS::IAM::Policy'))[0].Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: { 'Fn::GetAtt': [logicalId(stack, consumer.queue as never), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Resource: { 'Fn::GetAtt': [logicalId(stack, consumer.deadLetterQueue as never), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:BatchGetItem', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'],
        Resource: { 'Fn::GetAtt': [logicalId(stack, table.table as never), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['billing#*'] } },
      },
    ]);
  });

  test('a visibility timeout shorter than the function timeout is an error', () => {
    expect(() => withHandler({ visibilityTimeout: Duration.seconds(10) }, Duration.seconds(20)))
      .toThrow('Test/Orders/Billing: visibilityTimeout (10 seconds) is shorter than the handler\'s timeout (20 seconds), so messages would be delivered again while still being processed; remove visibilityTimeout to derive it, or set at least 120 seconds');
  });

  test('a visibility timeout under 6 × the function timeout is a warning', () => {
    const { stack, consumer } = withHandler({ visibilityTimeout: Duration.seconds(60) }, Duration.seconds(20));
    expect(consumer.visibilityTimeout.toSeconds()).toBe(60);
    expect(warnings(stack).join('\n')).toContain('visibilityTimeout (60 s) is below AWS\'s recommendation of 6 × the handler timeout + maxBatchingWindow (120 s)');
  });

  test('an imported handler: visibilityTimeout is required and the environment is left to the user, with a warning', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    const functionArn = 'arn:aws:lambda:eu-west-1:123456789012:function:billing';
    const withoutRole = lambda.Function.fromFunctionArn(stack, 'WithoutRole', functionArn);
    expect(() => fanOut.addConsumer('NoRole', { handler: withoutRole, visibilityTimeout: Duration.minutes(5) }))
      .toThrow('Test/Orders/NoRole: the handler has no role known here, so it cannot be granted its queue; import it with lambda.Function.fromFunctionAttributes({ functionArn, role })');
    const role = iam.Role.fromRoleArn(stack, 'Role', 'arn:aws:iam::123456789012:role/billing');
    const imported = lambda.Function.fromFunctionAttributes(stack, 'Imported', { functionArn, role, sameEnvironment: true });
    expect(() => fanOut.addConsumer('Billing', { handler: imported }))
      .toThrow('Test/Orders/Billing: the handler\'s timeout is not known here (it is not a lambda.Function of this app); set visibilityTimeout to at least 6 × its timeout + maxBatchingWindow');
    fanOut.addConsumer('Billing2', { handler: imported, visibilityTimeout: Duration.minutes(5) });
    expect(warnings(stack).join('\n')).toContain('set FANOUT_CONSUMER_NAME, FANOUT_DLQ_URL on it yourself');
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
  });
});

describe('Consumer validation', () => {
  const cases: Array<[string, object, string, boolean?]> = [
    ['maxReceiveCount 0', { maxReceiveCount: 0 }, 'Test/Orders/Billing: maxReceiveCount must be a whole number from 1 to 1000, got 0'],
    ['maxReceiveCount 1001', { maxReceiveCount: 1001 }, 'maxReceiveCount must be a whole number from 1 to 1000, got 1001'],
    ['maxReceiveCount 2.5', { maxReceiveCount: 2.5 }, 'maxReceiveCount must be a whole number from 1 to 1000, got 2.5'],
    ['empty eventTypes', { eventTypes: [] }, 'eventTypes is empty, so the consumer would receive nothing'],
    ['bad event type', { eventTypes: ['OrderCreated'] }, 'eventTypes contains \'OrderCreated\', which is not an event type: use lower-case noun.verb'],
    ['both filter scopes', {
      filterPolicy: {}, filterPolicyWithMessageBody: {},
    }, 'filterPolicy and filterPolicyWithMessageBody cannot both be set'],
    ['eventTypes with a type filter', {
      eventTypes: ['order.created'], filterPolicy: { type: sns.SubscriptionFilter.stringFilter({ allowlist: ['x.y'] }) },
    }, 'eventTypes and a filter policy on \'type\' both filter the event type; keep one'],
    ['handler options without handler', { batchSize: 5 }, 'batchSize configures the handler, but no handler was given; add handler or remove batchSize'],
    ['retention too long', { retentionPeriod: Duration.days(15) }, 'retentionPeriod must be from 1 minute to 14 days, got 15 days'],
    ['visibility over 12 h', { visibilityTimeout: Duration.hours(13) }, 'visibilityTimeout must be at most 12 hours, got 13 hours'],
    ['bad consumer name', { consumerName: 'Billing#1' }, 'consumer name \'Billing#1\' is invalid; use 1 to 64 lower-case letters, digits and dashes'],
    ['depth alarm of 0', { maxQueueDepth: 0 }, 'maxQueueDepth must be a whole number'],
    ['retention under a minute', { retentionPeriod: Duration.seconds(30) }, 'retentionPeriod must be from 1 minute to 14 days, got 30 seconds'],
  ];
  test.each(cases)('%s is refused', (_name, options, message) => {
    expect(() => oneConsumer(options)).toThrow(message);
  });

  test.each([
    ['maxConcurrency 1', { maxConcurrency: 1 }, 'maxConcurrency must be a whole number from 2 to 1000, got 1'],
    ['a batching window over 5 minutes', { maxBatchingWindow: Duration.minutes(6) }, 'maxBatchingWindow must be at most 5 minutes, got 6 minutes'],
    ['batchSize 10001', { batchSize: 10001 }, 'batchSize must be a whole number from 1 to 10000, got 10001'],
    ['idempotencyTable without handler', { idempotencyTable: 'table' }, 'idempotencyTable configures the handler, but no handler was given'],
  ])('handler option: %s is refused', (_name, options, message) => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    const table = new IdempotencyTable(stack, 'Idempotency');
    const withTable = (options as { idempotencyTable?: unknown }).idempotencyTable ? { idempotencyTable: table } : { handler: newHandler(stack, 'Fn'), ...options };
    expect(() => fanOut.addConsumer('Billing', withTable as ConsumerOptions)).toThrow(`Test/Orders/Billing: ${message}`);
  });

  test('a batching window on a FIFO consumer is refused', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders', { fifo: true });
    expect(() => fanOut.addConsumer('Billing', { handler: newHandler(stack, 'Fn'), maxBatchingWindow: Duration.seconds(5) }))
      .toThrow('Test/Orders/Billing: maxBatchingWindow cannot be used on a FIFO consumer (Lambda does not batch FIFO queues over time); remove it');
  });

  test('a FIFO consumer takes at most 10 records per batch', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders', { fifo: true });
    expect(() => fanOut.addConsumer('Billing', { handler: newHandler(stack, 'Fn'), batchSize: 11 }))
      .toThrow('batchSize must be a whole number from 1 to 10, got 11');
  });

  test('two consumers with the same name on one topic are refused', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    fanOut.addConsumer('Billing');
    expect(() => fanOut.addConsumer('BillingAgain', { consumerName: 'billing' }))
      .toThrow(new Error('Test/Orders/BillingAgain: consumer name \'billing\' is already used in stack Test by Test/Orders/Billing; '
        + 'the fanout commands find a consumer by its name in its stack (--stack Test --consumer billing), so give one of them another id or consumerName'));
    expect(fanOut.consumers.map((c) => c.consumerName)).toEqual(['billing']);
  });

  test('ids become dashed lower-case names', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    expect(['OrderHistory', 'billing_v2', 'EmailSender2'].map((id) => fanOut.addConsumer(id).consumerName))
      .toEqual(['order-history', 'billing-v2', 'email-sender2']);
  });

  test('three bad props are reported together in one error, before any resource is made', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    expect(() => fanOut.addConsumer('Billing', { maxReceiveCount: 0, eventTypes: ['OrderCreated'], retentionPeriod: Duration.days(15) })).toThrow(new Error([
      'Test/Orders/Billing: 3 invalid props:',
      '  - maxReceiveCount must be a whole number from 1 to 1000, got 0',
      '  - eventTypes contains \'OrderCreated\', which is not an event type: use lower-case noun.verb, e.g. \'order.created\'',
      '  - retentionPeriod must be from 1 minute to 14 days, got 15 days',
    ].join('\n')));
    expect(fanOut.node.findChild('Billing').node.children).toEqual([]);
    expect(fanOut.consumers).toEqual([]);
  });

  test('every bad event type is named in one message, and a name clash is reported with the other failures', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    fanOut.addConsumer('Billing');
    expect(() => fanOut.addConsumer('BillingAgain', { consumerName: 'billing', eventTypes: ['OrderCreated', 'order.created', 'x'] })).toThrow(new Error([
      'Test/Orders/BillingAgain: 2 invalid props:',
      '  - consumer name \'billing\' is already used in stack Test by Test/Orders/Billing; the fanout commands find a consumer by its name in its stack (--stack Test --consumer billing), so give one of them another id or consumerName',
      '  - eventTypes contains \'OrderCreated\', \'x\', which are not event types: use lower-case noun.verb, e.g. \'order.created\'',
    ].join('\n')));
  });

  test('handler rules join the others: an imported handler without role or known timeout, and a handler-only option', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    const handler = lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:eu-west-1:123456789012:function:billing');
    expect(() => fanOut.addConsumer('Billing', { handler, maxConcurrency: 1 })).toThrow(new Error([
      'Test/Orders/Billing: 3 invalid props:',
      '  - maxConcurrency must be a whole number from 2 to 1000, got 1',
      '  - the handler\'s timeout is not known here (it is not a lambda.Function of this app); set visibilityTimeout to at least 6 × its timeout + maxBatchingWindow',
      '  - the handler has no role known here, so it cannot be granted its queue; import it with lambda.Function.fromFunctionAttributes({ functionArn, role })',
    ].join('\n')));
  });

  test('values only known at deploy time are not judged', () => {
    const stack = newStack();
    const count = Token.asNumber(Lazy.number({ produce: () => 0 }));
    const consumer = new FanOutTopic(stack, 'Orders').addConsumer('Billing', { maxReceiveCount: count, maxQueueDepth: count });
    expect(consumer.consumerName).toBe('billing');
  });

  test('a retention equal to the DLQ\'s is a warning', () => {
    const { stack } = oneConsumer({ retentionPeriod: Duration.days(14) });
    expect(warnings(stack).join('\n')).toContain('retentionPeriod equals the dead-letter queue\'s 14 days');
  });
});

describe('Consumer validation: batching window and queue names', () => {
  test('more than 10 records per batch without a batching window is refused with the fix, before CDK\'s own check', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    expect(() => fanOut.addConsumer('Billing', { handler: newHandler(stack, 'Fn'), batchSize: 50 })).toThrow(new Error(
      'Test/Orders/Billing: batchSize 50 needs a maxBatchingWindow of at least 1 second (Lambda takes more than 10 records from a standard queue only over a batching window); '
      + 'set maxBatchingWindow, e.g. Duration.seconds(1), or a batchSize of at most 10',
    ));
    expect(() => fanOut.addConsumer('Zero', { handler: newHandler(stack, 'ZeroFn'), batchSize: 11, maxBatchingWindow: Duration.seconds(0) }))
      .toThrow('Test/Orders/Zero: batchSize 11 needs a maxBatchingWindow of at least 1 second');
    fanOut.addConsumer('Windowed', { handler: newHandler(stack, 'WindowedFn'), batchSize: 50, maxBatchingWindow: Duration.seconds(1) });
    fanOut.addConsumer('Ten', { handler: newHandler(stack, 'TenFn'), batchSize: 10 });
    template(stack).resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
  });

  const SUFFIXES = '(the construct adds \'-dlq\' and, on a FIFO queue, \'.fifo\')';
  test.each([
    ['a space', 'billing queue', false, `queueName 'billing queue' is not a queue name: use 1 to 76 letters, digits, '-' or '_' ${SUFFIXES}`],
    ['a dot', 'billing.v2', false, `queueName 'billing.v2' is not a queue name: use 1 to 76 letters, digits, '-' or '_' ${SUFFIXES}`],
    ['nothing', '', false, `queueName '' is not a queue name: use 1 to 76 letters, digits, '-' or '_' ${SUFFIXES}`],
    ['77 characters', 'q'.repeat(77), false, `queueName '${'q'.repeat(77)}' is 77 characters, so its dead-letter queue's name would be 81 and SQS allows 80; use at most 76 characters ${SUFFIXES}`],
    ['72 characters on a FIFO topic', 'q'.repeat(72), true, `queueName '${'q'.repeat(72)}' is 72 characters, so its dead-letter queue's name would be 81 and SQS allows 80; use at most 71 characters ${SUFFIXES}`],
  ])('a queue name with %s is refused', (_name, queueName, fifo, message) => {
    const stack = newStack();
    expect(() => new FanOutTopic(stack, 'Orders', { fifo }).addConsumer('Billing', { queueName })).toThrow(new Error(`Test/Orders/Billing: ${message}`));
  });

  test('the longest names SQS takes, with the suffixes the construct adds, are accepted', () => {
    const standard = oneConsumer({ queueName: 'q'.repeat(76) });
    standard.t.hasResourceProperties('AWS::SQS::Queue', { QueueName: `${'q'.repeat(76)}-dlq` });
    const fifo = oneConsumer({ queueName: `${'q'.repeat(71)}.fifo` }, true);
    fifo.t.hasResourceProperties('AWS::SQS::Queue', { QueueName: `${'q'.repeat(71)}-dlq.fifo` });
  });

  test('the batching and queue-name rules are reported with the other failures', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    expect(() => fanOut.addConsumer('Billing', { handler: newHandler(stack, 'Fn'), batchSize: 100, queueName: 'billing queue', maxReceiveCount: 0 })).toThrow(new Error([
      'Test/Orders/Billing: 3 invalid props:',
      '  - maxReceiveCount must be a whole number from 1 to 1000, got 0',
      `  - queueName 'billing queue' is not a queue name: use 1 to 76 letters, digits, '-' or '_' ${SUFFIXES}`,
      '  - batchSize 100 needs a maxBatchingWindow of at least 1 second (Lambda takes more than 10 records from a standard queue only over a batching window); '
        + 'set maxBatchingWindow, e.g. Duration.seconds(1), or a batchSize of at most 10',
    ].join('\n')));
  });
});

describe('one function per consumer', () => {
  test('a handler already wired to a consumer is refused for a second one, on any topic, naming both consumers', () => {
    const stack = newStack();
    const orders = new FanOutTopic(stack, 'Orders');
    const payments = new FanOutTopic(stack, 'Payments');
    const handler = newHandler(stack, 'Fn');
    orders.addConsumer('Billing', { handler });
    const message = 'the handler Test/Fn already processes consumer \'billing\' (Test/Orders/Billing): a function has one FANOUT_CONSUMER_NAME and one FANOUT_DLQ_URL, '
      + 'so a second consumer would overwrite the first one\'s; give each consumer its own function';
    expect(() => orders.addConsumer('Audit', { handler })).toThrow(new Error(`Test/Orders/Audit: ${message}`));
    expect(() => payments.addConsumer('PaymentsBilling', { handler })).toThrow(new Error(`Test/Payments/PaymentsBilling: ${message}`));
    template(stack).hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ FANOUT_CONSUMER_NAME: 'billing' }) } });
    template(stack).resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
  });

  test('an alias or a version of a function that serves a consumer counts as the same function', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    const handler = newHandler(stack, 'Fn');
    fanOut.addConsumer('Billing', { handler });
    const alias = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: handler.currentVersion });
    expect(() => fanOut.addConsumer('Audit', { handler: alias, visibilityTimeout: Duration.minutes(1) }))
      .toThrow('Test/Orders/Audit: the handler Test/Live already processes consumer \'billing\' (Test/Orders/Billing)');
  });

  test('two consumers with a function each are fine', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    fanOut.addConsumer('Billing', { handler: newHandler(stack, 'BillingFn') });
    fanOut.addConsumer('Audit', { handler: newHandler(stack, 'AuditFn') });
    template(stack).resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
  });
});
