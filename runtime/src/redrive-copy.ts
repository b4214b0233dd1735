import { DeleteMessageCommand, type Message, type MessageAttributeValue, ReceiveMessageCommand, SendMessageCommand, type SendMessageCommandInput, type SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { releaseMessages } from './release-messages.js';
import { sleep } from './sleep.js';

/** What `copyMessages` moves, where, and how fast (see `RedriveOptions` for the meaning of each). */
export interface CopyRequest {
  readonly deadLetterQueueUrl: string;
  /** A FIFO destination (URL ending in `.fifo`) gets each message's group id. */
  readonly destinationUrl: string;
  /** @default every message */
  readonly maxMessages?: number;
  /** @default no pacing */
  readonly maxMessagesPerSecond?: number;
  /** How long a received message stays hidden while it is sent and deleted. */
  readonly visibilityTimeoutSeconds: number;
  /** Long-poll wait of each receive; the first empty receive ends the run. */
  readonly waitTimeSeconds: number;
  /** Called after each message is deleted, with the count so far. @default none */
  readonly onMoved?: (moved: number) => void;
}

/**
 * Moves messages from a dead-letter queue by receive → send → delete, one message at a time in
 * the order received, so a FIFO group arrives in its order. A message is deleted only after its
 * send succeeded; on any failure the messages of the batch not yet deleted are released and the
 * error says how far it got, so a re-run continues (a message sent but not deleted is then sent
 * twice: the idempotent consumer skips the copy). Returns the number of messages moved.
 */
export async function copyMessages(client: SQSClient, request: CopyRequest): Promise<number> {
  // One run's deduplication ids: unique per message, so a FIFO destination never drops a redriven
  // message as a duplicate of its original send (that id may still be in its 5-minute window).
  const runId = randomUUID();
  const startedAt = Date.now();
  let moved = 0;
  while (request.maxMessages === undefined || moved < request.maxMessages) {
    const batch = await receive(client, request, Math.min(10, (request.maxMessages ?? Infinity) - moved));
    if (batch.length === 0) break;
    for (const [index, message] of batch.entries()) {
      await sleep(pacingDelayMs(moved, request.maxMessagesPerSecond, Date.now() - startedAt));
      const step = await moveOne(client, request, message, runId);
      if (step !== 'moved') {
        await releaseMessages(client, request.deadLetterQueueUrl, batch.slice(index)).catch(() => 0);
        throw new Error(`redrive stopped after moving ${moved} message(s): ${step.problem}. Nothing was lost; run the redrive again to continue${step.duplicate ? ' (this message will then be delivered twice; the idempotent consumer skips the copy)' : ''}`, { cause: step.cause });
      }
      moved++;
      request.onMoved?.(moved);
    }
  }
  return moved;
}

type Step = 'moved' | { readonly problem: string; readonly duplicate: boolean; readonly cause: unknown };

async function moveOne(client: SQSClient, request: CopyRequest, message: Message, runId: string): Promise<Step> {
  try {
    await client.send(new SendMessageCommand(redriveMessageInput(message, request.destinationUrl, runId)));
  } catch (cause) {
    return { problem: `could not send message ${message.MessageId} to ${request.destinationUrl}: ${(cause as Error).message}`, duplicate: false, cause };
  }
  try {
    await client.send(new DeleteMessageCommand({ QueueUrl: request.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }));
  } catch (cause) {
    return { problem: `message ${message.MessageId} was sent to ${request.destinationUrl} but not deleted from the dead-letter queue: ${(cause as Error).message}`, duplicate: true, cause };
  }
  return 'moved';
}

async function receive(client: SQSClient, request: CopyRequest, max: number): Promise<Message[]> {
  const response = await client.send(new ReceiveMessageCommand({
    QueueUrl: request.deadLetterQueueUrl,
    MaxNumberOfMessages: max,
    VisibilityTimeout: request.visibilityTimeoutSeconds,
    WaitTimeSeconds: request.waitTimeSeconds,
    MessageAttributeNames: ['All'],
    MessageSystemAttributeNames: ['MessageGroupId'],
  }));
  return response.Messages ?? [];
}

/**
 * The SendMessage request that puts a dead-lettered message back: same body, same message
 * attributes (`fanout.reason`/`fanout.error` included, as SQS's own move task keeps them), and
 * on a FIFO destination the same group with a fresh deduplication id (see `copyMessages`).
 */
export function redriveMessageInput(message: Message, destinationUrl: string, runId: string): SendMessageCommandInput {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    attributes[name] = value.BinaryValue === undefined
      ? { DataType: value.DataType, StringValue: value.StringValue }
      : { DataType: value.DataType, BinaryValue: value.BinaryValue };
  }
  const input: SendMessageCommandInput = {
    QueueUrl: destinationUrl,
    MessageBody: message.Body,
    ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
  };
  if (!destinationUrl.endsWith('.fifo')) return input;
  const groupId = message.Attributes?.MessageGroupId;
  if (!groupId) {
    throw new Error(`message ${message.MessageId} has no MessageGroupId, which the FIFO queue ${destinationUrl} requires`);
  }
  return { ...input, MessageGroupId: groupId, MessageDeduplicationId: `${message.MessageId}.${runId}` };
}

/**
 * How long to wait before sending the next message so that no more than `perSecond` leave per
 * second on average since the start; 0 without a rate.
 */
export function pacingDelayMs(sentSoFar: number, perSecond: number | undefined, elapsedMs: number): number {
  if (!perSecond) return 0;
  return Math.max(0, (sentSoFar / perSecond) * 1000 - elapsedMs);
}
