// Section 5: scale-out on Temporal's production server (scripts/lib/temporal-server.js: PostgreSQL, SQL visibility,
// 4 history shards), in one run: LOCAL no-op tasks through Spillway's API with one worker and then with two, and the
// raw Temporal SDK (bench/baseline-*.ts) with one and with two worker processes beside them, on the same server, at
// the same concurrency and per-worker slots. The figure to read is each contender's own 2-worker/1-worker ratio: on
// a machine with spare cores it says how far more workers carry more tasks; on a saturated one it shows that the
// server and PostgreSQL, not the workers, are the limit.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { ROOT } from './bench-stack';
import type { BenchContext } from './context';
import { requestJson } from './http';
import { fmt } from './report';
import { ratio, round, runLanes, sleep, summarize, withTimeout, type Summary } from './stats';

/* eslint-disable @typescript-eslint/no-require-imports */
const { Stack } = require(path.join(ROOT, 'scripts', 'lib', 'stack.js')) as {
  Stack: new (o: { logDir?: string; log?: (m: string) => void }) => {
    startNode(name: string, script: string, env: Record<string, string>): Entry;
    waitForHealth(url: string, entry: Entry, timeoutMs?: number): Promise<void>;
    spawnChild(name: string, command: string, args: string[], options?: object): Entry;
    stop(graceMs?: number): Promise<void>;
  };
};
const serverLib = require(path.join(ROOT, 'scripts', 'lib', 'temporal-server.js')) as {
  startTemporalServer(options: Record<string, unknown>): Promise<{ address: string; stop(g?: number): Promise<void> }>;
  dropDatabases(options: { databases: object }): Promise<void>;
  postgresSettings(): { host: string; port: number };
};
const net = require(path.join(ROOT, 'scripts', 'lib', 'net.js')) as {
  freePort(): Promise<number>;
  canConnect(port: number, host?: string): Promise<boolean>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface Entry {
  name: string;
  exited: boolean;
  child: { pid?: number };
}

type Contender = 'spillway' | 'baseline';

export interface ScaleRun {
  contender: Contender;
  workers: number;
  n: number;
  concurrency: number;
  completed: number;
  failed: number;
  wallMs: number;
  throughputPerSec: number;
  latencyMs: Summary;
  errors: string[];
}

export interface ScaleOutResult {
  server: string;
  historyShards: number;
  n: number;
  concurrency: number;
  poolPerWorker: number;
  runs: ScaleRun[];
}

const SHARDS = 4;

async function waitForLog(logFile: string, pattern: RegExp, entry: Entry, timeoutMs: number) {
  const { existsSync, readFileSync } = await import('node:fs');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(logFile) && pattern.test(readFileSync(logFile, 'utf8'))) return;
    if (entry.exited) throw new Error(`${entry.name} exited while starting; see ${logFile}`);
    await sleep(250);
  }
  throw new Error(`${entry.name} was not ready within ${timeoutMs / 1000} s; see ${logFile}`);
}

export async function scaleOut(ctx: BenchContext): Promise<ScaleOutResult> {
  const { options, stack: bench, log } = ctx;
  const pg = serverLib.postgresSettings();
  if (!(await net.canConnect(pg.port, pg.host))) {
    throw new Error(`PostgreSQL is not reachable at ${pg.host}:${pg.port}: the production-server section needs one`);
  }
  const logDir = path.join(bench.logDir, 'scale-out');
  const stack = new Stack({ logDir, log: (m) => log(`[scale] ${m}`) });
  const id = randomBytes(4).toString('hex');
  const databases = { default: `spillway_bench_${id}_t`, visibility: `spillway_bench_${id}_v` };
  let server: { address: string; stop(g?: number): Promise<void> } | undefined;
  let connection: Connection | undefined;
  try {
    log(`scale-out: starting Temporal's production server (${SHARDS} shards, PostgreSQL ${pg.host}:${pg.port}) ...`);
    server = await serverLib.startTemporalServer({
      databases,
      numHistoryShards: SHARDS,
      dir: path.join(logDir, 'temporal-server'),
      spawn: (name: string, command: string, args: string[], spawnOptions: object) =>
        stack.spawnChild(name, command, args, spawnOptions),
      log: (m: string) => log(`[scale] ${m}`),
    });
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });
    const apiPort = await net.freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const env: Record<string, string> = {
      ...bench.settings,
      SPILLWAY_CALLBACK_SECRET: bench.callbackSecret,
      TEMPORAL_ADDRESS: server.address,
      REDIS_PREFIX: `spillway-bench-scale-${id}:`,
      API_PORT: String(apiPort),
      SPILLWAY_CALLBACK_URL: `${apiUrl}/api/callbacks/lambda`,
      WORKER_METRICS_ADDRESS: 'off',
      WORKER_METRICS_URL: 'http://127.0.0.1:9/metrics',
      SPILLWAY_PACKAGE_CACHE_DIR: path.join(bench.dir, 'scale-packages'),
    };
    const dist = (...p: string[]) => path.join(ROOT, 'dist', ...p);
    const api = stack.startNode('api', dist('api', 'server.js'), env);
    await stack.waitForHealth(`${apiUrl}/actuator/health`, api, 120_000);
    const baselineQueue = `bench-scale-baseline-${id}`;
    const startWorker = async (name: string) => {
      const entry = stack.startNode(name, dist('worker', 'main.js'), env);
      await waitForLog(path.join(logDir, `${name}.log`), /worker ready/, entry, 120_000);
    };
    const startBaseline = async (name: string) => {
      const entry = stack.startNode(name, dist('bench', 'baseline-worker.js'), {
        TEMPORAL_ADDRESS: server?.address ?? '',
        BASELINE_TASK_QUEUE: baselineQueue,
        BASELINE_POOL_SIZE: String(options.pool),
      });
      await waitForLog(path.join(logDir, `${name}.log`), /baseline worker ready/, entry, 180_000);
    };

    const n = options.quick ? 100 : Math.min(1000, Math.max(...options.sizes));
    const concurrency = Math.max(options.concurrency, options.pool * 2);
    const result: ScaleOutResult = {
      server: 'temporal-server v1.32.2 on PostgreSQL',
      historyShards: SHARDS,
      n,
      concurrency,
      poolPerWorker: options.pool,
      runs: [],
    };
    const measure = async (contender: Contender, workers: number) => {
      await sleep(2000);
      log(`scale-out: ${contender}, ${workers} worker(s), ${n} tasks, ${concurrency} in flight ...`);
      const run = await runOne(client, apiUrl, baselineQueue, contender, workers, n, concurrency);
      log(
        `  ${run.completed}/${n} in ${fmt(run.wallMs / 1000)} s: ${fmt(run.throughputPerSec)} tasks/s, ` +
          `p50 ${fmt(run.latencyMs.p50)} ms${run.failed ? `, ${run.failed} FAILED (${run.errors[0]})` : ''}`,
      );
      result.runs.push(run);
    };

    await Promise.all([startWorker('worker-1'), startBaseline('baseline-1')]);
    // Warm both paths (JIT, connections, the package cache) before anything counts.
    await runOne(client, apiUrl, baselineQueue, 'spillway', 1, 30, concurrency);
    await runOne(client, apiUrl, baselineQueue, 'baseline', 1, 30, concurrency);
    await measure('baseline', 1);
    await measure('spillway', 1);
    await Promise.all([startWorker('worker-2'), startBaseline('baseline-2')]);
    await measure('spillway', 2);
    await measure('baseline', 2);
    report(ctx, result);
    return result;
  } finally {
    await connection?.close().catch(() => undefined);
    await stack.stop(15_000);
    await server?.stop(10_000).catch(() => undefined);
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await serverLib.dropDatabases({ databases });
        break;
      } catch {
        await sleep(1000);
      }
    }
  }
}

async function runOne(
  client: Client,
  apiUrl: string,
  baselineQueue: string,
  contender: Contender,
  workers: number,
  n: number,
  concurrency: number,
): Promise<ScaleRun> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let failed = 0;
  let lastDone = 0;
  const run = randomBytes(3).toString('hex');
  const start = performance.now();
  const started = await runLanes(n, concurrency, Date.now() + 60_000 + n * 250, async (i) => {
    const t0 = performance.now();
    try {
      let id: string;
      if (contender === 'spillway') {
        const created = await requestJson<{ id: string }>(
          `${apiUrl}/api/tasks`,
          { body: JSON.stringify({ name: `bench scale ${run} ${i}`, type: 'noop', executionMode: 'LOCAL' }) },
          [201],
        );
        id = created.id;
      } else {
        id = `bench-scale-baseline-${run}-${i}`;
        await client.workflow.start('baselineNoop', { taskQueue: baselineQueue, workflowId: id, args: [id] });
      }
      const result = (await withTimeout(client.workflow.getHandle(id).result(), 60_000, `task ${id}`)) as {
        status?: string;
      };
      if (contender === 'spillway' && result?.status !== 'COMPLETED')
        throw new Error(`task ${id} ended ${result?.status}`);
      const done = performance.now();
      latencies.push(done - t0);
      lastDone = Math.max(lastDone, done);
    } catch (err) {
      failed++;
      if (errors.length < 5) errors.push((err as Error).message);
    }
  });
  failed += n - started;
  const wallMs = (lastDone || performance.now()) - start;
  return {
    contender,
    workers,
    n,
    concurrency,
    completed: latencies.length,
    failed,
    wallMs: round(wallMs),
    throughputPerSec: round(latencies.length / (wallMs / 1000)),
    latencyMs: summarize(latencies),
    errors,
  };
}

function report(ctx: BenchContext, result: ScaleOutResult) {
  const find = (c: Contender, w: number) => result.runs.find((r) => r.contender === c && r.workers === w);
  const section = `5 scale-out, production server (${result.historyShards} shards), N=${result.n}`;
  for (const workers of [1, 2]) {
    const s = find('spillway', workers);
    const b = find('baseline', workers);
    ctx.rows.push({
      section,
      figure: `LOCAL throughput, ${workers} worker${workers > 1 ? 's' : ''}`,
      measured: s?.throughputPerSec ?? null,
      unit: 'tasks/s',
      baseline: b?.throughputPerSec ?? null,
      baselineName: `raw Temporal SDK, ${workers} worker${workers > 1 ? 's' : ''}`,
      ratio: ratio(s?.throughputPerSec, b?.throughputPerSec),
    });
    ctx.rows.push({
      section,
      figure: `submit→complete p50, ${workers} worker${workers > 1 ? 's' : ''}`,
      measured: s?.latencyMs.p50 ?? null,
      unit: 'ms',
      baseline: b?.latencyMs.p50 ?? null,
      baselineName: `raw Temporal SDK, ${workers} worker${workers > 1 ? 's' : ''}`,
      ratio: ratio(s?.latencyMs.p50, b?.latencyMs.p50),
    });
  }
  const s1 = find('spillway', 1);
  const s2 = find('spillway', 2);
  const b1 = find('baseline', 1);
  const b2 = find('baseline', 2);
  ctx.rows.push({
    section,
    figure: 'throughput 2 workers ÷ 1 worker',
    measured: ratio(s2?.throughputPerSec, s1?.throughputPerSec),
    unit: '×',
    baseline: ratio(b2?.throughputPerSec, b1?.throughputPerSec),
    baselineName: 'raw Temporal SDK, 2 ÷ 1',
    ratio: null,
  });
  const failed = result.runs.reduce((sum, r) => sum + r.failed, 0);
  if (failed) {
    ctx.rows.push({
      section,
      figure: 'failed tasks',
      measured: failed,
      unit: '',
      baseline: null,
      baselineName: '',
      ratio: null,
    });
  }
}
