/*
 * A copy of the runtime's `runtime/src/names.ts`: the names the constructs and the Lambda runtime
 * must agree on. jsii does not let this library depend on the runtime package; a test fails when
 * the copies differ. Not part of the jsii API (not exported from index.ts).
 */

/** Environment variables the constructs set on a consumer's handler. */
export const ENV_CONSUMER_NAME = 'FANOUT_CONSUMER_NAME';
export const ENV_IDEMPOTENCY_TABLE = 'FANOUT_IDEMPOTENCY_TABLE';
export const ENV_DLQ_URL = 'FANOUT_DLQ_URL';
/** A Kafka consumer whose failed batches go to a Kafka topic: that topic (`<topic>.DLT` by default). */
export const ENV_DEAD_LETTER_TOPIC = 'FANOUT_DEAD_LETTER_TOPIC';
/** The deployment environment (`prod`, `dev`, a developer's name): envelopes from another one are poison. */
export const ENV_ENVIRONMENT = 'FANOUT_ENVIRONMENT';
/** The bucket a publisher offloads large bodies to (claim check); consumers read pointers from any bucket they may read. */
export const ENV_PAYLOAD_BUCKET = 'FANOUT_PAYLOAD_BUCKET';

/** The envelope version this release writes. */
export const ENVELOPE_VERSION = '1';

/** Event types: lower-case `noun.verb`, dot-separated, e.g. `order.created`. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;

/** SNS message attributes the publisher sets, so filter policies route without body filtering. */
export const ATTRIBUTE_TYPE = 'type';
export const ATTRIBUTE_VERSION = 'version';
export const ATTRIBUTE_SOURCE = 'source';
/** The publisher's environment; subscriptions filter on it. */
export const ATTRIBUTE_ENVIRONMENT = 'environment';

/** Environments: lower-case, short enough to prefix physical names (`prod`, `staging`, `dev-alice`). */
export const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
/** Tag on every resource of a construct given an environment. */
export const TAG_ENVIRONMENT = 'fanout:environment';

/** S3 bucket names: 3 to 63 lower-case letters, digits, dots and dashes, starting and ending with a letter or digit (the payload bucket). */
export const BUCKET_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Claim check, in the format of AWS's extended client libraries (Java and Python), so their
 * consumers read our offloaded messages and we read theirs: the body is
 * `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":…,"s3Key":…}]` and the
 * message attribute `ExtendedPayloadSize` holds the original size in bytes. The older Java form's
 * class name is accepted on read.
 */
export const PAYLOAD_POINTER_CLASS = 'software.amazon.payloadoffloading.PayloadS3Pointer';
export const LEGACY_PAYLOAD_POINTER_CLASS = 'com.amazon.sqs.javamessaging.MessageS3Pointer';
export const ATTRIBUTE_EXTENDED_PAYLOAD_SIZE = 'ExtendedPayloadSize';

/** SQS message attributes on a poison message sent to the DLQ: why it was rejected. */
export const ATTRIBUTE_ERROR = 'fanout.error';
export const ATTRIBUTE_REASON = 'fanout.reason';

/** Idempotency table: partition key, TTL attribute, and the separator of `<consumer>#<envelope id>`. */
export const IDEMPOTENCY_PARTITION_KEY = 'pk';
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiresAt';
export const IDEMPOTENCY_KEY_SEPARATOR = '#';
/** Between an environment and the consumer name in an idempotency key: `dev-alice/billing#<id>`. */
export const ENVIRONMENT_KEY_SEPARATOR = '/';

/**
 * The start of every idempotency key a consumer writes (`billing#`, or `dev/billing#` in an
 * environment): the IAM LeadingKeys condition grants exactly this prefix.
 */
export function idempotencyKeyPrefix(consumerName: string, environment?: string): string {
  const scope = environment ? `${environment}${ENVIRONMENT_KEY_SEPARATOR}` : '';
  return `${scope}${consumerName}${IDEMPOTENCY_KEY_SEPARATOR}`;
}

/** Consumer names: they scope idempotency keys and an IAM LeadingKeys condition. */
export const CONSUMER_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * Tags on every queue a consumer owns: the consumer's name, and the queue's role. The command line
 * and the local deployment find a consumer's queues by these, never by construct ids.
 */
export const TAG_CONSUMER = 'fanout:consumer';
export const TAG_ROLE = 'fanout:role';
export const ROLE_QUEUE = 'queue';
export const ROLE_DEAD_LETTER_QUEUE = 'dead-letter-queue';
/**
 * The dead-letter queue of a stream or Kafka consumer: Lambda's on-failure records (where the
 * failed records are: shard and sequence numbers, or topic, partition and offsets; not the records)
 * and the poison records its handler sends. No queue redrives into it, and it redrives nowhere.
 */
export const ROLE_FAILURE_RECORDS = 'failure-records';
