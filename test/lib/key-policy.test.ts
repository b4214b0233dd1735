import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { FanOutTopic, IdempotencyTable } from '../../lib';
import { newHandler, newStack, template } from './fixtures';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const arnOf = (stack: Stack, resource: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [stack.getLogicalId(resource.node.defaultChild as never), 'Arn'] });
const partitionArn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

/** The statements of the key's policy after CDK's own (the account root may administer the key). */
function keyStatements(stack: Stack, key: kms.Key): unknown[] {
  const policy = template(stack).findResources('AWS::KMS::Key')[stack.getLogicalId(key.node.defaultChild as kms.CfnKey)].Properties.KeyPolicy;
  expect(policy.Statement[0]).toEqual({ Effect: 'Allow', Action: 'kms:*', Principal: { AWS: partitionArn(':iam::123456789012:root') }, Resource: '*' });
  return policy.Statement.slice(1);
}

const snsStatement = (condition: object) => ({
  Effect: 'Allow',
  Principal: { Service: 'sns.amazonaws.com' },
  Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
  Resource: '*',
  Condition: condition,
});

describe('the fan-out key: SNS may use it on behalf of this fan-out only', () => {
  test('a topic named here: aws:SourceAccount and aws:SourceArn of the topic, and no other SNS statement', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const fanOut = new FanOutTopic(stack, 'Orders', { encryptionKey: key, topicName: 'orders' });
    fanOut.addConsumer('Billing');
    fanOut.addConsumer('Inventory');
    expect(keyStatements(stack, key)).toEqual([snsStatement({
      StringEquals: { 'aws:SourceAccount': '123456789012' },
      ArnEquals: { 'aws:SourceArn': partitionArn(':sns:eu-west-1:123456789012:orders') },
    })]);
  });

  test('a topic whose name CloudFormation generates: aws:SourceAccount alone (its ARN in the key policy would be a dependency cycle)', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    new FanOutTopic(stack, 'Orders', { encryptionKey: key }).addConsumer('Billing');
    expect(keyStatements(stack, key)).toEqual([snsStatement({ StringEquals: { 'aws:SourceAccount': '123456789012' } })]);
  });

  test('with aws-cdk-lib\'s @aws-cdk/aws-sns-subscriptions:restrictSqsDescryption on, the same statement and no dependency cycle', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { '@aws-cdk/aws-sns-subscriptions:restrictSqsDescryption': true } });
    const stack = new Stack(app, 'Test', { env: ENV });
    const key = new kms.Key(stack, 'Key');
    new FanOutTopic(stack, 'Orders', { encryptionKey: key }).addConsumer('Billing');
    expect(keyStatements(stack, key)).toEqual([snsStatement({ StringEquals: { 'aws:SourceAccount': '123456789012' } })]);
  });

  test('an adopted topic of another account: that account and the topic\'s ARN', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const topic = sns.Topic.fromTopicArn(stack, 'Existing', 'arn:aws:sns:eu-west-1:210987654321:orders');
    new FanOutTopic(stack, 'Orders', { topic, encryptionKey: key }).addConsumer('Billing');
    expect(keyStatements(stack, key)).toEqual([snsStatement({
      StringEquals: { 'aws:SourceAccount': '210987654321' },
      ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:210987654321:orders' },
    })]);
  });

  test('the queues keep their policy: only this topic may send', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders', { encryptionKey: new kms.Key(stack, 'Key') });
    const billing = fanOut.addConsumer('Billing');
    const topicRef = { Ref: stack.getLogicalId(fanOut.topic.node.defaultChild as sns.CfnTopic) };
    for (const queue of [billing.queue, billing.deadLetterQueue]) {
      template(stack).hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: stack.getLogicalId(queue.node.defaultChild as never) }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Deny', Action: 'sqs:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: arnOf(stack, queue as never) },
            { Effect: 'Allow', Action: 'sqs:SendMessage', Principal: { Service: 'sns.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': topicRef } }, Resource: arnOf(stack, queue as never) },
          ],
        },
      });
    }
  });
});

describe('the alarm topic\'s key: CloudWatch may use it for this account\'s alarms only', () => {
  test('aws:SourceAccount and the alarm ARNs of the stack\'s account and region, once for several fan-outs', () => {
    const stack = newStack();
    const opsKey = new kms.Key(stack, 'OpsKey');
    const ops = new sns.Topic(stack, 'Ops', { masterKey: opsKey });
    new FanOutTopic(stack, 'Orders', { alarmTopic: ops }).addConsumer('Billing');
    new FanOutTopic(stack, 'Payments', { alarmTopic: ops });
    expect(keyStatements(stack, opsKey)).toEqual([{
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': partitionArn(':cloudwatch:eu-west-1:123456789012:alarm:*') },
      },
    }]);
  });

  test('an alarm topic without a customer key gets nothing', () => {
    const stack = newStack();
    new FanOutTopic(stack, 'Orders', { alarmTopic: new sns.Topic(stack, 'Ops') });
    template(stack).resourceCountIs('AWS::KMS::Key', 0);
  });
});

describe('a consumer\'s handler on the shared key: what it needs and nothing more', () => {
  test('kms:Decrypt to receive from its queue, kms:Decrypt and kms:GenerateDataKey to send poison to its DLQ; no kms:Encrypt or kms:ReEncrypt*', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const consumer = new FanOutTopic(stack, 'Orders', { encryptionKey: key }).addConsumer('Billing', { handler: newHandler(stack, 'Fn') });
    const [policy] = Object.values(template(stack).findResources('AWS::IAM::Policy'));
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: arnOf(stack, consumer.queue as never),
      },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: arnOf(stack, key) },
      { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Resource: arnOf(stack, consumer.deadLetterQueue as never) },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: arnOf(stack, key) },
    ]);
  });

  test('without a customer key: no KMS statement at all', () => {
    const stack = newStack();
    new FanOutTopic(stack, 'Orders').addConsumer('Billing', { handler: newHandler(stack, 'Fn'), idempotencyTable: new IdempotencyTable(stack, 'Idempotency') });
    const [policy] = Object.values(template(stack).findResources('AWS::IAM::Policy'));
    expect(JSON.stringify(policy.Properties.PolicyDocument)).not.toContain('kms:');
  });
});
