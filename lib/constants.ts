/*
 * The names the constructs (lib/) and the Lambda runtime (runtime/) must agree on.
 * The only module both sides import; not part of the jsii API (not exported from index.ts).
 */

/** Environment variables the constructs set on a consumer's handler. */
export const ENV_CONSUMER_NAME = 'FANOUT_CONSUMER_NAME';
export const ENV_IDEMPOTENCY_TABLE = 'FANOUT_IDEMPOTENCY_TABLE';
export const ENV_DLQ_URL = 'FANOUT_DLQ_URL';

/** The envelope version this release writes. */
export const ENVELOPE_VERSION = '1';

/** SNS message attributes the publisher sets, so filter policies route without body filtering. */
export const ATTRIBUTE_TYPE = 'type';
export const ATTRIBUTE_VERSION = 'version';
export const ATTRIBUTE_SOURCE = 'source';

/** SQS message attributes on a poison message sent to the DLQ: why it was rejected. */
export const ATTRIBUTE_ERROR = 'fanout.error';
export const ATTRIBUTE_REASON = 'fanout.reason';

/** Idempotency table: partition key, TTL attribute, and the separator of `<consumer>#<envelope id>`. */
export const IDEMPOTENCY_PARTITION_KEY = 'pk';
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiresAt';
export const IDEMPOTENCY_KEY_SEPARATOR = '#';
