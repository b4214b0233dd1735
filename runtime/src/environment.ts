/*
 * Environments (`prod`, `staging`, `dev-alice`): the publisher stamps its own on every message as
 * the `environment` attribute or header; a consumer given one treats a message that names another
 * as poison, so a mis-wired subscription shows up in the dead-letter queue instead of a dev
 * consumer processing prod data.
 */
import { describeValue } from './describe-value.js';
import { ENV_ENVIRONMENT, ENVIRONMENT_PATTERN } from './names.js';
import { PoisonMessageError } from './poison-message-error.js';

/** The environment option, else FANOUT_ENVIRONMENT, checked against the grammar; undefined when neither is set. */
export function resolveEnvironment(owner: string, value: unknown, env: NodeJS.ProcessEnv): string | undefined {
  const chosen = value === undefined ? (env[ENV_ENVIRONMENT] || undefined) : value;
  if (chosen === undefined) return undefined;
  if (typeof chosen !== 'string' || !ENVIRONMENT_PATTERN.test(chosen)) {
    const from = value === undefined ? `the environment variable ${ENV_ENVIRONMENT}` : 'environment';
    throw new Error(`${owner}: ${from} must be 1 to 20 lower-case letters, digits and '-', starting with a letter (e.g. 'prod', 'dev-alice'), got ${describeValue(chosen)}`);
  }
  return chosen;
}

/**
 * Whether a consumer of environment `expected` may process a message stamped `stamped`: poison
 * `wrong-environment` when both are known and differ. A message without the attribute (from a
 * producer that predates environments, or read from Kinesis, whose records carry no attributes)
 * cannot be judged and is processed; so is every message when the consumer has no environment.
 */
export function wrongEnvironment(expected: string | undefined, stamped: string | undefined): PoisonMessageError | undefined {
  if (expected === undefined || stamped === undefined || stamped === expected) return undefined;
  return new PoisonMessageError('wrong-environment', `the message was published in environment ${JSON.stringify(stamped)}, and this consumer runs in ${JSON.stringify(expected)}: check the subscription's filter policy and the environment the producer and consumer are given`);
}
