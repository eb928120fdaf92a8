// `npm run bench`: starts a private stack, runs the sections, prints a markdown table with every figure as a ratio
// against a baseline measured in the same run, states the machine and the settings, and writes the whole result to
// bench/results/<timestamp>.json. Every process it starts is stopped, on success, on failure and on Ctrl+C.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { autoBurst } from './auto-burst';
import { autoPolicy } from './auto-policy';
import { ROOT, startBenchStack, type BenchStack } from './bench-stack';
import type { BenchContext } from './context';
import { agent } from './http';
import { lambdaPath } from './lambda-path';
import { localOverhead, type LocalOverheadResult } from './local-overhead';
import { MemorySampler } from './memory';
import { memoryReport } from './memory-report';
import { parseOptions, USAGE, type BenchOptions } from './options';
import { pipelineOverhead } from './pipeline-overhead';
import { formatProfile, summarizeProfile, type ProfileSummary } from './profile-summary';
import { readPaths, type ReadPathsResult } from './read-paths';
import { scaleOut } from './scale-out';
import { twoRegion } from './two-region';
import { markdownTable, targetsTable, type Row, type TargetResult } from './report';

const REQUIRED = [
  ['dist', 'worker', 'main.js'],
  ['dist', 'api', 'server.js'],
  ['dist', 'lambda', 'server.js'],
  ['dist', 'workflow-bundle.js'],
  ['examples', 'functions', 'noop', 'spillway.json'],
  ['dist', 'bench', 'baseline-worker.js'],
];

function machine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function describeSettings(options: BenchOptions, stack?: BenchStack) {
  return {
    mode: options.quick ? 'quick' : 'full',
    localOverhead: { sizes: options.sizes, concurrency: options.concurrency, warmupTasks: options.warmupTasks },
    localPoolSize: options.pool,
    lambdaTaskThreshold: options.threshold,
    burst: { tasks: options.burst, type: 'flaky', payload: { sleepMs: options.burstSleepMs } },
    historyWanted: options.history,
    lambda: {
      idleReclaimMs: options.lambdaIdleReclaimMs,
      coldStartServiceIdleReclaimMs: 1,
      warmSamples: options.lambdaSamples,
      coldSamples: options.coldSamples,
      burst: options.warmupBurst,
    },
    readSamples: options.readSamples,
    temporal: 'temporal server start-dev, SQLite file, journal_mode=wal, synchronous=normal, headless',
    redis: stack ? (stack.redisPrivate ? 'private redis-server on a free port (appendonly yes)' : stack.redisUrl) : '',
    apiLogLevel: process.env.LOG_LEVEL ?? 'info (default)',
    workerAndApiEnvironment: stack?.settings ?? {},
    profile: options.profile,
  };
}

function findProfiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findProfiles(full));
    else if (entry.name.endsWith('.cpuprofile')) out.push(full);
  }
  return out.sort();
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  const options = parseOptions(argv);
  for (const parts of REQUIRED) {
    if (!existsSync(path.join(ROOT, ...parts)))
      throw new Error(`${parts.join('/')} is missing: run npm run build first`);
  }
  const t0 = Date.now();
  const log = (m: string) => console.log(`[bench +${String(Math.round((Date.now() - t0) / 1000)).padStart(4)} s] ${m}`);
  const startedAt = new Date();
  const host = machine();
  log(
    `${options.quick ? 'quick' : 'full'} run on ${host.cores} cores (${host.cpuModel}), ${host.memoryGB} GB, ` +
      `Node ${host.node}; load average ${host.loadAverageAtStart.join(' ')}`,
  );

  let stack: BenchStack | undefined;
  let connection: Connection | undefined;
  let memory: MemorySampler | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      memory?.stop();
      await connection?.close().catch(() => undefined);
      agent.destroy();
      if (stack) {
        log('stopping the stack ...');
        await stack.stop();
      }
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping everything this run started ...`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const rows: Row[] = [];
  const targets: TargetResult[] = [];
  const sections: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  let profiles: ProfileSummary[] = [];
  try {
    stack = await startBenchStack(options, log);
    log(
      `stack up: API ${stack.apiUrl}, Lambda ${stack.lambdaUrl}, Temporal ${stack.temporalAddress}, logs ${stack.logDir}`,
    );
    connection = await Connection.connect({ address: stack.temporalAddress });
    const client = new Client({ connection, namespace: 'default' });
    const s = stack;
    memory = new MemorySampler(
      () => ({
        worker: s.pid('worker'),
        api: s.pid('api'),
        'baseline-worker': s.pid('baseline-worker'),
        trivial: s.pid('trivial'),
        lambda: s.pid('lambda'),
        temporal: s.pid('temporal'),
        redis: s.pid('redis'),
        bench: process.pid,
      }),
      () => [s.pid('lambda'), s.pid('lambda-cold')].filter((p): p is number => p !== undefined),
    );
    memory.start();
    memory.begin('whole');
    const ctx: BenchContext = { options, stack, client, memory, rows, targets, log };

    const run = async (name: string, fn: () => Promise<unknown>) => {
      const started = Date.now();
      try {
        sections[name] = await fn();
      } catch (err) {
        errors[name] = (err as Error).stack ?? String(err);
        log(`section ${name} FAILED: ${(err as Error).message}`);
      }
      log(`section ${name} took ${Math.round((Date.now() - started) / 1000)} s`);
    };
    let local: LocalOverheadResult | undefined;
    const onlyPipelines = process.env.BENCH_PIPELINES === 'only';
    if (!onlyPipelines && options.sections.includes('local')) {
      await run('localOverhead', async () => (local = await localOverhead(ctx)));
    }
    if (!onlyPipelines && options.sections.includes('lambda')) await run('lambdaPath', () => lambdaPath(ctx));
    if (!onlyPipelines && options.sections.includes('auto')) await run('autoBurst', () => autoBurst(ctx));
    if (!onlyPipelines && options.sections.includes('policy')) {
      // It restarts the worker for each AUTO run; the sections after it get the default policy back.
      await run('autoPolicy', async () => {
        try {
          return await autoPolicy(ctx, { setAutoPolicy: (p) => s.setAutoPolicy(p) });
        } finally {
          await s.setAutoPolicy('threshold');
        }
      });
    }
    if (!onlyPipelines && options.sections.includes('regions')) {
      // It starts two Lambda services of its own and restarts the worker and the API with both as targets; it puts
      // the stack's own worker and API back before the next section.
      await run('twoRegion', () =>
        twoRegion(ctx, {
          startLambda: (name, o) => s.startLambda(name, o),
          restartServices: (env, o) => s.restartServices(env, o),
        }),
      );
    }
    if (!onlyPipelines && options.sections.includes('reads')) await run('readPaths', () => readPaths(ctx));
    if (!onlyPipelines && options.sections.includes('scale')) await run('scaleOut', () => scaleOut(ctx));
    // Pipelines: with every run unless BENCH_PIPELINES=off (or =only, to run it alone with any --only).
    if (process.env.BENCH_PIPELINES !== 'off') await run('pipelineOverhead', () => pipelineOverhead(ctx));
    const whole = memory.end('whole');
    sections.memory = memoryReport(ctx, options.memorySize, local?.memory.spillway, local?.memory.baseline, whole);
    sections.memoryWholeRun = whole;
  } finally {
    await cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  if (stack?.profileDir) {
    // Cut to the largest LOCAL run of each contender when there is one, so start-up does not drown the picture.
    const runs = (sections.localOverhead as LocalOverheadResult | undefined)?.runs ?? [];
    const largest = (c: string) => runs.filter((r) => r.contender === c && r.n === options.memorySize).at(-1);
    const reads = sections.readPaths as ReadPathsResult | undefined;
    profiles = findProfiles(stack.profileDir).map((f) => {
      const run = largest(path.basename(path.dirname(f)) === 'baseline-worker' ? 'baseline' : 'spillway');
      if (run) return summarizeProfile(f, { ...run.hrWindowUs, label: `${run.contender} N=${run.n} LOCAL run only` });
      // Without a LOCAL run, the stats timing of section 4 is the window worth looking at.
      if (reads) return summarizeProfile(f, { ...reads.statsHrWindowUs, label: 'GET /api/tasks/stats timing only' });
      return summarizeProfile(f);
    });
  }

  const finishedAt = new Date();
  const settings = describeSettings(options, stack);
  const table = markdownTable(rows);
  const targetTable = targetsTable(targets);
  const missed = targets.filter((t) => t.verdict === 'missed');
  const out = [
    '',
    `## Spillway bench, ${options.quick ? 'quick' : 'full'} run, ${startedAt.toISOString()}`,
    '',
    `Machine: ${host.cores} cores (${host.cpuModel}), ${host.memoryGB} GB RAM, Node ${host.node}, ${host.platform}; ` +
      `load average at start ${host.loadAverageAtStart.join(' ')}.`,
    `Settings: local pool ${options.pool} slots (baseline worker: the same maxConcurrentActivityTaskExecutions), ` +
      `AUTO threshold ${options.threshold}, ${options.concurrency} tasks in flight, sizes ${options.sizes.join('/')}, ` +
      `burst ${options.burst} × flaky ${options.burstSleepMs} ms, history ${options.history} tasks, warm pool schedule off, ` +
      `Lambda idle reclaim ${options.lambdaIdleReclaimMs} ms (cold-start series: a second service with 1 ms), ` +
      `Temporal dev server on SQLite (WAL), ${settings.redis}, API log level ${settings.apiLogLevel}. ` +
      'Completion is followed with the Temporal client (handle.result()) for both contenders of section 1.',
    '',
    table,
    '',
    '### Targets',
    '',
    targetTable,
    '',
    missed.length
      ? `Missed: ${missed.map((t) => `${t.section}: ${t.target}`).join('; ')}. See bench/README.md for the analysis.`
      : 'All judged targets met.',
    ...Object.entries(errors).map(([name, e]) => `Section ${name} failed: ${e.split('\n')[0]}`),
  ];
  if (profiles.length) out.push('', '### CPU profiles', '', '```', ...profiles.map(formatProfile), '```');
  console.log(out.join('\n'));

  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
        command: `node dist/bench/run.js ${argv.join(' ')}`.trim(),
        machine: { ...host, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
        settings,
        rows,
        targets,
        sections,
        errors,
        profiles,
        logs: stack?.logDir,
      },
      null,
      2,
    ),
  );
  log(`results written to ${path.relative(process.cwd(), file)}; process logs in ${stack?.logDir ?? '-'}`);
  return Object.keys(errors).length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
