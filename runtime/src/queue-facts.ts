import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** What redrive and the command line need to know about a queue before touching its messages. */
export interface QueueFacts {
  readonly url: string;
  readonly arn: string;
  /** FIFO queues keep order per message group, so they are moved message by message. */
  readonly fifo: boolean;
  /** SQS's approximate count of visible messages: a progress total, never a loop bound. */
  readonly approximateMessages: number;
}

/** Reads a queue's ARN, type and approximate depth in one GetQueueAttributes call. */
export async function queueFacts(client: SQSClient, url: string): Promise<QueueFacts> {
  const response = await client.send(new GetQueueAttributesCommand({
    QueueUrl: url,
    AttributeNames: ['QueueArn', 'FifoQueue', 'ApproximateNumberOfMessages'],
  }));
  const attributes = response.Attributes ?? {};
  if (!attributes.QueueArn) {
    throw new Error(`${url}: GetQueueAttributes returned no QueueArn`);
  }
  return {
    url,
    arn: attributes.QueueArn,
    fifo: attributes.FifoQueue === 'true',
    approximateMessages: Number(attributes.ApproximateNumberOfMessages ?? 0),
  };
}
