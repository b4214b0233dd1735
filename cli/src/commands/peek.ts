import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { releaseMessages } from '@cdk-fanout/runtime/redrive';

/**
 * Seconds the listed messages stay hidden while the listing is read. They are released at the
 * end; this only matters if the process dies first: then they reappear after it.
 */
const PEEK_VISIBILITY_SECONDS = 60;

/**
 * Reads up to `max` messages without consuming them: receives them (hidden for a moment), then
 * makes every one visible again, even when a receive fails. Each read adds one to a message's
 * receive count. A FIFO queue shows only the first messages of each message group: the rest of
 * a group stays behind the ones in flight.
 */
export async function peekMessages(client: SQSClient, queueUrl: string, max: number): Promise<{ messages: Message[]; stillHidden: number }> {
  const messages: Message[] = [];
  let stillHidden = 0;
  try {
    while (messages.length < max) {
      const response = await client.send(new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - messages.length),
        VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
        // Long polling asks every SQS server, so an empty answer means the queue has nothing left to show.
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }));
      if (!response.Messages?.length) break;
      messages.push(...response.Messages);
    }
  } finally {
    // Runs on failure too: a half-read listing must not leave messages hidden.
    stillHidden = await releaseMessages(client, queueUrl, messages);
  }
  return { messages, stillHidden };
}
