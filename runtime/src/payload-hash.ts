import { createHash } from 'node:crypto';
import type { Envelope } from './envelope.js';

/**
 * SHA-256 (hex) of the canonical JSON of `[type, version, data]`: what the message means, not
 * how it was serialised or when it was sent. A producer that retries with the same id but a new
 * timestamp, or with the keys of `data` in another order, hashes the same (a duplicate); the same
 * id with other content hashes differently (an idempotency conflict).
 */
export function payloadHash(envelope: Pick<Envelope, 'type' | 'version' | 'data'>): string {
  return createHash('sha256').update(canonicalJson([envelope.type, envelope.version, envelope.data])).digest('hex');
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
