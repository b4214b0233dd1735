import { ChangeMessageVisibilityBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS's limit of entries in one ChangeMessageVisibilityBatch call. */
const MAX_BATCH_ENTRIES = 10;

/**
 * Makes received messages visible again at once (visibility timeout 0), leaving the queue as if
 * they had not been received (a FIFO group keeps its order: SQS orders it by sequence number).
 * Returns how many stay hidden until their visibility timeout ends (SQS refused the change).
 */
export async function releaseMessages(client: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<number> {
  return (await changeMessagesVisibility(client, queueUrl, messages, 0)).length;
}

/**
 * Sets the visibility timeout of received messages (by their receipt handles) to `seconds` from
 * now: 0 releases them, more keeps them hidden longer. Returns the messages SQS refused to change
 * (e.g. a receipt handle that is no longer current).
 */
export async function changeMessagesVisibility(client: SQSClient, queueUrl: string, messages: readonly Message[], seconds: number): Promise<Message[]> {
  const refused: Message[] = [];
  for (let start = 0; start < messages.length; start += MAX_BATCH_ENTRIES) {
    const chunk = messages.slice(start, start + MAX_BATCH_ENTRIES);
    const response = await client.send(new ChangeMessageVisibilityBatchCommand({
      QueueUrl: queueUrl,
      Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: seconds })),
    }));
    for (const failed of response.Failed ?? []) refused.push(chunk[Number(failed.Id)]);
  }
  return refused;
}
