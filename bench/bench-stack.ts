// Starts a private Spillway stack for one bench run, on free ports that never collide with a dev stack (7233, 8080,
// 9001 ...): the Temporal dev server (SQLite file, WAL), a private redis-server, the local Lambda service (plus a
// second one that reclaims idle environments at once, for cold starts), the worker, the API, the baseline's worker
// and the trivial HTTP server. Everything goes through scripts/lib/stack.js, the launcher `npm start` and the tests
// use, and everything is stopped by stop().
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { deployFolders, exampleFolders } from '../cli/deploy-folders';
import type { AutoPolicy } from '../domain/placement-predictor';
import type { BenchOptions } from './options';
import { sleep } from './stats';

export const ROOT = findRoot(__dirname);

function findRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 5; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'spillway') return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the Spillway repository above ${start}`);
}

interface StackEntry {
  name: string;
  child: ChildProcess;
  exited: boolean;
}

interface StackLike {
  children: StackEntry[];
  startTemporal(o: {
    cli: string;
    port: number;
    uiPort?: number;
    dbFile?: string;
    headless?: boolean;
  }): Promise<StackEntry>;
  ensureRedis(o: { url: string; dataDir: string }): Promise<{ started: boolean; entry?: StackEntry }>;
  startNode(name: string, script: string, env: Record<string, string>): StackEntry;
  spawnChild(name: string, command: string, args: string[], options: { env: NodeJS.ProcessEnv }): StackEntry;
  waitForHealth(url: string, entry: StackEntry, timeoutMs?: number): Promise<void>;
  stopEntry(entry: StackEntry, graceMs: number): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports */
const { Stack } = require(path.join(ROOT, 'scripts', 'lib', 'stack.js')) as {
  Stack: new (o: { logDir?: string; log?: (m: string) => void }) => StackLike;
};
const { ensureTemporalCli } = require(path.join(ROOT, 'scripts', 'lib', 'temporal-cli.js')) as {
  ensureTemporalCli: (log?: (m: string) => void) => string;
};
const net = require(path.join(ROOT, 'scripts', 'lib', 'net.js')) as {
  freePort(): Promise<number>;
  pingRedis(url: string): Promise<boolean>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Ports a developer's stack may hold; a bench run never takes them. */
const RESERVED_PORTS = new Set([6379, 7233, 8080, 8233, 9001, 9464]);
const taken = new Set<number>();

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await net.freePort();
    if (!RESERVED_PORTS.has(port) && !taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port found');
}

export interface BenchStack {
  dir: string;
  logDir: string;
  profileDir?: string;
  temporalAddress: string;
  temporalCli: string;
  redisUrl: string;
  redisPrefix: string;
  redisPrivate: boolean;
  apiUrl: string;
  lambdaUrl: string;
  coldLambdaUrl: string;
  trivialUrl: string;
  callbackSecret: string;
  baselineTaskQueue: string;
  /** The environment the worker and the API were started with (the secret masked), for the report. */
  settings: Record<string, string>;
  pid(name: ProcessName): number | undefined;
  /**
   * Restarts the worker and the API with SCHEDULER_AUTO_POLICY=policy (graceful: SIGTERM, then SIGKILL after 30 s)
   * and waits until both are ready: the API places predictive AUTO tasks at submission, the worker those that wait.
   */
  setAutoPolicy(policy: AutoPolicy): Promise<void>;
  /**
   * Restarts the worker, and the API when `api` is set, with the stack's environment plus `overrides` (none: the
   * stack's own again), and waits until both are ready. The API keeps its port, so callback URLs stay valid. Their
   * logs are `worker-<label>-<n>.log` and `api-<label>-<n>.log`.
   */
  restartServices(overrides: Record<string, string>, options?: { api?: boolean; label?: string }): Promise<void>;
  /**
   * Starts one more local Lambda service (`lambda-<name>`), listening on a free port, in `region`, answering every
   * request and starting every event `delayMs` later (LAMBDA_DELAY_MS), with the example functions deployed to it.
   */
  startLambda(name: string, options: { region: string; delayMs: number }): Promise<ExtraLambda>;
  stop(): Promise<void>;
}

/** A local Lambda service started by startLambda; stop() ends it before the stack ends. */
export interface ExtraLambda {
  name: string;
  url: string;
  region: string;
  delayMs: number;
  stop(): Promise<void>;
}

export type ProcessName =
  | 'temporal'
  | 'redis'
  | 'lambda'
  | 'lambda-cold'
  | `lambda-${string}`
  | 'trivial'
  | 'worker'
  | 'api'
  | 'baseline-worker';

/** Deploys the example functions to a local Lambda service the way a user deploys them. */
async function deployExamples(endpoint: string, region: string): Promise<void> {
  const client = new LambdaClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    await deployFolders(client, exampleFolders());
  } finally {
    client.destroy();
  }
}

/** Waits until a line matching pattern appears in a log file (the only readiness signal a worker gives). */
async function waitForLog(file: string, pattern: RegExp, entry: StackEntry, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file) && pattern.test(readFileSync(file, 'utf8'))) return;
    if (entry.exited) throw new Error(`${entry.name} exited while starting; see ${file}`);
    await sleep(250);
  }
  throw new Error(`${entry.name} was not ready within ${timeoutMs / 1000} s; see ${file}`);
}

export async function startBenchStack(options: BenchOptions, log: (m: string) => void): Promise<BenchStack> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(os.tmpdir(), `spillway-bench-${stamp}-${process.pid}`);
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const stack = new Stack({ logDir, log: (m) => log(`[stack] ${m}`) });
  const entries = new Map<ProcessName, StackEntry>();
  let stopped = false;
  const profileDir = options.profile ? path.join(dir, 'profiles') : undefined;

  const benchStack: Partial<BenchStack> & Pick<BenchStack, 'stop' | 'pid'> = {
    dir,
    logDir,
    profileDir,
    pid: (name) => {
      const entry = entries.get(name);
      return entry && !entry.exited ? entry.child.pid : undefined;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stack.stop(15_000);
      if (!options.keep) {
        // Logs and profiles stay for a look afterwards; the Temporal database and Redis data go.
        for (const name of ['temporal.db', 'temporal.db-wal', 'temporal.db-shm', 'redis']) {
          rmSync(path.join(dir, name), { recursive: true, force: true });
        }
      }
    },
  };
  try {
    const temporalCli = ensureTemporalCli(log);
    const temporalPort = await freePort();
    log(`starting the Temporal dev server on 127.0.0.1:${temporalPort} (SQLite WAL in ${dir}) ...`);
    entries.set(
      'temporal',
      await stack.startTemporal({
        cli: temporalCli,
        port: temporalPort,
        dbFile: path.join(dir, 'temporal.db'),
        headless: true,
      }),
    );

    let redisUrl = `redis://127.0.0.1:${await freePort()}`;
    let redisPrivate = true;
    try {
      const redis = await stack.ensureRedis({ url: redisUrl, dataDir: path.join(dir, 'redis') });
      if (redis.entry) entries.set('redis', redis.entry);
    } catch (err) {
      // No redis-server installed: the machine's Redis, with a key prefix no one else uses.
      const fallback = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
      if (!(await net.pingRedis(fallback))) throw err;
      log(`redis-server is not installed; using ${fallback} with a unique key prefix`);
      redisUrl = fallback;
      redisPrivate = false;
    }
    const redisPrefix = `spillway-bench-${randomBytes(4).toString('hex')}:`;

    const callbackSecret = randomBytes(24).toString('hex');
    const [lambdaPort, coldLambdaPort, trivialPort, apiPort, metricsPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const lambdaUrl = `http://127.0.0.1:${lambdaPort}`;
    const coldLambdaUrl = `http://127.0.0.1:${coldLambdaPort}`;
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const trivialUrl = `http://127.0.0.1:${trivialPort}`;
    const dist = (...p: string[]) => path.join(ROOT, 'dist', ...p);

    /** Like stack.startNode, plus --cpu-prof when profiling (a flag NODE_OPTIONS may not carry). */
    const startNode = (name: string, script: string, env: Record<string, string>, profile = false) => {
      if (!profileDir || !profile) return stack.startNode(name, script, env);
      const flags = ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, name)}`, '--enable-source-maps'];
      return stack.spawnChild(name, process.execPath, [...flags, script], { env: { ...process.env, ...env } });
    };
    const lambdaEnv = (port: number, reclaimMs: number) => ({
      LAMBDA_PORT: String(port),
      SPILLWAY_CALLBACK_SECRET: callbackSecret,
      LAMBDA_IDLE_RECLAIM_MS: String(reclaimMs),
      LAMBDA_QUEUE_FILE: '',
      LAMBDA_DATA_DIR: path.join(dir, `lambda-${port}`),
    });
    const lambda = startNode(
      'lambda',
      dist('lambda', 'server.js'),
      lambdaEnv(lambdaPort, options.lambdaIdleReclaimMs),
      true,
    );
    entries.set('lambda', lambda);
    // Reclaims an environment 1 ms after it goes idle, so every invocation of a sequential series starts cold.
    const coldLambda = stack.startNode('lambda-cold', dist('lambda', 'server.js'), lambdaEnv(coldLambdaPort, 1));
    entries.set('lambda-cold', coldLambda);
    const trivial = stack.startNode('trivial', dist('bench', 'trivial-server.js'), {
      TRIVIAL_PORT: String(trivialPort),
    });
    entries.set('trivial', trivial);
    await Promise.all([
      stack.waitForHealth(`${lambdaUrl}/_spillway/status`, lambda),
      stack.waitForHealth(`${coldLambdaUrl}/_spillway/status`, coldLambda),
      stack.waitForHealth(`${trivialUrl}/`, trivial),
    ]);
    // The example functions are deployed to both services the way a user deploys them.
    for (const url of [lambdaUrl, coldLambdaUrl]) await deployExamples(url, 'us-east-1');

    const temporalAddress = `127.0.0.1:${temporalPort}`;
    const settings: Record<string, string> = {
      TEMPORAL_ADDRESS: temporalAddress,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: redisPrefix,
      LAMBDA_ENDPOINT: lambdaUrl,
      SPILLWAY_CALLBACK_SECRET: callbackSecret,
      SPILLWAY_CALLBACK_URL: `${apiUrl}/api/callbacks/lambda`,
      API_PORT: String(apiPort),
      SCHEDULER_LOCAL_WORKER_POOL_SIZE: String(options.pool),
      SCHEDULER_LAMBDA_TASK_THRESHOLD: String(options.threshold),
      SCHEDULER_ENABLE_WARM_POOL: 'false',
      SPILLWAY_PACKAGE_CACHE_DIR: path.join(dir, 'packages'),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      WORKER_METRICS_URL: `http://127.0.0.1:${metricsPort}/metrics`,
      NODE_ENV: 'production',
      // One client on 127.0.0.1 sends thousands of requests a minute here; the per-client limit (when the API has
      // one) must not turn them into 429s. The limiter still runs, with its Redis round trip, on every request.
      SPILLWAY_RATE_LIMIT_MAX: '10000000',
      SPILLWAY_API_KEYS: '',
    };
    const worker = startNode('worker', dist('worker', 'main.js'), settings, true);
    entries.set('worker', worker);
    const api = startNode('api', dist('api', 'server.js'), settings, true);
    entries.set('api', api);
    const baselineTaskQueue = `bench-baseline-${randomBytes(3).toString('hex')}`;
    const baseline = startNode(
      'baseline-worker',
      dist('bench', 'baseline-worker.js'),
      {
        TEMPORAL_ADDRESS: temporalAddress,
        BASELINE_TASK_QUEUE: baselineTaskQueue,
        BASELINE_POOL_SIZE: String(options.pool),
      },
      true,
    );
    entries.set('baseline-worker', baseline);
    log('waiting for the worker, the API and the baseline worker ...');
    await Promise.all([
      waitForLog(path.join(logDir, 'worker.log'), /worker ready/, worker, 120_000),
      waitForLog(path.join(logDir, 'baseline-worker.log'), /baseline worker ready/, baseline, 180_000),
      stack.waitForHealth(`${apiUrl}/actuator/health`, api, 120_000),
    ]);

    let restarts = 0;
    /** Graceful: SIGTERM, then SIGKILL after 30 s. */
    const stopProcess = async (which: 'worker' | 'api') => {
      const old = entries.get(which);
      if (!old || old.exited) return;
      const exited = new Promise<void>((resolve) => old.child.once('exit', () => resolve()));
      old.child.kill('SIGTERM');
      const timer = setTimeout(() => old.child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    };
    const restartWorker = async (name: string, env: Record<string, string>) => {
      await stopProcess('worker');
      const next = startNode(name, dist('worker', 'main.js'), env, true);
      entries.set('worker', next);
      await waitForLog(path.join(logDir, `${name}.log`), /worker ready/, next, 120_000);
      return name;
    };
    const restartServices = async (
      overrides: Record<string, string>,
      { api: withApi = false, label = 'default' }: { api?: boolean; label?: string } = {},
    ) => {
      const env = { ...settings, ...overrides };
      const n = ++restarts;
      const [workerName, apiName] = await Promise.all([
        restartWorker(`worker-${label}-${n}`, env),
        withApi
          ? (async () => {
              await stopProcess('api');
              const name = `api-${label}-${n}`;
              const next = startNode(name, dist('api', 'server.js'), env, true);
              entries.set('api', next);
              await stack.waitForHealth(`${apiUrl}/actuator/health`, next, 120_000);
              return name;
            })()
          : undefined,
      ]);
      const what = Object.keys(overrides).join(', ') || "the stack's own environment";
      log(
        `worker ${apiName ? 'and API ' : ''}restarted with ${what} ` +
          `(logs ${workerName}.log${apiName ? `, ${apiName}.log` : ''})`,
      );
    };

    // Both: the API places a predictive AUTO task at submission, the worker one that waits first.
    const setAutoPolicy = (policy: AutoPolicy) =>
      restartServices({ SCHEDULER_AUTO_POLICY: policy }, { api: true, label: policy });

    let extras = 0;
    const startLambda = async (name: string, o: { region: string; delayMs: number }): Promise<ExtraLambda> => {
      const port = await freePort();
      const entryName: ProcessName = `lambda-${name}`;
      const entry = stack.startNode(entryName, dist('lambda', 'server.js'), {
        ...lambdaEnv(port, options.lambdaIdleReclaimMs),
        LAMBDA_DATA_DIR: path.join(dir, `lambda-${name}-${++extras}`),
        AWS_REGION: o.region,
        LAMBDA_DELAY_MS: String(o.delayMs),
      });
      entries.set(entryName, entry);
      const url = `http://127.0.0.1:${port}`;
      await stack.waitForHealth(`${url}/_spillway/status`, entry);
      await deployExamples(url, o.region);
      log(`Lambda service ${entryName} up on ${url} (${o.region}, LAMBDA_DELAY_MS=${o.delayMs})`);
      return { name, url, region: o.region, delayMs: o.delayMs, stop: () => stack.stopEntry(entry, 15_000) };
    };

    return Object.assign(benchStack, {
      setAutoPolicy,
      restartServices,
      startLambda,
      temporalAddress,
      temporalCli,
      redisUrl,
      redisPrefix,
      redisPrivate,
      apiUrl,
      lambdaUrl,
      coldLambdaUrl,
      trivialUrl,
      callbackSecret,
      baselineTaskQueue,
      settings: { ...settings, SPILLWAY_CALLBACK_SECRET: '(random, 48 hex chars)' },
    }) as BenchStack;
  } catch (err) {
    await benchStack.stop();
    throw err;
  }
}
