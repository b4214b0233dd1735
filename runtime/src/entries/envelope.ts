/**
 * `@cdk-fanout/runtime/envelope`: the wire format without any AWS client: build and parse
 * envelopes, read one from an SQS record whichever way SNS delivered it, and recognise a claim
 * check (the extended clients' pointer to a body in S3) and judge a failed S3 read of its body.
 */
export { createEnvelope, parseEnvelope, type Envelope, type EnvelopeInput } from '../envelope.js';
export { PoisonMessageError, type PoisonReason } from '../poison-message-error.js';
export { unwrapRecord, type UnwrappedRecord } from '../record.js';
export { pointerBody, readPointer, type PayloadPointer } from '../payload-pointer.js';
export { payloadReadFailure, s3ErrorText, type PayloadReadFailure } from '../payload-read-failure.js';
