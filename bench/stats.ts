/** The statistics every figure uses: medians of repeated samples taken in rotating order, with their spread. */

/** The value below which `q` of the sorted values lie (linear interpolation between neighbours). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** A figure: its median, its spread, and the samples behind it. */
export interface Sampled {
  readonly median: number;
  /** Interquartile range: the middle half of the samples. */
  readonly q1: number;
  readonly q3: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export function sampled(samples: readonly number[]): Sampled {
  return {
    median: round(median(samples), 4),
    q1: round(quantile(samples, 0.25), 4),
    q3: round(quantile(samples, 0.75), 4),
    min: round(Math.min(...samples), 4),
    max: round(Math.max(...samples), 4),
    samples: samples.map((value) => round(value, 4)),
  };
}

/**
 * The ratio of two subjects measured in the same rounds: one ratio per round (both ran within
 * seconds of each other, so a machine that got busier slows both), then their median and spread.
 */
export function pairedRatio(ours: readonly number[], theirs: readonly number[]): Sampled {
  if (ours.length !== theirs.length) throw new Error(`paired ratio of ${ours.length} and ${theirs.length} samples`);
  return sampled(ours.map((value, index) => value / theirs[index]));
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
