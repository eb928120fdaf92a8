// Exact descriptive statistics. Values are kept (as a growable Float64Array) because exact percentiles need the
// whole sorted sample; mean and variance use Welford's update so large sums do not lose precision.

export interface Stats {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Population standard deviation (divides by count, not count - 1). */
  stddev: number | null;
  /** Keyed `p<percentile>`, e.g. p50, p99.9. */
  percentiles: Record<string, number | null>;
}

export class Accumulator {
  private values = new Float64Array(64);
  private count = 0;
  private sum = 0;
  private mean = 0;
  private m2 = 0;

  add(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count] = value;
    this.count += 1;
    this.sum += value;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
  }

  finish(percentiles: readonly number[]): Stats {
    const n = this.count;
    const sorted = this.values.subarray(0, n).sort();
    return {
      count: n,
      sum: this.sum,
      min: n > 0 ? (sorted[0] as number) : null,
      max: n > 0 ? (sorted[n - 1] as number) : null,
      mean: n > 0 ? this.mean : null,
      stddev: n > 0 ? Math.sqrt(this.m2 / n) : null,
      percentiles: Object.fromEntries(percentiles.map((p) => [percentileKey(p), percentile(sorted, p)])),
    };
  }
}

export function percentileKey(p: number): string {
  return `p${p}`;
}

/**
 * Linear interpolation between the closest ranks (Hyndman & Fan type 7, the default of numpy and Excel's
 * PERCENTILE.INC): the p-th percentile sits at zero-based position (n - 1) * p / 100 of the sorted sample.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const position = ((n - 1) * p) / 100;
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, n - 1);
  const low = sorted[lower] as number;
  return low + (position - lower) * ((sorted[upper] as number) - low);
}
