/*
 * Finding a consumer's dead-letter queue in a deployed stack. No emulator here runs
 * CloudFormation, so GetTemplate and DescribeStackResource are answered with responses in the XML
 * shape of the CloudFormation API reference's examples, by a middleware on a real
 * CloudFormationClient; the template is one the constructs synthesize.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@cdk-fanout/local';
import { answerOperations } from '@cdk-fanout/testing';
import { describeStackResourceResponse, getTemplateResponse } from './support/cloudformation';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { findConsumerQueues, queuesOfTemplate } from '@cdk-fanout/runtime/names';
import { FanOutTopic } from '../../lib';
import { consumerQueueUrlsFromStack, deadLetterQueueUrlFromStack } from '../../cli/src/commands/dlq-location';
import { consumersTemplate } from './support/consumers';

/**
 * A stack with two fan-outs: `order-history` is in one, `billing` in both. The constructs now
 * refuse a consumer name twice in one stack, so this is a stack deployed before they did: the
 * resources of two stacks' templates in one.
 */
function deployedTemplate(): Record<string, unknown> {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'OrdersFanOut');
  const orders = new FanOutTopic(stack, 'Orders');
  orders.addConsumer('Billing');
  orders.addConsumer('OrderHistory');
  const earlier = new Stack(app, 'Earlier');
  new FanOutTopic(earlier, 'Refunds').addConsumer('Billing');
  const template = Template.fromStack(stack).toJSON();
  return { ...template, Resources: { ...template.Resources, ...Template.fromStack(earlier).toJSON().Resources } };
}

/**
 * Looks `consumer` up in a stack whose template is `template`; CloudFormation answers that
 * `dlq` (a logical id) is the queue whose URL ends in that id.
 */
async function lookUp(consumer: string, template: unknown = deployedTemplate(), dlq = 'NotAsked') {
  // Never reaches the network: every call is answered below.
  const client = new CloudFormationClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
  const answered = answerOperations(client, {
    GetTemplate: [getTemplateResponse(template)],
    DescribeStackResource: [describeStackResourceResponse(dlq, `https://sqs.eu-west-1.amazonaws.com/123456789012/${dlq}`)],
  });
  try {
    return { url: await deadLetterQueueUrlFromStack(client, 'OrdersFanOut', consumer), answered };
  } finally {
    client.destroy();
  }
}

test('by consumer name or construct id: the tagged dead-letter queue, in two requests', async () => {
  const template = deployedTemplate();
  const dlq = Object.keys(template.Resources as object).find((id) => /^OrdersOrderHistoryDeadLetterQueue/.test(id))!;
  for (const consumer of ['order-history', 'OrderHistory']) {
    const { url, answered } = await lookUp(consumer, template, dlq);
    expect(answered.map((request) => request.operation)).toEqual(['GetTemplate', 'DescribeStackResource']);
    expect(answered[0].body).toEqual({ StackName: 'OrdersFanOut', TemplateStage: 'Original' });
    expect(answered[1].body).toEqual({ StackName: 'OrdersFanOut', LogicalResourceId: dlq });
    expect(url).toBe(`https://sqs.eu-west-1.amazonaws.com/123456789012/${dlq}`);
  }
});

test('a consumer name in two fan-outs of the stack: says so, and what to give instead', async () => {
  await expect(lookUp('billing')).rejects.toThrow(/^stack OrdersFanOut: consumer "billing" names queues of more than one fan-out \(.*\); give the dead-letter queue's URL instead$/);
});

test('no such consumer: lists the consumers there are', async () => {
  await expect(lookUp('shipping')).rejects.toThrow('stack OrdersFanOut has no consumer "shipping"; its consumers: billing, order-history');
  await expect(lookUp('billing', { Resources: {} })).rejects.toThrow('stack OrdersFanOut has no consumer "billing"; it has no cdk-fanout consumer queues');
});

test('a template that is not JSON is refused with the way out', async () => {
  await expect(lookUp('billing', 'Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n')).rejects.toThrow('stack OrdersFanOut: its template is not JSON (not deployed by cdk); give --queue-url instead');
});

describe('consumers that own only a dead-letter queue (stream, Kafka, RabbitMQ)', () => {
  const template = consumersTemplate();
  const queues = queuesOfTemplate(template);
  const logicalIdOf = (prefix: string) => Object.keys(template.Resources).find((id) => id.startsWith(prefix))!;

  test('the lookup gives the dead-letter queue and its role, and the queue only where there is one', () => {
    const byId = (prefix: string) => expect.objectContaining({ logicalId: logicalIdOf(prefix) });
    expect(findConsumerQueues(queues, 'click-counter', 'stack Consumers')).toEqual({ deadLetterQueue: byId('ClickCounterDeadLetterQueue'), deadLetterRole: 'failure-records' });
    expect(findConsumerQueues(queues, 'PaymentAudit', 'stack Consumers')).toEqual({ deadLetterQueue: byId('PaymentAuditDeadLetterQueue'), deadLetterRole: 'failure-records' });
    expect(findConsumerQueues(queues, 'billing', 'stack Consumers')).toEqual({ deadLetterQueue: byId('BillingDeadLetterQueue'), deadLetterRole: 'dead-letter-queue' });
    expect(findConsumerQueues(queues, 'invoicing', 'stack Consumers')).toEqual({
      queue: byId('OrdersInvoicingQueue'), deadLetterQueue: byId('OrdersInvoicingDeadLetterQueue'), deadLetterRole: 'dead-letter-queue',
    });
  });

  test('by stack: the dead-letter queue\'s URL and role in two requests, and no queue URL where there is no queue', async () => {
    const dlq = logicalIdOf('ClickCounterDeadLetterQueue');
    const client = new CloudFormationClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const answered = answerOperations(client, {
      GetTemplate: [getTemplateResponse(template)],
      DescribeStackResource: [describeStackResourceResponse(dlq, `https://sqs.eu-west-1.amazonaws.com/123456789012/${dlq}`)],
    });
    try {
      expect(await consumerQueueUrlsFromStack(client, 'Consumers', 'ClickCounter', { withQueue: true }))
        .toEqual({ deadLetterQueueUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/${dlq}`, deadLetterRole: 'failure-records' });
      expect(answered.map((request) => request.operation)).toEqual(['GetTemplate', 'DescribeStackResource']);
    } finally {
      client.destroy();
    }
  });

  test('a queue without a dead-letter queue says so; two dead-letter queues, of either role, are two fan-outs', () => {
    const tagged = (logicalId: string, role: string) => ({ logicalId, tags: { 'fanout:consumer': 'clicks', 'fanout:role': role } });
    expect(() => findConsumerQueues([tagged('Q', 'queue')], 'clicks', 'stack S')).toThrow('stack S: consumer "clicks" has a queue (Q) but no tagged dead-letter queue; give the dead-letter queue\'s URL instead');
    expect(() => findConsumerQueues([tagged('A', 'failure-records'), tagged('B', 'dead-letter-queue')], 'clicks', 'stack S'))
      .toThrow('stack S: consumer "clicks" names queues of more than one fan-out (A, B); give the dead-letter queue\'s URL instead');
  });
});
