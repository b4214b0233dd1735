import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Match } from 'aws-cdk-lib/assertions';
import { FanOutTopic } from '../../lib';
import { newStack, template } from './fixtures';

describe('FanOutTopic defaults', () => {
  const stack = newStack();
  const fanOut = new FanOutTopic(stack, 'Orders');
  const t = template(stack);

  test('creates one standard topic encrypted with the AWS-managed SNS key', () => {
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:eu-west-1:123456789012:alias/aws/sns']] },
      FifoTopic: Match.absent(),
    });
    expect(fanOut.fifo).toBe(false);
  });

  test('denies publishing without TLS', () => {
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny',
          Action: 'sns:Publish',
          Principal: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    });
  });

  test('alarms on failed deliveries and invalid attributes, without actions', () => {
    for (const metric of ['NumberOfNotificationsFailed', 'NumberOfNotificationsFilteredOut-InvalidAttributes']) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/SNS',
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: Match.absent(),
      });
    }
    expect(fanOut.alarms).toHaveLength(2);
    expect(fanOut.consumers).toEqual([]);
  });
});

describe('FanOutTopic options', () => {
  test('a FIFO topic gets the .fifo suffix and content-based deduplication', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders', { fifo: true, topicName: 'orders', contentBasedDeduplication: true });
    template(stack).hasResourceProperties('AWS::SNS::Topic', {
      FifoTopic: true,
      TopicName: 'orders.fifo',
      ContentBasedDeduplication: true,
    });
    expect(fanOut.fifo).toBe(true);
  });

  test('contentBasedDeduplication on a standard topic is refused', () => {
    expect(() => new FanOutTopic(newStack(), 'Orders', { contentBasedDeduplication: true }))
      .toThrow('Test/Orders: contentBasedDeduplication applies to FIFO topics only; set fifo: true or remove it');
  });

  test('adopts an existing topic instead of creating one, and takes its FIFO setting', () => {
    const stack = newStack();
    const existing = sns.Topic.fromTopicArn(stack, 'Existing', 'arn:aws:sns:eu-west-1:123456789012:orders.fifo');
    const fanOut = new FanOutTopic(stack, 'Orders', { topic: existing });
    fanOut.addConsumer('Billing');
    const t = template(stack);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: 'arn:aws:sns:eu-west-1:123456789012:orders.fifo' });
    t.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, RedrivePolicy: Match.anyValue() });
    expect(fanOut.topic).toBe(existing);
    expect(fanOut.fifo).toBe(true);
  });

  test('an adopted topic whose FIFO setting contradicts fifo is refused', () => {
    const stack = newStack();
    const existing = sns.Topic.fromTopicArn(stack, 'Existing', 'arn:aws:sns:eu-west-1:123456789012:orders');
    expect(() => new FanOutTopic(stack, 'Orders', { topic: existing, fifo: true }))
      .toThrow('Test/Orders: fifo is true but the given topic is not FIFO; remove fifo or make them match');
  });

  test('options of a new topic are refused with an adopted topic', () => {
    const stack = newStack();
    const existing = sns.Topic.fromTopicArn(stack, 'Existing', 'arn:aws:sns:eu-west-1:123456789012:orders');
    expect(() => new FanOutTopic(stack, 'Orders', { topic: existing, topicName: 'x' }))
      .toThrow('Test/Orders: topicName configures a new topic and cannot be combined with topic; set it where the existing topic is defined');
  });

  test('every bad prop of an adopted topic is reported in one error', () => {
    const stack = newStack();
    const existing = sns.Topic.fromTopicArn(stack, 'Existing', 'arn:aws:sns:eu-west-1:123456789012:orders');
    expect(() => new FanOutTopic(stack, 'Orders', { topic: existing, topicName: 'x', contentBasedDeduplication: true, fifo: true })).toThrow(new Error([
      'Test/Orders: 3 invalid props:',
      '  - topicName configures a new topic and cannot be combined with topic; set it where the existing topic is defined',
      '  - contentBasedDeduplication configures a new topic and cannot be combined with topic; set it where the existing topic is defined',
      '  - fifo is true but the given topic is not FIFO; remove fifo or make them match',
    ].join('\n')));
  });

  test('the AWS-managed SQS key and deduplication without FIFO are reported together', () => {
    const stack = newStack();
    const managed = kms.Alias.fromAliasName(stack, 'Managed', 'alias/aws/sqs');
    expect(() => new FanOutTopic(stack, 'Orders', { encryptionKey: managed, contentBasedDeduplication: true }))
      .toThrow(/^Test\/Orders: 2 invalid props:\n {2}- encryptionKey is the AWS-managed key alias\/aws\/sqs.*\n {2}- contentBasedDeduplication applies to FIFO topics only; set fifo: true or remove it$/);
  });

  test('one shared customer-managed key encrypts the topic and every queue, and SNS may use it', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const fanOut = new FanOutTopic(stack, 'Orders', { encryptionKey: key });
    fanOut.addConsumer('Billing');
    const t = template(stack);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    expect(Object.values(t.findResources('AWS::SQS::Queue')).map((q) => q.Properties.KmsMasterKeyId)).toEqual([keyArn, keyArn]);
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'sns.amazonaws.com' },
          Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        })]),
      },
    });
  });

  test('the AWS-managed alias/aws/sqs key is refused, because SNS cannot deliver with it', () => {
    const stack = newStack();
    const managed = kms.Alias.fromAliasName(stack, 'Managed', 'alias/aws/sqs');
    expect(() => new FanOutTopic(stack, 'Orders', { encryptionKey: managed }))
      .toThrow(/Test\/Orders: encryptionKey is the AWS-managed key alias\/aws\/sqs, which SNS cannot use to deliver to a queue; remove encryptionKey/);
    const byArn = kms.Key.fromKeyArn(stack, 'ByArn', 'arn:aws:kms:eu-west-1:123456789012:alias/aws/sqs');
    expect(() => new FanOutTopic(stack, 'Orders2', { encryptionKey: byArn })).toThrow(/alias\/aws\/sqs/);
  });

  test('alarmTopic is the alarm and OK action of every alarm, topic and consumers alike', () => {
    const stack = newStack();
    const ops = new sns.Topic(stack, 'Ops');
    const fanOut = new FanOutTopic(stack, 'Orders', { alarmTopic: ops });
    fanOut.addConsumer('Billing', { maxQueueDepth: 100 });
    const alarms = Object.values(template(stack).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(5);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: stack.getLogicalId(ops.node.defaultChild as sns.CfnTopic) }]);
      expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
    }
  });

  test('topicAlarms: false leaves out the topic alarms only', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders', { topicAlarms: false });
    fanOut.addConsumer('Billing');
    const alarms = Object.values(template(stack).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((a) => a.Properties.Namespace ?? 'expression')).not.toContain('AWS/SNS');
    expect(alarms).toHaveLength(2);
    expect(fanOut.alarms).toEqual([]);
  });

  test('the AWS-managed alias/aws/sns key is refused as encryptionKey too: SQS cannot encrypt the queues with it', () => {
    const stack = newStack();
    const managed = kms.Alias.fromAliasName(stack, 'Managed', 'alias/aws/sns');
    expect(() => new FanOutTopic(stack, 'Orders', { encryptionKey: managed })).toThrow(new Error(
      'Test/Orders: encryptionKey is the AWS-managed key alias/aws/sns, which SNS cannot use to deliver to a queue; '
      + 'remove encryptionKey (queues then use SQS-managed encryption) or give a customer-managed kms.Key',
    ));
  });

  test('an alarm topic encrypted with an AWS-managed key is refused: CloudWatch could not deliver any alarm to it', () => {
    const stack = newStack();
    const message = (alias: string) => `alarmTopic is encrypted with the AWS-managed key ${alias}, whose policy cannot let CloudWatch (cloudwatch.amazonaws.com) use it, `
      + 'so no alarm would reach the topic; encrypt the alarm topic with a customer-managed kms.Key (its policy is granted here when the key is defined in this app)';
    const created = new sns.Topic(stack, 'Ops', { masterKey: kms.Alias.fromAliasName(stack, 'SnsKey', 'alias/aws/sns') });
    expect(() => new FanOutTopic(stack, 'Orders', { alarmTopic: created })).toThrow(new Error(`Test/Orders: ${message('alias/aws/sns')}`));
    const imported = sns.Topic.fromTopicAttributes(stack, 'ImportedOps', {
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
      keyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/aws/sns',
    });
    expect(() => new FanOutTopic(stack, 'Payments', { alarmTopic: imported })).toThrow(new Error(`Test/Payments: ${message('alias/aws/sns')}`));
    const otherFanOut = new FanOutTopic(stack, 'Other');
    expect(() => new FanOutTopic(stack, 'Shipping', { alarmTopic: otherFanOut.topic })).toThrow(/Test\/Shipping: alarmTopic is encrypted with the AWS-managed key alias\/aws\/sns/);
  });

  test('an alarm topic with a customer-managed key, or without a key known here, is fine', () => {
    const stack = newStack();
    new FanOutTopic(stack, 'Orders', { alarmTopic: new sns.Topic(stack, 'Ops', { masterKey: new kms.Key(stack, 'OpsKey') }) });
    new FanOutTopic(stack, 'Payments', { alarmTopic: sns.Topic.fromTopicArn(stack, 'ImportedOps', 'arn:aws:sns:eu-west-1:123456789012:ops') });
    template(stack).resourceCountIs('AWS::CloudWatch::Alarm', 4);
  });
});

