/*
 * Exponential backoff, one formula for the runtime: the longest wait before each retry. The
 * publishers wait a random time from none to all of it (`backoff` in publish-batches.ts);
 * `consumeRabbitMq` from half to all of it (`reconnectDelayMs` in rabbitmq/reconnect.ts).
 */

/** `initialMs` doubled for each retry after the first (`retry` 1 is the first), at most `maxMs`. */
export function backoffCeilingMs(initialMs: number, retry: number, maxMs: number): number {
  // Capped exponent: 2 ** 30 times any initial delay is already past every maximum.
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(retry - 1, 0), 30));
}
