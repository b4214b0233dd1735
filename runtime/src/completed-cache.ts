/**
 * Ids this container has seen COMPLETED, with their payload hash, so a duplicate delivered to a
 * warm container costs no DynamoDB request. Least recently used entries go first; an entry
 * never outlives the idempotency record's TTL.
 */
export class CompletedCache {
  private readonly entries = new Map<string, { readonly payloadHash: string; readonly expiresAtMs: number }>();

  constructor(private readonly maxItems: number) {}

  /** The payload hash recorded for `key`, or undefined when unknown or expired. */
  get(key: string, nowMs: number): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAtMs <= nowMs) return undefined;
    this.entries.set(key, entry);
    return entry.payloadHash;
  }

  set(key: string, payloadHash: string, expiresAtMs: number): void {
    if (this.maxItems <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { payloadHash, expiresAtMs });
    if (this.entries.size > this.maxItems) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }
}
