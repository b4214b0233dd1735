/*
 * How `consumeRabbitMq` resumes after its channel closed unexpectedly: the options, the wait
 * before each attempt, and which failures no further attempt can fix.
 */
import { describeValue } from '../describe-value.js';
import { integerInRange } from '../option-range.js';
import { backoffCeilingMs } from '../retry-delay.js';

/** How `consumeRabbitMq` resumes when its channel closes unexpectedly (see `ConsumeRabbitMqOptions.reconnect`). */
export interface RabbitMqReconnectOptions {
  /**
   * Attempts to open a new channel and consume again, in a row, before the consumer gives up
   * (`closed` then settles with the last error): an integer from 1 to 1000000.
   * @default - unlimited
   */
  readonly maxAttempts?: number;
  /**
   * The wait before the first attempt, in milliseconds: an integer from 0 to 60000. Doubled
   * each further attempt up to `maxDelayMs`; each wait is drawn between half and all of that.
   * @default 100
   */
  readonly initialDelayMs?: number;
  /**
   * The longest wait between two attempts, in milliseconds: an integer from 1 to 300000.
   * @default 30000
   */
  readonly maxDelayMs?: number;
  /**
   * The source of the jitter: a function returning numbers in [0, 1). Pass a seeded one to
   * repeat a run's waits.
   * @default Math.random
   */
  readonly random?: () => number;
}

/** `RabbitMqReconnectOptions` checked, with every default filled in. */
export interface ResolvedReconnect {
  /** Attempts in a row before giving up; `Infinity` when unlimited. */
  readonly maxAttempts: number;
  /** The wait before the first attempt, in milliseconds (0 to 60000). */
  readonly initialDelayMs: number;
  /** The longest wait between two attempts, in milliseconds (1 to 300000). */
  readonly maxDelayMs: number;
  /** The jitter's source, numbers in [0, 1). */
  readonly random: () => number;
}

/**
 * `consumeRabbitMq`'s `reconnect` option checked (throws one line naming the field and what it
 * must be): undefined for `false` (never resume), else the settings with their defaults.
 */
export function resolveReconnectOptions(owner: string, value: RabbitMqReconnectOptions | false | undefined): ResolvedReconnect | undefined {
  if (value === false) return undefined;
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new Error(`${owner}: reconnect must be an object or false, got ${describeValue(value)}`);
  }
  const options = value ?? {};
  if (options.random !== undefined && typeof options.random !== 'function') {
    throw new Error(`${owner}: reconnect.random must be a function returning numbers in [0, 1), got ${describeValue(options.random)}`);
  }
  return {
    maxAttempts: options.maxAttempts === undefined ? Number.POSITIVE_INFINITY : integerInRange(owner, 'reconnect.maxAttempts', options.maxAttempts, 0, 1, 1_000_000),
    initialDelayMs: integerInRange(owner, 'reconnect.initialDelayMs', options.initialDelayMs, 100, 0, 60_000),
    maxDelayMs: integerInRange(owner, 'reconnect.maxDelayMs', options.maxDelayMs, 30_000, 1, 300_000),
    random: options.random ?? Math.random,
  };
}

/**
 * The wait before attempt `attempt` (1 is the first): `initialDelayMs` doubled per attempt, at
 * most `maxDelayMs`, of which a random half to all ("equal jitter": never a burst of attempts at
 * once, and consumers that lost the same broker spread out).
 */
export function reconnectDelayMs(attempt: number, options: Pick<ResolvedReconnect, 'initialDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const ceiling = backoffCeilingMs(options.initialDelayMs, attempt, options.maxDelayMs);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * Whether a failed attempt means the connection is gone for good: amqplib refuses every
 * operation on a closed connection that does not recover (one opened without its `recovery`
 * option), so no further attempt can succeed.
 */
export function connectionGone(error: unknown, connection: object): boolean {
  const recovers = typeof (connection as { waitForConnect?: unknown }).waitForConnect === 'function';
  return !recovers && error instanceof Error && error.name === 'IllegalOperationError';
}
