// Section 4: read paths with a large history. Tops the history up to the wanted number of finished Spillway tasks
// with POST /api/tasks/bulk (1,000 noop LOCAL tasks per call), waits until they are done, then times
// GET /api/tasks/stats (Redis) and GET /api/tasks?limit=50 (Temporal visibility) against a bare loopback HTTP round
// trip to the trivial server. GET /api/tasks/<unknown id> (one Temporal describe) is shown for reference.
import { performance } from 'node:perf_hooks';
import type { BenchContext } from './context';
import { request, requestJson } from './http';
import { fmt, verdict } from './report';
import { ratio, round, sleep, summarize, type Summary } from './stats';

export interface ReadPathsResult {
  historyWanted: number;
  finishedTasks: number;
  created: number;
  createMs: number;
  createRatePerSec: number;
  bareRoundTripMs: Summary;
  statsMs: Summary;
  listMs: Summary;
  listPageSize: number;
  notFoundMs: Summary;
  /** CLOCK_MONOTONIC window (µs) of the stats timing, to cut CPU profiles to it. */
  statsHrWindowUs: { fromUs: number; toUs: number };
}

interface Stats {
  totals: { created: number; completed: number; failed: number; queued: number; running: number };
}

async function timed(count: number, warmup: number, url: string, expect: number, maxMs = 180_000): Promise<number[]> {
  const values: number[] = [];
  const deadline = Date.now() + maxMs;
  for (let i = 0; i < warmup + count && Date.now() < deadline; i++) {
    const t0 = performance.now();
    const res = await request(url);
    const ms = performance.now() - t0;
    if (res.status !== expect) throw new Error(`GET ${url} answered ${res.status}: ${res.body.slice(0, 200)}`);
    if (i >= warmup) values.push(ms);
  }
  return values;
}

export async function readPaths(ctx: BenchContext): Promise<ReadPathsResult> {
  const { options, stack, log } = ctx;
  const statsUrl = `${stack.apiUrl}/api/tasks/stats`;
  const finished = async () => {
    const s = await requestJson<Stats>(statsUrl);
    return { done: s.totals.completed + s.totals.failed, created: s.totals.created };
  };
  const initial = await finished();
  const need = Math.max(0, options.history - initial.created);
  log(`Read paths: ${initial.done} finished tasks so far; creating ${need} more with POST /api/tasks/bulk ...`);
  const t0 = performance.now();
  let created = 0;
  const createDeadline = Date.now() + (options.quick ? 10 : 40) * 60_000;
  while (created < need && Date.now() < createDeadline) {
    const batch = Math.min(1000, need - created);
    const tasks = Array.from({ length: batch }, (_, i) => ({
      name: `bench history ${created + i}`,
      type: 'noop',
      executionMode: 'LOCAL',
    }));
    const res = await requestJson<{ accepted: number; rejected: number }>(
      `${stack.apiUrl}/api/tasks/bulk`,
      { body: JSON.stringify({ tasks }), timeoutMs: 300_000 },
      [207],
    );
    created += res.accepted;
    if (res.rejected) log(`  ${res.rejected} of ${batch} bulk items were rejected`);
    if (res.accepted === 0) break;
  }
  let now = await finished();
  let lastLog = Date.now();
  let lastProgress = Date.now();
  const wanted = initial.created + created;
  // Bounded by the deadline, and given up when nothing finished for a minute (a stuck task must not hang the run).
  while (now.done < wanted && Date.now() < createDeadline && Date.now() - lastProgress < 60_000) {
    await sleep(2000);
    const previous = now.done;
    now = await finished();
    if (now.done > previous) lastProgress = Date.now();
    if (Date.now() - lastLog > 30_000) {
      lastLog = Date.now();
      log(`  ${now.done} of ${wanted} finished ...`);
    }
  }
  const createMs = performance.now() - t0;
  log(`  ${now.done} finished tasks in history (${created} created in ${fmt(createMs / 1000)} s)`);

  const n = options.readSamples;
  log(`Read paths: timing ${n} × bare round trip, ${n} × stats, ${Math.ceil(n / 2)} × list, 50 × unknown id ...`);
  const bare = await timed(n, 20, `${stack.trivialUrl}/`, 200);
  const statsFromUs = Number(process.hrtime.bigint() / 1000n);
  const stats = await timed(n, 20, statsUrl, 200);
  const statsToUs = Number(process.hrtime.bigint() / 1000n);
  const listUrl = `${stack.apiUrl}/api/tasks?limit=50`;
  const page = await requestJson<{ tasks: unknown[] }>(listUrl);
  const list = await timed(Math.ceil(n / 2), 10, listUrl, 200);
  const notFound = await timed(50, 5, `${stack.apiUrl}/api/tasks/task-does-not-exist`, 404);

  const result: ReadPathsResult = {
    historyWanted: options.history,
    finishedTasks: now.done,
    created,
    createMs: round(createMs),
    createRatePerSec: round(created / (createMs / 1000)),
    bareRoundTripMs: summarize(bare),
    statsMs: summarize(stats),
    listMs: summarize(list),
    listPageSize: page.tasks.length,
    notFoundMs: summarize(notFound),
    statsHrWindowUs: { fromUs: statsFromUs, toUs: statsToUs },
  };

  const section = `4 read paths, ${result.finishedTasks} finished tasks`;
  const bareName = 'bare loopback HTTP';
  const b = result.bareRoundTripMs;
  const statsOk = result.statsMs.p50 !== null ? result.statsMs.p50 <= 10 : null;
  const listOk = result.listMs.p50 !== null ? result.listMs.p50 <= 100 : null;
  const historyOk = result.finishedTasks >= options.history;
  ctx.rows.push(
    {
      section,
      figure: 'GET /api/tasks/stats p50',
      measured: result.statsMs.p50,
      unit: 'ms',
      baseline: b.p50,
      baselineName: bareName,
      ratio: ratio(result.statsMs.p50, b.p50),
      target: '≤ 10 ms',
      verdict: verdict(statsOk),
    },
    {
      section,
      figure: 'GET /api/tasks/stats p95',
      measured: result.statsMs.p95,
      unit: 'ms',
      baseline: b.p95,
      baselineName: bareName,
      ratio: ratio(result.statsMs.p95, b.p95),
    },
    {
      section,
      figure: `GET /api/tasks?limit=50 p50 (${result.listPageSize} rows)`,
      measured: result.listMs.p50,
      unit: 'ms',
      baseline: b.p50,
      baselineName: bareName,
      ratio: ratio(result.listMs.p50, b.p50),
      target: '≤ 100 ms',
      verdict: verdict(listOk),
    },
    {
      section,
      figure: 'GET /api/tasks?limit=50 p95',
      measured: result.listMs.p95,
      unit: 'ms',
      baseline: b.p95,
      baselineName: bareName,
      ratio: ratio(result.listMs.p95, b.p95),
    },
    {
      section,
      figure: 'GET /api/tasks/task-does-not-exist p50 (reference)',
      measured: result.notFoundMs.p50,
      unit: 'ms',
      baseline: b.p50,
      baselineName: bareName,
      ratio: ratio(result.notFoundMs.p50, b.p50),
    },
  );
  const note = historyOk ? undefined : `only ${result.finishedTasks} of ${options.history} tasks in history`;
  ctx.targets.push(
    {
      section,
      target: 'GET /api/tasks/stats p50 ≤ 10 ms',
      measured: `${fmt(result.statsMs.p50)} ms (bare ${fmt(b.p50)} ms)`,
      verdict: verdict(statsOk),
      note,
    },
    {
      section,
      target: 'GET /api/tasks?limit=50 p50 ≤ 100 ms',
      measured: `${fmt(result.listMs.p50)} ms (bare ${fmt(b.p50)} ms)`,
      verdict: verdict(listOk),
      note,
    },
  );
  return result;
}
