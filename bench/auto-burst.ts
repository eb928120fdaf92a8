// Section 3: a burst of I/O-bound tasks larger than the local pool (flaky with {sleepMs}), submitted at once three
// times: all LOCAL, all LAMBDA, AUTO. Makespan is first submission to last completion; cost is the sum of costUsd
// of GET /api/tasks/:id. Lambda runs start with no flaky environment left, so LAMBDA and AUTO both start cold.
import { performance } from 'node:perf_hooks';
import type { BenchContext } from './context';
import { request, requestJson } from './http';
import { fmt, usd, verdict } from './report';
import { ratio, round, sleep, summarize, withTimeout, type Summary } from './stats';

type Mode = 'LOCAL' | 'LAMBDA' | 'AUTO';

export interface BurstRun {
  mode: Mode;
  size: number;
  completed: number;
  failed: number;
  makespanMs: number;
  latencyMs: Summary;
  costUsd: number;
  placements: Record<string, number>;
  lambdaColdStarts: number;
  attempts: number;
  /** The slowest tasks as GET /api/tasks/:id shows them, with the client-seen latency: for explaining outliers. */
  slowest: Array<{ latencyMs: number; view: unknown }>;
  errors: string[];
}

interface TaskView {
  status: string;
  costUsd?: number;
  placement?: { placement: string };
  attempts: Array<{ placement: string; coldStart?: boolean }>;
}

async function waitNoFlakyEnvironments(ctx: BenchContext): Promise<void> {
  const deadline = Date.now() + ctx.options.lambdaIdleReclaimMs + 15_000;
  while (Date.now() < deadline) {
    const status = await requestJson<{ functions: Array<{ name: string; environments: { total: number } }> }>(
      `${ctx.stack.lambdaUrl}/_spillway/status`,
    );
    if ((status.functions.find((f) => f.name === 'flaky')?.environments.total ?? 0) === 0) return;
    await sleep(200);
  }
  ctx.log('  warning: flaky environments were not reclaimed before the run');
}

async function runBurst(ctx: BenchContext, mode: Mode): Promise<BurstRun> {
  const { options, stack, client } = ctx;
  const ids: string[] = [];
  const latencyById = new Map<string, number>();
  const latencies: number[] = [];
  const errors: string[] = [];
  let lastDone = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: options.burst }, async (_, i) => {
      const t0 = performance.now();
      try {
        const created = await requestJson<{ id: string }>(
          `${stack.apiUrl}/api/tasks`,
          {
            body: JSON.stringify({
              name: `bench burst ${mode} ${i}`,
              type: 'flaky',
              executionMode: mode,
              payload: { sleepMs: options.burstSleepMs },
            }),
          },
          [201],
        );
        ids.push(created.id);
        await withTimeout(client.workflow.getHandle(created.id).result(), 180_000, `task ${created.id}`);
        const done = performance.now();
        latencies.push(done - t0);
        latencyById.set(created.id, round(done - t0));
        lastDone = Math.max(lastDone, done);
      } catch (err) {
        if (errors.length < 5) errors.push((err as Error).message);
      }
    }),
  );
  let costUsd = 0;
  let coldStarts = 0;
  let attempts = 0;
  const placements: Record<string, number> = {};
  const views: Array<{ latencyMs: number; view: unknown }> = [];
  for (const id of ids) {
    const res = await request(`${stack.apiUrl}/api/tasks/${id}`);
    if (res.status !== 200) continue;
    const view = JSON.parse(res.body) as TaskView;
    views.push({ latencyMs: latencyById.get(id) ?? -1, view });
    attempts += view.attempts.length;
    costUsd += view.costUsd ?? 0;
    const where = view.placement?.placement ?? 'unknown';
    placements[where] = (placements[where] ?? 0) + 1;
    coldStarts += view.attempts.filter((a) => a.coldStart === true).length;
  }
  return {
    mode,
    size: options.burst,
    completed: latencies.length,
    failed: options.burst - latencies.length,
    makespanMs: round((lastDone || performance.now()) - start),
    latencyMs: summarize(latencies),
    costUsd,
    placements,
    lambdaColdStarts: coldStarts,
    attempts,
    slowest: views.sort((a, b) => b.latencyMs - a.latencyMs).slice(0, 3),
    errors,
  };
}

export async function autoBurst(ctx: BenchContext): Promise<BurstRun[]> {
  const { options, log } = ctx;
  const runs: BurstRun[] = [];
  for (const mode of ['LOCAL', 'LAMBDA', 'AUTO'] as const) {
    if (mode !== 'LOCAL') await waitNoFlakyEnvironments(ctx);
    await sleep(1000);
    log(`AUTO under a burst: ${options.burst} × flaky {sleepMs: ${options.burstSleepMs}} as ${mode} ...`);
    const run = await runBurst(ctx, mode);
    log(
      `  makespan ${fmt(run.makespanMs)} ms, p95 ${fmt(run.latencyMs.p95)} ms, cost ${usd(run.costUsd)}, ` +
        `placements ${JSON.stringify(run.placements)}` +
        (run.failed ? `, ${run.failed} FAILED (${run.errors[0]})` : ''),
    );
    runs.push(run);
  }
  const byMode = Object.fromEntries(runs.map((r) => [r.mode, r])) as Record<Mode, BurstRun>;
  const better = byMode.LOCAL.makespanMs <= byMode.LAMBDA.makespanMs ? byMode.LOCAL : byMode.LAMBDA;
  const section = `3 AUTO under a burst (${options.burst} × ${options.burstSleepMs} ms, pool ${options.pool}, threshold ${options.threshold})`;
  const betterName = `better of LOCAL/LAMBDA (${better.mode})`;
  for (const run of runs) {
    const isAuto = run.mode === 'AUTO';
    const makespanOk = run.failed === 0 && run.makespanMs <= better.makespanMs;
    const costOk = run.failed === 0 && run.costUsd < byMode.LAMBDA.costUsd;
    ctx.rows.push(
      {
        section,
        figure: `${run.mode}: makespan`,
        measured: run.makespanMs,
        unit: 'ms',
        baseline: better.makespanMs,
        baselineName: betterName,
        ratio: ratio(run.makespanMs, better.makespanMs),
        target: isAuto ? '≤ better of LOCAL/LAMBDA' : undefined,
        verdict: isAuto ? verdict(makespanOk) : undefined,
      },
      {
        section,
        figure: `${run.mode}: p95 latency`,
        measured: run.latencyMs.p95,
        unit: 'ms',
        baseline: better.latencyMs.p95,
        baselineName: betterName,
        ratio: ratio(run.latencyMs.p95, better.latencyMs.p95),
      },
      {
        section,
        figure: `${run.mode}: cost (${Object.entries(run.placements)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')})`,
        measured: run.costUsd,
        unit: 'USD',
        baseline: byMode.LAMBDA.costUsd,
        baselineName: 'all-LAMBDA',
        ratio: ratio(run.costUsd, byMode.LAMBDA.costUsd),
        target: isAuto ? '< all-LAMBDA' : undefined,
        verdict: isAuto ? verdict(costOk) : undefined,
      },
    );
    if (isAuto) {
      ctx.targets.push(
        {
          section,
          target: "AUTO's makespan no worse than the better of all-LOCAL and all-LAMBDA",
          measured: `${fmt(run.makespanMs)} ms vs ${better.mode} ${fmt(better.makespanMs)} ms`,
          verdict: verdict(makespanOk),
          note: run.failed ? `${run.failed} tasks failed` : undefined,
        },
        {
          section,
          target: "AUTO's cost lower than all-LAMBDA",
          measured: `${usd(run.costUsd)} vs ${usd(byMode.LAMBDA.costUsd)}`,
          verdict: verdict(costOk),
        },
      );
    }
  }
  return runs;
}
