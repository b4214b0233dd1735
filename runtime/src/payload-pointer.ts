/*
 * The claim check's wire format, the one AWS's extended client libraries (Java, Python) write: the
 * message body is `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":…,"s3Key":…}]`
 * and the S3 object holds the body that would have been sent. Pure: no S3 here.
 */
import { randomUUID } from 'node:crypto';
import { LEGACY_PAYLOAD_POINTER_CLASS, PAYLOAD_POINTER_CLASS } from './names.js';
import { PoisonMessageError } from './poison-message-error.js';

/** Where a claim-checked body is. */
export interface PayloadPointer {
  readonly bucket: string;
  readonly key: string;
}

/** The message body that points at `pointer`, byte for byte what the Java extended client writes. */
export function pointerBody(pointer: PayloadPointer): string {
  return JSON.stringify([PAYLOAD_POINTER_CLASS, { s3BucketName: pointer.bucket, s3Key: pointer.key }]);
}

/**
 * The pointer a message carries, or undefined for an ordinary body. `value` is the body as the
 * consumer unwrapped it: parsed JSON (a raw body) or JSON text (an SNS notification's `Message`).
 * A pointer is a two-element array whose first element names one of the extended clients' pointer
 * classes (the current one, or the older Java client's); an envelope is always an object, so
 * nothing else is mistaken for one. Throws poison `payload-unreadable` for a pointer without a
 * bucket name and key.
 */
export function readPointer(value: unknown): PayloadPointer | undefined {
  let candidate = value;
  if (typeof value === 'string') {
    // Only text that opens as an array can be a pointer: an envelope's text is never parsed twice.
    if (!value.trimStart().startsWith('[')) return undefined;
    try {
      candidate = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(candidate) || (candidate[0] !== PAYLOAD_POINTER_CLASS && candidate[0] !== LEGACY_PAYLOAD_POINTER_CLASS)) return undefined;
  const fields = candidate[1] as { s3BucketName?: unknown; s3Key?: unknown } | null | undefined;
  const bucket = fields?.s3BucketName;
  const key = fields?.s3Key;
  if (candidate.length !== 2 || typeof bucket !== 'string' || bucket === '' || typeof key !== 'string' || key === '') {
    throw new PoisonMessageError('payload-unreadable', `the message is a ${candidate[0]} claim check without a bucket name and key: expected [class, { "s3BucketName": string, "s3Key": string }]`);
  }
  return { bucket, key };
}

/** The first segment of keys written without an environment. */
const DEFAULT_KEY_SCOPE = 'default';

/**
 * A new object key for a body: scoped by environment (`default` without one) and event type, then
 * a random UUID, so keys cannot be guessed and a bucket policy or lifecycle rule can select a scope.
 */
export function payloadKey(environment: string | undefined, type: string): string {
  return `${environment ?? DEFAULT_KEY_SCOPE}/${type}/${randomUUID()}`;
}
