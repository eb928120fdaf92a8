// Prometheus exposition: the task statistics as gauges, the API process's own metrics, and the worker's Temporal
// SDK metrics appended from its Prometheus endpoint, so one scrape sees the whole picture.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { BudgetStatus } from '../../domain/budget-policy';
import type { TaskStats } from '../../live/stats-reader';
import type { TargetView } from '../schemas/placement-schemas';

export function createMetrics(deps: {
  stats: () => Promise<TaskStats | undefined>;
  /** Each budget's status in its current period (empty without budgets). */
  budgets?: () => Promise<BudgetStatus[]>;
  /** Each Lambda target's monitor (GET /api/placement/targets). */
  targets?: () => Promise<TargetView[]>;
  workerMetricsUrl?: string;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'spillway_api_' });
  const tasks = new Gauge({
    name: 'spillway_tasks',
    help: 'Tasks by status',
    labelNames: ['status'],
    registers: [registry],
  });
  const byPlacement = new Gauge({
    name: 'spillway_tasks_by_placement',
    help: 'Tasks by placement and status',
    labelNames: ['placement', 'status'],
    registers: [registry],
  });
  const cost = new Gauge({
    name: 'spillway_cost_usd',
    help: 'Estimated cost so far',
    labelNames: ['kind'],
    registers: [registry],
  });
  const execution = new Gauge({
    name: 'spillway_execution_time_ms',
    help: 'Task execution time percentiles over recent tasks',
    labelNames: ['placement', 'quantile'],
    registers: [registry],
  });
  const retried = new Gauge({
    name: 'spillway_tasks_retried',
    help: 'Tasks that needed more than one attempt',
    registers: [registry],
  });
  const coldRatio = new Gauge({
    name: 'spillway_cold_start_ratio',
    help: 'Cold starts / Lambda attempts',
    registers: [registry],
  });
  const throughput = new Gauge({
    name: 'spillway_completed_last_minute',
    help: 'Tasks completed in the last minute',
    registers: [registry],
  });

  const budgetUsed = new Gauge({
    name: 'spillway_budget_used_ratio',
    help: '(Spent + committed) / limit of each budget in its current period; warns at 0.75 and 0.9, acts at 1',
    labelNames: ['budget', 'period'],
    registers: [registry],
  });
  const budgetUsd = new Gauge({
    name: 'spillway_budget_usd',
    help: "Each budget's limit, spent, committed and forecast spend in its current period",
    labelNames: ['budget', 'period', 'kind'],
    registers: [registry],
  });
  const budgetLevel = new Gauge({
    name: 'spillway_budget_level',
    help: "Each budget's level: 0 ok, 1 at 75 %, 2 at 90 %, 3 exceeded",
    labelNames: ['budget', 'period'],
    registers: [registry],
  });
  const LEVELS = { ok: 0, warn75: 1, warn90: 2, exceeded: 3 } as const;

  const targetLatency = new Gauge({
    name: 'spillway_lambda_target_latency_ms',
    help: "Each Lambda target's measured latency: invoke round trip and callback delay, EWMA and p95",
    labelNames: ['target', 'region', 'path', 'stat'],
    registers: [registry],
  });
  const targetHealthy = new Gauge({
    name: 'spillway_lambda_target_healthy',
    help: '1 while the workers find the target healthy, 0 after consecutive failures',
    labelNames: ['target', 'region'],
    registers: [registry],
  });
  const targetThrottled = new Gauge({
    name: 'spillway_lambda_target_throttled',
    help: '1 while a worker saw the target throttle within the last minute',
    labelNames: ['target', 'region'],
    registers: [registry],
  });
  const warming = new Gauge({
    name: 'spillway_warming',
    help: 'Warming that proves it pays, per function: warm-ups, their cost, warm hits of real tasks, saved cold starts',
    labelNames: ['function', 'kind'],
    registers: [registry],
  });

  async function text(): Promise<string> {
    for (const b of (await deps.budgets?.().catch(() => [])) ?? []) {
      const labels = { budget: b.budgetId, period: b.period };
      budgetUsed.set(labels, b.used);
      budgetLevel.set(labels, LEVELS[b.level]);
      budgetUsd.set({ ...labels, kind: 'limit' }, b.limitUsd);
      budgetUsd.set({ ...labels, kind: 'spent' }, b.spentUsd);
      budgetUsd.set({ ...labels, kind: 'committed' }, b.committedUsd);
      budgetUsd.set({ ...labels, kind: 'forecast' }, b.forecastUsd);
    }
    for (const t of (await deps.targets?.().catch(() => [])) ?? []) {
      const labels = { target: t.name, region: t.region };
      for (const path of ['invoke', 'callback'] as const) {
        const s = t[path];
        if (s.ewmaMs !== null) targetLatency.set({ ...labels, path, stat: 'ewma' }, s.ewmaMs);
        if (s.p95Ms !== null) targetLatency.set({ ...labels, path, stat: 'p95' }, s.p95Ms);
      }
      if (t.healthy !== null) targetHealthy.set(labels, t.healthy ? 1 : 0);
      targetThrottled.set(labels, t.throttled ? 1 : 0);
    }
    const stats = await deps.stats().catch(() => undefined);
    if (stats) {
      for (const [status, value] of Object.entries(stats.totals)) tasks.set({ status }, value);
      for (const [placement, counts] of Object.entries(stats.byPlacement)) {
        for (const [status, value] of Object.entries(counts)) byPlacement.set({ placement, status }, value);
      }
      cost.set({ kind: 'lambda_execution' }, stats.cost.lambdaExecutionUsd);
      cost.set({ kind: 'warming' }, stats.cost.warmingUsd);
      cost.set({ kind: 'local' }, stats.cost.localUsd);
      for (const [placement, p] of Object.entries(stats.executionTimeMs)) {
        for (const q of ['p50', 'p95', 'p99'] as const) {
          const value = p[q];
          if (value !== null) execution.set({ placement, quantile: q.replace('p', '0.') }, value);
        }
      }
      retried.set(stats.retries.tasksRetried);
      if (stats.coldStarts.ratio !== null) coldRatio.set(stats.coldStarts.ratio);
      throughput.set(stats.throughput.lastMinute);
      for (const w of stats.warming.functions) {
        const kinds = {
          warmups: w.warmups,
          warming_usd: w.warmingUsd,
          lambda_attempts: w.lambdaAttempts,
          warm_hits: w.warmHits,
          saved_cold_starts: w.savedColdStarts,
          saved_ms: w.savedMs,
          saved_value_usd: w.savedValueUsd,
          net_usd: w.netUsd,
        };
        for (const [kind, value] of Object.entries(kinds)) warming.set({ function: w.functionName, kind }, value);
        if (w.warmHitRatio !== null) warming.set({ function: w.functionName, kind: 'warm_hit_ratio' }, w.warmHitRatio);
      }
    }
    let worker = '';
    if (deps.workerMetricsUrl) {
      try {
        const res = await fetch(deps.workerMetricsUrl, { signal: AbortSignal.timeout(1_000) });
        if (res.ok) worker = `\n# Temporal SDK metrics of the worker (${deps.workerMetricsUrl})\n${await res.text()}`;
      } catch {
        // The worker may be elsewhere or down; the API's own metrics still answer.
      }
    }
    return (await registry.metrics()) + worker;
  }

  return { text, registry };
}
