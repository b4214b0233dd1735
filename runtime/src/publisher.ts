import { type MessageAttributeValue, PublishBatchCommand, type PublishBatchRequestEntry, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ATTRIBUTE_SOURCE, ATTRIBUTE_TYPE, ATTRIBUTE_VERSION } from './names.js';
import { createEnvelope, type Envelope } from './envelope.js';
import { sleep } from './sleep.js';

/** SNS's limit for one message, attributes included, and for all messages of one PublishBatch together. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** SNS's limit of entries in one PublishBatch. */
export const MAX_BATCH_ENTRIES = 10;

export interface PublisherOptions {
  /** ARN of the SNS topic. A name ending in `.fifo` makes it a FIFO topic: every message then needs a `messageGroupId`. */
  readonly topicArn: string;
  /** The producing service, written to every envelope's `source` and the `source` attribute. */
  readonly source: string;
  /**
   * The SNS client.
   * @default a client for the current region with `cacheMiddleware: true`
   */
  readonly client?: SNSClient;
  /**
   * How many times `publishBatch` sends an entry that SNS failed for a reason on its side
   * (first try included); entries SNS rejects as the sender's fault are not retried.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * Wait before the first retry of failed batch entries, in milliseconds; doubled each retry,
   * with full jitter.
   * @default 100
   */
  readonly retryBaseDelayMs?: number;
}

/** Per-message options of `publish` and `publishBatch`. */
export interface PublishOptions {
  /**
   * The envelope id: the consumers' idempotency key. Reuse an id only to publish the same
   * content again (a retry).
   * @default a random UUID
   */
  readonly id?: string;
  /**
   * Schema version of `data`.
   * @default '1'
   */
  readonly version?: string;
  /**
   * Ties the event to the request or chain of events that caused it; copied into the envelope.
   * @default none
   */
  readonly correlationId?: string;
  /** FIFO topics: the ordering group. Required there. */
  readonly messageGroupId?: string;
  /**
   * FIFO topics: SNS drops a second message with this id within 5 minutes.
   * @default the envelope id
   */
  readonly messageDeduplicationId?: string;
}

/** One message of `publishBatch`. */
export interface BatchEntry<T = unknown> extends PublishOptions {
  readonly type: string;
  readonly data: T;
}

export interface PublishResult<T = unknown> {
  readonly envelope: Envelope<T>;
  /** SNS's message id. */
  readonly messageId: string;
  /** FIFO topics: the sequence number SNS assigned. */
  readonly sequenceNumber?: string;
}

/** The result of one `publishBatch` entry, in the order of the entries. */
export type BatchEntryResult<T = unknown> =
  | ({ readonly ok: true } & PublishResult<T>)
  | { readonly ok: false; readonly envelope: Envelope<T>; readonly error: { readonly code: string; readonly message: string; readonly senderFault: boolean } };

interface Prepared<T> {
  readonly envelope: Envelope<T>;
  readonly request: Omit<PublishBatchRequestEntry, 'Id'>;
  readonly bytes: number;
}

/** Publishes envelopes to one SNS topic, with the attributes the subscriptions filter on. */
export class Publisher {
  readonly topicArn: string;
  readonly source: string;
  private readonly client: SNSClient;
  private readonly fifo: boolean;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;

  constructor(options: PublisherOptions) {
    this.topicArn = options.topicArn;
    this.source = options.source;
    this.client = options.client ?? new SNSClient({ cacheMiddleware: true });
    this.fifo = options.topicArn.endsWith('.fifo');
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 100;
  }

  /** Publishes one envelope; throws if SNS refuses it (after the client's own retries). */
  async publish<T>(type: string, data: T, options: PublishOptions = {}): Promise<PublishResult<T>> {
    const { envelope, request } = this.prepare({ ...options, type, data }, 'publish');
    const response = await this.client.send(new PublishCommand({ TopicArn: this.topicArn, ...request }));
    return { envelope, messageId: response.MessageId ?? '', ...(response.SequenceNumber ? { sequenceNumber: response.SequenceNumber } : {}) };
  }

  /**
   * Publishes many envelopes in PublishBatch calls of at most 10 entries and 256 KiB, retrying
   * entries that failed on SNS's side. Every entry is checked before anything is sent (an
   * invalid one throws and nothing is published); after that it never throws for a failed entry:
   * each entry's result says how it ended. On a FIFO topic a retried entry can land after later
   * entries of its group.
   */
  async publishBatch<T>(entries: readonly BatchEntry<T>[]): Promise<BatchEntryResult<T>[]> {
    const prepared = entries.map((entry, index) => this.prepare(entry, `publishBatch entry ${index}`));
    const results: BatchEntryResult<T>[] = new Array(entries.length);
    for (const chunk of chunkIndexes(prepared.map((entry) => entry.bytes))) {
      await this.sendChunk(chunk, prepared, results);
    }
    return results;
  }

  private async sendChunk<T>(chunk: readonly number[], prepared: readonly Prepared<T>[], results: BatchEntryResult<T>[]): Promise<void> {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(Math.random() * this.retryBaseDelayMs * 2 ** (attempt - 2));
      const failures = await this.sendOnce(pending, prepared, results);
      const last = attempt >= this.maxAttempts;
      const retry: number[] = [];
      for (const [index, error] of failures) {
        if (error.senderFault || last) {
          results[index] = { ok: false, envelope: prepared[index].envelope, error };
        } else {
          retry.push(index);
        }
      }
      pending = retry;
    }
  }

  /** One PublishBatch call: records successes in `results`, returns the failures by entry index. */
  private async sendOnce<T>(indexes: readonly number[], prepared: readonly Prepared<T>[], results: BatchEntryResult<T>[]): Promise<Map<number, { code: string; message: string; senderFault: boolean }>> {
    const failures = new Map<number, { code: string; message: string; senderFault: boolean }>();
    try {
      const response = await this.client.send(new PublishBatchCommand({
        TopicArn: this.topicArn,
        PublishBatchRequestEntries: indexes.map((index) => ({ Id: String(index), ...prepared[index].request })),
      }));
      for (const success of response.Successful ?? []) {
        const index = Number(success.Id);
        results[index] = { ok: true, envelope: prepared[index].envelope, messageId: success.MessageId ?? '', ...(success.SequenceNumber ? { sequenceNumber: success.SequenceNumber } : {}) };
      }
      for (const failure of response.Failed ?? []) {
        failures.set(Number(failure.Id), { code: failure.Code ?? 'Unknown', message: failure.Message ?? '', senderFault: failure.SenderFault ?? false });
      }
    } catch (err) {
      // The whole call failed after the client's retries: every entry in it is retryable.
      const error = { code: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err), senderFault: false };
      for (const index of indexes) failures.set(index, error);
    }
    return failures;
  }

  private prepare<T>(entry: BatchEntry<T>, what: string): Prepared<T> {
    const envelope = createEnvelope({ type: entry.type, data: entry.data, source: this.source, id: entry.id, version: entry.version, correlationId: entry.correlationId });
    if (this.fifo && !entry.messageGroupId) {
      throw new Error(`${what}: ${this.topicArn} is a FIFO topic, so messageGroupId is required (envelope ${envelope.id}, type ${envelope.type})`);
    }
    const message = JSON.stringify(envelope);
    const attributes: Record<string, MessageAttributeValue> = {
      [ATTRIBUTE_TYPE]: { DataType: 'String', StringValue: envelope.type },
      [ATTRIBUTE_VERSION]: { DataType: 'String', StringValue: envelope.version },
      [ATTRIBUTE_SOURCE]: { DataType: 'String', StringValue: envelope.source },
    };
    const bytes = messageBytes(message, attributes);
    if (bytes > MAX_MESSAGE_BYTES) {
      throw new Error(`${what}: envelope ${envelope.id} (type ${envelope.type}) is ${bytes} bytes with its attributes, over the SNS/SQS limit of ${MAX_MESSAGE_BYTES} bytes (256 KiB); send large payloads by reference`);
    }
    const deduplicationId = entry.messageDeduplicationId ?? (this.fifo ? envelope.id : undefined);
    return {
      envelope,
      bytes,
      request: {
        Message: message,
        MessageAttributes: attributes,
        ...(entry.messageGroupId ? { MessageGroupId: entry.messageGroupId } : {}),
        ...(deduplicationId ? { MessageDeduplicationId: deduplicationId } : {}),
      },
    };
  }
}

/** How SNS measures a message: body plus each attribute's name, data type and value, in UTF-8 bytes. */
function messageBytes(message: string, attributes: Readonly<Record<string, MessageAttributeValue>>): number {
  let bytes = Buffer.byteLength(message, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8') + Buffer.byteLength(value.StringValue ?? '', 'utf8');
  }
  return bytes;
}

/** Groups entry indexes, in order, into PublishBatch calls of at most 10 entries and 256 KiB together. */
export function chunkIndexes(sizes: readonly number[]): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  sizes.forEach((size, index) => {
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + size > MAX_MESSAGE_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}
