/*
 * The Kinesis publisher: envelopes into a Kinesis data stream with PutRecords, the same envelope,
 * size guard, attempt budget and order hold-back as the other publishers. The partition key is
 * required and is the entity's id: every record of one entity lands on one shard, in order.
 */
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { Envelope } from './envelope.js';
import { describeValue } from './describe-value.js';
import { type AttemptBudget, callFailure, entryFailure, installAttemptBudget, sendWithinBudget } from './publisher-attempts.js';
import { type CallOutcome, type EntryError, PublishFailedError, sendInBatches } from './publish-batches.js';
import { buildEnvelope, type SizeLimit, utf8Bytes } from './publish-envelope.js';
import { ClaimCheck, type LargePayloadOptions, type PendingUpload } from './claim-check.js';
import { resolveEnvironment } from './environment.js';
import { checkSdkClient, nonEmptyString, optionsObject, retryOptions } from './publisher-options.js';
import { isWellFormed } from './unicode.js';
import { defaultClientConfig } from './client-config.js';

/** Kinesis's limit for one record: its data plus its partition key, in bytes. */
export const KINESIS_MAX_RECORD_BYTES = 1024 * 1024;
/** Kinesis's limit for one PutRecords request: the records' data and partition keys together. */
export const KINESIS_MAX_REQUEST_BYTES = 5 * 1024 * 1024;
/** Kinesis's limit of records in one PutRecords request. */
export const KINESIS_MAX_BATCH_RECORDS = 500;
/** The longest partition key Kinesis accepts, in characters. */
export const KINESIS_MAX_PARTITION_KEY_LENGTH = 256;

const KINESIS_LIMIT: SizeLimit = { bytes: KINESIS_MAX_RECORD_BYTES, name: 'the Kinesis limit for one record', counted: 'with its partition key' };

/** Kinesis error codes no retry can fix (a PutRecords entry fails with ProvisionedThroughputExceededException or InternalFailure: both retried). */
const KINESIS_NON_RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'ResourceNotFoundException', 'AccessDeniedException', 'InvalidArgumentException', 'ValidationException',
  'KMSDisabledException', 'KMSInvalidStateException', 'KMSAccessDeniedException', 'KMSNotFoundException', 'KMSOptInRequired',
]);

export interface KinesisPublisherOptions {
  /** Name of the stream. Give `streamName` or `streamArn` (or both). */
  readonly streamName?: string;
  /** ARN of the stream (what AWS recommends). Give `streamName` or `streamArn` (or both). */
  readonly streamArn?: string;
  /** The producing service (a non-empty string), written to every envelope's `source`. */
  readonly source: string;
  /**
   * The Kinesis client. Its own retries count against `maxAttempts`, as with the SNS Publisher.
   * @default a `KinesisClient` for the current region with `cacheMiddleware: true` and `maxAttempts: 1`
   */
  readonly client?: KinesisClient;
  /**
   * How many requests may carry one record, in all (first try, the client's retries and the
   * publisher's): an integer from 1 to 10. Only the records that failed are retried. Errors no
   * retry can fix (the stream does not exist, access denied, invalid arguments, KMS key
   * unusable) are not retried.
   * @default 3
   */
  readonly maxAttempts?: number;
  /** Wait before the publisher's first retry, in milliseconds: an integer from 0 to 60000; doubled each retry up to 60 s, with full jitter. @default 100 */
  readonly retryBaseDelayMs?: number;
  /**
   * The environment this producer runs in: 1 to 20 lower-case letters, digits and `-`, starting
   * with a letter. Kinesis records carry no attributes, so it is not sent with the record: it
   * scopes the keys of offloaded bodies (`<environment>/<type>/<uuid>`). Keep environments apart
   * by giving each its own stream.
   * @default the environment variable FANOUT_ENVIRONMENT
   */
  readonly environment?: string;
  /**
   * Claim check: records over `thresholdBytes` (data plus partition key) go to S3 and the stream
   * carries a pointer in the format of AWS's extended client libraries (without the
   * `ExtendedPayloadSize` attribute: Kinesis records have none). `false` turns it off.
   * @default on when FANOUT_PAYLOAD_BUCKET is set (that bucket, 256 KiB); otherwise off, and a record over 1 MiB is refused
   */
  readonly largePayloads?: LargePayloadOptions | false;
}

/** Per-record options of `publish` and `publishBatch`. */
export interface KinesisPublishOptions {
  /**
   * The id of the entity the event is about (the order id, the account id...): required, never
   * random. It picks the shard, so the records of one entity stay in order. 1 to 256 characters.
   */
  readonly partitionKey: string;
  /** The envelope id, the consumers' idempotency key. @default a random UUID */
  readonly id?: string;
  /** @default '1' */
  readonly version?: string;
  readonly correlationId?: string;
  /** Overrides the partition key's hash to choose the shard (a decimal 128-bit number). @default the partition key's MD5 */
  readonly explicitHashKey?: string;
}

export interface KinesisBatchEntry<T = unknown> extends KinesisPublishOptions {
  readonly type: string;
  readonly data: T;
}

export interface KinesisPublishResult<T = unknown> {
  readonly envelope: Envelope<T>;
  readonly shardId: string;
  readonly sequenceNumber: string;
}

/**
 * One entry of `publishBatch`, in the order of the entries. A failed entry may still have been
 * written (a response lost after Kinesis accepted it): publish it again with the same `id`.
 */
export type KinesisBatchEntryResult<T = unknown> =
  | ({ readonly ok: true } & KinesisPublishResult<T>)
  | { readonly ok: false; readonly envelope: Envelope<T>; readonly error: EntryError };

interface Prepared<T> {
  readonly envelope: Envelope<T>;
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly bytes: number;
  readonly group: string;
  readonly upload?: PendingUpload;
}

type Accepted = { readonly shardId: string; readonly sequenceNumber: string };

/** Writes envelopes (JSON, UTF-8) to one Kinesis data stream. */
export class KinesisPublisher {
  readonly streamName?: string;
  readonly streamArn?: string;
  readonly source: string;
  readonly environment: string | undefined;
  private readonly client: KinesisClient;
  private readonly claimCheck: ClaimCheck;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;

  /** Checks every option (throws one line naming the option, what it must be and the value). */
  constructor(options: KinesisPublisherOptions) {
    optionsObject('KinesisPublisher', options);
    if (options.streamName === undefined && options.streamArn === undefined) {
      throw new Error('KinesisPublisher: give streamName or streamArn (the stream to write to), got neither');
    }
    if (options.streamName !== undefined) this.streamName = nonEmptyString('KinesisPublisher', 'streamName', options.streamName);
    if (options.streamArn !== undefined) this.streamArn = nonEmptyString('KinesisPublisher', 'streamArn', options.streamArn);
    this.source = nonEmptyString('KinesisPublisher', 'source', options.source);
    ({ maxAttempts: this.maxAttempts, retryBaseDelayMs: this.retryBaseDelayMs } = retryOptions('KinesisPublisher', options));
    if (options.client !== undefined) checkSdkClient('KinesisPublisher', 'a KinesisClient', options.client);
    this.client = options.client ?? new KinesisClient(defaultClientConfig({ maxAttempts: 1 }));
    installAttemptBudget(this.client);
    this.environment = resolveEnvironment('KinesisPublisher', options.environment, process.env);
    this.claimCheck = new ClaimCheck('KinesisPublisher', options.largePayloads, process.env, KINESIS_LIMIT, KINESIS_MAX_RECORD_BYTES, this.environment);
  }

  /** Writes one record (a batch of one); throws `PublishFailedError` with its code when it failed. */
  async publish<T>(type: string, data: T, options: KinesisPublishOptions): Promise<KinesisPublishResult<T>> {
    const [result] = await this.send([this.prepare({ ...options, type, data }, 'publish')]);
    if (!result.ok) throw new PublishFailedError(result.error, result.envelope.id);
    return result;
  }

  /**
   * Writes many records in PutRecords calls of at most 500 records and 5 MiB, one call after the
   * other. Every entry is checked, and the large bodies written to S3, before anything is sent
   * (an invalid entry or a failed upload throws and nothing is written); after that it never
   * throws: each entry's result says how it ended.
   *
   * Only the records Kinesis failed are retried, each carried by at most `maxAttempts` requests
   * (the client's retries included). Per partition key nothing is written ahead of an earlier
   * record: later records of the key are retried with a failed one, in order; once a record fails
   * for good the later records of its key are not sent (`EarlierEntryFailed`); and a failed record
   * is not retried when Kinesis wrote a later record of its key in the same call (a retry would
   * land after it).
   */
  async publishBatch<T>(entries: readonly KinesisBatchEntry<T>[]): Promise<KinesisBatchEntryResult<T>[]> {
    return this.send(entries.map((entry, index) => this.prepare(entry, `publishBatch entry ${index}`)));
  }

  private async send<T>(prepared: readonly Prepared<T>[]): Promise<KinesisBatchEntryResult<T>[]> {
    await this.claimCheck.upload(prepared.map((entry) => entry.upload));
    const outcomes = await sendInBatches<Accepted>(prepared, {
      maxEntries: KINESIS_MAX_BATCH_RECORDS,
      maxBytes: KINESIS_MAX_REQUEST_BYTES,
      maxAttempts: this.maxAttempts,
      retryBaseDelayMs: this.retryBaseDelayMs,
      service: 'Kinesis',
      groupName: 'partition key',
      sendOnce: (indexes, budget) => this.sendOnce(indexes, prepared, budget),
    });
    return outcomes.map((outcome, index): KinesisBatchEntryResult<T> => (outcome.ok
      ? { ok: true, envelope: prepared[index].envelope, ...outcome.value }
      : { ok: false, envelope: prepared[index].envelope, error: outcome.error }));
  }

  /** One PutRecords call: each record's outcome (the response's records answer the request's, in order). */
  private async sendOnce<T>(indexes: readonly number[], prepared: readonly Prepared<T>[], budget: AttemptBudget): Promise<Map<number, CallOutcome<Accepted>>> {
    const outcomes = new Map<number, CallOutcome<Accepted>>();
    try {
      const response = await sendWithinBudget<PutRecordsCommandOutput>(this.client, new PutRecordsCommand({
        ...(this.streamName !== undefined ? { StreamName: this.streamName } : {}),
        ...(this.streamArn !== undefined ? { StreamARN: this.streamArn } : {}),
        Records: indexes.map((index) => ({
          Data: prepared[index].data,
          PartitionKey: prepared[index].partitionKey,
          ...(prepared[index].explicitHashKey !== undefined ? { ExplicitHashKey: prepared[index].explicitHashKey } : {}),
        })),
      }), budget);
      const records = response.Records ?? [];
      indexes.forEach((index, position) => {
        const record = records[position];
        if (record === undefined) return; // missing from the response: the batch sender retries it
        if (record.ErrorCode !== undefined || record.SequenceNumber === undefined) {
          outcomes.set(index, { ok: false, ...entryFailure(record.ErrorCode ?? 'Unknown', record.ErrorMessage, undefined, KINESIS_NON_RETRYABLE_CODES) });
        } else {
          outcomes.set(index, { ok: true, value: { shardId: record.ShardId ?? '', sequenceNumber: record.SequenceNumber } });
        }
      });
    } catch (err) {
      // The whole call failed (after the client's retries within the budget): every record in it shares the error.
      const failure = callFailure(err, KINESIS_NON_RETRYABLE_CODES);
      for (const index of indexes) outcomes.set(index, { ok: false, ...failure });
    }
    return outcomes;
  }

  private prepare<T>(entry: KinesisBatchEntry<T>, what: string): Prepared<T> {
    const { envelope, body } = buildEnvelope(this.source, entry);
    const partitionKey: unknown = (entry as Partial<KinesisBatchEntry<T>>).partitionKey;
    if (typeof partitionKey !== 'string' || partitionKey.length === 0 || partitionKey.length > KINESIS_MAX_PARTITION_KEY_LENGTH || !isWellFormed(partitionKey)) {
      throw new Error(`${what}: partitionKey must be the id of the entity the event is about (1 to ${KINESIS_MAX_PARTITION_KEY_LENGTH} characters; never random, so that its records stay in order), got ${describeValue(partitionKey)} (envelope ${envelope.id}, type ${envelope.type})`);
    }
    const explicitHashKey: unknown = entry.explicitHashKey;
    if (explicitHashKey !== undefined && (typeof explicitHashKey !== 'string' || !/^(0|[1-9][0-9]{0,38})$/.test(explicitHashKey) || BigInt(explicitHashKey) >= 2n ** 128n)) {
      throw new Error(`${what}: explicitHashKey must be a decimal number from 0 to 2^128-1, got ${describeValue(explicitHashKey)} (envelope ${envelope.id})`);
    }
    const offload = this.claimCheck.place(what, envelope, body, utf8Bytes(body) + utf8Bytes(partitionKey));
    const data = offload?.body ?? body;
    return {
      envelope,
      data: Buffer.from(data, 'utf8'),
      partitionKey,
      ...(explicitHashKey !== undefined ? { explicitHashKey } : {}),
      bytes: utf8Bytes(data) + utf8Bytes(partitionKey),
      group: partitionKey,
      ...(offload ? { upload: offload.upload } : {}),
    };
  }
}
