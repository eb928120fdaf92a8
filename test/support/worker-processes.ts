// Worker processes of the test stack, for the tests where "across every worker" matters: each is a real
// `dist/worker/main.js` process on the stack's Temporal, Redis and Lambda service, with the settings of one harness.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { SpillwayConfig } from '../../domain/config';

const WORKER = path.resolve(__dirname, '..', '..', 'dist', 'worker', 'main.js');

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** The environment that gives a worker process the same settings as the harness config. */
export function workerEnv(config: SpillwayConfig, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    REDIS_URL: config.redis.url,
    REDIS_PREFIX: config.redis.prefix,
    LAMBDA_ENDPOINT: config.lambda.endpoint,
    SPILLWAY_CALLBACK_SECRET: config.lambda.callbackSecret,
    SPILLWAY_CALLBACK_URL: config.lambda.callbackUrl,
    SPILLWAY_PACKAGE_CACHE_DIR: config.functions.packageCacheDir,
    SCHEDULER_ENABLE_WARM_POOL: 'false',
    SCHEDULER_LOCAL_WORKER_POOL_SIZE: String(config.scheduler.localWorkerPoolSize),
    SCHEDULER_LAMBDA_TASK_THRESHOLD: String(config.scheduler.lambdaTaskThreshold),
    SCHEDULER_AUTO_POLICY: config.placement.autoPolicy,
    WORKER_METRICS_ADDRESS: 'off',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

export async function startWorkerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', WORKER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not ready within ${timeoutMs} ms:\n${output.slice(-2000)}`)),
      timeoutMs,
    );
    const check = () => {
      if (/worker ready/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready:\n${output.slice(-2000)}`));
    });
  });
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
