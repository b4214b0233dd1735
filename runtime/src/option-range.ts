import { describeValue } from './describe-value.js';

/**
 * A numeric option checked when its owner is created: NaN, Infinity or a fraction would
 * otherwise turn into a loop that never ends or a feature silently off.
 */
export function integerInRange(owner: string, name: string, value: unknown, fallback: number, min: number, max: number): number {
  const chosen = value === undefined ? fallback : value;
  if (typeof chosen !== 'number' || !Number.isInteger(chosen) || chosen < min || chosen > max) {
    throw new Error(`${owner}: ${name} must be an integer from ${min} to ${max}, got ${describeValue(chosen)}`);
  }
  return chosen;
}
