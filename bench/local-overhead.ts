// Section 1: LOCAL overhead. N no-op tasks through Spillway's REST API against the same N through a raw Temporal SDK
// program (bench/baseline-*.ts) on the same server, at the same concurrency and with as many activity slots as
// Spillway's local pool. Completion is followed the same way for both: the Temporal client's handle.result() (one
// long poll per task in flight), so neither contender is measured with extra load on its own process.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { BenchContext } from './context';
import { requestJson } from './http';
import type { WindowResult } from './memory';
import { fmt, verdict } from './report';
import { ratio, round, runLanes, sleep, summarize, withTimeout, type Summary } from './stats';

export type Contender = 'spillway' | 'baseline';

export interface LocalRun {
  contender: Contender;
  n: number;
  concurrency: number;
  completed: number;
  failed: number;
  wallMs: number;
  throughputPerSec: number;
  latencyMs: Summary;
  /** CPU time per completed task of each process, ms (from /proc/<pid>/stat over the run). */
  cpuMsPerTask: Record<string, number>;
  /** Events in the history of one finished task (all tasks of a contender have the same shape). */
  historyEvents?: number;
  historyEventTypes?: string[];
  /** The run's CLOCK_MONOTONIC window (µs), to cut CPU profiles to it. */
  hrWindowUs: { fromUs: number; toUs: number };
  errors: string[];
}

export interface LocalOverheadResult {
  concurrency: number;
  completionTracking: string;
  runs: LocalRun[];
  /** One task in flight: the latency of a task on an idle system, without queueing. */
  unloaded: LocalRun[];
  memory: { spillway?: WindowResult; baseline?: WindowResult };
}

const PER_TASK_TIMEOUT_MS = 60_000;

interface TaskStateLike {
  status?: string;
}

async function runOne(
  ctx: BenchContext,
  contender: Contender,
  n: number,
  label: string,
  concurrency = ctx.options.concurrency,
): Promise<LocalRun> {
  const { stack, client } = ctx;
  const latencies: number[] = [];
  const errors: string[] = [];
  let failed = 0;
  let lastDone = 0;
  let lastId: string | undefined;
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const run = randomBytes(3).toString('hex');
  const deadline = Date.now() + 60_000 + n * 250;
  const start = performance.now();
  const submit = async (i: number): Promise<string> => {
    if (contender === 'spillway') {
      const created = await requestJson<{ id: string }>(
        `${stack.apiUrl}/api/tasks`,
        { body: JSON.stringify({ name: `bench ${label} ${i}`, type: 'noop', executionMode: 'LOCAL' }) },
        [201],
      );
      return created.id;
    }
    const workflowId = `bench-baseline-${label}-${run}-${i}`;
    await client.workflow.start('baselineNoop', {
      taskQueue: stack.baselineTaskQueue,
      workflowId,
      args: [workflowId],
    });
    return workflowId;
  };
  const started = await runLanes(n, concurrency, deadline, async (i) => {
    const t0 = performance.now();
    try {
      const id = await submit(i);
      const result = await withTimeout(
        client.workflow.getHandle(id).result() as Promise<unknown>,
        PER_TASK_TIMEOUT_MS,
        `task ${id}`,
      );
      if (contender === 'spillway' && (result as TaskStateLike | undefined)?.status !== 'COMPLETED') {
        throw new Error(`task ${id} ended ${(result as TaskStateLike | undefined)?.status}`);
      }
      const done = performance.now();
      latencies.push(done - t0);
      lastDone = Math.max(lastDone, done);
      lastId = id;
    } catch (err) {
      failed++;
      if (errors.length < 5) errors.push((err as Error).message);
    }
  });
  failed += n - started;
  const wallMs = (lastDone || performance.now()) - start;
  const toUs = Number(process.hrtime.bigint() / 1000n);
  let historyEventTypes: string[] | undefined;
  if (lastId) {
    try {
      const history = await client.workflow.getHandle(lastId).fetchHistory();
      const names = temporal.api.enums.v1.EventType as unknown as Record<number, string>;
      historyEventTypes = (history.events ?? []).map((e) =>
        String(names[Number(e.eventType)] ?? e.eventType)
          .replace(/^EVENT_TYPE_/, '')
          .toLowerCase(),
      );
    } catch {
      // Only an explanation aid; the run's figures stand without it.
    }
  }
  return {
    contender,
    n,
    concurrency,
    completed: latencies.length,
    failed,
    wallMs: round(wallMs),
    throughputPerSec: round(latencies.length / (wallMs / 1000)),
    latencyMs: summarize(latencies),
    cpuMsPerTask: {},
    historyEvents: historyEventTypes?.length,
    historyEventTypes,
    hrWindowUs: { fromUs, toUs },
    errors,
  };
}

/** The processes whose CPU counts for a contender: its worker, Temporal, and (Spillway) the API and Redis. */
const CPU_LABELS: Record<Contender, string[]> = {
  spillway: ['temporal', 'worker', 'api', 'redis', 'bench'],
  baseline: ['temporal', 'baseline-worker', 'bench'],
};

function cpuPerTask(window: WindowResult | undefined, contender: Contender, completed: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (!window || completed === 0) return out;
  let total = 0;
  for (const label of CPU_LABELS[contender]) {
    const ms = window.cpuMs[label];
    if (ms === undefined) continue;
    out[label] = round(ms / completed, 2);
    total += ms;
  }
  out.total = round(total / completed, 2);
  return out;
}

export async function localOverhead(ctx: BenchContext): Promise<LocalOverheadResult> {
  const { options, memory, log } = ctx;
  const result: LocalOverheadResult = {
    concurrency: options.concurrency,
    completionTracking: 'Temporal client handle.result() per task (same for both contenders)',
    runs: [],
    unloaded: [],
    memory: {},
  };
  log(`LOCAL overhead: warming up both contenders with ${options.warmupTasks} tasks each ...`);
  await runOne(ctx, 'baseline', options.warmupTasks, 'warmup');
  await runOne(ctx, 'spillway', options.warmupTasks, 'warmup');

  for (const [index, n] of options.sizes.entries()) {
    // Alternating the order per size keeps a slow drift (a growing database) from always hurting the same side.
    const order: Contender[] = index % 2 === 0 ? ['baseline', 'spillway'] : ['spillway', 'baseline'];
    const pair: Partial<Record<Contender, LocalRun>> = {};
    for (const contender of order) {
      await sleep(2000);
      const name = `local-${n}-${contender}`;
      memory.begin(name);
      log(`LOCAL overhead: ${contender}, ${n} tasks, ${options.concurrency} in flight ...`);
      const run = await runOne(ctx, contender, n, `n${n}`);
      const window = memory.end(name);
      run.cpuMsPerTask = cpuPerTask(window, contender, run.completed);
      if (n === options.memorySize) result.memory[contender] = window;
      log(
        `  ${run.completed}/${n} done in ${fmt(run.wallMs / 1000)} s: ${fmt(run.throughputPerSec)} tasks/s, ` +
          `p50 ${fmt(run.latencyMs.p50)} ms, p95 ${fmt(run.latencyMs.p95)} ms; CPU ms/task ${JSON.stringify(run.cpuMsPerTask)}` +
          (run.failed ? `, ${run.failed} FAILED (${run.errors[0]})` : ''),
      );
      result.runs.push(run);
      pair[contender] = run;
    }
    const s = pair.spillway;
    const b = pair.baseline;
    if (!s || !b) continue;
    const section = `1 LOCAL overhead, N=${n}`;
    const baselineName = 'raw Temporal SDK';
    const tputRatio = ratio(s.throughputPerSec, b.throughputPerSec);
    const tputOk = tputRatio === null || s.failed > 0 ? false : tputRatio >= 0.85;
    const p50Delta = s.latencyMs.p50 !== null && b.latencyMs.p50 !== null ? s.latencyMs.p50 - b.latencyMs.p50 : null;
    const p50Ok = p50Delta === null || s.failed > 0 ? false : p50Delta <= 20;
    ctx.rows.push(
      {
        section,
        figure: 'throughput',
        measured: s.throughputPerSec,
        unit: 'tasks/s',
        baseline: b.throughputPerSec,
        baselineName,
        ratio: tputRatio,
        target: '≥ 0.85× baseline',
        verdict: verdict(tputOk),
      },
      {
        section,
        figure: 'submit→complete p50',
        measured: s.latencyMs.p50,
        unit: 'ms',
        baseline: b.latencyMs.p50,
        baselineName,
        ratio: ratio(s.latencyMs.p50, b.latencyMs.p50),
        target: '≤ baseline + 20 ms',
        verdict: verdict(p50Ok),
      },
      {
        section,
        figure: 'submit→complete p95',
        measured: s.latencyMs.p95,
        unit: 'ms',
        baseline: b.latencyMs.p95,
        baselineName,
        ratio: ratio(s.latencyMs.p95, b.latencyMs.p95),
      },
      {
        section,
        figure: 'submit→complete p99',
        measured: s.latencyMs.p99,
        unit: 'ms',
        baseline: b.latencyMs.p99,
        baselineName,
        ratio: ratio(s.latencyMs.p99, b.latencyMs.p99),
      },
    );
    ctx.rows.push({
      section,
      figure: 'CPU per task, all processes',
      measured: s.cpuMsPerTask.total ?? null,
      unit: 'ms',
      baseline: b.cpuMsPerTask.total ?? null,
      baselineName,
      ratio: ratio(s.cpuMsPerTask.total, b.cpuMsPerTask.total),
    });
    ctx.rows.push({
      section,
      figure: 'history events per task',
      measured: s.historyEvents ?? null,
      unit: '',
      baseline: b.historyEvents ?? null,
      baselineName,
      ratio: ratio(s.historyEvents, b.historyEvents),
    });
    if (n === options.memorySize) {
      const parts: Array<[string, string, string]> = [
        ['Temporal server', 'temporal', 'temporal'],
        ['worker', 'worker', 'baseline-worker'],
        ['API', 'api', ''],
        ['Redis', 'redis', ''],
        ['bench driver (client)', 'bench', 'bench'],
      ];
      for (const [figure, mine, theirs] of parts) {
        ctx.rows.push({
          section,
          figure: `CPU per task: ${figure}`,
          measured: s.cpuMsPerTask[mine] ?? null,
          unit: 'ms',
          baseline: theirs ? (b.cpuMsPerTask[theirs] ?? null) : null,
          baselineName: theirs ? baselineName : 'none in baseline',
          ratio: theirs ? ratio(s.cpuMsPerTask[mine], b.cpuMsPerTask[theirs]) : null,
        });
      }
    }
    if (s.failed || b.failed) {
      ctx.rows.push({
        section,
        figure: 'failed tasks',
        measured: s.failed,
        unit: '',
        baseline: b.failed,
        baselineName,
        ratio: null,
      });
    }
    ctx.targets.push(
      {
        section,
        target: 'throughput ≥ 0.85× baseline',
        measured: `${fmt(s.throughputPerSec)} vs ${fmt(b.throughputPerSec)} tasks/s = ${fmt(tputRatio)}×`,
        verdict: verdict(tputOk),
        note: s.failed ? `${s.failed} tasks failed` : undefined,
      },
      {
        section,
        target: 'p50 within 20 ms of baseline',
        measured: `${fmt(s.latencyMs.p50)} vs ${fmt(b.latencyMs.p50)} ms = +${fmt(p50Delta)} ms`,
        verdict: verdict(p50Ok),
      },
    );
  }

  const unloadedN = options.quick ? 30 : 100;
  for (const contender of ['baseline', 'spillway'] as const) {
    await sleep(2000);
    log(`LOCAL overhead: ${contender}, ${unloadedN} tasks one at a time (latency without queueing) ...`);
    const run = await runOne(ctx, contender, unloadedN, 'c1', 1);
    log(`  p50 ${fmt(run.latencyMs.p50)} ms, p95 ${fmt(run.latencyMs.p95)} ms`);
    result.unloaded.push(run);
  }
  const [b1, s1] = result.unloaded;
  if (b1 && s1) {
    ctx.rows.push({
      section: `1 LOCAL overhead, N=${unloadedN}, 1 in flight`,
      figure: 'submit→complete p50 (no queueing)',
      measured: s1.latencyMs.p50,
      unit: 'ms',
      baseline: b1.latencyMs.p50,
      baselineName: 'raw Temporal SDK',
      ratio: ratio(s1.latencyMs.p50, b1.latencyMs.p50),
    });
  }
  return result;
}
