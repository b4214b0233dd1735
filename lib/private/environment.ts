import { Tags, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ENVIRONMENT_PATTERN, TAG_ENVIRONMENT } from './names';
import { ValidationRule } from './validation';

/** What joins an environment and a physical name: `dev-alice-orders`. */
const ENVIRONMENT_NAME_SEPARATOR = '-';

/** An environment usable at synth time: a literal matching ENVIRONMENT_PATTERN. */
function isValidEnvironment(environment: string): boolean {
  return !Token.isUnresolved(environment) && ENVIRONMENT_PATTERN.test(environment);
}

/** The environment names physical names, tags and idempotency keys: a literal, lower case, short. */
export const ENVIRONMENT_RULE: ValidationRule<{ readonly environment?: string }> = {
  condition: (input) => input.environment !== undefined && !isValidEnvironment(input.environment),
  message: (input) => `environment '${input.environment}' is invalid; use 1 to 20 lower-case letters, digits and dashes, starting with a letter (e.g. 'prod', 'staging', 'dev-alice')`,
};

/** `<environment>-<name>`, or the name as it is without an environment. */
export function environmentName(environment: string | undefined, name: string): string {
  return environment ? `${environment}${ENVIRONMENT_NAME_SEPARATOR}${name}` : name;
}

/** How many characters the environment adds in front of a physical name. */
export function environmentPrefixLength(environment: string | undefined): number {
  return environment ? environment.length + ENVIRONMENT_NAME_SEPARATOR.length : 0;
}

/** Tags every resource under the construct with its environment (`fanout:environment`). */
export function tagEnvironment(scope: IConstruct, environment: string | undefined): void {
  if (environment) {
    Tags.of(scope).add(TAG_ENVIRONMENT, environment);
  }
}

/** Something built for one environment, named in errors: a fan-out, a table, a payload bucket. */
export interface EnvironmentScoped {
  readonly environment?: string;
  readonly node: { readonly path: string };
}

/**
 * A rule that a consumer and a resource it uses (its fan-out, idempotency table or payload
 * bucket) are not in two different environments. A resource without an environment serves any.
 */
export function sameEnvironmentRule<T extends { readonly environment?: string }>(
  what: string, resource: (input: T) => EnvironmentScoped | undefined, fix: string,
): ValidationRule<T> {
  const other = (input: T) => resource(input)?.environment;
  return {
    condition: (input) => input.environment !== undefined && other(input) !== undefined && other(input) !== input.environment,
    message: (input) => `environment '${input.environment}' differs from the environment '${other(input)}' of its ${what} ${resource(input)!.node.path}; ${fix}`,
  };
}
