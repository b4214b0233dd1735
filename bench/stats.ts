/** The statistics every figure uses: medians of repeated samples, taken in alternating order. */

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A figure: its median and the samples behind it, so a reader can judge the spread. */
export interface Sampled {
  readonly median: number;
  readonly samples: readonly number[];
}

export function sampled(samples: readonly number[]): Sampled {
  return { median: median(samples), samples: samples.map((value) => round(value, 3)) };
}

/**
 * The order in which to run `items` in round `round`: rotated every round, so that no subject
 * always runs first (warm caches) or last (a machine that got busy) — interleaved A/B.
 */
export function rotation<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
