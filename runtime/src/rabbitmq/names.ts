/*
 * The broker names of a consumer on RabbitMQ. `declareTopology` declares them and
 * `consumeRabbitMq` reads them, so a team never spells a dead-letter exchange by hand.
 */
import { describeValue } from '../describe-value.js';
import { CONSUMER_NAME_PATTERN } from '../names.js';

/** A consumer's queue, its dead-letter exchange and its dead-letter queue. */
export interface RabbitMqConsumerNames {
  /** The quorum queue the consumer reads: the consumer name itself, e.g. `billing`. */
  readonly queue: string;
  /** The fanout exchange the queue dead-letters to (`x-dead-letter-exchange`): `<consumer>.dlx`. */
  readonly deadLetterExchange: string;
  /** The queue bound to the dead-letter exchange: `<consumer>.dlq`. */
  readonly deadLetterQueue: string;
}

/** `x-delivery-limit` when a consumer's spec gives none: SQS's `maxReceiveCount` default in the constructs. */
export const DEFAULT_DELIVERY_LIMIT = 5;

/**
 * The broker names of consumer `consumerName` (the constructs' consumer-name grammar: 1 to 64
 * lower-case letters, digits and dashes): `billing` → `billing`, `billing.dlx`, `billing.dlq`.
 */
export function rabbitMqNames(consumerName: string): RabbitMqConsumerNames {
  if (typeof consumerName !== 'string' || !CONSUMER_NAME_PATTERN.test(consumerName)) {
    throw new Error(`rabbitMqNames: consumer name ${describeValue(consumerName)} is invalid; use 1 to 64 lower-case letters, digits and dashes, starting with a letter or digit`);
  }
  return { queue: consumerName, deadLetterExchange: `${consumerName}.dlx`, deadLetterQueue: `${consumerName}.dlq` };
}
