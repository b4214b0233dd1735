/*
 * The publishers' claim check: a message over the threshold goes to S3 and the message carries a
 * pointer in the extended clients' format, with the original size as `ExtendedPayloadSize`. One
 * implementation for every publisher: `place` decides (and names the key) before anything is sent,
 * `upload` writes the objects of a call's messages before the call.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { describeValue } from './describe-value.js';
import type { Envelope } from './envelope.js';
import { ATTRIBUTE_EXTENDED_PAYLOAD_SIZE, BUCKET_NAME_PATTERN, ENV_PAYLOAD_BUCKET } from './names.js';
import { mapLimited } from './map-limited.js';
import { integerInRange } from './option-range.js';
import { payloadKey, pointerBody, type PayloadPointer } from './payload-pointer.js';
import { S3PayloadStore, type PayloadStore } from './payload-store.js';
import { checkSize, messageBytes, utf8Bytes, type SizeLimit, type StringAttribute } from './publish-envelope.js';
import { checkLargePayloadsOption, checkSdkClient } from './publisher-options.js';

/** Offloading bodies to S3 (the claim check), as every publisher takes it. */
export interface LargePayloadOptions {
  /**
   * The bucket offloaded bodies are written to (the producer needs `s3:PutObject` on it; the
   * constructs' payload bucket grants it).
   * @default the environment variable FANOUT_PAYLOAD_BUCKET
   */
  readonly bucket?: string;
  /**
   * The S3 client that writes them.
   * @default a client for the current region with the runtime's timeouts, made on the first large message
   */
  readonly client?: S3Client;
  /**
   * Messages larger than this many bytes, counted as the service counts them (body plus
   * attributes or headers), go to S3. An integer from 1024 to the destination's own maximum (1 MiB
   * for SNS, SQS and Kinesis; `maxMessageBytes` for Kafka; 16 MiB for RabbitMQ). Raise it above
   * 256 KiB only when the topic or queue accepts messages that large.
   * @default 262144 (256 KiB), or the destination's maximum when that is lower
   */
  readonly thresholdBytes?: number;
}

/** The default threshold: what the extended clients use, and SNS and SQS accept from any topic or queue. */
const DEFAULT_THRESHOLD_BYTES = 256 * 1024;
/** The lowest threshold: below it a pointer would barely be smaller than the body. */
const MIN_THRESHOLD_BYTES = 1024;

/** A body on its way to S3, and where. */
export interface PendingUpload {
  readonly pointer: PayloadPointer;
  readonly body: string;
}

/** How an offloaded message is sent: the pointer body, the original size (the `ExtendedPayloadSize` value), the upload to make first. */
export interface Offload {
  readonly body: string;
  readonly originalBytes: number;
  readonly upload: PendingUpload;
}

/** Uploads at once per call at most: a large batch does not open hundreds of connections. */
const MAX_CONCURRENT_UPLOADS = 8;

/**
 * A publisher's claim check. Without a bucket it is the size guard alone (`limit`), whose error
 * says how to turn offloading on; with one, messages over the threshold are offloaded.
 */
export class ClaimCheck {
  /** Messages above this many bytes are offloaded (with a bucket) or refused (without). */
  readonly thresholdBytes: number;
  readonly bucket: string | undefined;
  private readonly store: PayloadStore | undefined;

  /**
   * `limit` is what the destination accepts without offloading; `maxThresholdBytes` the most it
   * accepts at all. `largePayloads: false` turns offloading off even when FANOUT_PAYLOAD_BUCKET is set.
   */
  constructor(
    private readonly owner: string,
    options: LargePayloadOptions | false | undefined,
    env: NodeJS.ProcessEnv,
    private readonly limit: SizeLimit,
    maxThresholdBytes: number,
    private readonly environment: string | undefined,
  ) {
    checkLargePayloadsOption(owner, options, 'an object ({ bucket, client?, thresholdBytes? })', true);
    const given = options || undefined;
    const bucket = options === false ? undefined : given?.bucket ?? (env[ENV_PAYLOAD_BUCKET] || undefined);
    if (bucket !== undefined && (typeof bucket !== 'string' || !BUCKET_NAME_PATTERN.test(bucket))) {
      const from = given?.bucket === undefined ? `the environment variable ${ENV_PAYLOAD_BUCKET}` : 'largePayloads.bucket';
      throw new Error(`${owner}: ${from} must be an S3 bucket name (3 to 63 lower-case letters, digits, '.' and '-'), got ${describeValue(bucket)}`);
    }
    if (given && bucket === undefined) {
      throw new Error(`${owner}: largePayloads needs a bucket: pass largePayloads.bucket or set ${ENV_PAYLOAD_BUCKET} (largePayloads: false turns offloading off)`);
    }
    if (given?.client !== undefined) checkSdkClient(owner, 'an S3Client', given.client, 'largePayloads.client');
    const maximum = Math.max(MIN_THRESHOLD_BYTES, maxThresholdBytes);
    this.thresholdBytes = bucket === undefined ? limit.bytes : integerInRange(owner, 'largePayloads.thresholdBytes', given?.thresholdBytes, Math.min(DEFAULT_THRESHOLD_BYTES, maximum), MIN_THRESHOLD_BYTES, maximum);
    this.bucket = bucket;
    this.store = bucket === undefined ? undefined : new S3PayloadStore(given?.client);
  }

  /**
   * Where one message goes: undefined to send it as it is, an `Offload` to send its pointer
   * instead. `bytes` is the message as the destination counts it. Throws one line for a message
   * over the limit when there is no bucket.
   */
  place(what: string, envelope: Envelope, body: string, bytes: number): Offload | undefined {
    if (bytes <= this.thresholdBytes) return undefined;
    if (this.bucket === undefined) {
      checkSize(what, envelope, bytes, this.limit, `give the ${this.owner} largePayloads: { bucket } (or set ${ENV_PAYLOAD_BUCKET}) to send it through S3`);
      return undefined;
    }
    const pointer = { bucket: this.bucket, key: payloadKey(this.environment, envelope.type) };
    return { body: pointerBody(pointer), originalBytes: utf8Bytes(body), upload: { pointer, body } };
  }

  /**
   * Writes the objects of these messages, a few at a time; rejects with the first S3 error (after
   * the client's retries), and starts no further upload once one failed: nothing will be sent.
   */
  async upload(uploads: readonly (PendingUpload | undefined)[]): Promise<void> {
    const pending = uploads.filter((upload): upload is PendingUpload => upload !== undefined);
    if (pending.length === 0 || !this.store) return;
    const store = this.store;
    await mapLimited(pending, MAX_CONCURRENT_UPLOADS, async (upload) => {
      try {
        await store.put(upload.pointer, upload.body);
      } catch (error) {
        throw new Error(`${this.owner}: writing the large body to s3://${upload.pointer.bucket}/${upload.pointer.key} failed, nothing was sent: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
    });
  }
}

/** What a publisher sends for one message: the body (the envelope, or a pointer to it), how many bytes that is as the service counts them, the upload to make first. */
export interface Placed<A> {
  readonly body: string;
  /** The attributes or headers, with `ExtendedPayloadSize` for a pointer. */
  readonly attributes: A;
  readonly bytes: number;
  readonly upload?: PendingUpload;
}

/** SNS and SQS: the message with its message attributes; a pointer carries `ExtendedPayloadSize` as a Number attribute. */
export function placeWithAttributes(check: ClaimCheck, what: string, envelope: Envelope, body: string, attributes: Readonly<Record<string, StringAttribute>>): Placed<Record<string, StringAttribute>> {
  const offload = check.place(what, envelope, body, messageBytes(body, attributes));
  if (!offload) return { body, attributes: { ...attributes }, bytes: messageBytes(body, attributes) };
  const withSize = { ...attributes, [ATTRIBUTE_EXTENDED_PAYLOAD_SIZE]: { DataType: 'Number', StringValue: String(offload.originalBytes) } as const };
  return { body: offload.body, attributes: withSize, bytes: messageBytes(offload.body, withSize), upload: offload.upload };
}

/**
 * Kafka and RabbitMQ: the message with its headers (strings); a pointer carries
 * `ExtendedPayloadSize` as a header. `extraBytes` is what else the service counts (a Kafka key).
 */
export function placeWithHeaders(check: ClaimCheck, what: string, envelope: Envelope, body: string, headers: Readonly<Record<string, string>>, extraBytes = 0): Placed<Record<string, string>> {
  const measure = (text: string, sent: Readonly<Record<string, string>>) => utf8Bytes(text) + extraBytes + Object.entries(sent).reduce((sum, [name, value]) => sum + utf8Bytes(name) + utf8Bytes(value), 0);
  const offload = check.place(what, envelope, body, measure(body, headers));
  if (!offload) return { body, attributes: { ...headers }, bytes: measure(body, headers) };
  const withSize = { ...headers, [ATTRIBUTE_EXTENDED_PAYLOAD_SIZE]: String(offload.originalBytes) };
  return { body: offload.body, attributes: withSize, bytes: measure(offload.body, withSize), upload: offload.upload };
}
