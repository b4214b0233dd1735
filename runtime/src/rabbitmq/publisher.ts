import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { describeValue } from '../describe-value.js';
import type { Envelope } from '../envelope.js';
import { integerInRange } from '../option-range.js';
import { backoff } from '../publish-batches.js';
import { buildEnvelope, envelopeAttributes, type SizeLimit } from '../publish-envelope.js';
import { ClaimCheck, placeWithHeaders, type LargePayloadOptions, type PendingUpload } from '../claim-check.js';
import { resolveEnvironment } from '../environment.js';
import { isWellFormed } from '../unicode.js';
import { brokerText } from './topology.js';
import { TimeoutError, withTimeout } from './timeout.js';

/** The same 256 KiB every cdk-fanout publisher keeps, so a message can move between brokers and queues. */
const RABBITMQ_LIMIT: SizeLimit = { bytes: 256 * 1024, name: 'the limit cdk-fanout keeps on every queue', counted: 'with its headers' };
/** The highest `largePayloads.thresholdBytes`: RabbitMQ 4's default `max_message_size` (3.x allowed 128 MiB). */
const RABBITMQ_MAX_THRESHOLD_BYTES = 16 * 1024 * 1024;

export interface RabbitMqPublisherOptions {
  /** The connection (`await amqplib.connect(url)`); the publisher opens its confirm channel on it, and a new one when the broker closes it. */
  readonly connection: Pick<ChannelModel, 'createConfirmChannel'>;
  /** The exchange every envelope is published to, with its `type` as routing key: 1 to 255 bytes. */
  readonly exchange: string;
  /** The producing service (a non-empty string), written to every envelope's `source` and the `source` header. */
  readonly source: string;
  /**
   * How many times one message may be published, in all: an integer from 1 to 10. Each attempt
   * is one `basic.publish`, so the broker never receives more than `maxAttempts` copies of it,
   * whatever happens to channels and confirms. Refusals no retry can fix (the exchange does not
   * exist, access refused) are not retried.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * Wait before the first retry, in milliseconds: an integer from 0 to 60000; doubled each
   * retry up to 60 s, with full jitter.
   * @default 100
   */
  readonly retryBaseDelayMs?: number;
  /**
   * How long to wait for the broker, in milliseconds: for a channel to open and for the confirm
   * of each publish. An integer from 1 to 300000. A confirm that does not come in time counts as
   * a failed attempt (the copy may still have arrived: consumers deduplicate by envelope id).
   * @default 10000
   */
  readonly timeoutMs?: number;
  /**
   * The environment this producer runs in (`prod`, `dev-alice`): 1 to 20 lower-case letters,
   * digits and `-`, starting with a letter; sent as the `environment` header, which consumers check.
   * @default the environment variable FANOUT_ENVIRONMENT; no header when it is unset
   */
  readonly environment?: string;
  /**
   * Claim check: messages over `thresholdBytes` (body and headers) go to S3 and the exchange gets a
   * pointer in the format of AWS's extended client libraries, with an `ExtendedPayloadSize`
   * header. `thresholdBytes` may go up to 16 MiB. `false` turns it off.
   * @default on when FANOUT_PAYLOAD_BUCKET is set (that bucket, 256 KiB); otherwise off, and a message over 256 KiB is refused
   */
  readonly largePayloads?: LargePayloadOptions | false;
}

/** Per-message options of `publish` and `publishBatch`. */
export interface RabbitMqPublishOptions {
  /** @default a random UUID */
  readonly id?: string;
  /** @default '1' */
  readonly version?: string;
  readonly correlationId?: string;
  /**
   * The routing key.
   * @default the envelope's type, e.g. `order.created`
   */
  readonly routingKey?: string;
}

export interface RabbitMqBatchEntry<T = unknown> extends RabbitMqPublishOptions {
  readonly type: string;
  readonly data: T;
}

export interface RabbitMqPublishResult<T = unknown> {
  readonly envelope: Envelope<T>;
  /** How many times the message was published: 1 unless a retry was needed. */
  readonly attempts: number;
}

/** One entry of `publishBatch`, in the order of the entries. A failed entry may still have reached the broker (a lost confirm): publish it again with the same `id`. */
export type RabbitMqBatchEntryResult<T = unknown> =
  | ({ readonly ok: true } & RabbitMqPublishResult<T>)
  | { readonly ok: false; readonly envelope: Envelope<T>; readonly attempts: number; readonly error: Error };

/** `maxAttempts`, `retryBaseDelayMs` and `timeoutMs` bounds: [minimum, maximum]. */
export const RABBITMQ_PUBLISHER_OPTION_RANGES = {
  maxAttempts: [1, 10],
  retryBaseDelayMs: [0, 60_000],
  timeoutMs: [1, 300_000],
} as const;

/** AMQP channel-close codes no retry can fix: not found (404), access refused (403), not allowed (530). */
const NOT_RETRYABLE_CODES = new Set([403, 404, 530]);
const OWNER = 'RabbitMqPublisher';
/** `basic.publish` routing keys and short-string properties (message id, correlation id) hold at most 255 bytes. */
const MAX_SHORT_STRING_BYTES = 255;

interface OpenChannel {
  readonly channel: ConfirmChannel;
  /** Why the broker closed it (its `error` event), once it did. */
  closedBy?: Error & { code?: number };
  closed: boolean;
}

interface Prepared<T> {
  readonly envelope: Envelope<T>;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly properties: Options.Publish;
  readonly upload?: PendingUpload;
}

/**
 * Publishes envelopes to a RabbitMQ exchange with publisher confirms: the same envelope and
 * 256 KiB limit as the SNS `Publisher`, the event type as routing key, `persistent`,
 * `contentType: application/json`, `messageId` = envelope id and the headers `type`, `version`,
 * `source`. A publish resolves once the broker confirmed it (it is then in every bound queue,
 * on disk for durable queues); it is retried on a nack, a confirm that does not come within
 * `timeoutMs`, or a channel the broker closed, in at most `maxAttempts` publishes in all.
 */
export class RabbitMqPublisher {
  readonly exchange: string;
  readonly source: string;
  /** The `environment` header of every message, when there is one. */
  readonly environment: string | undefined;
  private readonly claimCheck: ClaimCheck;
  private readonly connection: Pick<ChannelModel, 'createConfirmChannel'>;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly timeoutMs: number;
  private current: Promise<OpenChannel> | undefined;
  private closing = false;
  private readonly counters = { publishes: 0, retries: 0, channelsOpened: 0 };

  /** Checks every option (throws one line naming the option, its range and the value). */
  constructor(options: RabbitMqPublisherOptions) {
    if (typeof options !== 'object' || options === null) throw new Error(`${OWNER}: options must be an object, got ${describeValue(options)}`);
    if (typeof options.connection?.createConfirmChannel !== 'function') {
      throw new Error(`${OWNER}: connection must be an amqplib connection (await amqplib.connect(url)), got ${describeValue(options.connection)}`);
    }
    this.connection = options.connection;
    this.exchange = nonEmptyString('exchange', options.exchange);
    if (Buffer.byteLength(this.exchange) > MAX_SHORT_STRING_BYTES) throw new Error(`${OWNER}: exchange must be at most ${MAX_SHORT_STRING_BYTES} bytes, got ${describeValue(this.exchange)}`);
    this.source = nonEmptyString('source', options.source);
    this.maxAttempts = integerInRange(OWNER, 'maxAttempts', options.maxAttempts, 3, ...RABBITMQ_PUBLISHER_OPTION_RANGES.maxAttempts);
    this.retryBaseDelayMs = integerInRange(OWNER, 'retryBaseDelayMs', options.retryBaseDelayMs, 100, ...RABBITMQ_PUBLISHER_OPTION_RANGES.retryBaseDelayMs);
    this.timeoutMs = integerInRange(OWNER, 'timeoutMs', options.timeoutMs, 10_000, ...RABBITMQ_PUBLISHER_OPTION_RANGES.timeoutMs);
    this.environment = resolveEnvironment(OWNER, options.environment, process.env);
    this.claimCheck = new ClaimCheck(OWNER, options.largePayloads, process.env, RABBITMQ_LIMIT, RABBITMQ_MAX_THRESHOLD_BYTES, this.environment);
  }

  /** Publishes, retries and channels opened so far (a channel is opened again after the broker closes one). */
  stats(): { readonly publishes: number; readonly retries: number; readonly channelsOpened: number } {
    return { ...this.counters };
  }

  /**
   * Publishes one envelope and waits for the broker's confirm; throws the last error when no
   * attempt was confirmed (at once for a refusal no retry can fix). An envelope over the
   * threshold with its headers goes to S3 first (with `largePayloads`), or is refused before
   * anything is sent (without).
   */
  async publish<T>(type: string, data: T, options: RabbitMqPublishOptions = {}): Promise<RabbitMqPublishResult<T>> {
    const prepared = this.prepare({ ...options, type, data }, 'publish');
    await this.claimCheck.upload([prepared.upload]);
    return this.send(prepared);
  }

  /**
   * Publishes every entry, concurrently on one channel; one result per entry, in order. Every
   * entry is checked, and the large bodies written to S3, before anything is sent (an invalid entry
   * or a failed upload throws); once sending started it never throws.
   */
  async publishBatch<T>(entries: readonly RabbitMqBatchEntry<T>[]): Promise<RabbitMqBatchEntryResult<T>[]> {
    if (!Array.isArray(entries)) throw new Error(`publishBatch: entries must be an array, got ${describeValue(entries)}`);
    const prepared = entries.map((entry, index) => this.prepare<T>(entry, `publishBatch entry ${index}`));
    await this.claimCheck.upload(prepared.map((message) => message.upload));
    return Promise.all(prepared.map(async (message): Promise<RabbitMqBatchEntryResult<T>> => {
      try {
        return { ok: true, ...(await this.send(message)) };
      } catch (error) {
        const failure = error as Error & { attempts?: number };
        return { ok: false, envelope: message.envelope, attempts: failure.attempts ?? 0, error: failure };
      }
    }));
  }

  /** Closes the publisher's channel (not the connection). */
  async close(): Promise<void> {
    this.closing = true;
    const open = await this.current?.catch(() => undefined);
    this.current = undefined;
    if (open && !open.closed) await withTimeout(open.channel.close(), this.timeoutMs, `${OWNER}: closing its channel`).catch(() => undefined);
  }

  private async send<T>(prepared: Prepared<T>): Promise<RabbitMqPublishResult<T>> {
    let lastError: Error = new Error('not sent');
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) {
        this.counters.retries++;
        await this.backoff(attempt);
      }
      try {
        await this.publishOnce(prepared);
        return { envelope: prepared.envelope, attempts: attempt };
      } catch (error) {
        lastError = error as Error;
        if ((error as { retryable?: boolean }).retryable === false) {
          throw Object.assign(new Error(`${OWNER}: envelope ${prepared.envelope.id} (type ${prepared.envelope.type}) not published: ${lastError.message}`, { cause: error }), { attempts: attempt });
        }
      }
    }
    throw Object.assign(new Error(`${OWNER}: envelope ${prepared.envelope.id} (type ${prepared.envelope.type}) not confirmed after ${this.maxAttempts} attempts: ${lastError.message}`, { cause: lastError }), { attempts: this.maxAttempts });
  }

  /** One `basic.publish` and the wait for its confirm. Rejects with `retryable` set. */
  private async publishOnce<T>(prepared: Prepared<T>): Promise<void> {
    if (this.closing) throw Object.assign(new Error('the publisher is closed'), { retryable: false });
    let open: OpenChannel;
    try {
      open = await this.channel();
    } catch (error) {
      throw Object.assign(new Error(`could not open a channel: ${brokerText(error)}`, { cause: error }), { retryable: true });
    }
    const confirmed = new Promise<void>((resolve, reject) => {
      this.counters.publishes++;
      try {
        open.channel.publish(this.exchange, prepared.routingKey, prepared.content, prepared.properties, (err) => {
          if (!err) return resolve();
          // A nack, or the channel closed before the confirm: the broker's reason, when it gave one, decides.
          const code = open.closedBy?.code;
          const reason = open.closedBy ? brokerText(open.closedBy) : err instanceof Error ? err.message : 'the broker nacked the message';
          reject(Object.assign(new Error(reason), { retryable: !(code !== undefined && NOT_RETRYABLE_CODES.has(code)) }));
        });
      } catch (error) {
        // Thrown before anything was written (a channel already closed): no copy went out.
        reject(Object.assign(new Error(brokerText(error), { cause: error }), { retryable: !(error instanceof RangeError) }));
      }
    });
    try {
      await withTimeout(confirmed, this.timeoutMs, 'the broker\'s confirm');
    } catch (error) {
      if (error instanceof TimeoutError) throw Object.assign(error, { retryable: true });
      throw error;
    }
  }

  /** The open confirm channel, opening one when there is none or the broker closed it. */
  private channel(): Promise<OpenChannel> {
    if (!this.current) {
      const opening = this.connection.createConfirmChannel().then((channel) => {
        this.counters.channelsOpened++;
        const open: OpenChannel = { channel, closed: false };
        channel.on('error', (error: Error) => {
          open.closedBy ??= error;
        });
        channel.on('close', () => {
          open.closed = true;
          if (this.current === attempt) this.current = undefined;
        });
        return open;
      });
      const attempt = withTimeout(opening, this.timeoutMs, 'opening a confirm channel');
      // A channel that opens after its wait ran out is closed, not leaked.
      attempt.catch(() => {
        if (this.current === attempt) this.current = undefined;
        void opening.then((open) => open.channel.close()).catch(() => undefined);
      });
      this.current = attempt;
    }
    return this.current;
  }

  /** Full jitter over the base delay doubled each retry (`attempt` 2 is the first retry), at most 60 s. */
  private backoff(attempt: number): Promise<void> {
    return backoff(this.retryBaseDelayMs, attempt);
  }

  private prepare<T>(entry: RabbitMqBatchEntry<T>, what: string): Prepared<T> {
    const { envelope, body } = buildEnvelope(this.source, entry);
    const routingKey = entry.routingKey ?? envelope.type;
    if (typeof routingKey !== 'string' || Buffer.byteLength(routingKey) > MAX_SHORT_STRING_BYTES) {
      throw new Error(`${what}: routingKey must be a string of at most ${MAX_SHORT_STRING_BYTES} bytes, got ${describeValue(routingKey)} (envelope ${envelope.id})`);
    }
    for (const [name, value] of [['id', envelope.id], ['correlationId', envelope.correlationId]] as const) {
      if (value !== undefined && Buffer.byteLength(value) > MAX_SHORT_STRING_BYTES) {
        throw new Error(`${what}: ${name} is ${Buffer.byteLength(value)} bytes in UTF-8, over the ${MAX_SHORT_STRING_BYTES} bytes an AMQP message property holds (envelope type ${envelope.type})`);
      }
    }
    // Measured as the SNS publisher measures: body plus each header's name and value, in UTF-8 bytes.
    const placed = placeWithHeaders(this.claimCheck, what, envelope, body, Object.fromEntries(envelopeAttributes(envelope, this.environment)));
    return {
      envelope,
      routingKey,
      content: Buffer.from(placed.body, 'utf8'),
      ...(placed.upload ? { upload: placed.upload } : {}),
      properties: {
        persistent: true,
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        messageId: envelope.id,
        ...(envelope.correlationId === undefined ? {} : { correlationId: envelope.correlationId }),
        timestamp: Math.floor(Date.parse(envelope.timestamp) / 1000),
        headers: placed.attributes,
      },
    };
  }
}

function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || !isWellFormed(value)) {
    throw new Error(`${OWNER}: ${name} must be a non-empty string of valid Unicode, got ${describeValue(value)}`);
  }
  return value;
}
