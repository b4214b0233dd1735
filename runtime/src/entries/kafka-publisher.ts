/**
 * `@cdk-fanout/runtime/kafka-publisher`: envelopes into a Kafka topic (MSK or self-managed) through
 * an idempotent kafkajs producer, the entity id as key. Pass your kafkajs `Kafka` instance
 * (`kafkajs`, an optional peer dependency: this entry only uses its types). Loads no AWS client.
 */
export {
  KafkaPublisher, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, KAFKA_MAX_BATCH_MESSAGES, KAFKA_PUBLISHER_OPTION_RANGES,
  type KafkaBatchEntry, type KafkaBatchEntryResult, type KafkaProducerFactory, type KafkaPublisherOptions, type KafkaPublishOptions, type KafkaPublishResult,
} from '../kafka-publisher.js';
export { EARLIER_ENTRY_FAILED, PublishFailedError, type EntryError } from '../publish-batches.js';
export { createEnvelope, type Envelope, type EnvelopeInput } from '../envelope.js';
export type { LargePayloadOptions } from '../claim-check.js';
