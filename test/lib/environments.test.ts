import { Match } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Consumer, FanOutTopic, IdempotencyTable, KafkaCluster, KafkaConsumer, PayloadBucket, StreamConsumer, WorkQueue } from '../../lib';
import { newHandler, newStack, template } from './fixtures';

const ENVIRONMENT_TAG = { Key: 'fanout:environment', Value: 'dev-alice' };
const MSK = 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/abcd1234-abcd-cafe-abab-9876543210ab-4';

describe('an environment', () => {
  test('prefixes every explicit physical name, keeps the FIFO suffix, and tags every resource', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency', { tableName: 'idempotency', environment: 'dev-alice' });
    const payloads = new PayloadBucket(stack, 'Payloads', { bucketName: 'order-payloads', environment: 'dev-alice' });
    const orders = new FanOutTopic(stack, 'Orders', { topicName: 'orders', fifo: true, environment: 'dev-alice', payloadBucket: payloads });
    orders.addConsumer('Billing', { queueName: 'billing', handler: newHandler(stack, 'BillingFn'), idempotencyTable: table });
    new WorkQueue(stack, 'Jobs', { queueName: 'jobs', environment: 'dev-alice' });
    const t = template(stack);
    t.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'dev-alice-orders.fifo', FifoTopic: true, Tags: [ENVIRONMENT_TAG] });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'dev-alice-billing.fifo', Tags: Match.arrayWith([ENVIRONMENT_TAG]) });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'dev-alice-billing-dlq.fifo', Tags: Match.arrayWith([ENVIRONMENT_TAG]) });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'dev-alice-jobs', Tags: Match.arrayWith([ENVIRONMENT_TAG]) });
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'dev-alice-idempotency', Replicas: [Match.objectLike({ Tags: [ENVIRONMENT_TAG] })] });
    t.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'dev-alice-order-payloads', Tags: [ENVIRONMENT_TAG] });
    for (const type of ['AWS::SQS::Queue', 'AWS::CloudWatch::Alarm', 'AWS::SNS::Topic', 'AWS::S3::Bucket']) {
      for (const [id, resource] of Object.entries(t.findResources(type))) {
        const tags = (resource.Properties.Tags ?? []) as Array<{ Key: string; Value: string }>;
        expect([id, tags.find((tag) => tag.Key === 'fanout:environment')?.Value]).toEqual([id, 'dev-alice']);
      }
    }
  });

  test('a consumer built outside its fan-out\'s scope is tagged too', () => {
    const stack = newStack();
    const orders = new FanOutTopic(stack, 'Orders', { environment: 'prod' });
    const direct = new Consumer(stack, 'Direct', { fanOut: orders, queueName: 'direct' });
    expect(direct.environment).toBe('prod');
    template(stack).hasResourceProperties('AWS::SQS::Queue', { QueueName: 'prod-direct', Tags: Match.arrayWith([{ Key: 'fanout:environment', Value: 'prod' }]) });
  });

  test('consumers inherit the fan-out\'s: handlers get FANOUT_ENVIRONMENT, keys their environment\'s prefix, subscriptions a filter on it', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    const orders = new FanOutTopic(stack, 'Orders', { environment: 'prod' });
    const billing = orders.addConsumer('Billing', { handler: newHandler(stack, 'BillingFn'), idempotencyTable: table, eventTypes: ['order.created'] });
    expect(billing.environment).toBe('prod');
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ FANOUT_CONSUMER_NAME: 'billing', FANOUT_ENVIRONMENT: 'prod' }) } });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: Match.arrayWith(['dynamodb:PutItem']),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['prod/billing#*'] } },
      })]) },
    });
    // Its own environment, or no environment attribute at all (the runtime decides about those).
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersBillingQueue'), 'Arn'] },
      FilterPolicy: { type: ['order.created'], environment: ['prod', { exists: false }] },
    });
  });

  test('the fan-out keeps messages stamped with another environment in a queue of their own, with an alarm, instead of dropping them', () => {
    const stack = newStack();
    const orders = new FanOutTopic(stack, 'Orders', { environment: 'prod' });
    orders.addConsumer('Billing');
    const t = template(stack);
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersMisroutedMessagesQueue'), 'Arn'] },
      RawMessageDelivery: true,
      FilterPolicy: { environment: [{ 'anything-but': ['prod'] }] },
    });
    t.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1209600,
      Tags: Match.arrayWith([{ Key: 'fanout:consumer', Value: 'orders-misrouted' }, { Key: 'fanout:role', Value: 'dead-letter-queue' }]),
    });
    expect(orders.alarms).toHaveLength(3);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: Match.stringLikeRegexp('carry an environment other than \'prod\'') });
    // An adopted topic serves other environments too: filtering them out is the point there.
    const adopted = newStack('Adopted');
    const prodTopic = sns.Topic.fromTopicArn(adopted, 'ProdOrders', 'arn:aws:sns:eu-west-1:123456789012:prod-orders');
    new FanOutTopic(adopted, 'Orders', { environment: 'dev', topic: prodTopic }).addConsumer('Billing');
    template(adopted).resourceCountIs('AWS::SQS::Queue', 2);
    template(adopted).resourcePropertiesCountIs('AWS::SNS::Subscription', { FilterPolicy: { environment: Match.anyValue() } }, 1);
    template(adopted).hasResourceProperties('AWS::SNS::Subscription', { FilterPolicy: { environment: ['dev', { exists: false }] } });
  });

  test('on-call reads the misrouted-messages queue and the payloads; a consumer cannot take the misrouted queue\'s name', () => {
    const stack = newStack();
    const payloads = new PayloadBucket(stack, 'Payloads');
    const orders = new FanOutTopic(stack, 'Orders', { environment: 'prod', payloadBucket: payloads });
    orders.addConsumer('Billing');
    orders.grantDeadLetterOperations(new iam.Role(stack, 'OnCall', { assumedBy: new iam.AccountRootPrincipal() }));
    const statements = template(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^OnCall') }] } });
    const [policy] = Object.values(statements);
    const byAction = (action: string) => policy.Properties.PolicyDocument.Statement.filter((st: { Action: string | string[] }) => [st.Action].flat().includes(action));
    expect(byAction('sqs:PurgeQueue').map((st: { Resource: unknown }) => JSON.stringify(st.Resource))).toEqual([
      expect.stringContaining('OrdersBillingDeadLetterQueue'), expect.stringContaining('OrdersMisroutedMessagesQueue'),
    ]);
    expect(byAction('s3:GetObject')).toHaveLength(1);
    expect(() => orders.addConsumer('Misrouted', { consumerName: 'orders-misrouted' })).toThrow(
      'Test/Orders/Misrouted: consumer name \'orders-misrouted\' is already used in stack Test by Test/Orders/MisroutedMessages',
    );
  });

  test('a body filter policy gets no environment key (the envelope has none): the runtime refuses other environments', () => {
    const stack = newStack();
    const orders = new FanOutTopic(stack, 'Orders', { environment: 'prod' });
    orders.addConsumer('Billing', { eventTypes: ['order.created'], filterPolicyWithMessageBody: {} });
    template(stack).hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: { type: ['order.created'] },
    });
  });

  test('stream and Kafka consumers: tags, FANOUT_ENVIRONMENT, and the environment in the consumer group id', () => {
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Stream');
    new StreamConsumer(stack, 'Clicks', { stream, handler: newHandler(stack, 'ClicksFn'), environment: 'staging' });
    const audit = new KafkaConsumer(stack, 'Audit', { cluster: KafkaCluster.msk({ clusterArn: MSK }), topic: 'payments', handler: newHandler(stack, 'AuditFn'), environment: 'staging' });
    const named = new KafkaConsumer(stack, 'Named', { cluster: KafkaCluster.msk({ clusterArn: MSK }), topic: 'payments', handler: newHandler(stack, 'NamedFn'), environment: 'staging', consumerGroupId: 'ledger' });
    expect(audit.consumerGroupId).toBe('staging-Test-audit');
    expect(named.consumerGroupId).toBe('staging-ledger');
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'staging-Test-audit' } });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ FANOUT_CONSUMER_NAME: 'clicks', FANOUT_ENVIRONMENT: 'staging' }) } });
    t.hasResourceProperties('AWS::SQS::Queue', { Tags: Match.arrayWith([{ Key: 'fanout:consumer', Value: 'clicks' }, { Key: 'fanout:environment', Value: 'staging' }]) });
  });

  test('one table without an environment serves two environments: their keys never meet, each consumer name once per environment', () => {
    const stack = newStack();
    const table = new IdempotencyTable(stack, 'Idempotency');
    new FanOutTopic(stack, 'Prod', { environment: 'prod' }).addConsumer('Billing', { consumerName: 'billing', handler: newHandler(stack, 'ProdFn'), idempotencyTable: table });
    const other = newStack('Dev');
    new FanOutTopic(other, 'Dev', { environment: 'dev' }).addConsumer('Billing', { consumerName: 'billing', handler: newHandler(other, 'DevFn'), idempotencyTable: table });
    table.grant(newHandler(stack, 'Poller'), 'analytics', 'dev');
    const leadingKeys = Object.values(template(stack).findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .map((statement: { Condition?: Record<string, Record<string, string[]>> }) => statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'])
      .filter(Boolean);
    expect(leadingKeys).toEqual([['prod/billing#*'], ['dev/analytics#*']]);
    expect(() => table.grant(newHandler(stack, 'Other'), 'analytics', 'dev')).toThrow('Test/Idempotency: consumer name \'analytics\' already owns the keys \'dev/analytics#*\' of this table');
  });

  test('mismatches and bad environments are refused in one line that says what to do', () => {
    const stack = newStack();
    const prodTable = new IdempotencyTable(stack, 'ProdTable', { environment: 'prod' });
    const orders = new FanOutTopic(stack, 'Orders', { environment: 'prod' });
    expect(() => orders.addConsumer('Billing', { environment: 'dev' })).toThrow(new Error(
      'Test/Orders/Billing: environment \'dev\' differs from the environment \'prod\' of its fan-out Test/Orders; remove environment: a fan-out consumer inherits its fan-out\'s',
    ));
    expect(() => new WorkQueue(stack, 'Jobs', { environment: 'dev', handler: newHandler(stack, 'JobsFn'), idempotencyTable: prodTable })).toThrow(new Error(
      'Test/Jobs: environment \'dev\' differs from the environment \'prod\' of its idempotency table Test/ProdTable; give the consumer the idempotency table of its own environment, or one without an environment',
    ));
    expect(() => new FanOutTopic(stack, 'Bad', { environment: 'Prod_1' })).toThrow(new Error(
      'Test/Bad: environment \'Prod_1\' is invalid; use 1 to 20 lower-case letters, digits and dashes, starting with a letter (e.g. \'prod\', \'staging\', \'dev-alice\')',
    ));
    expect(() => prodTable.grant(newHandler(stack, 'Poller'), 'analytics', 'dev')).toThrow(new Error(
      'Test/ProdTable: the table serves environment \'prod\', and Test/Poller is in \'dev\'; grant it the table of its own environment',
    ));
    expect(() => orders.addConsumer('Audit', { filterPolicy: { environment: { conditions: ['prod'] } } })).toThrow(
      'Test/Orders/Audit: filterPolicy filters \'environment\', which the consumer\'s environment \'prod\' filters already; remove that key',
    );
  });

  test('the prefix counts against the name limits', () => {
    const stack = newStack();
    const orders = new FanOutTopic(stack, 'Orders', { environment: 'staging' });
    expect(() => orders.addConsumer('Billing', { queueName: 'q'.repeat(70) })).toThrow(new Error(
      `Test/Orders/Billing: queueName '${'q'.repeat(70)}' with 'staging-' in front is 78 characters, so its dead-letter queue's name would be 82 and SQS allows 80; `
      + 'use at most 68 characters (the construct adds \'-dlq\' and, on a FIFO queue, \'.fifo\')',
    ));
    expect(() => new FanOutTopic(stack, 'Long', { environment: 'staging', topicName: 't'.repeat(250) })).toThrow(new Error(
      `Test/Long: topicName '${'t'.repeat(250)}' makes a topic name of 258 characters (with the environment in front and a FIFO topic's '.fifo'), and SNS allows 256; shorten it`,
    ));
  });

  test('SNS\'s filter policy limits count the keys the environment and eventTypes add', () => {
    const stack = newStack();
    const orders = new FanOutTopic(stack, 'Orders', { environment: 'prod' });
    const filter = (values: string[]) => ({ conditions: values });
    expect(() => orders.addConsumer('Keys', { eventTypes: ['order.created'], filterPolicy: { a: filter(['1']), b: filter(['1']), c: filter(['1']), d: filter(['1']) } })).toThrow(
      'Test/Orders/Keys: the subscription\'s filter policy would have 6 keys (\'a\', \'b\', \'c\', \'d\', \'type\', \'environment\') and SNS allows 5',
    );
    const types = Array.from({ length: 76 }, (_, i) => `order.t${i}`);
    expect(() => orders.addConsumer('Combinations', { eventTypes: types })).toThrow(
      'Test/Orders/Combinations: the subscription\'s filter policy would have 152 combinations of values',
    );
    orders.addConsumer('Fits', { eventTypes: types.slice(0, 75) });
  });
});
