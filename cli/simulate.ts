// `spillway simulate`: replays the tasks of a recent period, as Temporal visibility recorded them, through placement
// policies (domain/placement-simulator.ts) and prints per policy the makespan, p50/p95 latency, cost and the share
// on each placement, beside what really happened. cli/main.ts calls runSimulate with a Temporal client.
import { parseArgs } from 'node:util';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { SpillwayConfig } from '../domain/config';
import { STATUS_QUERY, TASK_WORKFLOW_TYPE } from '../domain/constants';
import type { PriceTable } from '../domain/cost-model';
import { AUTO_OBJECTIVES, type AutoObjective } from '../domain/placement-predictor';
import {
  comparePolicies,
  type PolicySpec,
  type SimulationResult,
  type SimulationSettings,
  type TraceTask,
} from '../domain/placement-simulator';
import {
  EXECUTION_MODE_KEY,
  REQUESTED_MODE_KEY,
  TASK_COLD_STARTS_KEY,
  TASK_COST_KEY,
  TASK_DURATION_KEY,
  TASK_TYPE_KEY,
} from '../domain/search-attributes';
import type { TaskState } from '../domain/task-model';

export const SIMULATE_USAGE = `  simulate                     replay recorded tasks through placement policies, beside what happened
      --since <24h>            the period to replay: 90m, 24h, 7d (default 24h)
      --policy <p>             predictive, threshold, local, lambda or all (repeatable; default all)
      --threshold <n>          the threshold policy's spill count (default SCHEDULER_LAMBDA_TASK_THRESHOLD)
      --objective <o>          the predictive policy's objective: balanced, latency, cost (default SCHEDULER_AUTO_OBJECTIVE)
      --type <type>            only tasks of this type
      --limit <n>              read at most this many tasks (default 5000)
      --exact                  read each task's attempts for its run time, not only visibility (one query per task)
      --json
`;

/** A mistake in how simulate was called; cli/main.ts prints the usage for it. */
export class SimulateUsageError extends Error {
  override readonly name = 'SimulateUsageError';
}

export interface SimulateRequest {
  sinceMs: number;
  policies: PolicySpec[];
  limit: number;
  type?: string;
  exact: boolean;
  json: boolean;
}

/** `90m`, `24h`, `7d`, `30s` → ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new SimulateUsageError(`--since must look like 90m, 24h or 7d, got "${text}"`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export function parseSimulateArgs(args: string[], config: SpillwayConfig): SimulateRequest {
  const { values } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      since: { type: 'string', default: '24h' },
      policy: { type: 'string', multiple: true },
      threshold: { type: 'string' },
      objective: { type: 'string' },
      limit: { type: 'string', default: '5000' },
      type: { type: 'string' },
      exact: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      endpoint: { type: 'string' },
      region: { type: 'string' },
    },
  });
  const threshold = values.threshold === undefined ? config.scheduler.lambdaTaskThreshold : Number(values.threshold);
  if (!Number.isInteger(threshold) || threshold < 0) {
    throw new SimulateUsageError(`--threshold must be a whole number, got "${values.threshold}"`);
  }
  const objective = (values.objective ?? config.placement.objective) as AutoObjective;
  if (!AUTO_OBJECTIVES.includes(objective)) {
    throw new SimulateUsageError(`--objective must be one of ${AUTO_OBJECTIVES.join(', ')}, got "${objective}"`);
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) {
    throw new SimulateUsageError(`--limit must be a whole number from 1 to 1000000, got "${values.limit}"`);
  }
  const wanted = values.policy?.length ? values.policy : ['all'];
  const policies: PolicySpec[] = [];
  for (const p of wanted) {
    if (p === 'all' || p === 'local') policies.push({ kind: 'LOCAL' });
    if (p === 'all' || p === 'lambda') policies.push({ kind: 'LAMBDA' });
    if (p === 'all' || p === 'threshold') policies.push({ kind: 'threshold', threshold });
    if (p === 'all' || p === 'predictive') policies.push({ kind: 'predictive', objective });
    if (!['all', 'local', 'lambda', 'threshold', 'predictive'].includes(p)) {
      throw new SimulateUsageError(`--policy must be predictive, threshold, local, lambda or all, got "${p}"`);
    }
  }
  return {
    sinceMs: parseDuration(values.since ?? '24h'),
    policies,
    limit,
    type: values.type,
    exact: values.exact ?? false,
    json: values.json ?? false,
  };
}

/** A finished task as visibility recorded it. */
export interface RecordedTask {
  id: string;
  type: string;
  submittedAt: number;
  closedAt: number;
  placement: 'LOCAL' | 'LAMBDA';
  requestedMode?: string;
  /** TaskDurationMs: placement to final status (includes time queued for a local slot). */
  durationMs: number;
  costUsd: number;
  coldStarts: number;
}

/** Every closed task of the period: failed and cancelled ones took capacity too. */
export function visibilityQuery(since: Date, type?: string): string {
  if (type !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(type)) {
    throw new SimulateUsageError(`--type must be a task type, got "${type}"`);
  }
  return (
    `WorkflowType = '${TASK_WORKFLOW_TYPE}' AND ExecutionStatus != 'Running' ` +
    `AND StartTime >= '${since.toISOString()}'` +
    (type ? ` AND ${TASK_TYPE_KEY.name} = '${type}'` : '')
  );
}

export function recordedTask(info: WorkflowExecutionInfo): RecordedTask | undefined {
  const sa = info.typedSearchAttributes;
  const placement = sa.get(EXECUTION_MODE_KEY);
  const durationMs = sa.get(TASK_DURATION_KEY);
  if ((placement !== 'LOCAL' && placement !== 'LAMBDA') || durationMs === undefined || !info.closeTime) {
    return undefined;
  }
  return {
    id: info.workflowId,
    type: sa.get(TASK_TYPE_KEY) ?? 'unknown',
    submittedAt: info.startTime.getTime(),
    closedAt: info.closeTime.getTime(),
    placement,
    requestedMode: sa.get(REQUESTED_MODE_KEY),
    durationMs,
    costUsd: sa.get(TASK_COST_KEY) ?? 0,
    coldStarts: sa.get(TASK_COLD_STARTS_KEY) ?? 0,
  };
}

/** Reads the period's finished tasks from visibility through the public client API, at most `limit`. */
export async function gatherRecorded(
  client: Client,
  since: Date,
  limit: number,
  type?: string,
): Promise<RecordedTask[]> {
  const out: RecordedTask[] = [];
  for await (const info of client.workflow.list({ query: visibilityQuery(since, type), pageSize: 1000 })) {
    const task = recordedTask(info);
    if (task) out.push(task);
    if (out.length >= limit) break;
  }
  return out.sort((a, b) => a.submittedAt - b.submittedAt);
}

/** With --exact: the run time of each task's successful attempt, from the workflow's status query. */
export async function attemptDurations(client: Client, tasks: readonly RecordedTask[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of tasks) {
    try {
      const state = await client.workflow.getHandle(t.id).query<TaskState>(STATUS_QUERY);
      const ok = [...state.attempts].reverse().find((a) => a.outcome === 'succeeded' && a.durationMs !== undefined);
      if (ok?.durationMs !== undefined) out.set(t.id, ok.durationMs);
    } catch {
      // A task whose history is gone keeps its visibility figure.
    }
  }
  return out;
}

/** Pure: the trace the simulator replays. Payload sizes are not in visibility, so they count as small. */
export function traceFromRecorded(tasks: readonly RecordedTask[], runTimes?: ReadonlyMap<string, number>): TraceTask[] {
  return tasks.map((t) => ({
    id: t.id,
    submittedAt: t.submittedAt,
    type: t.type,
    functionName: t.type,
    payloadBytes: 0,
    durations: { [t.placement]: runTimes?.get(t.id) ?? t.durationMs },
  }));
}

/** Pure: what really happened, in the simulator's terms. */
export function actualResult(tasks: readonly RecordedTask[]): SimulationResult {
  const latencies = tasks.map((t) => t.closedAt - t.submittedAt).sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))] ?? 0;
  const n = Math.max(1, tasks.length);
  const placed = {
    LOCAL: tasks.filter((t) => t.placement === 'LOCAL').length,
    LAMBDA: tasks.filter((t) => t.placement === 'LAMBDA').length,
  };
  return {
    policy: 'what happened',
    tasks: tasks.length,
    makespanMs: tasks.length
      ? Math.max(...tasks.map((t) => t.closedAt)) - Math.min(...tasks.map((t) => t.submittedAt))
      : 0,
    latencyMs: { p50: at(50), p95: at(95), mean: latencies.reduce((a, b) => a + b, 0) / n },
    costUsd: tasks.reduce((a, t) => a + t.costUsd, 0),
    placed,
    share: { LOCAL: placed.LOCAL / n, LAMBDA: placed.LAMBDA / n },
    coldStarts: tasks.reduce((a, t) => a + t.coldStarts, 0),
    perTask: [],
  };
}

/** The simulator's model of this deployment, from config and what the recorded tasks show. */
export function simulationSettings(config: SpillwayConfig, prices: PriceTable): SimulationSettings {
  return {
    localPoolSize: config.scheduler.localWorkerPoolSize,
    lambda: {
      concurrency: config.placement.lambdaTargets[0]?.concurrency ?? 1000,
      initMs: config.placement.defaultInitMs,
      overheadMs: config.placement.invokeOverheadMs,
      warmAtStart: 0,
      idleLifetimeMs: 5 * 60_000,
    },
    defaultMemoryMB: 128,
    prices,
    predictor: { latencyUsdPerSecond: config.placement.latencyUsdPerSecond },
    halfLifeMs: config.placement.statsHalfLifeMs,
    priorWeight: config.placement.priorWeight,
  };
}

const ms = (n: number) => `${Math.round(n).toLocaleString('en-US')} ms`;
const pct = (n: number) => `${Math.round(n * 100)} %`;

export function formatSimulation(actual: SimulationResult, results: readonly SimulationResult[]): string {
  const rows = [
    ['policy', 'tasks', 'makespan', 'p50', 'p95', 'cost', 'LOCAL', 'LAMBDA', 'cold starts'],
    ...[actual, ...results].map((r) => [
      r.policy,
      String(r.tasks),
      ms(r.makespanMs),
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p95),
      `$${r.costUsd.toFixed(8)}`,
      pct(r.share.LOCAL),
      pct(r.share.LAMBDA),
      String(r.coldStarts),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export interface SimulateDeps {
  client: Client;
  config: SpillwayConfig;
  prices: PriceTable;
  now: () => number;
  write: (text: string) => void;
}

export async function runSimulate(args: string[], deps: SimulateDeps): Promise<number> {
  const request = parseSimulateArgs(args, deps.config);
  const since = new Date(deps.now() - request.sinceMs);
  const recorded = await gatherRecorded(deps.client, since, request.limit, request.type);
  if (recorded.length === 0) {
    deps.write(`no finished task since ${since.toISOString()}: nothing to replay\n`);
    return 0;
  }
  const runTimes = request.exact ? await attemptDurations(deps.client, recorded) : undefined;
  const trace = traceFromRecorded(recorded, runTimes);
  const settings = simulationSettings(deps.config, deps.prices);
  const actual = actualResult(recorded);
  const results = comparePolicies(trace, settings, request.policies);
  if (request.json) {
    deps.write(
      `${JSON.stringify({ since: since.toISOString(), settings: { ...settings, prices: undefined }, actual, results: results.map(({ perTask: _p, ...r }) => r) }, null, 2)}\n`,
    );
  } else {
    deps.write(
      `${recorded.length} tasks since ${since.toISOString()}, pool ${settings.localPoolSize}, ` +
        `Lambda init ${settings.lambda.initMs} ms\n${formatSimulation(actual, results)}\n`,
    );
  }
  return 0;
}
