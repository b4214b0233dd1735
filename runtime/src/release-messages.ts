import { ChangeMessageVisibilityBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS's limit of entries in one ChangeMessageVisibilityBatch call. */
const MAX_BATCH_ENTRIES = 10;

/**
 * Makes received messages visible again at once (visibility timeout 0), leaving the queue as if
 * they had not been received (a FIFO group keeps its order: SQS orders it by sequence number).
 * Returns how many stay hidden until their visibility timeout ends (SQS refused the change).
 */
export async function releaseMessages(client: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<number> {
  let stillHidden = 0;
  for (let start = 0; start < messages.length; start += MAX_BATCH_ENTRIES) {
    const chunk = messages.slice(start, start + MAX_BATCH_ENTRIES);
    const response = await client.send(new ChangeMessageVisibilityBatchCommand({
      QueueUrl: queueUrl,
      Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 })),
    }));
    stillHidden += response.Failed?.length ?? 0;
  }
  return stillHidden;
}
