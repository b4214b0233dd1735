import { createHash } from 'node:crypto';
import {
  type MessageAttributeValue, PublishBatchCommand, type PublishBatchCommandOutput, type PublishBatchRequestEntry, PublishCommand,
  type PublishCommandOutput, SNSClient,
} from '@aws-sdk/client-sns';
import { ATTRIBUTE_SOURCE, ATTRIBUTE_TYPE, ATTRIBUTE_VERSION } from './names.js';
import { createEnvelope, type Envelope } from './envelope.js';
import { type AttemptBudget, callFailure, entryFailure, installAttemptBudget, type PublishFailure, sendWithinBudget } from './publisher-attempts.js';
import { describeValue } from './describe-value.js';
import { integerInRange } from './option-range.js';
import { sleep } from './sleep.js';
import { isWellFormed } from './unicode.js';

/** SNS's limit for one message, attributes included, and for all messages of one PublishBatch together. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** SNS's limit of entries in one PublishBatch. */
export const MAX_BATCH_ENTRIES = 10;

export interface PublisherOptions {
  /**
   * ARN of the SNS topic: a non-empty string. A name ending in `.fifo` makes it a FIFO topic:
   * every message then needs a `messageGroupId`.
   */
  readonly topicArn: string;
  /** The producing service (a non-empty string), written to every envelope's `source` and the `source` attribute. */
  readonly source: string;
  /**
   * The SNS client. Its own retries count against `maxAttempts`: the publisher counts every
   * HTTP request the client makes for a message and stops the client's retries once the
   * message has had `maxAttempts` requests. Within that budget the client's retry strategy
   * (its own `maxAttempts` and backoff) decides when a failed call is retried; what is left of
   * the budget the publisher spends on its own retries (with `retryBaseDelayMs`).
   * @default an `SNSClient` for the current region with `cacheMiddleware: true` and
   * `maxAttempts: 1`, so that every retry is the publisher's
   */
  readonly client?: SNSClient;
  /**
   * How many requests may carry one message, in all: the first try, the client's retries and
   * the publisher's. An integer from 1 to 10. Errors no retry can fix (`NotFound`,
   * `AuthorizationError`, `InvalidParameter`, `InvalidParameterValue`, any other client fault,
   * and batch entries SNS fails with `SenderFault: true`) are not retried.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * Wait before the publisher's first retry, in milliseconds: an integer from 0 to 60000;
   * doubled each retry up to 60 s, with full jitter.
   * @default 100
   */
  readonly retryBaseDelayMs?: number;
}

/** Bounds of the numeric options: [minimum, maximum], both included. */
export const PUBLISHER_OPTION_RANGES = {
  maxAttempts: [1, 10],
  retryBaseDelayMs: [0, 60_000],
} as const;
/** The longest wait between two of the publisher's retries. */
export const MAX_RETRY_DELAY_MS = 60_000;
/** What SNS accepts as `MessageDeduplicationId` and `MessageGroupId`: 1 to 128 letters, digits and ASCII punctuation. */
const SNS_ID_PATTERN = /^[\x21-\x7E]{1,128}$/;

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
  /** FIFO topics: the ordering group, 1 to 128 letters, digits and ASCII punctuation. Required there. */
  readonly messageGroupId?: string;
  /**
   * FIFO topics: SNS drops a second message with this id within 5 minutes. 1 to 128 letters,
   * digits and ASCII punctuation (``!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~``).
   * @default the envelope id when it is made of those characters, else the SHA-256 of the
   * envelope id in hex (64 characters): the same id always gives the same deduplication id
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

/**
 * The result of one `publishBatch` entry, in the order of the entries. A failed entry may still
 * have been published (a response lost after SNS accepted it): publish it again with the same
 * `id` (and, on a FIFO topic, within 5 minutes the same deduplication id drops the copy).
 */
export type BatchEntryResult<T = unknown> =
  | ({ readonly ok: true } & PublishResult<T>)
  | { readonly ok: false; readonly envelope: Envelope<T>; readonly error: { readonly code: string; readonly message: string; readonly senderFault: boolean } };

/**
 * The `code` of a FIFO entry the publisher did not send because an earlier entry of its message
 * group failed for good: publishing it would have put it ahead of that entry.
 */
export const EARLIER_ENTRY_FAILED = 'EarlierEntryFailed';
/** The `code` of an entry SNS's PublishBatch response listed neither as successful nor as failed. */
export const MISSING_FROM_RESPONSE = 'MissingFromResponse';

interface Prepared<T> {
  readonly envelope: Envelope<T>;
  readonly request: Omit<PublishBatchRequestEntry, 'Id'>;
  readonly bytes: number;
  readonly group?: string;
}

type Outcome =
  | { readonly ok: true; readonly messageId: string; readonly sequenceNumber?: string }
  | ({ readonly ok: false } & PublishFailure);

/** Publishes envelopes to one SNS topic, with the attributes the subscriptions filter on. */
export class Publisher {
  readonly topicArn: string;
  readonly source: string;
  private readonly client: SNSClient;
  private readonly fifo: boolean;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;

  /** Checks every option (throws one line naming the option, its range and the value). */
  constructor(options: PublisherOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new Error(`Publisher: options must be an object, got ${describeValue(options)}`);
    }
    this.topicArn = nonEmptyString('topicArn', options.topicArn);
    this.source = nonEmptyString('source', options.source);
    this.maxAttempts = integerInRange('Publisher', 'maxAttempts', options.maxAttempts, 3, ...PUBLISHER_OPTION_RANGES.maxAttempts);
    this.retryBaseDelayMs = integerInRange('Publisher', 'retryBaseDelayMs', options.retryBaseDelayMs, 100, ...PUBLISHER_OPTION_RANGES.retryBaseDelayMs);
    if (options.client !== undefined && !isClient(options.client)) {
      throw new Error(`Publisher: client must be an SNSClient, got ${describeValue(options.client)}`);
    }
    this.client = options.client ?? new SNSClient({ cacheMiddleware: true, maxAttempts: 1 });
    installAttemptBudget(this.client);
    this.fifo = this.topicArn.endsWith('.fifo');
  }

  /**
   * Publishes one envelope, in at most `maxAttempts` requests (the client's retries included);
   * throws the last error if none succeeded, at once for an error no retry can fix.
   */
  async publish<T>(type: string, data: T, options: PublishOptions = {}): Promise<PublishResult<T>> {
    const { envelope, request } = this.prepare({ ...options, type, data }, 'publish');
    let used = 0;
    for (let round = 1; ; round++) {
      if (round > 1) await this.backoff(round);
      const budget: AttemptBudget = { limit: this.maxAttempts - used, used: 0 };
      try {
        const response = await sendWithinBudget<PublishCommandOutput>(this.client, new PublishCommand({ TopicArn: this.topicArn, ...request }), budget);
        return { envelope, messageId: response.MessageId ?? '', ...(response.SequenceNumber ? { sequenceNumber: response.SequenceNumber } : {}) };
      } catch (err) {
        // A call that failed before any request (budget.used 0) still spends an attempt: the loop always ends.
        used += Math.max(1, budget.used);
        if (!callFailure(err).retryable || used >= this.maxAttempts) throw err;
      }
    }
  }

  /**
   * Publishes many envelopes in PublishBatch calls of at most 10 entries and 256 KiB, one call
   * after the other, retrying entries that failed on SNS's side. Every entry is checked before
   * anything is sent (an invalid one throws and nothing is published); after that it never
   * throws for a failed entry: each entry's result says how it ended.
   *
   * Each entry is carried by at most `maxAttempts` requests, the client's retries included.
   * Entries SNS leaves out of its response count as failed on its side. On a FIFO topic an entry
   * is never sent ahead of an earlier entry of its message group: entries after a failed one are
   * retried with it, in order; once an entry fails for good, the later entries of its group are
   * not sent (code `EarlierEntryFailed`), and a failed entry is not retried when SNS accepted a
   * later entry of its group in the same call (a retry would land after it).
   */
  async publishBatch<T>(entries: readonly BatchEntry<T>[]): Promise<BatchEntryResult<T>[]> {
    const prepared = entries.map((entry, index) => this.prepare(entry, `publishBatch entry ${index}`));
    const results: BatchEntryResult<T>[] = new Array(entries.length);
    // FIFO: message groups with an entry that failed for good, and that entry.
    const blocked = new Map<string, { index: number; code: string }>();
    let remaining = prepared.map((_, index) => index);
    let blockedSeen = 0;
    while (remaining.length > 0) {
      if (blocked.size !== blockedSeen) {
        blockedSeen = blocked.size;
        remaining = remaining.filter((index) => {
          const blocker = blocked.get(prepared[index].group ?? '');
          if (!blocker) return true;
          results[index] = { ok: false, envelope: prepared[index].envelope, error: heldBack(blocker, prepared[index].group!) };
          return false;
        });
        if (remaining.length === 0) break;
      }
      const length = chunkIndexes(remaining.slice(0, MAX_BATCH_ENTRIES).map((index) => prepared[index].bytes))[0].length;
      await this.sendChunk(remaining.slice(0, length), prepared, results, blocked);
      remaining = remaining.slice(length);
    }
    return results;
  }

  /** One chunk until every entry of it has a result. */
  private async sendChunk<T>(chunk: readonly number[], prepared: readonly Prepared<T>[], results: BatchEntryResult<T>[], blocked: Map<string, { index: number; code: string }>): Promise<void> {
    const used = new Map(chunk.map((index) => [index, 0]));
    const fail = (index: number, error: { code: string; message: string; senderFault: boolean }) => {
      results[index] = { ok: false, envelope: prepared[index].envelope, error: { code: error.code, message: error.message, senderFault: error.senderFault } };
      const group = prepared[index].group;
      const earlier = group === undefined ? undefined : blocked.get(group);
      if (group !== undefined && (earlier === undefined || index < earlier.index)) blocked.set(group, { index, code: error.code });
    };
    let pending = chunk;
    for (let round = 1; pending.length > 0; round++) {
      if (round > 1) await this.backoff(round);
      const budget: AttemptBudget = { limit: Math.min(...pending.map((index) => this.maxAttempts - used.get(index)!)), used: 0 };
      const outcomes = await this.sendOnce(pending, prepared, budget);
      for (const index of pending) used.set(index, used.get(index)! + Math.max(1, budget.used));
      // FIFO: where in this call each group last had an entry accepted.
      const lastAccepted = new Map<string, number>();
      pending.forEach((index, position) => {
        if (outcomes.get(index)!.ok && prepared[index].group !== undefined) lastAccepted.set(prepared[index].group!, position);
      });
      const retry: number[] = [];
      pending.forEach((index, position) => {
        const outcome = outcomes.get(index)!;
        const group = prepared[index].group;
        if (outcome.ok) {
          results[index] = { ok: true, envelope: prepared[index].envelope, messageId: outcome.messageId, ...(outcome.sequenceNumber ? { sequenceNumber: outcome.sequenceNumber } : {}) };
          return;
        }
        const blocker = group === undefined ? undefined : blocked.get(group);
        if (blocker && blocker.index < index) {
          fail(index, { ...outcome, message: `${outcome.message} (not retried: entry ${blocker.index} of message group ${JSON.stringify(group)} failed for good before it)` });
        } else if (!outcome.retryable || used.get(index)! >= this.maxAttempts) {
          fail(index, outcome);
        } else if (group !== undefined && (lastAccepted.get(group) ?? -1) > position) {
          const later = pending[lastAccepted.get(group)!];
          fail(index, { ...outcome, message: `${outcome.message} (not retried: SNS accepted entry ${later} of message group ${JSON.stringify(group)} in the same call, so a retry would land after it)` });
        } else {
          retry.push(index);
        }
      });
      pending = retry;
    }
  }

  /** One PublishBatch call: each entry's outcome. */
  private async sendOnce<T>(indexes: readonly number[], prepared: readonly Prepared<T>[], budget: AttemptBudget): Promise<Map<number, Outcome>> {
    const outcomes = new Map<number, Outcome>();
    try {
      const response = await sendWithinBudget<PublishBatchCommandOutput>(this.client, new PublishBatchCommand({
        TopicArn: this.topicArn,
        PublishBatchRequestEntries: indexes.map((index) => ({ Id: String(index), ...prepared[index].request })),
      }), budget);
      const sent = new Map(indexes.map((index) => [String(index), index]));
      for (const success of response.Successful ?? []) {
        const index = sent.get(success.Id ?? '');
        if (index === undefined || outcomes.has(index)) continue;
        outcomes.set(index, { ok: true, messageId: success.MessageId ?? '', ...(success.SequenceNumber ? { sequenceNumber: success.SequenceNumber } : {}) });
      }
      for (const failure of response.Failed ?? []) {
        const index = sent.get(failure.Id ?? '');
        if (index === undefined || outcomes.has(index)) continue;
        outcomes.set(index, { ok: false, ...entryFailure(failure.Code, failure.Message, failure.SenderFault) });
      }
      for (const index of indexes) {
        if (!outcomes.has(index)) {
          outcomes.set(index, { ok: false, code: MISSING_FROM_RESPONSE, message: 'SNS\'s PublishBatch response listed the entry neither as successful nor as failed', senderFault: false, retryable: true });
        }
      }
    } catch (err) {
      // The whole call failed (after the client's retries within the budget): every entry in it shares the error.
      const failure = callFailure(err);
      for (const index of indexes) outcomes.set(index, { ok: false, ...failure });
    }
    return outcomes;
  }

  /** Full jitter over the base delay doubled each retry (`round` 2 is the first retry), at most 60 s. */
  private backoff(round: number): Promise<void> {
    return sleep(Math.random() * Math.min(MAX_RETRY_DELAY_MS, this.retryBaseDelayMs * 2 ** (round - 2)));
  }

  private prepare<T>(entry: BatchEntry<T>, what: string): Prepared<T> {
    const envelope = createEnvelope({ type: entry.type, data: entry.data, source: this.source, id: entry.id, version: entry.version, correlationId: entry.correlationId });
    if (this.fifo && !entry.messageGroupId) {
      throw new Error(`${what}: ${this.topicArn} is a FIFO topic, so messageGroupId is required (envelope ${envelope.id}, type ${envelope.type})`);
    }
    for (const name of ['messageGroupId', 'messageDeduplicationId'] as const) {
      const value: unknown = entry[name];
      if (value !== undefined && (typeof value !== 'string' || !SNS_ID_PATTERN.test(value))) {
        throw new Error(`${what}: ${name} must be 1 to 128 letters, digits and ASCII punctuation, got ${describeValue(value)} (envelope ${envelope.id})`);
      }
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
    const deduplicationId = entry.messageDeduplicationId ?? (this.fifo ? deduplicationIdFor(envelope.id) : undefined);
    return {
      envelope,
      bytes,
      ...(this.fifo ? { group: entry.messageGroupId } : {}),
      request: {
        Message: message,
        MessageAttributes: attributes,
        ...(entry.messageGroupId ? { MessageGroupId: entry.messageGroupId } : {}),
        ...(deduplicationId ? { MessageDeduplicationId: deduplicationId } : {}),
      },
    };
  }
}

/**
 * The FIFO deduplication id of an envelope id: the id itself when SNS accepts it (1 to 128
 * letters, digits and ASCII punctuation), else its SHA-256 in hex (64 characters).
 */
export function deduplicationIdFor(envelopeId: string): string {
  return SNS_ID_PATTERN.test(envelopeId) ? envelopeId : createHash('sha256').update(envelopeId, 'utf8').digest('hex');
}

function heldBack(blocker: { index: number; code: string }, group: string): { code: string; message: string; senderFault: boolean } {
  return {
    code: EARLIER_ENTRY_FAILED,
    message: `not sent: entry ${blocker.index} of message group ${JSON.stringify(group)} failed for good (${blocker.code}), and this entry would have been published ahead of it`,
    senderFault: false,
  };
}


function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || !isWellFormed(value)) {
    throw new Error(`Publisher: ${name} must be a non-empty string of valid Unicode, got ${describeValue(value)}`);
  }
  return value;
}

function isClient(value: unknown): value is SNSClient {
  const client = value as { send?: unknown; middlewareStack?: { add?: unknown; identify?: unknown }; config?: unknown } | null;
  return typeof client === 'object' && client !== null && typeof client.send === 'function'
    && typeof client.middlewareStack?.add === 'function' && typeof client.middlewareStack?.identify === 'function' && typeof client.config === 'object';
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
