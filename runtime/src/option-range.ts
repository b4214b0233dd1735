/**
 * A numeric option checked when its owner is created: NaN, Infinity or a fraction would
 * otherwise turn into a loop that never ends or a feature silently off.
 */
export function integerInRange(owner: string, name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min || chosen > max) {
    throw new Error(`${owner}: ${name} must be an integer from ${min} to ${max}, got ${String(chosen)}`);
  }
  return chosen;
}
