import type { IdempotencyOptions } from '@cdk-fanout/runtime';

/**
 * The two ways a consumer writes its idempotency records; every semantics suite runs in both.
 * Batched (the default) shares requests between a batch's records; a batch of one record sends
 * the same single-item requests as the per-record mode.
 */
export const IDEMPOTENCY_MODES: readonly [string, Pick<IdempotencyOptions, 'batching'>][] = [
  ['batched (default)', {}],
  ['per record', { batching: false }],
];

/** Whether `mode` shares requests between records. */
export const isBatched = (mode: Pick<IdempotencyOptions, 'batching'>): boolean => mode.batching !== false;
