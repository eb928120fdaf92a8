// Learned figures that forget: a mean whose samples lose half their weight every half-life, so a function that got
// faster last hour is predicted by last hour. The same arithmetic runs in Redis (live/lua/placement-stats.lua), in the
// reader that blends it with the manifest's prior, and in the simulator. Pure: `now` is always passed in.

/** A decayed mean as stored: the mean, the weight of the samples behind it at `at`, and when it was last updated. */
export interface DecayedMean {
  mean: number;
  weight: number;
  at: number;
}

export const EMPTY_MEAN: DecayedMean = Object.freeze({ mean: 0, weight: 0, at: 0 });

/** The weight a mean still has at `now`. */
export function decayedWeight(m: DecayedMean, now: number, halfLifeMs: number): number {
  if (m.weight <= 0) return 0;
  const age = Math.max(0, now - m.at);
  return m.weight * Math.pow(2, -age / halfLifeMs);
}

/** Folds one sample in: older samples count for less the older they are. */
export function observe(m: DecayedMean, sample: number, now: number, halfLifeMs: number): DecayedMean {
  const w = decayedWeight(m, now, halfLifeMs);
  return { mean: (m.mean * w + sample) / (w + 1), weight: w + 1, at: Math.max(now, m.at) };
}

/**
 * The estimate at `now`: the measured mean blended with a prior (the manifest's expected duration) worth
 * `priorWeight` samples. With no samples it is the prior; after many it is the measurement.
 */
export function estimate(
  m: DecayedMean | undefined,
  prior: number,
  priorWeight: number,
  now: number,
  halfLifeMs: number,
): { value: number; samples: number } {
  const w = m ? decayedWeight(m, now, halfLifeMs) : 0;
  if (w + priorWeight <= 0) return { value: prior, samples: 0 };
  return { value: ((m?.mean ?? 0) * w + prior * priorWeight) / (w + priorWeight), samples: w };
}

/** A decayed ratio (cold starts / Lambda attempts, say): two decayed counts updated together. */
export interface DecayedRatio {
  hits: number;
  total: number;
  at: number;
}

export function observeRatio(r: DecayedRatio, hit: boolean, now: number, halfLifeMs: number): DecayedRatio {
  const f = r.total > 0 ? Math.pow(2, -Math.max(0, now - r.at) / halfLifeMs) : 0;
  return { hits: r.hits * f + (hit ? 1 : 0), total: r.total * f + 1, at: Math.max(now, r.at) };
}

export function ratio(r: DecayedRatio | undefined, fallback: number): number {
  return r && r.total > 0 ? r.hits / r.total : fallback;
}
