import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Consumer, FanOutTopic } from '../../lib';
import { newStack, template } from './fixtures';

const getAtt = (stack: Stack, resource: { node: { defaultChild?: unknown } }) =>
  ({ 'Fn::GetAtt': [stack.getLogicalId(resource.node.defaultChild as never), 'Arn'] });

/** The statements of the one identity policy in the stack. */
function statements(stack: Stack): unknown[] {
  const policies = Object.values(template(stack).findResources('AWS::IAM::Policy'));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

const role = (stack: Stack, id = 'Role') => new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });

describe('FanOutTopic.grantPublish', () => {
  test('sns:Publish on the topic only; the AWS-managed SNS key needs no grant', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    const producer = role(stack);
    expect(fanOut.grantPublish(producer).success).toBe(true);
    expect(statements(stack)).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: stack.getLogicalId(fanOut.topic.node.defaultChild as sns.CfnTopic) } },
    ]);
  });

  test('with a customer-managed key: also kms:Decrypt and kms:GenerateDataKey* on that key', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const fanOut = new FanOutTopic(stack, 'Orders', { encryptionKey: key });
    fanOut.grantPublish(role(stack));
    expect(statements(stack)).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: stack.getLogicalId(fanOut.topic.node.defaultChild as sns.CfnTopic) } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: getAtt(stack, key) },
    ]);
  });

  test('an adopted topic imported with its key: publish on its ARN and the key', () => {
    const stack = newStack();
    const topic = sns.Topic.fromTopicAttributes(stack, 'Existing', {
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:orders',
      keyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    new FanOutTopic(stack, 'Orders', { topic }).grantPublish(role(stack));
    expect(statements(stack)).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: 'arn:aws:sns:eu-west-1:123456789012:orders' },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
    ]);
  });
});

/** Written out here (not imported) so that a change to what is granted fails these tests. */
const DEAD_LETTER_QUEUE_ACTIONS = [
  'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility',
  'sqs:ListDeadLetterSourceQueues', 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:CancelMessageMoveTask',
  'sqs:DeleteMessage', 'sqs:PurgeQueue',
];

function expectedDeadLetterStatements(stack: Stack, consumers: Consumer[]): unknown[] {
  const one = <T>(values: T[]) => values.length === 1 ? values[0] : values;
  return [
    { Effect: 'Allow', Action: DEAD_LETTER_QUEUE_ACTIONS, Resource: one(consumers.map((c) => getAtt(stack, c.deadLetterQueue as never))) },
    { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], Resource: one(consumers.map((c) => getAtt(stack, c.queue as never))) },
    {
      Effect: 'Allow',
      Action: ['cloudformation:GetTemplate', 'cloudformation:DescribeStackResource'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudformation:eu-west-1:123456789012:stack/Test/*']] },
    },
  ];
}

describe('FanOutTopic.grantDeadLetterOperations', () => {
  test('consumers added before the grant: their dead-letter queues, their queues for redrive, and the stack', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    const consumers = [fanOut.addConsumer('Billing'), fanOut.addConsumer('Inventory')];
    const grant = fanOut.grantDeadLetterOperations(role(stack, 'OnCall'));
    expect(grant.success).toBe(true);
    expect(statements(stack)).toEqual(expectedDeadLetterStatements(stack, consumers));
  });

  test('consumers added after the grant are covered too, with the same statements', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    const billing = fanOut.addConsumer('Billing');
    fanOut.grantDeadLetterOperations(role(stack, 'OnCall'));
    const inventory = fanOut.addConsumer('Inventory');
    const analytics = new Consumer(stack, 'Analytics', { fanOut });
    expect(statements(stack)).toEqual(expectedDeadLetterStatements(stack, [billing, inventory, analytics]));
  });

  test('a grant made before any consumer exists gets them all', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    fanOut.grantDeadLetterOperations(role(stack, 'OnCall'));
    const billing = fanOut.addConsumer('Billing');
    expect(statements(stack)).toEqual(expectedDeadLetterStatements(stack, [billing]));
  });

  test('nothing on every queue or every key: no sqs:ListQueues and no "*" resource', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders', { encryptionKey: new kms.Key(stack, 'Key') });
    fanOut.addConsumer('Billing');
    fanOut.grantDeadLetterOperations(role(stack, 'OnCall'));
    const json = JSON.stringify(statements(stack));
    expect(json).not.toContain('sqs:ListQueues');
    expect(json).not.toContain('"*"');
  });

  test('queues encrypted with the fan-out\'s customer key: kms:Decrypt and kms:GenerateDataKey on that key', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const fanOut = new FanOutTopic(stack, 'Orders', { encryptionKey: key });
    const billing = fanOut.addConsumer('Billing');
    fanOut.grantDeadLetterOperations(role(stack, 'OnCall'));
    expect(statements(stack)).toEqual([
      ...expectedDeadLetterStatements(stack, [billing]),
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: getAtt(stack, key) },
    ]);
  });

  test('a fan-out without consumers cannot be granted: synth names the fix', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    fanOut.grantDeadLetterOperations(role(stack, 'OnCall'));
    expect(() => template(stack)).toThrow(/\[Test\/Orders\] grantDeadLetterOperations\(\) was called, but this fan-out has no consumers, so there are no dead-letter queues to grant; add a consumer or remove the call/);
  });

  test('an on-call role in another stack gets the same statements, by cross-stack reference', () => {
    const stack = newStack();
    const onCallStack = new Stack(stack.node.scope as never, 'OnCall', { env: { account: '123456789012', region: 'eu-west-1' } });
    const fanOut = new FanOutTopic(stack, 'Orders');
    fanOut.grantDeadLetterOperations(role(onCallStack, 'OnCall'));
    fanOut.addConsumer('Billing');
    const [dlq, queue] = statements(onCallStack) as Array<{ Resource: unknown }>;
    expect(JSON.stringify([dlq.Resource, queue.Resource])).toMatch(/Fn::ImportValue.*Fn::ImportValue/);
  });
});

describe('Consumer.grantDeadLetterOperations', () => {
  test('only this consumer\'s queues', () => {
    const stack = newStack();
    const fanOut = new FanOutTopic(stack, 'Orders');
    fanOut.addConsumer('Billing');
    const inventory = fanOut.addConsumer('Inventory');
    inventory.grantDeadLetterOperations(role(stack, 'OnCall'));
    expect(statements(stack)).toEqual(expectedDeadLetterStatements(stack, [inventory]));
  });
});
