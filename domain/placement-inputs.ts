// Small pure adapters from what decidePlacement has (the task, its deployed function, the config, the budgets'
// verdict) to what predictPlacement takes, so the activity stays a few lines of I/O around one pure call.
import type { BudgetVerdict } from './budget-policy';
import type { PlacementConfig } from './config';
import type { PriceTable } from './cost-model';
import type { Architecture } from './deployed-function';
import {
  DEFAULT_PREDICTOR_PARAMS,
  type BudgetSignal,
  type LambdaCandidate,
  type PredictionTask,
  type PredictiveDecision,
  type PredictorParams,
} from './placement-predictor';
import { targetPriceTable, type LambdaTarget } from './region-model';
import type { PlacementDecision } from './task-model';

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

/** A payload as it travels (JSON, an absent one as `{}`) and its size in bytes: the one measure of a payload. */
export function serializedPayload(payload: unknown): { text: string; bytes: number } {
  const text = JSON.stringify(payload ?? {});
  return { text, bytes: encoder.encode(text).length };
}

export function payloadBytes(payload: unknown): number {
  return serializedPayload(payload).bytes;
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

/** What the Lambda signals (live/lambda-signals.ts) say of the task's function on the target it would be invoked on. */
export interface LambdaFunctionFacts {
  reachable: boolean;
  concurrencyHeadroom: number;
  recentThrottles: number;
  warmIdle: number;
  /** Invocations running in an environment now. */
  inFlight: number;
}

/**
 * The target the invoke path calls: the one on LAMBDA_ENDPOINT (by default the only one, named after AWS_REGION),
 * else the first listed.
 */
export function invokeTarget(targets: readonly LambdaTarget[], endpoint: string): LambdaTarget | undefined {
  return targets.find((t) => t.endpoint === endpoint) ?? targets[0];
}

/**
 * The target as a predictor candidate. `invoked` is Spillway's own count of invocations not yet finished (its
 * in-flight leases): those beyond what runs now are queued or about to start, and will take warm environments first.
 * No latency monitor measures the target yet, so it counts as healthy with no measured round trip; the configured
 * invoke overhead stands for both.
 */
export function lambdaCandidate(
  target: LambdaTarget,
  facts: LambdaFunctionFacts,
  prices: PriceTable,
  invoked = 0,
): LambdaCandidate {
  return {
    name: target.name,
    region: target.region,
    reachable: facts.reachable,
    healthy: true,
    concurrencyHeadroom: facts.concurrencyHeadroom,
    concurrencyLimit: target.concurrency,
    inFlight: facts.inFlight,
    pending: Math.max(0, invoked - facts.inFlight),
    warmIdle: facts.warmIdle,
    recentThrottles: facts.recentThrottles,
    latencyMs: 0,
    callbackDelayMs: 0,
    prices: targetPriceTable(prices, target.prices),
  };
}

/**
 * The predictor's decision as the workflow records it: the placement and its reason, with the whole explanation
 * (every target's estimate, the runner-up, the margin) beside them. Fields the predictor left out stay out.
 */
export function recordedDecision(d: PredictiveDecision): PlacementDecision {
  const recorded: PlacementDecision = {
    placement: d.placement,
    reason: `predictive AUTO: ${d.reason}`,
    policy: d.policy,
    objective: d.objective,
    payloadViaS3: d.payloadViaS3,
    estimates: d.estimates,
  };
  if (d.inputs !== undefined) recorded.inputs = d.inputs;
  if (d.fallbackToLocalOnThrottle !== undefined) recorded.fallbackToLocalOnThrottle = d.fallbackToLocalOnThrottle;
  if (d.target !== undefined) recorded.target = d.target;
  if (d.runnerUp !== undefined) recorded.runnerUp = d.runnerUp;
  if (d.margin !== undefined) recorded.margin = d.margin;
  if (d.deadlineMs !== undefined) recorded.deadlineMs = d.deadlineMs;
  if (d.budget !== undefined) recorded.budget = d.budget;
  return recorded;
}
