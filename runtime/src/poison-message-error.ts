/**
 * Why a message can never succeed, however often it is retried. Written to the DLQ as the
 * `fanout.reason` attribute, so these strings are a wire format: add, never rename.
 */
export type PoisonReason =
  | 'malformed-json'
  | 'invalid-envelope'
  | 'unsupported-version'
  | 'schema'
  | 'unknown-type'
  | 'idempotency-conflict'
  | 'non-retryable'
  /** A claim check whose S3 object does not exist (expired, deleted) or whose bucket does not. */
  | 'payload-missing'
  /** A claim check that cannot be read: a malformed pointer, or S3 refused access. */
  | 'payload-unreadable'
  /** The message names another environment than the consumer's. */
  | 'wrong-environment';

/**
 * A message that retrying cannot fix. The consumer sends it straight to the dead-letter queue
 * (with `fanout.reason` and `fanout.error` attributes) instead of letting SQS redeliver it
 * `maxReceiveCount` times.
 *
 * Handlers throw it for errors they know are permanent:
 * `throw new PoisonMessageError('non-retryable', 'order o-1 does not exist')`.
 */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';

  constructor(
    /** Machine-readable cause; becomes the `fanout.reason` attribute on the DLQ message. */
    readonly reason: PoisonReason,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}
