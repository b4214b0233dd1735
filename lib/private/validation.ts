import { Annotations, Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * One rule about a construct's props: the condition under which the props are wrong, and the
 * message that says so. The message names the prop, the value and the fix; the construct path
 * is added when the failures are reported.
 */
export interface ValidationRule<T> {
  /** True when the props break the rule. */
  readonly condition: (input: T) => boolean;
  /** What is wrong and how to fix it; only called when `condition` is true. */
  readonly message: (input: T) => string;
}

/** A rule whose failure is only a warning, with an id users can acknowledge. */
export interface WarningRule<T> extends ValidationRule<T> {
  /** The warning's id, e.g. `cdk-fanout:retentionPeriod`. */
  readonly id: string;
}

/** The messages of every rule the input breaks, in the order of the rules. */
export function failedRules<T>(input: T, rules: ReadonlyArray<ValidationRule<T>>): string[] {
  return rules.filter((rule) => rule.condition(input)).map((rule) => rule.message(input));
}

/**
 * The error for the failures of one construct: the single message after the construct path, or
 * `<path>: <n> invalid props:` with one line per failure.
 */
export function invalidPropsMessage(path: string, failures: readonly string[]): string {
  if (failures.length === 1) {
    return `${path}: ${failures[0]}`;
  }
  return `${path}: ${failures.length} invalid props:\n${failures.map((failure) => `  - ${failure}`).join('\n')}`;
}

/** Checks every rule and throws one error that reports all the broken ones. */
export function validateAllProps<T>(scope: IConstruct, input: T, rules: ReadonlyArray<ValidationRule<T>>): void {
  const failures = failedRules(input, rules);
  if (failures.length > 0) {
    throw new Error(invalidPropsMessage(scope.node.path, failures));
  }
}

/** Adds a warning to the construct for every warning rule the input breaks. */
export function warnAll<T>(scope: IConstruct, input: T, rules: ReadonlyArray<WarningRule<T>>): void {
  for (const rule of rules) {
    if (rule.condition(input)) {
      Annotations.of(scope).addWarningV2(rule.id, rule.message(input));
    }
  }
}

/**
 * A rule that a number, when given and known at synth time, is a whole number from `min` to `max`.
 */
export function wholeNumberRule<T>(name: string, value: (input: T) => number | undefined, min: number, max: (input: T) => number): ValidationRule<T> {
  return {
    condition: (input) => {
      const n = value(input);
      return n !== undefined && !Token.isUnresolved(n) && (!Number.isInteger(n) || n < min || n > max(input));
    },
    message: (input) => `${name} must be a whole number from ${min} to ${max(input)}, got ${value(input)}`,
  };
}

/** Seconds of a duration known at synth time; undefined for none or a token. */
export function knownSeconds(duration: Duration | undefined): number | undefined {
  return duration === undefined || duration.isUnresolved() ? undefined : duration.toSeconds();
}
