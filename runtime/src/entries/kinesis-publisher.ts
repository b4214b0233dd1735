/**
 * `@cdk-fanout/runtime/kinesis-publisher`: envelopes into a Kinesis data stream (PutRecords), the
 * entity id as partition key. Loads `@aws-sdk/client-kinesis` (an optional peer dependency) only.
 */
export {
  KinesisPublisher, KINESIS_MAX_BATCH_RECORDS, KINESIS_MAX_PARTITION_KEY_LENGTH, KINESIS_MAX_RECORD_BYTES, KINESIS_MAX_REQUEST_BYTES,
  type KinesisBatchEntry, type KinesisBatchEntryResult, type KinesisPublisherOptions, type KinesisPublishOptions, type KinesisPublishResult,
} from '../kinesis-publisher.js';
export { EARLIER_ENTRY_FAILED, MISSING_FROM_RESPONSE, PublishFailedError, type EntryError } from '../publish-batches.js';
export { PUBLISHER_OPTION_RANGES } from '../publisher-options.js';
export { createEnvelope, type Envelope, type EnvelopeInput } from '../envelope.js';
export type { LargePayloadOptions } from '../claim-check.js';
