/**
 * `@cdk-fanout/runtime/envelope`: the wire format without any AWS client: build and parse
 * envelopes, and read one from an SQS record whichever way SNS delivered it.
 */
export { createEnvelope, parseEnvelope, type Envelope, type EnvelopeInput } from '../envelope.js';
export { PoisonMessageError, type PoisonReason } from '../poison-message-error.js';
export { unwrapRecord, type UnwrappedRecord } from '../record.js';
