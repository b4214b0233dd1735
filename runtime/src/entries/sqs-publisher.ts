/** `@cdk-fanout/runtime/sqs-publisher`: envelopes straight into an SQS queue (a `WorkQueue`). Loads the SQS client only. */
export { SqsPublisher, SQS_MAX_BATCH_ENTRIES, SQS_MAX_MESSAGE_BYTES, type SqsBatchEntry, type SqsBatchEntryResult, type SqsPublisherOptions, type SqsPublishOptions, type SqsPublishResult } from '../sqs-publisher.js';
export { EARLIER_ENTRY_FAILED, MISSING_FROM_RESPONSE, PublishFailedError, type EntryError } from '../publish-batches.js';
export { PUBLISHER_OPTION_RANGES } from '../publisher-options.js';
export { createEnvelope, type Envelope, type EnvelopeInput } from '../envelope.js';
export type { LargePayloadOptions } from '../claim-check.js';
