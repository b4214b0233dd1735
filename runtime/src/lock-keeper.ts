import { lockCheckAtMs, type ClaimTimes, type HeldLock } from './decide.js';
import type { Claim, IdempotencyStore } from './idempotency-store.js';
import type { Logger } from './logger.js';

/** Why a keeper gave its claim up; the reason of the handler's `ctx.signal`. */
export class ClaimLostError extends Error {
  override readonly name = 'ClaimLostError';
}

type Extension = 'extended' | 'not-needed' | 'lost' | 'failed';

/**
 * Keeps a claim's lock ahead of its running handler: at the midpoint of the lock it extends it
 * (one fenced UpdateItem), so no other invocation takes a slow handler's record over. When the
 * fence refuses (the claim is lost) or the lock runs out before an extension got through,
 * `signal` aborts and the record must not be completed. A handler that finishes before the
 * midpoint costs no request.
 */
export class LockKeeper {
  private readonly controller = new AbortController();
  private checkTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private checking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly store: IdempotencyStore,
    private readonly claim: Claim,
    private lock: HeldLock,
    /** The times an extension at `nowMs` writes, or undefined when the lock already lasts as long as the invocation can run. */
    private readonly extension: (nowMs: number, lockUntilMs: number) => ClaimTimes | undefined,
    private readonly logger: Logger,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The lock as last written: the claim's, or the latest extension's. */
  get held(): HeldLock {
    return this.lock;
  }

  /**
   * Starts keeping the lock. A claim that came back past its lock's midpoint (a slow, retried
   * claim) is extended first, so a handler never starts with less than half a lock ahead of it:
   * false when that extension did not get through, and the handler must not start.
   */
  async start(): Promise<boolean> {
    let first: Extension | undefined;
    if (Date.now() >= lockCheckAtMs(this.lock)) {
      first = await this.extend();
      if (first === 'lost' || first === 'failed') return false;
    }
    this.scheduleExpiry();
    if (first !== 'not-needed') this.scheduleCheck(lockCheckAtMs(this.lock));
    return true;
  }

  /**
   * Stops keeping the lock: clears the timers (none may fire in a later invocation of a reused
   * container) and waits for an extension in flight, so it never races the completion. Resolves
   * to whether the claim was given up.
   */
  async stop(): Promise<boolean> {
    this.stopped = true;
    clearTimeout(this.checkTimer);
    clearTimeout(this.expiryTimer);
    await this.checking;
    return this.controller.signal.aborted;
  }

  private scheduleCheck(atMs: number): void {
    this.checkTimer = setTimeout(() => {
      this.checking = this.check();
    }, Math.max(0, atMs - Date.now()));
  }

  private scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => {
      this.giveUp('the idempotency lock ran out before it could be extended: another invocation may take the record over');
    }, Math.max(0, this.lock.lockUntilMs - Date.now()));
  }

  private async check(): Promise<void> {
    const result = await this.extend();
    if (this.stopped || this.signal.aborted) return;
    switch (result) {
      case 'extended':
        this.scheduleExpiry();
        this.scheduleCheck(lockCheckAtMs(this.lock));
        return;
      case 'lost':
        this.giveUp('the idempotency claim was taken over by another invocation (or the record is gone)');
        return;
      case 'failed':
        // The lock still holds until it runs out: the next try comes at the midpoint of what is left.
        this.scheduleCheck(lockCheckAtMs({ writtenAtMs: Date.now(), lockUntilMs: this.lock.lockUntilMs }));
        return;
      case 'not-needed':
        return;
    }
  }

  /** One fenced extension: at most one request. */
  private async extend(): Promise<Extension> {
    const nowMs = Date.now();
    const times = this.extension(nowMs, this.lock.lockUntilMs);
    if (times === undefined) return 'not-needed';
    try {
      if (!(await this.store.extend(this.claim, times))) return 'lost';
      this.lock = { writtenAtMs: nowMs, lockUntilMs: times.lockUntilMs };
      return 'extended';
    } catch (error) {
      this.logger.warn('could not extend the idempotency lock', { error, lockUntilMs: this.lock.lockUntilMs });
      return 'failed';
    }
  }

  private giveUp(message: string): void {
    if (this.stopped || this.signal.aborted) return;
    clearTimeout(this.checkTimer);
    clearTimeout(this.expiryTimer);
    this.controller.abort(new ClaimLostError(message));
  }
}
