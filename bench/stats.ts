// Small statistics helpers shared by every section: nearest-rank percentiles and a summary of a sample.

export interface Summary {
  count: number;
  mean: number | null;
  min: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Nearest rank: the smallest sample with at least p% of the samples at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? null;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { count: 0, mean: null, min: null, p50: null, p95: null, p99: null, max: null };
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    count: sorted.length,
    mean: round(mean),
    min: round(sorted[0] ?? 0),
    p50: round(percentile(sorted, 50) ?? 0),
    p95: round(percentile(sorted, 95) ?? 0),
    p99: round(percentile(sorted, 99) ?? 0),
    max: round(sorted[sorted.length - 1] ?? 0),
  };
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** measured / baseline, or null when either side is missing or the baseline is zero. */
export function ratio(measured: number | null | undefined, baseline: number | null | undefined): number | null {
  if (measured === null || measured === undefined || baseline === null || baseline === undefined) return null;
  if (baseline === 0) return null;
  return round(measured / baseline, 3);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the promise's value, or rejects after ms with a message naming what timed out. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `one` for indices 0..n-1 with at most `concurrency` in flight, stopping early (without starting more) once
 * the deadline passes. Returns how many were started.
 */
export async function runLanes(
  n: number,
  concurrency: number,
  deadline: number,
  one: (index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, async () => {
    while (next < n && Date.now() < deadline) {
      const index = next++;
      await one(index);
    }
  });
  await Promise.all(lanes);
  return next;
}
