import { isAccessDenied } from './idempotency-store.js';
import type { Logger } from './logger.js';

/** The permissions batched idempotency requests need beyond the single-item ones. */
export const BATCH_PERMISSIONS = ['dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete', 'dynamodb:BatchGetItem'] as const;

/**
 * Whether a container sends its idempotency requests in batches: on with `idempotency.batching`
 * (the default), off for good once the table's policy refuses a batched request, so a function
 * whose role grants only the single-item actions keeps working, one request per record.
 */
export class BatchRequests {
  constructor(private on: boolean) {}

  get allowed(): boolean {
    return this.on;
  }

  /**
   * Whether `error` is the policy refusing a batched request (nothing of it was applied: the
   * caller sends its items one by one). The first time, batching is turned off with a warning.
   */
  refusedByPolicy(error: unknown, log: Logger): boolean {
    if (!isAccessDenied(error)) return false;
    if (this.on) {
      this.on = false;
      log.warn(`the idempotency table refused a batched request: this container sends one request per record from now on; grant ${BATCH_PERMISSIONS.join(', ')} on the table`, { error });
    }
    return true;
  }
}
