import { randomUUID } from 'node:crypto';
import { ENVELOPE_VERSION, EVENT_TYPE_PATTERN } from './names.js';
import { PoisonMessageError } from './poison-message-error.js';
import { describeValue } from './describe-value.js';
import { isWellFormed } from './unicode.js';

/** The wire format of every message body (envelope version "1"). */
export interface Envelope<T = unknown> {
  /** The idempotency key: non-empty, at most 128 characters. */
  readonly id: string;
  /** `noun.verb`, lowercase and dot-separated, e.g. `order.created`. */
  readonly type: string;
  /** Schema version of `data`: a string of digits. */
  readonly version: string;
  /** ISO 8601 with `Z` or an offset. */
  readonly timestamp: string;
  /** The producing service. */
  readonly source: string;
  readonly correlationId?: string;
  /** Any JSON value, validated by the consumer's schema for (type, version). */
  readonly data: T;
}

/** What `createEnvelope` needs; everything else has a default. */
export interface EnvelopeInput<T = unknown> {
  readonly type: string;
  readonly data: T;
  readonly source: string;
  /** @default a random UUID */
  readonly id?: string;
  /** @default "1" */
  readonly version?: string;
  /** @default the current time */
  readonly timestamp?: string;
  readonly correlationId?: string;
}

const MAX_ID_LENGTH = 128;
/**
 * How deep `data` may nest. Schemas, the payload hash and DynamoDB (32 levels) all walk nested
 * values; a bound keeps a hostile body from exhausting the stack.
 */
export const MAX_DATA_DEPTH = 32;
const VERSION_PATTERN = /^[0-9]+$/;
const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Builds an envelope, refusing (with a plain Error: a programming mistake, not poison) one that breaks the rules. */
export function createEnvelope<T>(input: EnvelopeInput<T>): Envelope<T> {
  const envelope: Envelope<T> = {
    id: input.id ?? randomUUID(),
    type: input.type,
    // The data version defaults to the envelope version this release writes: both start at "1".
    version: input.version ?? ENVELOPE_VERSION,
    timestamp: input.timestamp ?? new Date().toISOString(),
    source: input.source,
    ...(input.correlationId === undefined ? {} : { correlationId: input.correlationId }),
    data: input.data,
  };
  const problem = envelopeProblem(envelope as unknown as Record<string, unknown>);
  if (problem) {
    throw new Error(`createEnvelope: ${problem}`);
  }
  return envelope;
}

/**
 * Reads an envelope from a message body (a JSON string) or an already-parsed value.
 * Returns a fresh object holding only the envelope fields, or throws `PoisonMessageError`
 * (`malformed-json` or `invalid-envelope`, the message naming the field) — nothing else.
 */
export function parseEnvelope(input: unknown): Envelope {
  const candidate = typeof input === 'string' ? parseJson(input) : input;
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    throw new PoisonMessageError('invalid-envelope', `envelope must be a JSON object, got ${describeValue(candidate)}`);
  }
  const fields = candidate as Record<string, unknown>;
  const problem = envelopeProblem(fields);
  if (problem) {
    throw new PoisonMessageError('invalid-envelope', problem);
  }
  return {
    id: fields.id as string,
    type: fields.type as string,
    version: fields.version as string,
    timestamp: fields.timestamp as string,
    source: fields.source as string,
    ...(fields.correlationId === undefined ? {} : { correlationId: fields.correlationId as string }),
    data: fields.data,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PoisonMessageError('malformed-json', `body is not JSON: ${(err as Error).message}`);
  }
}

/** The first envelope rule that `fields` breaks, naming the field; undefined when valid. */
function envelopeProblem(fields: Record<string, unknown>): string | undefined {
  const { id, type, version, timestamp, source, correlationId } = fields;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || !isWellFormed(id)) {
    return `id must be a non-empty string of at most ${MAX_ID_LENGTH} characters of valid Unicode, got ${describeValue(id)}`;
  }
  if (typeof type !== 'string' || !EVENT_TYPE_PATTERN.test(type)) {
    return `type must be lowercase noun.verb (${EVENT_TYPE_PATTERN.source}), got ${describeValue(type)}`;
  }
  if (typeof version !== 'string' || !VERSION_PATTERN.test(version)) {
    return `version must be a string of digits, got ${describeValue(version)}`;
  }
  if (typeof timestamp !== 'string' || !isRealTimestamp(timestamp)) {
    return `timestamp must be a real ISO 8601 date and time with Z or an offset, got ${describeValue(timestamp)}`;
  }
  if (typeof source !== 'string' || source.length === 0 || !isWellFormed(source)) {
    return `source must be a non-empty string of valid Unicode, got ${describeValue(source)}`;
  }
  if (correlationId !== undefined && (typeof correlationId !== 'string' || !isWellFormed(correlationId))) {
    return `correlationId must be a string of valid Unicode when present, got ${describeValue(correlationId)}`;
  }
  if (!Object.prototype.hasOwnProperty.call(fields, 'data') || fields.data === undefined) {
    return 'data is missing (any JSON value, null included, is accepted)';
  }
  if (nestedDeeperThan(fields.data, MAX_DATA_DEPTH)) {
    return `data is nested more than ${MAX_DATA_DEPTH} levels deep`;
  }
  return undefined;
}

/** The pattern, and a date and time that exist: no February 30th, no 24:00, no offset +25:00. */
function isRealTimestamp(text: string): boolean {
  const match = TIMESTAMP_PATTERN.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second = '0', offsetHours = '0', offsetMinutes = '0'] = match.slice(1);
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  return date.getUTCFullYear() === Number(year) && date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day)
    && Number(hour) < 24 && Number(minute) < 60 && Number(second) < 60 && Number(offsetHours) < 24 && Number(offsetMinutes) < 60;
}

/** Whether arrays and objects in `value` nest more than `limit` levels; iterative, so any depth is safe to ask about. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}
