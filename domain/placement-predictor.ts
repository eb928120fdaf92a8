// The predictive AUTO policy: for LOCAL and every allowed Lambda target it predicts when the task would finish and
// what it would cost, drops the targets a hard limit rules out, and picks by the objective. The threshold rule in
// placement-policy.ts stays beside it (SCHEDULER_AUTO_POLICY=threshold). Pure: the same input always gives the same
// decision, and the decision carries every estimate, the runner-up and the margin, so a task can say why it went
// where it went.
import { Type, type Static } from '@sinclair/typebox';
import { lambdaCost, localCost, type PriceTable } from './cost-model';
import type { Architecture } from './deployed-function';
import { LAMBDA_ASYNC_PAYLOAD_LIMIT_BYTES, LAMBDA_MAX_DURATION_MS } from './placement-policy';
import { residencyViolation, transferCost, type TransferPrices } from './region-model';
import type { BudgetLevel } from './budget-policy';

export const AUTO_POLICIES = ['predictive', 'threshold'] as const;
export type AutoPolicy = (typeof AUTO_POLICIES)[number];
export const AUTO_OBJECTIVES = ['balanced', 'latency', 'cost'] as const;
export type AutoObjective = (typeof AUTO_OBJECTIVES)[number];

/** Room left in the async payload for the event envelope and the completion token (as in placement-policy.ts). */
const ENVELOPE_BYTES = 4 * 1024;
/** The name LOCAL goes by among the estimates. */
export const LOCAL_TARGET = 'LOCAL';

/** What was learned about the task's function (live/placement-stats.ts), or the manifest's figures before that. */
export interface LearnedFigures {
  /** The function's run time in the local pool, ms. */
  localDurationMs: number;
  /**
   * How long a local attempt of it holds its slot (dispatch, the run, reporting), ms, when measured; a task behind it
   * waits that long. Undefined: the run time plus the configured local overhead.
   */
  localSlotMs?: number;
  /** Its run time on Lambda (the handler's Duration, without Init), ms. */
  lambdaDurationMs: number;
  /** Init Duration of a cold start, ms. */
  initMs: number;
  /** Measured CPU time over run time of local attempts (1 = CPU-bound); local cost is billed by CPU time. */
  localCpuShare: number;
  /** Local completions per second across the pool; undefined: the pool size over the local duration. */
  localThroughputPerSec?: number;
  /** Decayed sample weights behind each figure; 0 means the manifest's expectation (or the default). */
  samples: { local: number; lambda: number; init: number };
}

export interface LocalCandidate {
  region: string;
  /** Local tasks placed or running across every worker, this one not counted. */
  inFlight: number;
  poolSize: number;
  /**
   * Time left, ms, of each task running in a local slot, when known (from the slots' leases). With it the wait is
   * worked out slot by slot, which is right for a burst that started together; without it, queue ÷ throughput.
   */
  runningRemainingMs?: readonly number[];
}

export interface LambdaCandidate {
  name: string;
  region: string;
  reachable: boolean;
  /** From the target's latency monitor: false after consecutive failures. */
  healthy: boolean;
  concurrencyHeadroom: number;
  /** Spillway's own cap for the target (LAMBDA_TARGETS' `concurrency`), if any. */
  concurrencyLimit?: number;
  inFlight: number;
  /** Invocations accepted but not yet in an environment (queued events, placements a moment ago). */
  pending: number;
  warmIdle: number;
  /**
   * Cold starts the target brings up at once (undefined: no limit, as on AWS). Beyond it a cold start waits for the
   * ones ahead of it: on a Lambda service sharing this machine's cores, a burst of cold starts comes up a few at a time.
   */
  coldStartConcurrency?: number;
  /** Cold starts under way now (environments still in their init), when the target can tell; default 0. */
  initializing?: number;
  /**
   * False when the target cannot count its warm environments (AWS does not say): then a cold start is as likely as
   * the learned share of recent attempts that started cold (`coldRatio`), not certain. @default true
   */
  countsWarm?: boolean;
  /** Learned share of recent Lambda attempts of the function that started cold (live/placement-stats.ts). */
  coldRatio?: number;
  recentThrottles: number;
  /** Measured invoke round trip to the target (EWMA), ms. */
  latencyMs: number;
  /** Measured delay from the function's end to its callback reaching the API (EWMA), ms. */
  callbackDelayMs: number;
  /**
   * Measured delay from an attempt's scheduling to its Invoke (the activity's pickup, the function's lookup), ms;
   * the invoke overhead parameter stands in until one is measured.
   */
  dispatchDelayMs?: number;
  prices: PriceTable;
}

export interface PredictionTask {
  payloadBytes: number;
  /** Expected size of the result, for the transfer back; default 0. */
  resultBytes?: number;
  memoryMB: number;
  architecture: Architecture;
  /** Latency SLO: the task should finish within this many ms of now. */
  deadlineMs?: number;
  /** Pinned region: only a target there may run it. */
  region?: string;
  /** Residency: only these regions may run it. */
  allowedRegions?: readonly string[];
  /** Where the input lives (and the result goes); transfer from and to it is charged. */
  dataRegion?: string;
}

/** The budgets' verdict as placement needs it (domain/budget-policy.ts evaluateBudgets). */
export interface BudgetSignal {
  level: BudgetLevel;
  /** Exceeded budgets force LOCAL at placement whatever their admission action was. */
  budgetId?: string;
  remainingUsd?: number;
  message: string;
}

export interface PredictorParams {
  objective: AutoObjective;
  /** What one second of a task's completion time is worth under `balanced`, USD. */
  latencyUsdPerSecond: number;
  /** An async Invoke's own cost in time before the handler starts (202, queueing, event delivery), ms. */
  invokeOverheadMs: number;
  /** Added when the target throttled recently: the expected wait of a retry after a throttle, ms. */
  throttlePenaltyMs: number;
  /** Payloads above this go through S3 (when an object store is configured). */
  largePayloadBytes: number;
  s3Available: boolean;
  /** How fast a function reads its input from S3 (and writes its result), bytes per ms. */
  s3BytesPerMs: number;
  fallbackToLocalOnThrottle: boolean;
  /** Time a local slot is held beyond the handler's run (dispatch, heartbeats, reporting), ms. */
  localOverheadMs: number;
}

export const DEFAULT_PREDICTOR_PARAMS: PredictorParams = Object.freeze({
  objective: 'balanced',
  latencyUsdPerSecond: 0.00001,
  invokeOverheadMs: 15,
  throttlePenaltyMs: 1000,
  largePayloadBytes: 256 * 1024,
  s3Available: false,
  s3BytesPerMs: 50_000,
  fallbackToLocalOnThrottle: true,
  localOverheadMs: 0,
});

export interface PredictionInput {
  task: PredictionTask;
  learned: LearnedFigures;
  local: LocalCandidate;
  lambda: readonly LambdaCandidate[];
  /** Prices of config/prices.json: the local price, and Lambda's for targets without their own. */
  prices: PriceTable;
  transfer: TransferPrices;
  budget?: BudgetSignal;
  params: PredictorParams;
}

export const TargetEstimateSchema = Type.Object({
  /** `LOCAL` or the Lambda target's name. */
  target: Type.String(),
  placement: Type.Union([Type.Literal('LOCAL'), Type.Literal('LAMBDA')]),
  region: Type.String(),
  feasible: Type.Boolean(),
  /** Why a hard limit rules the target out. */
  excluded: Type.Optional(Type.String()),
  /** Predicted time from now until the task finishes there, ms. */
  completionMs: Type.Number(),
  costUsd: Type.Number(),
  /** The objective's figure (lower is better): ms for latency, USD for cost and balanced. */
  score: Type.Number(),
  meetsDeadline: Type.Optional(Type.Boolean()),
  viaS3: Type.Boolean(),
  breakdown: Type.Object({
    queueMs: Type.Number(),
    coldStartProbability: Type.Number(),
    /** Cold starts ahead of this one that the target brings up first (0 when warm or unlimited). */
    coldStartsAhead: Type.Optional(Type.Number()),
    /** Expected init time, waiting for the cold starts ahead included. */
    initMs: Type.Number(),
    overheadMs: Type.Number(),
    durationMs: Type.Number(),
    transferMs: Type.Number(),
    penaltyMs: Type.Number(),
    computeUsd: Type.Number(),
    transferUsd: Type.Number(),
  }),
});
export type TargetEstimate = Static<typeof TargetEstimateSchema>;

/** The predictive policy's decision: a PlacementDecision (domain/task-model.ts) with its whole explanation. */
export const PredictiveDecisionSchema = Type.Object({
  placement: Type.Union([Type.Literal('LOCAL'), Type.Literal('LAMBDA')]),
  reason: Type.String(),
  inputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  fallbackToLocalOnThrottle: Type.Optional(Type.Boolean()),
  policy: Type.Literal('predictive'),
  /** The objective applied (a budget at 90 % turns any objective to cost). */
  objective: Type.Union(AUTO_OBJECTIVES.map((o) => Type.Literal(o))),
  /** For LAMBDA: which target, in which region. */
  target: Type.Optional(Type.Object({ name: Type.String(), region: Type.String() })),
  payloadViaS3: Type.Boolean(),
  estimates: Type.Array(TargetEstimateSchema),
  runnerUp: Type.Optional(Type.String()),
  /** Runner-up minus chosen: how much later and how much dearer the next best would have been. */
  margin: Type.Optional(Type.Object({ completionMs: Type.Number(), costUsd: Type.Number(), score: Type.Number() })),
  deadlineMs: Type.Optional(Type.Number()),
  budget: Type.Optional(Type.Object({ level: Type.String(), message: Type.String() })),
});
export type PredictiveDecision = Static<typeof PredictiveDecisionSchema>;

/**
 * What a predictive decision adds to the recorded PlacementDecision (domain/task-model.ts): the policy and objective,
 * the chosen target, every target's estimate, the runner-up and the margin. Every field is optional, so a decision
 * of the threshold rule, an override's, or one recorded before these fields existed still parses.
 */
export const PlacementExplanationSchema = Type.Partial(
  Type.Pick(PredictiveDecisionSchema, [
    'policy',
    'objective',
    'target',
    'payloadViaS3',
    'estimates',
    'runnerUp',
    'margin',
    'deadlineMs',
    'budget',
  ]),
);
export type PlacementExplanation = Static<typeof PlacementExplanationSchema>;

/** Thrown by predictPlacement when residency or a pin leaves no target at all; the task cannot run anywhere. */
export class NoAllowedTargetError extends Error {
  override readonly name = 'NoAllowedTargetError';
  constructor(
    message: string,
    readonly estimates: TargetEstimate[],
  ) {
    super(message);
  }
}

export function predictPlacement(input: PredictionInput): PredictiveDecision {
  const { task, params } = input;
  const objective: AutoObjective =
    input.budget && (input.budget.level === 'warn90' || input.budget.level === 'exceeded') ? 'cost' : params.objective;
  const viaS3 = params.s3Available && task.payloadBytes > params.largePayloadBytes;
  const estimates = [
    localEstimate(input, objective),
    ...input.lambda.map((t) => lambdaEstimate(input, t, objective, viaS3)),
  ];
  const feasible = estimates.filter((e) => e.feasible);
  if (feasible.length === 0) {
    throw new NoAllowedTargetError(
      `no target may run the task: ${estimates.map((e) => `${label(e)} (${e.excluded})`).join('; ')}`,
      estimates,
    );
  }
  const deadline = task.deadlineMs;
  const onTime = deadline === undefined ? feasible : feasible.filter((e) => e.meetsDeadline);
  const missedDeadline = deadline !== undefined && onTime.length === 0;
  // Late candidates rank after on-time ones; when none is on time, the fastest is the least late.
  const rank = (list: TargetEstimate[]) =>
    [...list].sort((a, b) => (missedDeadline ? compare(a, b, 'latency') : compare(a, b, objective)));
  const ranked = [...rank(onTime), ...rank(feasible.filter((e) => !onTime.includes(e)))];
  const chosen = ranked[0] as TargetEstimate;
  const runnerUp = ranked[1];
  const lambdaTarget = input.lambda.find((t) => t.name === chosen.target);
  const decision: PredictiveDecision = {
    placement: chosen.placement,
    reason: explain(chosen, runnerUp, estimates, objective, input, missedDeadline),
    inputs: recordedInputs(input),
    policy: 'predictive',
    objective,
    payloadViaS3: viaS3 && chosen.placement === 'LAMBDA',
    estimates,
    deadlineMs: deadline,
  };
  if (chosen.placement === 'LAMBDA' && lambdaTarget) {
    decision.target = { name: lambdaTarget.name, region: lambdaTarget.region };
    decision.fallbackToLocalOnThrottle = params.fallbackToLocalOnThrottle;
  }
  if (runnerUp) {
    decision.runnerUp = runnerUp.target;
    decision.margin = {
      completionMs: round(runnerUp.completionMs - chosen.completionMs),
      costUsd: runnerUp.costUsd - chosen.costUsd,
      score: runnerUp.score - chosen.score,
    };
  }
  if (input.budget) decision.budget = { level: input.budget.level, message: input.budget.message };
  return decision;
}

function localEstimate(input: PredictionInput, objective: AutoObjective): TargetEstimate {
  const { task, learned, local } = input;
  const durationMs = learned.localDurationMs;
  const slotMs = Math.max(learned.localSlotMs ?? 0, durationMs + input.params.localOverheadMs);
  const throughput =
    learned.localThroughputPerSec && learned.localThroughputPerSec > 0
      ? learned.localThroughputPerSec
      : (local.poolSize * 1000) / Math.max(1, slotMs);
  // Tasks that must finish before this one gets a slot: those beyond the pool, plus the one whose slot it takes.
  const ahead = Math.max(0, local.inFlight - local.poolSize + 1);
  const queueMs =
    local.runningRemainingMs === undefined
      ? (ahead / throughput) * 1000
      : slotWaitMs(local.runningRemainingMs, local.poolSize, local.inFlight, slotMs);
  const computeUsd = localCost(input.prices, durationMs * learned.localCpuShare);
  const transferUsd = transferCost(input.transfer, {
    dataRegion: task.dataRegion,
    runRegion: local.region,
    bytesIn: task.payloadBytes,
    bytesOut: task.resultBytes ?? 0,
  });
  return finish(input, objective, {
    target: LOCAL_TARGET,
    placement: 'LOCAL',
    region: local.region,
    excluded: residencyViolation(task, local.region),
    viaS3: false,
    breakdown: {
      queueMs,
      coldStartProbability: 0,
      initMs: 0,
      overheadMs: slotMs - durationMs,
      durationMs,
      transferMs: 0,
      penaltyMs: 0,
      computeUsd,
      transferUsd,
    },
  });
}

/**
 * The wait for a local slot when the remaining times of the running tasks are known: the tasks queued ahead take
 * the earliest free slots one by one, each for `serviceMs`, and this task gets the next slot to free up.
 */
export function slotWaitMs(
  runningRemainingMs: readonly number[],
  poolSize: number,
  inFlight: number,
  serviceMs: number,
): number {
  if (inFlight < poolSize) return 0;
  const free = Array.from({ length: poolSize }, (_, i) => Math.max(0, runningRemainingMs[i] ?? 0)).sort(
    (a, b) => a - b,
  );
  const queuedAhead = Math.min(100_000, Math.max(0, inFlight - Math.min(poolSize, runningRemainingMs.length)));
  for (let i = 0; i < queuedAhead; i++) {
    // The earliest slot takes the next queued task; keep the list sorted by inserting its new free time.
    const next = (free.shift() as number) + serviceMs;
    let at = free.findIndex((f) => f > next);
    if (at < 0) at = free.length;
    free.splice(at, 0, next);
  }
  return free[0] ?? 0;
}

function lambdaEstimate(
  input: PredictionInput,
  t: LambdaCandidate,
  objective: AutoObjective,
  viaS3: boolean,
): TargetEstimate {
  const { task, learned, params } = input;
  const { coldStartProbability, coldStartsAhead, initRounds } = coldStart(t);
  // The init this task would wait for: its own, after those ahead of it come up a few at a time.
  const initMs = coldStartProbability * initRounds * learned.initMs;
  const durationMs = learned.lambdaDurationMs;
  const transferMs = viaS3 ? (task.payloadBytes + (task.resultBytes ?? 0)) / params.s3BytesPerMs : 0;
  const penaltyMs = t.recentThrottles > 0 ? params.throttlePenaltyMs : 0;
  const overheadMs = Math.max(params.invokeOverheadMs, t.dispatchDelayMs ?? 0) + t.latencyMs + t.callbackDelayMs;
  const computeUsd = lambdaCost(t.prices, {
    memoryMB: task.memoryMB,
    billedDurationMs: durationMs,
    // Only its own init is billed, not the wait for those ahead.
    initDurationMs: coldStartProbability * learned.initMs,
    architecture: task.architecture,
  });
  const transferUsd = transferCost(input.transfer, {
    dataRegion: task.dataRegion,
    runRegion: t.region,
    bytesIn: task.payloadBytes,
    bytesOut: task.resultBytes ?? 0,
  });
  const headroom = Math.min(
    t.concurrencyHeadroom,
    t.concurrencyLimit === undefined ? Infinity : t.concurrencyLimit - t.inFlight - t.pending,
  );
  const completion = initMs + overheadMs + durationMs + transferMs + penaltyMs;
  const excluded =
    residencyViolation(task, t.region) ??
    (!t.reachable ? 'unreachable' : undefined) ??
    (!t.healthy ? 'unhealthy (recent invocations failed)' : undefined) ??
    (headroom <= 0 ? 'no concurrency headroom' : undefined) ??
    (durationMs > LAMBDA_MAX_DURATION_MS || completion > LAMBDA_MAX_DURATION_MS
      ? `expected ${minutes(durationMs)} is over Lambda's 15-minute cap`
      : undefined) ??
    (!viaS3 && task.payloadBytes + ENVELOPE_BYTES > LAMBDA_ASYNC_PAYLOAD_LIMIT_BYTES
      ? `payload of ${Math.ceil(task.payloadBytes / 1024)} KB is over Lambda's 1 MB async limit and no object store is configured`
      : undefined) ??
    budgetExclusion(input.budget, computeUsd + transferUsd);
  return finish(input, objective, {
    target: t.name,
    placement: 'LAMBDA',
    region: t.region,
    excluded,
    viaS3,
    breakdown: {
      queueMs: 0,
      coldStartProbability,
      coldStartsAhead,
      initMs,
      overheadMs,
      durationMs,
      transferMs,
      penaltyMs,
      computeUsd,
      transferUsd,
    },
  });
}

/**
 * Will the task meet a cold environment, and behind how many others? Invocations placed but not yet running take the
 * warm environments first; those beyond them are cold starts already under way. A target that limits how many come
 * up at once starts this one after floor(ahead ÷ limit) rounds of init.
 */
export function coldStart(t: LambdaCandidate): {
  coldStartProbability: number;
  coldStartsAhead: number;
  initRounds: number;
} {
  if (t.warmIdle - t.pending >= 1) return { coldStartProbability: 0, coldStartsAhead: 0, initRounds: 0 };
  const ahead = Math.max(0, t.pending - t.warmIdle) + Math.max(0, t.initializing ?? 0);
  const limit = t.coldStartConcurrency;
  const initRounds = limit === undefined || limit <= 0 ? 1 : 1 + Math.floor(ahead / limit);
  const coldStartProbability =
    t.countsWarm === false && t.coldRatio !== undefined ? Math.max(0, Math.min(1, t.coldRatio)) : 1;
  return { coldStartProbability, coldStartsAhead: limit === undefined ? 0 : ahead, initRounds };
}

/**
 * How many times longer a cold start's init took than it would have alone. A target that brings up
 * `coldStartConcurrency` environments at a time on shared cores (a Lambda service on this machine) shares them among
 * the `load` invocations started together, so each init stretches by load ÷ limit. Dividing a measured init by it
 * gives the init alone, which is the figure coldStart's rounds multiply: learned from a burst as measured, the init
 * would count the burst's contention twice. 1 on a target without a limit (AWS) or when the load is unknown.
 */
export function initContention(load: number | undefined, coldStartConcurrency: number | undefined): number {
  if (load === undefined || !(load > 0) || coldStartConcurrency === undefined || coldStartConcurrency <= 0) return 1;
  return Math.max(1, load / coldStartConcurrency);
}

function budgetExclusion(budget: BudgetSignal | undefined, costUsd: number): string | undefined {
  if (!budget) return undefined;
  if (budget.level === 'exceeded') return `${budget.message}; Lambda is off until the period ends`;
  if (budget.remainingUsd !== undefined && costUsd > budget.remainingUsd) {
    return `its cost would exceed what budget ${budget.budgetId ?? ''} has left`.replace('  ', ' ');
  }
  return undefined;
}

function finish(
  input: PredictionInput,
  objective: AutoObjective,
  e: Omit<TargetEstimate, 'feasible' | 'completionMs' | 'costUsd' | 'score' | 'meetsDeadline'>,
): TargetEstimate {
  const b = e.breakdown;
  const completionMs = round(b.queueMs + b.initMs + b.overheadMs + b.durationMs + b.transferMs + b.penaltyMs);
  const costUsd = b.computeUsd + b.transferUsd;
  const score =
    objective === 'latency'
      ? completionMs
      : objective === 'cost'
        ? costUsd
        : costUsd + (completionMs / 1000) * input.params.latencyUsdPerSecond;
  const deadline = input.task.deadlineMs;
  return {
    ...e,
    breakdown: { ...b, queueMs: round(b.queueMs), initMs: round(b.initMs), transferMs: round(b.transferMs) },
    feasible: e.excluded === undefined,
    completionMs,
    costUsd,
    score,
    meetsDeadline: deadline === undefined ? undefined : completionMs <= deadline,
  };
}

/** Lower is better; exact ties go to LOCAL (no transfer, no cold start risk), then to the earlier target. */
function compare(a: TargetEstimate, b: TargetEstimate, objective: AutoObjective): number {
  const primary =
    objective === 'latency'
      ? a.completionMs - b.completionMs
      : objective === 'cost'
        ? a.costUsd - b.costUsd
        : a.score - b.score;
  if (Math.abs(primary) > 1e-15) return primary;
  const secondary = objective === 'cost' ? a.completionMs - b.completionMs : a.costUsd - b.costUsd;
  if (Math.abs(secondary) > 1e-15) return secondary;
  return (a.placement === 'LOCAL' ? 0 : 1) - (b.placement === 'LOCAL' ? 0 : 1);
}

const round = (n: number) => Math.round(n * 10) / 10;
const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
const seconds = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(2)} s`);
export const usd = (n: number) => `$${n.toFixed(8).replace(/0+$/, '').replace(/\.$/, '')}`;
const label = (e: TargetEstimate) => (e.placement === 'LOCAL' ? 'LOCAL' : `LAMBDA ${e.target}`);

function why(e: TargetEstimate, input: PredictionInput): string {
  if (e.placement === 'LOCAL') {
    const ahead = Math.max(0, input.local.inFlight - input.local.poolSize + 1);
    return ahead > 0 ? `${ahead} queued ahead` : `a free slot of ${input.local.poolSize}`;
  }
  const b = e.breakdown;
  const ahead = b.coldStartsAhead ?? 0;
  const parts = [
    b.coldStartProbability <= 0
      ? 'warm'
      : b.coldStartProbability < 1
        ? `cold start ${Math.round(b.coldStartProbability * 100)} % likely`
        : ahead > 0
          ? `cold start behind ${ahead}`
          : 'cold start',
  ];
  if (e.viaS3) parts.push('payload via S3');
  if (b.penaltyMs > 0) parts.push('throttled recently');
  return parts.join(', ');
}

function explain(
  chosen: TargetEstimate,
  runnerUp: TargetEstimate | undefined,
  estimates: TargetEstimate[],
  objective: AutoObjective,
  input: PredictionInput,
  missedDeadline: boolean,
): string {
  const describe = (e: TargetEstimate) => `${label(e)} ${seconds(e.completionMs)} ${usd(e.costUsd)} (${why(e, input)})`;
  let text = `${describe(chosen)}`;
  if (runnerUp) text += ` beats ${describe(runnerUp)}`;
  const excluded = estimates.filter((e) => !e.feasible);
  if (excluded.length > 0) text += `; ruled out: ${excluded.map((e) => `${label(e)} ${e.excluded}`).join(', ')}`;
  const basis = [objective as string];
  if (input.task.deadlineMs !== undefined) {
    basis.push(
      missedDeadline
        ? `no target meets the ${seconds(input.task.deadlineMs)} deadline`
        : `deadline ${seconds(input.task.deadlineMs)}`,
    );
  }
  if (input.budget && input.budget.level !== 'ok') basis.push(input.budget.message);
  const learned = input.learned.samples;
  if (learned.local + learned.lambda === 0) basis.push('durations from the manifest');
  return `${text} [${basis.join('; ')}]`;
}

function recordedInputs(input: PredictionInput): Record<string, unknown> {
  return {
    task: input.task,
    learned: input.learned,
    local: input.local,
    lambda: input.lambda.map(({ prices, ...t }) => ({ ...t, priceTableDate: prices.effectiveDate })),
    priceTableDate: input.prices.effectiveDate,
    transferPriceDate: input.transfer.effectiveDate,
    budget: input.budget,
    params: input.params,
  };
}
