/*
 * What a failed S3 read of a claim-checked body means, judged by the error alone: the object is
 * gone, S3 refuses it, or neither (a retry may succeed). Pure, so the consumer's payload store and
 * `fanout dlq inspect` judge the same errors the same way.
 */

/** Why no retry can read a claim-checked body: the object does not exist, or S3 refuses to serve it. */
export type PayloadReadFailure = 'payload-missing' | 'payload-unreadable';

/** S3 error names no retry can fix, and what each means. HeadObject's 404 carries no error code: NotFound is all the SDK can name. */
const PERMANENT_ERRORS: Readonly<Record<string, PayloadReadFailure>> = {
  NoSuchKey: 'payload-missing',
  NoSuchBucket: 'payload-missing',
  NotFound: 'payload-missing',
  AccessDenied: 'payload-unreadable',
  Forbidden: 'payload-unreadable',
  AllAccessDisabled: 'payload-unreadable',
  InvalidObjectState: 'payload-unreadable',
};

/**
 * The permanent failure an S3 error means, by its name or else its HTTP status (404 missing, 403
 * unreadable); undefined for one a retry may fix (throttling, 5xx, timeouts, connection errors).
 */
export function payloadReadFailure(error: unknown): PayloadReadFailure | undefined {
  const { name, $metadata } = asS3Error(error);
  const status = $metadata?.httpStatusCode;
  return (typeof name === 'string' ? PERMANENT_ERRORS[name] : undefined)
    ?? (status === 404 ? 'payload-missing' : status === 403 ? 'payload-unreadable' : undefined);
}

/** `<name>: <message>` of an S3 error, for one-line reports. */
export function s3ErrorText(error: unknown): string {
  const { name, message } = asS3Error(error);
  return `${typeof name === 'string' ? name : 'Error'}: ${typeof message === 'string' ? message : String(error)}`;
}

function asS3Error(error: unknown): { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } } {
  return typeof error === 'object' && error !== null ? error : {};
}
