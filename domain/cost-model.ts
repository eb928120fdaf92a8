// What a run costs, from the dated price table in config/prices.json. Pure functions: the same inputs always give
// the same figure, so estimates before a run and actuals after it are comparable.
import type { Architecture } from './deployed-function';

export interface PriceTable {
  effectiveDate: string;
  currency: 'USD';
  lambda: { requestUsd: number; gbSecondUsd: Record<Architecture, number> };
  local: { vCpuSecondUsd: number };
}

export interface LambdaUsage {
  memoryMB: number;
  billedDurationMs: number;
  /** Billed on cold starts: AWS bills the init phase of managed runtimes. Per request. */
  initDurationMs?: number;
  architecture: Architecture;
  requests?: number;
}

export function lambdaCost(prices: PriceTable, usage: LambdaUsage): number {
  const requests = usage.requests ?? 1;
  const billedMs = Math.ceil(usage.billedDurationMs) + Math.ceil(usage.initDurationMs ?? 0);
  const gbSeconds = (usage.memoryMB / 1024) * (billedMs / 1000);
  return requests * (prices.lambda.requestUsd + gbSeconds * prices.lambda.gbSecondUsd[usage.architecture]);
}

export function localCost(prices: PriceTable, cpuTimeMs: number): number {
  return (cpuTimeMs / 1000) * prices.local.vCpuSecondUsd;
}

export interface CostEstimate {
  priceTableDate: string;
  local: number;
  lambda: { x86_64: number; arm64: number };
  basis: { expectedDurationMs: number; memoryMB: number };
}

/** Before a run: what each placement would cost for a run of the expected duration. */
export function estimateCosts(
  prices: PriceTable,
  expectedDurationMs: number,
  memoryMB: number,
  cpuShare = 1,
): CostEstimate {
  const lambdaFor = (architecture: Architecture) =>
    lambdaCost(prices, { memoryMB, billedDurationMs: expectedDurationMs, architecture });
  return {
    priceTableDate: prices.effectiveDate,
    local: localCost(prices, expectedDurationMs * cpuShare),
    lambda: { x86_64: lambdaFor('x86_64'), arm64: lambdaFor('arm64') },
    basis: { expectedDurationMs, memoryMB },
  };
}

/** Checks a loaded price table once, so a typo in config stops start-up instead of producing NaN costs. */
export function validatePriceTable(raw: unknown): PriceTable {
  const t = raw as PriceTable;
  const positive = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  if (
    typeof t !== 'object' ||
    t === null ||
    !/^\d{4}-\d{2}-\d{2}$/.test(String(t.effectiveDate)) ||
    !positive(t.lambda?.requestUsd) ||
    !positive(t.lambda?.gbSecondUsd?.x86_64) ||
    !positive(t.lambda?.gbSecondUsd?.arm64) ||
    !positive(t.local?.vCpuSecondUsd)
  ) {
    throw new Error('config/prices.json is not a valid price table (effectiveDate, lambda and local prices)');
  }
  return Object.freeze(t);
}
