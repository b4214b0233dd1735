import { CreateTopicCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { createEnvelope } from '@cdk-fanout/runtime';
import { createQueue, uniqueName } from './aws';

export interface Queue {
  readonly url: string;
  readonly arn: string;
}

/** A dead-letter queue and the source queue whose redrive policy names it, as the constructs deploy them. */
export async function createSourceAndDlq(client: SQSClient, prefix: string, fifo = false): Promise<{ source: Queue; dlq: Queue }> {
  const dlq = await createQueue(client, `${prefix}-dlq`, fifo);
  const created = await client.send(new CreateQueueCommand({
    QueueName: uniqueName(prefix) + (fifo ? '.fifo' : ''),
    Attributes: {
      ...(fifo ? { FifoQueue: 'true' } : {}),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }),
    },
  }));
  const attributes = await client.send(new GetQueueAttributesCommand({ QueueUrl: created.QueueUrl, AttributeNames: ['QueueArn'] }));
  return { source: { url: created.QueueUrl!, arn: attributes.Attributes!.QueueArn! }, dlq };
}

/** A valid envelope body with a chosen id. */
export function envelopeBody(id: string, type = 'order.created', data: unknown = { orderId: id }): string {
  return JSON.stringify(createEnvelope({ id, type, data, source: 'order-service' }));
}

/** Sends one message; on a FIFO queue in `groupId` with its own deduplication id. */
export async function send(client: SQSClient, queueUrl: string, body: string, options: { groupId?: string; attributes?: Record<string, string> } = {}): Promise<void> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(options.attributes ?? {})) attributes[name] = { DataType: 'String', StringValue: value };
  await client.send(new SendMessageCommand({
    QueueUrl: queueUrl,
    MessageBody: body,
    ...(Object.keys(attributes).length ? { MessageAttributes: attributes } : {}),
    ...(options.groupId ? { MessageGroupId: options.groupId, MessageDeduplicationId: uniqueName('dedup') } : {}),
  }));
}

/** Visible and in-flight message counts. */
export async function depth(client: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const response = await client.send(new GetQueueAttributesCommand({
    QueueUrl: queueUrl,
    AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  }));
  return {
    visible: Number(response.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

/** The envelope id of a raw body. */
export function envelopeId(body: string | undefined): string {
  return (JSON.parse(body ?? '{}') as { id: string }).id;
}

/** A queue to subscribe: FIFO or not, raw delivery (the envelope as body) or SNS-wrapped. */
export interface SubscribedQueueSpec {
  /** @default false */
  readonly fifo?: boolean;
  /** @default true */
  readonly raw?: boolean;
}

/** A new topic (FIFO when `fifo`) with a new queue subscribed for each entry of `queues`, by the same names. */
export async function topicWithQueues<K extends string>(sns: SNSClient, sqs: SQSClient, prefix: string, fifo: boolean, queues: Record<K, SubscribedQueueSpec>): Promise<{ topicArn: string; queues: Record<K, Queue> }> {
  const topic = await sns.send(new CreateTopicCommand({ Name: uniqueName(prefix) + (fifo ? '.fifo' : ''), ...(fifo ? { Attributes: { FifoTopic: 'true' } } : {}) }));
  const created = {} as Record<K, Queue>;
  for (const [name, spec] of Object.entries(queues) as [K, SubscribedQueueSpec][]) {
    created[name] = await createQueue(sqs, `${prefix}-${name}`, spec.fifo ?? false);
    const raw = spec.raw ?? true;
    await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: created[name].arn, ...(raw ? { Attributes: { RawMessageDelivery: 'true' } } : {}) }));
  }
  return { topicArn: topic.TopicArn!, queues: created };
}
