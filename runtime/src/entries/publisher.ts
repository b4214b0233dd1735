/** `@cdk-fanout/runtime/publisher`: what a producer imports. Loads the SNS client only. */
export { Publisher, type BatchEntry, type BatchEntryResult, type PublishOptions, type PublisherOptions, type PublishResult } from '../publisher.js';
export { createEnvelope, type Envelope, type EnvelopeInput } from '../envelope.js';
export type { LargePayloadOptions } from '../claim-check.js';
