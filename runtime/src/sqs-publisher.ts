/*
 * The SQS publisher: envelopes straight into a queue (a `WorkQueue`, point to point), with the same
 * envelope, attributes, size guard, attempt budget and FIFO order as the SNS Publisher.
 */
import { SendMessageBatchCommand, type SendMessageBatchCommandOutput, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { Envelope } from './envelope.js';
import { describeValue } from './describe-value.js';
import { type AttemptBudget, callFailure, entryFailure, installAttemptBudget, sendWithinBudget } from './publisher-attempts.js';
import { type CallOutcome, type EntryError, MISSING_FROM_RESPONSE, PublishFailedError, sendInBatches } from './publish-batches.js';
import { buildEnvelope, deduplicationIdFor, type EnvelopeFields, FIFO_ID_PATTERN, type SizeLimit, stringAttributes } from './publish-envelope.js';
import { checkSdkClient, nonEmptyString, optionsObject, retryOptions } from './publisher-options.js';
import { defaultClientConfig } from './client-config.js';
import { ClaimCheck, placeWithAttributes, type LargePayloadOptions, type PendingUpload } from './claim-check.js';
import { resolveEnvironment } from './environment.js';

/** SQS's limit for one message, attributes included, and for all messages of one SendMessageBatch together. */
export const SQS_MAX_MESSAGE_BYTES = 256 * 1024;
/** The most a queue accepts when its `MaximumMessageSize` is raised: the highest `largePayloads.thresholdBytes`. */
const SQS_MAX_THRESHOLD_BYTES = 1024 * 1024;
/** SQS's limit of entries in one SendMessageBatch. */
export const SQS_MAX_BATCH_ENTRIES = 10;

const SQS_LIMIT: SizeLimit = { bytes: SQS_MAX_MESSAGE_BYTES, name: 'the SQS limit', counted: 'with its attributes' };

/** SQS error codes no retry can fix (the JSON protocol's names; a batch entry also says `SenderFault`). */
const SQS_NON_RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'AccessDenied', 'AccessDeniedException', 'InvalidParameterValue',
  'InvalidMessageContents', 'UnsupportedOperation', 'KmsAccessDenied', 'KmsDisabled', 'KmsNotFound', 'KmsInvalidState', 'KmsInvalidKeyUsage',
]);

export interface SqsPublisherOptions {
  /** URL of the queue: a non-empty string. A name ending in `.fifo` makes it a FIFO queue: every message then needs a `messageGroupId`. */
  readonly queueUrl: string;
  /** The producing service (a non-empty string), written to every envelope's `source` and the `source` attribute. */
  readonly source: string;
  /**
   * The SQS client. Its own retries count against `maxAttempts`, as with the SNS Publisher.
   * @default an `SQSClient` for the current region with `cacheMiddleware: true` and `maxAttempts: 1`
   */
  readonly client?: SQSClient;
  /**
   * How many requests may carry one message, in all (first try, the client's retries and the
   * publisher's): an integer from 1 to 10. Errors no retry can fix (the queue does not exist,
   * access denied, invalid parameters, entries SQS fails with `SenderFault: true`) are not retried.
   * @default 3
   */
  readonly maxAttempts?: number;
  /** Wait before the publisher's first retry, in milliseconds: an integer from 0 to 60000; doubled each retry up to 60 s, with full jitter. @default 100 */
  readonly retryBaseDelayMs?: number;
  /**
   * The environment this producer runs in (`prod`, `dev-alice`): 1 to 20 lower-case letters,
   * digits and `-`, starting with a letter; sent as the `environment` attribute, which consumers check.
   * @default the environment variable FANOUT_ENVIRONMENT; no attribute when it is unset
   */
  readonly environment?: string;
  /**
   * Claim check: messages over `thresholdBytes` go to S3 and the queue carries a pointer in the
   * format of AWS's extended client libraries. `false` turns it off.
   * @default on when FANOUT_PAYLOAD_BUCKET is set (that bucket, 256 KiB); otherwise off, and a message over 256 KiB is refused
   */
  readonly largePayloads?: LargePayloadOptions | false;
}

/** Per-message options of `publish` and `publishBatch`. */
export interface SqsPublishOptions {
  /** The envelope id, the consumers' idempotency key. @default a random UUID */
  readonly id?: string;
  /** @default '1' */
  readonly version?: string;
  readonly correlationId?: string;
  /** FIFO queues: the ordering group (e.g. the entity id), 1 to 128 letters, digits and ASCII punctuation. Required there. */
  readonly messageGroupId?: string;
  /**
   * FIFO queues: SQS drops a second message with this id within 5 minutes. 1 to 128 letters,
   * digits and ASCII punctuation.
   * @default the envelope id, or its SHA-256 in hex when SQS would refuse it
   */
  readonly messageDeduplicationId?: string;
}

export interface SqsBatchEntry<T = unknown> extends SqsPublishOptions {
  readonly type: string;
  readonly data: T;
}

export interface SqsPublishResult<T = unknown> {
  readonly envelope: Envelope<T>;
  /** SQS's message id. */
  readonly messageId: string;
  /** FIFO queues: the sequence number SQS assigned. */
  readonly sequenceNumber?: string;
}

/**
 * One entry of `publishBatch`, in the order of the entries. A failed entry may still have been
 * sent (a response lost after SQS accepted it): send it again with the same `id`.
 */
export type SqsBatchEntryResult<T = unknown> =
  | ({ readonly ok: true } & SqsPublishResult<T>)
  | { readonly ok: false; readonly envelope: Envelope<T>; readonly error: EntryError };

interface Prepared<T> {
  readonly envelope: Envelope<T>;
  readonly request: Omit<SendMessageBatchRequestEntry, 'Id'>;
  readonly bytes: number;
  readonly group?: string;
  readonly upload?: PendingUpload;
}

type Accepted = { readonly messageId: string; readonly sequenceNumber?: string };

/** Sends envelopes to one SQS queue, with the `type`, `version` and `source` attributes. */
export class SqsPublisher {
  readonly queueUrl: string;
  readonly source: string;
  /** The `environment` attribute of every message, when there is one. */
  readonly environment: string | undefined;
  private readonly client: SQSClient;
  private readonly claimCheck: ClaimCheck;
  private readonly fifo: boolean;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;

  /** Checks every option (throws one line naming the option, what it must be and the value). */
  constructor(options: SqsPublisherOptions) {
    optionsObject('SqsPublisher', options);
    this.queueUrl = nonEmptyString('SqsPublisher', 'queueUrl', options.queueUrl);
    this.source = nonEmptyString('SqsPublisher', 'source', options.source);
    ({ maxAttempts: this.maxAttempts, retryBaseDelayMs: this.retryBaseDelayMs } = retryOptions('SqsPublisher', options));
    if (options.client !== undefined) checkSdkClient('SqsPublisher', 'an SQSClient', options.client);
    this.client = options.client ?? new SQSClient(defaultClientConfig({ maxAttempts: 1 }));
    installAttemptBudget(this.client);
    this.fifo = this.queueUrl.endsWith('.fifo');
    this.environment = resolveEnvironment('SqsPublisher', options.environment, process.env);
    this.claimCheck = new ClaimCheck('SqsPublisher', options.largePayloads, process.env, SQS_LIMIT, SQS_MAX_THRESHOLD_BYTES, this.environment);
  }

  /** Sends one envelope (a batch of one); throws `PublishFailedError` with its code when it failed. */
  async publish<T>(type: string, data: T, options: SqsPublishOptions = {}): Promise<SqsPublishResult<T>> {
    const [result] = await this.send([this.prepare({ ...options, type, data }, 'publish')]);
    if (!result.ok) throw new PublishFailedError(result.error, result.envelope.id);
    return result;
  }

  /**
   * Sends many envelopes in SendMessageBatch calls of at most 10 entries and 256 KiB, one call
   * after the other. Every entry is checked, and the large bodies written to S3, before anything
   * is sent (an invalid entry or a failed upload throws and nothing is sent); after that it never
   * throws: each entry's result says how it ended. Each entry is carried by at most `maxAttempts` requests, the client's retries included. On a FIFO
   * queue nothing is sent ahead of an earlier entry of its message group (as the SNS Publisher).
   */
  async publishBatch<T>(entries: readonly SqsBatchEntry<T>[]): Promise<SqsBatchEntryResult<T>[]> {
    return this.send(entries.map((entry, index) => this.prepare(entry, `publishBatch entry ${index}`)));
  }

  private async send<T>(prepared: readonly Prepared<T>[]): Promise<SqsBatchEntryResult<T>[]> {
    await this.claimCheck.upload(prepared.map((entry) => entry.upload));
    const outcomes = await sendInBatches<Accepted>(prepared, {
      maxEntries: SQS_MAX_BATCH_ENTRIES,
      maxBytes: SQS_MAX_MESSAGE_BYTES,
      maxAttempts: this.maxAttempts,
      retryBaseDelayMs: this.retryBaseDelayMs,
      service: 'SQS',
      groupName: 'message group',
      sendOnce: (indexes, budget) => this.sendOnce(indexes, prepared, budget),
    });
    return outcomes.map((outcome, index): SqsBatchEntryResult<T> => (outcome.ok
      ? { ok: true, envelope: prepared[index].envelope, ...outcome.value }
      : { ok: false, envelope: prepared[index].envelope, error: outcome.error }));
  }

  /** One SendMessageBatch call: each entry's outcome. */
  private async sendOnce<T>(indexes: readonly number[], prepared: readonly Prepared<T>[], budget: AttemptBudget): Promise<Map<number, CallOutcome<Accepted>>> {
    const outcomes = new Map<number, CallOutcome<Accepted>>();
    try {
      const response = await sendWithinBudget<SendMessageBatchCommandOutput>(this.client, new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: indexes.map((index) => ({ Id: String(index), ...prepared[index].request })),
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
        outcomes.set(index, { ok: false, ...entryFailure(failure.Code, failure.Message, failure.SenderFault, SQS_NON_RETRYABLE_CODES) });
      }
      for (const index of indexes) {
        if (!outcomes.has(index)) {
          outcomes.set(index, { ok: false, code: MISSING_FROM_RESPONSE, message: 'SQS\'s SendMessageBatch response listed the entry neither as successful nor as failed', senderFault: false, retryable: true });
        }
      }
    } catch (err) {
      // The whole call failed (after the client's retries within the budget): every entry in it shares the error.
      const failure = callFailure(err, SQS_NON_RETRYABLE_CODES);
      for (const index of indexes) outcomes.set(index, { ok: false, ...failure });
    }
    return outcomes;
  }

  private prepare<T>(entry: SqsBatchEntry<T> & EnvelopeFields<T>, what: string): Prepared<T> {
    const { envelope, body } = buildEnvelope(this.source, entry);
    if (this.fifo && !entry.messageGroupId) {
      throw new Error(`${what}: ${this.queueUrl} is a FIFO queue, so messageGroupId is required (envelope ${envelope.id}, type ${envelope.type})`);
    }
    for (const name of ['messageGroupId', 'messageDeduplicationId'] as const) {
      const value: unknown = entry[name];
      if (value !== undefined && (typeof value !== 'string' || !FIFO_ID_PATTERN.test(value))) {
        throw new Error(`${what}: ${name} must be 1 to 128 letters, digits and ASCII punctuation, got ${describeValue(value)} (envelope ${envelope.id})`);
      }
    }
    // SQS refuses U+FFFE and U+FFFF in a body; JSON.stringify leaves them as they are, a JSON escape carries them.
    const message = body.replace(/[\uFFFE\uFFFF]/g, (char) => `\\u${char.charCodeAt(0).toString(16)}`);
    const placed = placeWithAttributes(this.claimCheck, what, envelope, message, stringAttributes(envelope, this.environment));
    const deduplicationId = entry.messageDeduplicationId ?? (this.fifo ? deduplicationIdFor(envelope.id) : undefined);
    return {
      envelope,
      bytes: placed.bytes,
      ...(placed.upload ? { upload: placed.upload } : {}),
      ...(this.fifo ? { group: entry.messageGroupId } : {}),
      request: {
        MessageBody: placed.body,
        MessageAttributes: placed.attributes,
        ...(entry.messageGroupId ? { MessageGroupId: entry.messageGroupId } : {}),
        ...(deduplicationId ? { MessageDeduplicationId: deduplicationId } : {}),
      },
    };
  }
}
