// Keeps Lambda environments warm: for each configured function, as many concurrent warm-up invocations as should
// stay warm. Warm-ups are answered by the function wrapper at once and are counted apart from tasks, as warming.
// In SCHEDULER_WARM_POOL_MODE=auto the size comes from domain/warm-pool-sizing.ts: the concurrency expected in the
// next interval, and only where a saved cold start is worth more than a warm-up costs under the objective. Both
// modes record their decision and what warming spent, so the ledger (live/warming-stats.ts) can show if it paid.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaCost, type PriceTable } from '../domain/cost-model';
import type { PlacementConfig, SpillwayConfig } from '../domain/config';
import type { DeployedFunction } from '../domain/deployed-function';
import type { FunctionDirectory } from '../clients/function-directory';
import { parseReportLine } from '../domain/lambda-report';
import { decideWarmPoolSize, type WarmingDecision, type WarmingFacts } from '../domain/warm-pool-sizing';
import type { PlacementLeases } from '../live/placement-leases';
import { statsVersionKey, type PlacementStats } from '../live/placement-stats';
import type { TaskProjection } from '../live/task-projection';
import type { WarmingLedger, WarmingStats } from '../live/warming-stats';
import type { WarmResult } from '../domain/warm-pool-result';

export interface WarmTarget {
  name: string;
  count: number;
  /** Why this many (the sizing's explanation). */
  reason?: string;
}

export type { WarmResult };

/** In auto mode, the recent peak concurrency is looked at over this window. */
const PEAK_WINDOW_MS = 15 * 60_000;
/** A warm-up is answered at once by the function wrapper: Lambda bills its minimum. */
const WARMUP_BILLED_MS = 1;
const encoder = new TextEncoder();

export function createWarmPoolActivities(deps: {
  lambda: LambdaClient;
  config: SpillwayConfig['scheduler'];
  /** The objective and the latency price the sizing weighs, the environments' lifetime and the ceiling. */
  placement?: PlacementConfig;
  prices: PriceTable;
  leases?: PlacementLeases;
  projection?: TaskProjection;
  functions: FunctionDirectory;
  /** Learned Init Durations (live/placement-stats.ts). */
  stats?: PlacementStats;
  /** The ledger of warming: what it spent, what real tasks met, what it saved. */
  warming?: WarmingStats;
}) {
  const placement = deps.placement;

  async function initMsOf(fn: DeployedFunction): Promise<number> {
    const fallback = placement?.defaultInitMs ?? 250;
    if (!deps.stats) return fallback;
    const learned = await deps.stats
      .read({
        functionName: fn.name,
        versionKey: statsVersionKey(fn.version, fn.codeSha256),
        expectedDurationMs: fn.spillway.expectedDurationMs,
        defaultInitMs: fallback,
        poolSize: deps.config.localWorkerPoolSize,
        now: Date.now(),
      })
      .catch(() => undefined);
    return learned?.initMs ?? fallback;
  }

  /** What the sizing needs to know of a function; what Redis cannot say counts as nothing seen. */
  async function factsOf(
    fn: DeployedFunction,
    ledger: WarmingLedger | undefined,
    auto: boolean,
  ): Promise<WarmingFacts> {
    const [peak, invocations, initMs] = await Promise.all([
      deps.leases?.peakConcurrency(fn.name, PEAK_WINDOW_MS).catch(() => 0) ?? Promise.resolve(0),
      deps.warming?.attemptsSinceDecision(fn.name).catch(() => 0) ?? Promise.resolve(0),
      initMsOf(fn),
    ]);
    return {
      functionName: fn.name,
      memoryMB: fn.memoryMB,
      architecture: fn.architecture,
      predictedConcurrency: peak,
      // Before the ledger has a decision, every attempt it counted so far is the best guess of an interval's.
      expectedInvocations: invocations,
      initMs,
      warmupDurationMs: WARMUP_BILLED_MS,
      intervalMs: deps.config.warmPoolIntervalSeconds * 1000,
      environmentLifetimeMs: placement?.warmEnvironmentLifetimeMs ?? 600_000,
      lastSize: ledger?.last?.size ?? 0,
      warmHitRatio: ledger?.warmHitRatio ?? undefined,
      maxSize: auto ? (placement?.warmPoolMax ?? 20) : fn.spillway.warmPoolSize,
    };
  }

  async function planWarmPool(): Promise<WarmTarget[]> {
    const auto = deps.config.warmPoolMode === 'auto';
    const ledgers = new Map(((await deps.warming?.read().catch(() => [])) ?? []).map((l) => [l.functionName, l]));
    const targets: WarmTarget[] = [];
    for (const fn of await deps.functions.list()) {
      // Only functions that speak Spillway's event answer a warm-up without running; a plain one would run for real.
      if (fn.spillway.event !== 'task') continue;
      let count = fn.spillway.warmPoolSize;
      let decision: WarmingDecision | undefined;
      if (auto || deps.warming) {
        const facts = await factsOf(fn, ledgers.get(fn.name), auto);
        decision = decideWarmPoolSize(
          facts,
          deps.prices,
          placement?.objective ?? 'balanced',
          placement?.latencyUsdPerSecond ?? 0.00001,
        );
        if (auto) count = decision.size;
      }
      const reason = auto
        ? (decision?.reason ?? '')
        : `fixed: warmPoolSize ${count}${decision && decision.netPerEnvironmentUsd <= 0 ? ' (warming costs more than a saved cold start is worth)' : ''}`;
      if (decision) {
        await deps.warming
          ?.recordDecision(fn.name, { ...decision, size: count, mode: auto ? 'auto' : 'fixed', reason })
          .catch(() => undefined);
      }
      if (count > 0) targets.push({ name: fn.name, count, reason });
    }
    return targets;
  }

  async function warmFunction(target: WarmTarget): Promise<WarmResult> {
    const spec = await deps.functions.resolve(target.name).catch(() => undefined);
    const started = performance.now();
    // Concurrent invocations: each one occupies its own environment, so N calls leave N environments warm.
    const outcomes = await Promise.allSettled(
      Array.from({ length: target.count }, () =>
        deps.lambda.send(
          new InvokeCommand({
            FunctionName: target.name,
            InvocationType: 'RequestResponse',
            LogType: 'Tail',
            Payload: encoder.encode(
              JSON.stringify({ spillway: { warmup: true, requestedAt: new Date().toISOString() } }),
            ),
          }),
        ),
      ),
    );
    let warmed = 0;
    let coldStarts = 0;
    let costUsd = 0;
    const errors: string[] = [];
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        errors.push(`${(outcome.reason as Error).name}: ${(outcome.reason as Error).message}`);
        continue;
      }
      const response = outcome.value;
      if (response.FunctionError) {
        errors.push(`function error: ${response.FunctionError}`);
        continue;
      }
      warmed++;
      const report = parseReportLine(
        response.LogResult ? Buffer.from(response.LogResult, 'base64').toString('utf8') : '',
      );
      if (report?.initDurationMs !== undefined) coldStarts++;
      costUsd += lambdaCost(deps.prices, {
        memoryMB: report?.memoryMB ?? spec?.memoryMB ?? 128,
        billedDurationMs: report?.billedDurationMs ?? 1,
        initDurationMs: report?.initDurationMs,
        architecture: spec?.architecture ?? 'x86_64',
      });
    }
    // Best effort: the projection is rebuilt from Temporal, and warming must not fail for it.
    await deps.projection?.recordWarmups({ warmed, coldStarts, costUsd }).catch(() => undefined);
    await deps.warming
      ?.recordWarmups(target.name, {
        warmed,
        coldStarts,
        costUsd,
        lifetimeMs: placement?.warmEnvironmentLifetimeMs ?? 600_000,
      })
      .catch(() => undefined);
    return {
      name: target.name,
      requested: target.count,
      warmed,
      coldStarts,
      durationMs: Math.round(performance.now() - started),
      costUsd,
      errors,
      ...(target.reason !== undefined ? { reason: target.reason } : {}),
    };
  }

  return { planWarmPool, warmFunction };
}
