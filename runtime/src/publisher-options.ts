/*
 * The option checks every publisher makes when it is created: one line naming the publisher, the
 * option, what it must be and the value. Numeric options go through `integerInRange`.
 */
import { describeValue } from './describe-value.js';
import { integerInRange } from './option-range.js';
import { isWellFormed } from './unicode.js';

/** Bounds of the numeric options every publisher has: [minimum, maximum], both included. */
export const PUBLISHER_OPTION_RANGES = {
  maxAttempts: [1, 10],
  retryBaseDelayMs: [0, 60_000],
} as const;

/** The defaults of those options. */
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_RETRY_BASE_DELAY_MS = 100;

/** Throws unless `options` is an object (not null). */
export function optionsObject(owner: string, options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new Error(`${owner}: options must be an object, got ${describeValue(options)}`);
  }
}

/** A non-empty string of valid Unicode. */
export function nonEmptyString(owner: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || !isWellFormed(value)) {
    throw new Error(`${owner}: ${name} must be a non-empty string of valid Unicode, got ${describeValue(value)}`);
  }
  return value;
}

/** `maxAttempts` and `retryBaseDelayMs`, checked, with their defaults; `maxAttempts` may have a narrower range. */
export function retryOptions(owner: string, options: { readonly maxAttempts?: unknown; readonly retryBaseDelayMs?: unknown }, maxAttemptsRange: readonly [number, number] = PUBLISHER_OPTION_RANGES.maxAttempts): { maxAttempts: number; retryBaseDelayMs: number } {
  return {
    maxAttempts: integerInRange(owner, 'maxAttempts', options.maxAttempts, DEFAULT_MAX_ATTEMPTS, ...maxAttemptsRange),
    retryBaseDelayMs: integerInRange(owner, 'retryBaseDelayMs', options.retryBaseDelayMs, DEFAULT_RETRY_BASE_DELAY_MS, ...PUBLISHER_OPTION_RANGES.retryBaseDelayMs),
  };
}

/** An AWS SDK v3 client, as far as the publishers use one: `send`, a middleware stack, a config. */
export interface SdkClient {
  send(command: never, options?: never): Promise<unknown>;
  readonly middlewareStack: unknown;
  readonly config: unknown;
}

/** Throws unless `value` looks like an AWS SDK v3 client (`kind` names it, e.g. `an SNSClient`; `name` is the option). */
export function checkSdkClient(owner: string, kind: string, value: unknown, name = 'client'): void {
  const client = value as { send?: unknown; middlewareStack?: { add?: unknown; identify?: unknown }; config?: unknown } | null;
  const ok = typeof client === 'object' && client !== null && typeof client.send === 'function'
    && typeof client.middlewareStack?.add === 'function' && typeof client.middlewareStack?.identify === 'function' && typeof client.config === 'object';
  if (!ok) throw new Error(`${owner}: ${name} must be ${kind}, got ${describeValue(value)}`);
}

/**
 * Throws one line unless a `largePayloads` option is absent, an object, or false where `orFalse`
 * (a publisher's turns offloading off); `shape` names the object expected.
 */
export function checkLargePayloadsOption(owner: string, value: unknown, shape: string, orFalse: boolean): void {
  if (value === undefined || (orFalse && value === false) || (typeof value === 'object' && value !== null)) return;
  throw new Error(`${owner}: largePayloads must be ${shape}${orFalse ? ' or false' : ''}, got ${describeValue(value)}`);
}
