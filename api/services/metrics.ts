// Prometheus exposition: the task statistics as gauges, the API process's own metrics, and the worker's Temporal
// SDK metrics appended from its Prometheus endpoint, so one scrape sees the whole picture.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { TaskStats } from '../../live/stats-reader';

export function createMetrics(deps: { stats: () => Promise<TaskStats | undefined>; workerMetricsUrl?: string }) {
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

  async function text(): Promise<string> {
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
