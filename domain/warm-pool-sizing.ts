// Warming that proves it pays. Per function, for the next warm-pool interval: how many environments to keep warm,
// from the concurrency expected, the warm-hit ratio real tasks saw, what a warm-up costs and what a cold start it
// saves is worth under the objective. Where warming costs more than the latency it saves is worth, it stops.
// Pure: figures in, a size and its explanation out.
import { lambdaCost, type PriceTable } from './cost-model';
import type { Architecture } from './deployed-function';
import type { AutoObjective } from './placement-predictor';

export interface WarmingFacts {
  functionName: string;
  memoryMB: number;
  architecture: Architecture;
  /** Peak concurrent Lambda tasks expected in the next interval (recent peaks, PlacementLeases.peakConcurrency). */
  predictedConcurrency: number;
  /** Lambda tasks expected in the next interval; a warm environment nobody uses saves nothing. */
  expectedInvocations: number;
  /** Measured Init Duration of a cold start (live/placement-stats.ts), ms. */
  initMs: number;
  /** Billed duration of one warm-up event (the handler answers at once), ms. */
  warmupDurationMs: number;
  /** The warm pool's interval and how long an idle environment survives; warming a reclaimed one pays its init. */
  intervalMs: number;
  environmentLifetimeMs: number;
  /** Environments warmed last interval and the share of real Lambda tasks that found a warm one since. */
  lastSize: number;
  warmHitRatio?: number;
  /** Ceiling from the manifest or config (`warmPoolSize` in fixed mode is the floor and the ceiling). */
  maxSize: number;
}

export interface WarmingDecision {
  functionName: string;
  size: number;
  /** Cold starts the chosen size is expected to save in the interval. */
  savedColdStarts: number;
  warmingCostUsd: number;
  /** What the saved cold starts are worth: their latency at the objective's price plus the billed init avoided. */
  savedValueUsd: number;
  /** Per environment: worth minus cost; warming stops where this is not positive. */
  netPerEnvironmentUsd: number;
  /** What one saved cold start is worth (latency under the objective and billed init), and one warm-up's cost. */
  valuePerColdStartUsd: number;
  costPerWarmupUsd: number;
  reason: string;
}

const usd = (n: number) => `$${n.toPrecision(3)}`;

export function decideWarmPoolSize(
  facts: WarmingFacts,
  prices: PriceTable,
  objective: AutoObjective,
  latencyUsdPerSecond: number,
): WarmingDecision {
  const lambda = (billedDurationMs: number, initDurationMs = 0) =>
    lambdaCost(prices, {
      memoryMB: facts.memoryMB,
      architecture: facts.architecture,
      billedDurationMs,
      initDurationMs,
    });
  // A warm-up that finds its environment reclaimed starts it cold, and AWS bills that init.
  const reclaimed = facts.intervalMs > facts.environmentLifetimeMs;
  const costPerWarmup = lambda(facts.warmupDurationMs, reclaimed ? facts.initMs : 0);
  // Warming that did not reach real tasks last time (environments gone before they came) is believed that much less.
  const effectiveness = facts.lastSize > 0 && facts.warmHitRatio !== undefined ? facts.warmHitRatio : 1;
  // The init a task avoids: its latency (worth nothing under `cost`), and its billed init (always worth it).
  const latencyValue = objective === 'cost' ? 0 : (facts.initMs / 1000) * latencyUsdPerSecond;
  const initBillValue = lambda(0, facts.initMs) - lambda(0, 0);
  const valuePerColdStart = (latencyValue + initBillValue) * effectiveness;
  const useful = Math.max(0, Math.min(facts.predictedConcurrency, facts.expectedInvocations, facts.maxSize));
  const net = valuePerColdStart - costPerWarmup;
  const warm = objective === 'latency' ? useful : net > 0 ? useful : 0;
  const size = Math.floor(warm);
  const saved = size * effectiveness;
  const decision = {
    functionName: facts.functionName,
    size,
    savedColdStarts: saved,
    warmingCostUsd: size * costPerWarmup,
    savedValueUsd: saved * (latencyValue + initBillValue),
    netPerEnvironmentUsd: net,
    valuePerColdStartUsd: latencyValue + initBillValue,
    costPerWarmupUsd: costPerWarmup,
  };
  let reason: string;
  if (useful === 0) reason = 'no Lambda concurrency expected in the next interval';
  else if (size === 0) {
    reason =
      `a warm-up costs ${usd(costPerWarmup)} and a cold start it saves is worth ${usd(valuePerColdStart)} ` +
      `under ${objective}${effectiveness < 1 ? ` (warm hits ${Math.round(effectiveness * 100)} %)` : ''}: not warming`;
  } else {
    reason = `${size} expected concurrent, ${objective === 'latency' ? 'latency first' : `a saved ${Math.round(facts.initMs)} ms cold start is worth ${usd(valuePerColdStart)} against ${usd(costPerWarmup)} a warm-up`}`;
  }
  return { ...decision, reason };
}
