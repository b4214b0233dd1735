import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';

/** Messages a queue holds: visible, in flight and delayed. */
export async function messagesIn(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: queueUrl,
    AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
  }));
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
    + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
}

/**
 * Receives every visible message of a queue once, with its attributes, and keeps them hidden for
 * `hideSeconds` (so a message is not counted twice); nothing is deleted.
 */
export async function peekQueue(sqs: SQSClient, queueUrl: string, hideSeconds = 60): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: hideSeconds,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }));
    if (Messages.length === 0) {
      return all;
    }
    all.push(...Messages);
  }
}
