// Keeps Lambda environments warm: for each configured function, as many concurrent warm-up invocations as should
// stay warm. Warm-ups are answered by the function wrapper at once and are counted apart from tasks, as warming.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaCost, type PriceTable } from '../domain/cost-model';
import type { SpillwayConfig } from '../domain/config';
import type { FunctionDirectory } from '../clients/function-directory';
import { parseReportLine } from '../domain/lambda-report';
import type { PlacementLeases } from '../live/placement-leases';
import type { TaskProjection } from '../live/task-projection';

export interface WarmTarget {
  name: string;
  count: number;
}

export interface WarmResult {
  name: string;
  requested: number;
  warmed: number;
  coldStarts: number;
  durationMs: number;
  costUsd: number;
  errors: string[];
}

/** In auto mode, the recent peak concurrency is looked at over this window. */
const PEAK_WINDOW_MS = 15 * 60_000;
const encoder = new TextEncoder();

export function createWarmPoolActivities(deps: {
  lambda: LambdaClient;
  config: SpillwayConfig['scheduler'];
  prices: PriceTable;
  leases?: PlacementLeases;
  projection?: TaskProjection;
  functions: FunctionDirectory;
}) {
  async function planWarmPool(): Promise<WarmTarget[]> {
    const targets: WarmTarget[] = [];
    for (const fn of await deps.functions.list()) {
      // Only functions that speak Spillway's event answer a warm-up without running; a plain one would run for real.
      if (fn.spillway.event !== 'task') continue;
      let count = fn.spillway.warmPoolSize;
      if (deps.config.warmPoolMode === 'auto' && deps.leases) {
        count = await deps.leases.peakConcurrency(fn.name, PEAK_WINDOW_MS).catch(() => fn.spillway.warmPoolSize);
      }
      if (count > 0) targets.push({ name: fn.name, count });
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
    return {
      name: target.name,
      requested: target.count,
      warmed,
      coldStarts,
      durationMs: Math.round(performance.now() - started),
      costUsd,
      errors,
    };
  }

  return { planWarmPool, warmFunction };
}
