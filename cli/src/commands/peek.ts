import { ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { changeMessagesVisibility, releaseMessages } from '@cdk-fanout/runtime/redrive';

/**
 * Seconds the listed messages stay hidden while the listing is read. They are released at the
 * end (and kept hidden meanwhile, however long the listing takes); this only matters if the
 * process dies first: then they reappear after it.
 */
const PEEK_VISIBILITY_SECONDS = 60;

export interface PeekOptions {
  /** How long each received message is hidden, and is hidden again, while the listing goes on. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
}

/**
 * Reads up to `max` messages without consuming them: receives them (hidden for a moment), then
 * makes every one visible again, even when a receive fails. A listing that takes more than half
 * the visibility timeout hides what it holds again before it goes on, so no message reappears
 * and is listed twice; a message received twice anyway (SQS delivers at least once) is listed
 * once, with its newest receipt handle. Each read adds one to a message's receive count. A FIFO
 * queue shows only the first messages of each message group: the rest of a group stays behind
 * the ones in flight.
 */
export async function peekMessages(client: SQSClient, queueUrl: string, max: number, options: PeekOptions = {}): Promise<{ messages: Message[]; stillHidden: number }> {
  const visibility = options.visibilityTimeoutSeconds ?? PEEK_VISIBILITY_SECONDS;
  // By message id, in the order first received.
  const held = new Map<string, Message>();
  // When the first of the held messages becomes visible again.
  let visibleAgainAt = Infinity;
  let stillHidden = 0;
  try {
    while (held.size < max) {
      if (Date.now() >= visibleAgainAt - (visibility * 1000) / 2) {
        const startedAt = Date.now();
        await changeMessagesVisibility(client, queueUrl, [...held.values()], visibility);
        visibleAgainAt = startedAt + visibility * 1000;
      }
      const startedAt = Date.now();
      const response = await client.send(new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - held.size),
        VisibilityTimeout: visibility,
        // Long polling asks every SQS server, so an empty answer means the queue has nothing left to show.
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }));
      const received = response.Messages ?? [];
      visibleAgainAt = Math.min(visibleAgainAt, startedAt + visibility * 1000);
      const fresh = received.filter((message) => !held.has(message.MessageId ?? ''));
      for (const message of received) held.set(message.MessageId ?? '', message);
      // Nothing new: the queue is empty, or what it shows again is what the listing already has.
      if (fresh.length === 0) break;
    }
  } finally {
    // Runs on failure too: a half-read listing must not leave messages hidden.
    stillHidden = await releaseMessages(client, queueUrl, [...held.values()]);
  }
  return { messages: [...held.values()], stillHidden };
}
