/*
 * The Kafka publisher, on kafkajs: envelopes into a topic with the entity id as key (one key, one
 * partition, in order) and `type`/`version`/`source` headers, from an idempotent producer the
 * publisher creates itself (so its settings cannot be left out). The same envelope, size guard,
 * option checks and per-key hold-back as the other publishers.
 *
 * Attempts: kafkajs retries a produce request that failed retryably, up to `maxAttempts` requests
 * in all; with the idempotent producer those retries carry the producer id and sequence numbers
 * of the first try, so the broker drops a batch it already has. The publisher never sends a
 * message again after kafkajs gave up: a new send would carry new sequence numbers, and the broker
 * would keep a second copy.
 *
 * Only kafkajs's interface is used (types only: this module does not load kafkajs); you pass your
 * `Kafka` instance.
 */
import type { ICustomPartitioner, Producer, ProducerConfig } from 'kafkajs';
import type { Envelope } from './envelope.js';
import { describeValue } from './describe-value.js';
import { integerInRange } from './option-range.js';
import { type CallOutcome, type EntryError, MAX_RETRY_DELAY_MS, PublishFailedError, sendInBatches } from './publish-batches.js';
import { buildEnvelope, envelopeAttributes, type SizeLimit } from './publish-envelope.js';
import { ClaimCheck, placeWithHeaders, type LargePayloadOptions, type PendingUpload } from './claim-check.js';
import { resolveEnvironment } from './environment.js';
import type { PublishFailure } from './publisher-attempts.js';
import { nonEmptyString, optionsObject, retryOptions } from './publisher-options.js';
import { isWellFormed } from './unicode.js';

/**
 * The default and the bounds of `maxMessageBytes`. The default leaves room under the broker's
 * default `message.max.bytes` (1048588) for the record batch's own bytes.
 */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_000_000;
/** Messages in one `send` at most. */
export const KAFKA_MAX_BATCH_MESSAGES = 500;

/** Bounds of the numeric options: [minimum, maximum], both included. */
export const KAFKA_PUBLISHER_OPTION_RANGES = {
  /** kafkajs refuses an idempotent producer without retries: at least 2 attempts. */
  maxAttempts: [2, 10],
  retryBaseDelayMs: [0, 60_000],
  maxMessageBytes: [1_024, 100 * 1024 * 1024],
} as const;

/** What the publisher needs of kafkajs's `Kafka`: a producer with the given settings. */
export interface KafkaProducerFactory {
  producer(config: ProducerConfig): Pick<Producer, 'connect' | 'disconnect' | 'send'>;
}

export interface KafkaPublisherOptions {
  /** Your kafkajs `Kafka` instance (brokers, TLS, SASL are yours). The publisher creates one producer from it, with the settings below. */
  readonly kafka: KafkaProducerFactory;
  /** The topic every envelope is written to: 1 to 249 letters, digits, `.`, `_` and `-`. */
  readonly topic: string;
  /** The producing service (a non-empty string), written to every envelope's `source` and the `source` header. */
  readonly source: string;
  /**
   * Produce requests that may carry one message, in all: kafkajs's first try and its retries
   * (`retry.retries` is `maxAttempts - 1`). An integer from 2 to 10 (kafkajs refuses an
   * idempotent producer without retries).
   * @default 3
   */
  readonly maxAttempts?: number;
  /** kafkajs's `retry.initialRetryTime`, in milliseconds: an integer from 0 to 60000 (kafkajs backs off from it, with jitter, up to 60 s). @default 100 */
  readonly retryBaseDelayMs?: number;
  /**
   * The largest message, in bytes: value, key, header names and values. Also the most bytes one
   * `send` carries. An integer from 1024 to 104857600; keep it under your topic's
   * `max.message.bytes` (the broker's default is 1048588) less the record batch's own bytes.
   * @default 1000000
   */
  readonly maxMessageBytes?: number;
  /**
   * kafkajs's partitioner. The key picks the partition.
   * @default kafkajs's DefaultPartitioner (murmur2, as the Java client); kafkajs logs a notice about it unless you pass it here
   */
  readonly createPartitioner?: ICustomPartitioner;
  /**
   * The environment this producer runs in (`prod`, `dev-alice`): 1 to 20 lower-case letters,
   * digits and `-`, starting with a letter; sent as the `environment` header, which consumers check.
   * @default the environment variable FANOUT_ENVIRONMENT; no header when it is unset
   */
  readonly environment?: string;
  /**
   * Claim check: messages over `thresholdBytes` (value, key and headers) go to S3 and the topic
   * carries a pointer in the format of AWS's extended client libraries, with an
   * `ExtendedPayloadSize` header. `thresholdBytes` may go up to `maxMessageBytes`. `false` turns it off.
   * @default on when FANOUT_PAYLOAD_BUCKET is set (that bucket, 256 KiB); otherwise off, and a message over `maxMessageBytes` is refused
   */
  readonly largePayloads?: LargePayloadOptions | false;
}

/** Per-message options of `publish` and `publishBatch`. */
export interface KafkaPublishOptions {
  /**
   * The id of the entity the event is about (the order id, the account id...): required, never
   * random. It picks the partition, so the messages of one entity stay in order.
   */
  readonly key: string;
  /** The envelope id, the consumers' idempotency key. @default a random UUID */
  readonly id?: string;
  /** @default '1' */
  readonly version?: string;
  readonly correlationId?: string;
}

export interface KafkaBatchEntry<T = unknown> extends KafkaPublishOptions {
  readonly type: string;
  readonly data: T;
}

export interface KafkaPublishResult<T = unknown> {
  readonly envelope: Envelope<T>;
  readonly topic: string;
}

/**
 * One entry of `publishBatch`, in the order of the entries. A failed entry may still have been
 * written (a send kafkajs gave up on may have reached some partitions): publish it again with the
 * same `id` (consumers deduplicate by envelope id).
 */
export type KafkaBatchEntryResult<T = unknown> =
  | ({ readonly ok: true } & KafkaPublishResult<T>)
  | { readonly ok: false; readonly envelope: Envelope<T>; readonly error: EntryError };

interface Prepared<T> {
  readonly envelope: Envelope<T>;
  readonly message: { readonly key: string; readonly value: string; readonly headers: Record<string, string> };
  readonly bytes: number;
  readonly group: string;
  readonly upload?: PendingUpload;
}

const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/** Publishes envelopes to one Kafka topic through an idempotent kafkajs producer (`acks: -1`). */
export class KafkaPublisher {
  readonly topic: string;
  readonly source: string;
  /** The settings the producer was created with. */
  readonly producerConfig: ProducerConfig;
  private readonly producer: Pick<Producer, 'connect' | 'disconnect' | 'send'>;
  private readonly limit: SizeLimit;
  /** The `environment` header of every message, when there is one. */
  readonly environment: string | undefined;
  private readonly claimCheck: ClaimCheck;
  private connecting?: Promise<void>;

  /** Checks every option (throws one line naming the option, what it must be and the value) and creates the producer (it connects on the first publish). */
  constructor(options: KafkaPublisherOptions) {
    optionsObject('KafkaPublisher', options);
    const kafka: unknown = options.kafka;
    if (typeof kafka !== 'object' || kafka === null || typeof (kafka as { producer?: unknown }).producer !== 'function') {
      throw new Error(`KafkaPublisher: kafka must be a kafkajs Kafka instance (with a producer() method), got ${describeValue(kafka)}`);
    }
    this.topic = nonEmptyString('KafkaPublisher', 'topic', options.topic);
    if (!TOPIC_PATTERN.test(this.topic)) {
      throw new Error(`KafkaPublisher: topic must be 1 to 249 letters, digits, '.', '_' and '-', got ${describeValue(this.topic)}`);
    }
    this.source = nonEmptyString('KafkaPublisher', 'source', options.source);
    const { maxAttempts, retryBaseDelayMs } = retryOptions('KafkaPublisher', options, KAFKA_PUBLISHER_OPTION_RANGES.maxAttempts);
    const maxMessageBytes = integerInRange('KafkaPublisher', 'maxMessageBytes', options.maxMessageBytes, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, ...KAFKA_PUBLISHER_OPTION_RANGES.maxMessageBytes);
    if (options.createPartitioner !== undefined && typeof options.createPartitioner !== 'function') {
      throw new Error(`KafkaPublisher: createPartitioner must be a kafkajs partitioner factory (e.g. Partitioners.DefaultPartitioner), got ${describeValue(options.createPartitioner)}`);
    }
    this.limit = { bytes: maxMessageBytes, name: 'maxMessageBytes', counted: 'with its key and headers' };
    this.environment = resolveEnvironment('KafkaPublisher', options.environment, process.env);
    this.claimCheck = new ClaimCheck('KafkaPublisher', options.largePayloads, process.env, this.limit, maxMessageBytes, this.environment);
    this.producerConfig = {
      // The broker drops a retried batch it already wrote (producer id + sequence numbers), and keeps order per partition.
      idempotent: true,
      // One request in flight per broker connection: a retry can never overtake a later batch (KIP-98's setting for idempotence).
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: maxAttempts - 1, initialRetryTime: retryBaseDelayMs, maxRetryTime: MAX_RETRY_DELAY_MS },
      ...(options.createPartitioner ? { createPartitioner: options.createPartitioner } : {}),
    };
    this.producer = (kafka as KafkaProducerFactory).producer(this.producerConfig);
  }

  /** Writes one message; throws `PublishFailedError` with kafkajs's error type when it failed. */
  async publish<T>(type: string, data: T, options: KafkaPublishOptions): Promise<KafkaPublishResult<T>> {
    const [result] = await this.send([this.prepare({ ...options, type, data }, 'publish')]);
    if (!result.ok) throw new PublishFailedError(result.error, result.envelope.id);
    return result;
  }

  /**
   * Writes many messages in sends of at most 500 messages and `maxMessageBytes`, one after the
   * other, with `acks: -1` (every in-sync replica). Every entry is checked, and the large bodies
   * written to S3, before anything is sent (an invalid entry or a failed upload throws and nothing
   * is sent); after that it never throws: each entry's result
   * says how it ended. A send kafkajs gave up on fails all of its messages, and the later messages
   * of their keys are not sent (`EarlierEntryFailed`): nothing lands ahead of an earlier message
   * of its key.
   */
  async publishBatch<T>(entries: readonly KafkaBatchEntry<T>[]): Promise<KafkaBatchEntryResult<T>[]> {
    return this.send(entries.map((entry, index) => this.prepare(entry, `publishBatch entry ${index}`)));
  }

  /** Disconnects the producer (call it when the service stops). */
  async disconnect(): Promise<void> {
    if (!this.connecting) return;
    this.connecting = undefined;
    await this.producer.disconnect();
  }

  private async send<T>(prepared: readonly Prepared<T>[]): Promise<KafkaBatchEntryResult<T>[]> {
    await this.claimCheck.upload(prepared.map((entry) => entry.upload));
    const outcomes = await sendInBatches<null>(prepared, {
      maxEntries: KAFKA_MAX_BATCH_MESSAGES,
      maxBytes: this.limit.bytes,
      // One send per message: kafkajs makes the retries (maxAttempts requests at most), within the producer's idempotence.
      maxAttempts: 1,
      retryBaseDelayMs: 0,
      service: 'Kafka',
      groupName: 'key',
      sendOnce: async (indexes, budget) => {
        budget.used = 1;
        const outcomes = new Map<number, CallOutcome<null>>();
        try {
          await this.connect();
          await this.producer.send({ topic: this.topic, acks: -1, messages: indexes.map((index) => ({ ...prepared[index].message, headers: { ...prepared[index].message.headers } })) });
          for (const index of indexes) outcomes.set(index, { ok: true, value: null });
        } catch (err) {
          const failure = kafkaFailure(err);
          for (const index of indexes) outcomes.set(index, { ok: false, ...failure });
        }
        return outcomes;
      },
    });
    return outcomes.map((outcome, index): KafkaBatchEntryResult<T> => (outcome.ok
      ? { ok: true, envelope: prepared[index].envelope, topic: this.topic }
      : { ok: false, envelope: prepared[index].envelope, error: outcome.error }));
  }

  /** Connects once; a failed connect is tried again by the next send. */
  private async connect(): Promise<void> {
    this.connecting ??= this.producer.connect();
    try {
      await this.connecting;
    } catch (err) {
      this.connecting = undefined;
      throw err;
    }
  }

  private prepare<T>(entry: KafkaBatchEntry<T>, what: string): Prepared<T> {
    const { envelope, body } = buildEnvelope(this.source, entry);
    const key: unknown = (entry as Partial<KafkaBatchEntry<T>>).key;
    if (typeof key !== 'string' || key.length === 0 || !isWellFormed(key)) {
      throw new Error(`${what}: key must be the id of the entity the event is about (a non-empty string; never random, so that its messages stay in order on one partition), got ${describeValue(key)} (envelope ${envelope.id}, type ${envelope.type})`);
    }
    const placed = placeWithHeaders(this.claimCheck, what, envelope, body, Object.fromEntries(envelopeAttributes(envelope, this.environment)), Buffer.byteLength(key, 'utf8'));
    return { envelope, message: { key, value: placed.body, headers: placed.attributes }, bytes: placed.bytes, group: key, ...(placed.upload ? { upload: placed.upload } : {}) };
  }
}

/** How a send kafkajs gave up on failed: the error kafkajs retried (its `type`, e.g. `TOPIC_AUTHORIZATION_FAILED`, or its name), never retried again by the publisher. */
function kafkaFailure(err: unknown): PublishFailure {
  const outer = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; message?: unknown; type?: unknown; retriable?: unknown; cause?: unknown };
  // kafkajs wraps the last error once its retries are spent.
  const inner = outer.name === 'KafkaJSNumberOfRetriesExceeded' && typeof outer.cause === 'object' && outer.cause !== null
    ? outer.cause as typeof outer : outer;
  const code = typeof inner.type === 'string' ? inner.type : typeof inner.name === 'string' ? inner.name : 'Error';
  const message = typeof outer.message === 'string' ? outer.message : String(err);
  return { code, message, senderFault: inner.retriable === false, retryable: false };
}
