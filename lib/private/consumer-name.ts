import { Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CONSUMER_NAME_PATTERN } from './names';

/** `OrderHistory` → `order-history`, `billing_v2` → `billing-v2`. */
export function consumerNameFromId(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}

/**
 * The name scopes idempotency keys (`<name>#<id>`) and an IAM LeadingKeys condition, so it must
 * be a literal without the separator or IAM wildcards.
 */
export function isValidConsumerName(name: string): boolean {
  return !Token.isUnresolved(name) && CONSUMER_NAME_PATTERN.test(name);
}

/** Why a consumer name is refused, and what to do instead. */
export function invalidConsumerNameMessage(name: string): string {
  return `consumer name '${name}' is invalid; use 1 to 64 lower-case letters, digits and dashes, starting with a letter or digit (set consumerName)`;
}

/** Throws, naming the construct, when the consumer name cannot be used. */
export function validateConsumerName(scope: Construct, name: string): void {
  if (!isValidConsumerName(name)) {
    throw new Error(`${scope.node.path}: ${invalidConsumerNameMessage(name)}`);
  }
}

/**
 * Why a consumer's idempotency keys cannot get a second owner: `keyPrefix` is the start of its
 * keys (`billing#`, or `dev/billing#` in an environment), `table` how the message names the
 * table, `owner` what already holds the keys. The caller adds the fix.
 */
export function keysAlreadyOwnedMessage(name: string, keyPrefix: string, table: string, owner: string): string {
  return `consumer name '${name}' already owns the keys '${keyPrefix}*' of ${table}, for ${owner}; `
    + 'two consumers sharing one key space would skip or poison each other\'s events as duplicates or conflicts, and could delete each other\'s records';
}
