import {
  PublishBatchCommand, type PublishBatchCommandOutput, type PublishBatchRequestEntry, PublishCommand, type PublishCommandOutput, SNSClient,
} from '@aws-sdk/client-sns';
import type { Envelope } from './envelope.js';
import { type AttemptBudget, callFailure, entryFailure, installAttemptBudget, sendWithinBudget } from './publisher-attempts.js';
import { describeValue } from './describe-value.js';
import { backoff, type CallOutcome, chunkBySize, MISSING_FROM_RESPONSE, sendInBatches } from './publish-batches.js';
import { buildEnvelope, deduplicationIdFor, FIFO_ID_PATTERN, type SizeLimit, stringAttributes } from './publish-envelope.js';
import { checkSdkClient, nonEmptyString, optionsObject, retryOptions } from './publisher-options.js';
import { defaultClientConfig } from './client-config.js';
import { ClaimCheck, placeWithAttributes, type LargePayloadOptions, type PendingUpload } from './claim-check.js';
import { resolveEnvironment } from './environment.js';

export { deduplicationIdFor } from './publish-envelope.js';
export { EARLIER_ENTRY_FAILED, MAX_RETRY_DELAY_MS, MISSING_FROM_RESPONSE } from './publish-batches.js';
export { PUBLISHER_OPTION_RANGES } from './publisher-options.js';

/** SNS's limit for one message, attributes included, and for all messages of one PublishBatch together. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** The most a topic accepts when its `MaximumMessageSize` is raised: the highest `largePayloads.thresholdBytes`. */
const SNS_MAX_THRESHOLD_BYTES = 1024 * 1024;
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
  /**
   * The environment this producer runs in (`prod`, `staging`, `dev-alice`): 1 to 20 lower-case
   * letters, digits and `-`, starting with a letter. Sent as the `environment` attribute, which
   * subscriptions filter on and consumers check; the envelope's `source` stays the service.
   * @default the environment variable FANOUT_ENVIRONMENT; no attribute when it is unset
   */
  readonly environment?: string;
  /**
   * Claim check: messages over `thresholdBytes` go to S3 and the topic carries a pointer in the
   * format of AWS's extended client libraries. `false` turns it off.
   * @default on when FANOUT_PAYLOAD_BUCKET is set (that bucket, 256 KiB); otherwise off, and a message over 256 KiB is refused
   */
  readonly largePayloads?: LargePayloadOptions | false;
}

/** SNS's size limit, as the shared size guard reports it. */
const SNS_LIMIT: SizeLimit = { bytes: MAX_MESSAGE_BYTES, name: 'the SNS/SQS limit', counted: 'with its attributes' };

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

interface Prepared<T> {
  readonly envelope: Envelope<T>;
  readonly request: Omit<PublishBatchRequestEntry, 'Id'>;
  readonly bytes: number;
  readonly group?: string;
  readonly upload?: PendingUpload;
}

type Accepted = { readonly messageId: string; readonly sequenceNumber?: string };

/** Publishes envelopes to one SNS topic, with the attributes the subscriptions filter on. */
export class Publisher {
  readonly topicArn: string;
  readonly source: string;
  /** The `environment` attribute of every message, when there is one. */
  readonly environment: string | undefined;
  private readonly client: SNSClient;
  private readonly claimCheck: ClaimCheck;
  private readonly fifo: boolean;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;

  /** Checks every option (throws one line naming the option, its range and the value). */
  constructor(options: PublisherOptions) {
    optionsObject('Publisher', options);
    this.topicArn = nonEmptyString('Publisher', 'topicArn', options.topicArn);
    this.source = nonEmptyString('Publisher', 'source', options.source);
    ({ maxAttempts: this.maxAttempts, retryBaseDelayMs: this.retryBaseDelayMs } = retryOptions('Publisher', options));
    if (options.client !== undefined) checkSdkClient('Publisher', 'an SNSClient', options.client);
    this.client = options.client ?? new SNSClient(defaultClientConfig({ maxAttempts: 1 }));
    installAttemptBudget(this.client);
    this.fifo = this.topicArn.endsWith('.fifo');
    this.environment = resolveEnvironment('Publisher', options.environment, process.env);
    this.claimCheck = new ClaimCheck('Publisher', options.largePayloads, process.env, SNS_LIMIT, SNS_MAX_THRESHOLD_BYTES, this.environment);
  }

  /**
   * Publishes one envelope, in at most `maxAttempts` requests (the client's retries included);
   * throws the last error if none succeeded, at once for an error no retry can fix.
   */
  async publish<T>(type: string, data: T, options: PublishOptions = {}): Promise<PublishResult<T>> {
    const { envelope, request, upload } = this.prepare({ ...options, type, data }, 'publish');
    await this.claimCheck.upload([upload]);
    let used = 0;
    for (let round = 1; ; round++) {
      if (round > 1) await backoff(this.retryBaseDelayMs, round);
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
   * after the other, retrying entries that failed on SNS's side. Every entry is checked, and the
   * large bodies written to S3, before anything is sent (an invalid entry or a failed upload
   * throws and nothing is published); after that it never throws for a failed entry: each
   * entry's result says how it ended.
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
    await this.claimCheck.upload(prepared.map((entry) => entry.upload));
    const outcomes = await sendInBatches<Accepted>(prepared, {
      maxEntries: MAX_BATCH_ENTRIES,
      maxBytes: MAX_MESSAGE_BYTES,
      maxAttempts: this.maxAttempts,
      retryBaseDelayMs: this.retryBaseDelayMs,
      service: 'SNS',
      groupName: 'message group',
      sendOnce: (indexes, budget) => this.sendOnce(indexes, prepared, budget),
    });
    return outcomes.map((outcome, index): BatchEntryResult<T> => (outcome.ok
      ? { ok: true, envelope: prepared[index].envelope, ...outcome.value }
      : { ok: false, envelope: prepared[index].envelope, error: outcome.error }));
  }

  /** One PublishBatch call: each entry's outcome. */
  private async sendOnce<T>(indexes: readonly number[], prepared: readonly Prepared<T>[], budget: AttemptBudget): Promise<Map<number, CallOutcome<Accepted>>> {
    const outcomes = new Map<number, CallOutcome<Accepted>>();
    try {
      const response = await sendWithinBudget<PublishBatchCommandOutput>(this.client, new PublishBatchCommand({
        TopicArn: this.topicArn,
        PublishBatchRequestEntries: indexes.map((index) => ({ Id: String(index), ...prepared[index].request })),
      }), budget);
      const sent = new Map(indexes.map((index) => [String(index), index]));
      for (const success of response.Successful ?? []) {
        const index = sent.get(success.Id ?? '');
        if (index === undefined || outcomes.has(index)) continue;
        outcomes.set(index, { ok: true, value: { messageId: success.MessageId ?? '', ...(success.SequenceNumber ? { sequenceNumber: success.SequenceNumber } : {}) } });
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

  private prepare<T>(entry: BatchEntry<T>, what: string): Prepared<T> {
    const { envelope, body: message } = buildEnvelope(this.source, entry);
    if (this.fifo && !entry.messageGroupId) {
      throw new Error(`${what}: ${this.topicArn} is a FIFO topic, so messageGroupId is required (envelope ${envelope.id}, type ${envelope.type})`);
    }
    for (const name of ['messageGroupId', 'messageDeduplicationId'] as const) {
      const value: unknown = entry[name];
      if (value !== undefined && (typeof value !== 'string' || !FIFO_ID_PATTERN.test(value))) {
        throw new Error(`${what}: ${name} must be 1 to 128 letters, digits and ASCII punctuation, got ${describeValue(value)} (envelope ${envelope.id})`);
      }
    }
    const placed = placeWithAttributes(this.claimCheck, what, envelope, message, stringAttributes(envelope, this.environment));
    const deduplicationId = entry.messageDeduplicationId ?? (this.fifo ? deduplicationIdFor(envelope.id) : undefined);
    return {
      envelope,
      bytes: placed.bytes,
      ...(placed.upload ? { upload: placed.upload } : {}),
      ...(this.fifo ? { group: entry.messageGroupId } : {}),
      request: {
        Message: placed.body,
        MessageAttributes: placed.attributes,
        ...(entry.messageGroupId ? { MessageGroupId: entry.messageGroupId } : {}),
        ...(deduplicationId ? { MessageDeduplicationId: deduplicationId } : {}),
      },
    };
  }
}

/** Groups entry indexes, in order, into PublishBatch calls of at most 10 entries and 256 KiB together. */
export function chunkIndexes(sizes: readonly number[]): number[][] {
  return chunkBySize(sizes, MAX_BATCH_ENTRIES, MAX_MESSAGE_BYTES);
}
