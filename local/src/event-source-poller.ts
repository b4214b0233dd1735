import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { failedIds } from './batch-item-failures';
import { LOCAL_REGION } from './emulators';
import type { LocalFunction } from './lambda-function';
import type { LocalEventSource } from './provision';
import { setTimeout as delay } from 'node:timers/promises';

/** What one event source mapping did, for progress reports and tests. */
export interface PollerStats {
  received: number;
  invocations: number;
  deleted: number;
  /** Records the handler reported as batch item failures. */
  itemFailures: number;
  /** Invocations that threw, crashed or timed out: their whole batch stays for a retry. */
  failedInvocations: number;
}

/** How a mapping polls locally. */
export interface PollerOptions {
  /**
   * Invocations in flight at once when the mapping sets no maximum concurrency. Lambda scales
   * further; a laptop does not need to.
   * @default 5
   */
  readonly defaultConcurrency?: number;
}

/** Lambda waits at most 20 s per receive; locally a short wait keeps stop() prompt. */
const RECEIVE_WAIT_SECONDS = 1;

/**
 * Polls one SQS queue for one function the way Lambda's event source mapping does: batches of
 * `batchSize` gathered for at most the batching window, at most `maxConcurrency` invocations in
 * flight, deletes only what succeeded (per `batchItemFailures`) and leaves the rest to the
 * visibility timeout.
 */
export class EventSourcePoller {
  readonly stats: PollerStats = { received: 0, invocations: 0, deleted: 0, itemFailures: 0, failedInvocations: 0 };
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    readonly mapping: LocalEventSource,
    private readonly fn: LocalFunction,
    private readonly sqs: SQSClient,
    private readonly options: PollerOptions = {},
  ) {}

  start(): void {
    if (this.running) {
      return;
    }
    this.running = true;
    const concurrency = this.mapping.maxConcurrency ?? this.options.defaultConcurrency ?? 5;
    this.loops = Array.from({ length: concurrency }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let messages: Message[];
      try {
        messages = await this.receiveBatch();
      } catch (error) {
        if (this.running) {
          process.emitWarning(`local event source ${this.mapping.logicalId}: receive failed: ${(error as Error).message}`);
          await delay(500);
        }
        continue;
      }
      if (messages.length > 0) {
        await this.invoke(messages);
      }
    }
  }

  private async receiveBatch(): Promise<Message[]> {
    const { batchSize, maxBatchingWindowSeconds } = this.mapping;
    const deadline = Date.now() + maxBatchingWindowSeconds * 1000;
    const batch: Message[] = [];
    do {
      const { Messages = [] } = await this.sqs.send(new ReceiveMessageCommand({
        QueueUrl: this.mapping.queue.url,
        MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
        WaitTimeSeconds: batch.length === 0 ? RECEIVE_WAIT_SECONDS : 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }));
      batch.push(...Messages);
      if (Messages.length === 0 && batch.length > 0 && Date.now() < deadline) {
        await delay(Math.min(100, deadline - Date.now()));
      }
    } while (this.running && batch.length > 0 && batch.length < batchSize && Date.now() < deadline);
    return batch;
  }

  private async invoke(messages: Message[]): Promise<void> {
    this.stats.received += messages.length;
    this.stats.invocations++;
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, this.mapping.queue.arn)) };
    const result = await this.fn.invoke(event);
    if (result.kind !== 'returned') {
      this.stats.failedInvocations++;
      return;
    }
    const failed = this.mapping.reportBatchItemFailures ? failedIds(result.value, messages.map((m) => m.MessageId!)) : new Set<string>();
    if (failed === undefined) {
      // Lambda treats a malformed batch response as a failure of the whole batch.
      this.stats.failedInvocations++;
      return;
    }
    this.stats.itemFailures += failed.size;
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    for (let i = 0; i < done.length; i += 10) {
      const chunk = done.slice(i, i + 10);
      const { Successful = [] } = await this.sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: this.mapping.queue.url,
        Entries: chunk.map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle! })),
      }));
      this.stats.deleted += Successful.length;
    }
  }
}

/** An SQS message in the shape Lambda delivers it. */
function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId && { MessageGroupId: attributes.MessageGroupId }),
      ...(attributes.MessageDeduplicationId && { MessageDeduplicationId: attributes.MessageDeduplicationId }),
      ...(attributes.SequenceNumber && { SequenceNumber: attributes.SequenceNumber }),
    },
    messageAttributes: toRecordAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

function toRecordAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, {
    dataType: value.DataType ?? 'String',
    ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
    ...(value.BinaryValue !== undefined && { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
    stringListValues: [],
    binaryListValues: [],
  }]));
}
