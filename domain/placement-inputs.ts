// Small pure adapters from what decidePlacement has (the task, its deployed function, the config, the budgets'
// verdict) to what predictPlacement takes, so the activity stays a few lines of I/O around one pure call.
import type { BudgetVerdict } from './budget-policy';
import type { PlacementConfig } from './config';
import type { Architecture } from './deployed-function';
import {
  DEFAULT_PREDICTOR_PARAMS,
  type BudgetSignal,
  type PredictionTask,
  type PredictorParams,
} from './placement-predictor';

const encoder = new TextEncoder();

/** The task fields placement reads; region, allowedRegions, dataRegion and deadlineMs are optional on TaskInput. */
export interface PlacementTaskFields {
  payload: unknown;
  deadlineMs?: number;
  region?: string;
  allowedRegions?: readonly string[];
  dataRegion?: string;
  /** Size of an input already in the object store (the payload is then only its reference). */
  storedPayloadBytes?: number;
}

export function payloadBytes(payload: unknown): number {
  return encoder.encode(JSON.stringify(payload ?? {})).length;
}

export function predictionTask(
  task: PlacementTaskFields,
  fn: { memoryMB: number; architecture: Architecture } | undefined,
  expectedResultBytes = 0,
): PredictionTask {
  return {
    payloadBytes: task.storedPayloadBytes ?? payloadBytes(task.payload),
    resultBytes: expectedResultBytes,
    memoryMB: fn?.memoryMB ?? 128,
    architecture: fn?.architecture ?? 'x86_64',
    deadlineMs: task.deadlineMs,
    region: task.region,
    allowedRegions: task.allowedRegions,
    dataRegion: task.dataRegion,
  };
}

export function predictorParams(
  config: PlacementConfig,
  options: { fallbackToLocalOnThrottle: boolean; s3Available: boolean; throttlePenaltyMs?: number },
): PredictorParams {
  return {
    ...DEFAULT_PREDICTOR_PARAMS,
    objective: config.objective,
    latencyUsdPerSecond: config.latencyUsdPerSecond,
    invokeOverheadMs: config.invokeOverheadMs,
    localOverheadMs: config.localOverheadMs,
    largePayloadBytes: config.largePayloadBytes,
    s3Available: options.s3Available,
    fallbackToLocalOnThrottle: options.fallbackToLocalOnThrottle,
    throttlePenaltyMs: options.throttlePenaltyMs ?? DEFAULT_PREDICTOR_PARAMS.throttlePenaltyMs,
  };
}

/** The budgets' verdict as the predictor weighs it; undefined when no budget applies. */
export function budgetSignal(verdict: BudgetVerdict): BudgetSignal | undefined {
  if (verdict.statuses.length === 0) return undefined;
  return {
    level: verdict.level,
    budgetId: verdict.budgetId,
    remainingUsd: verdict.remainingUsd,
    message: verdict.message,
  };
}
