// What a test file needs to run against the real servers started by the global setup: config, clients, an
// in-process worker and the API app, each with its own Redis key prefix.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import { loadConfig, type SpillwayConfig } from '../../domain/config';
import { connectRedis } from '../../live/redis-client';
import { createTaskProjection, type TaskProjection } from '../../live/task-projection';
import { createWorkers } from '../../worker/create-workers';
import { CONTROLS_WORKFLOW_TYPE } from '../../domain/constants';
import { STACK_FILE_ENV } from './global-setup';

export interface StackInfo {
  temporalAddress: string;
  temporalCli: string;
  redisUrl: string;
  redisPrefix: string;
  callbackSecret: string;
  apiPort: number;
  lambdaEndpoint?: string;
  packageCacheDir: string;
}

export function readStack(): StackInfo {
  const file = process.env[STACK_FILE_ENV];
  if (!file)
    throw new Error(`${STACK_FILE_ENV} is not set: run the tests through jest, whose global setup starts the stack`);
  return JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
}

export function testConfig(env: Record<string, string> = {}): SpillwayConfig {
  const stack = readStack();
  return loadConfig({
    TEMPORAL_ADDRESS: stack.temporalAddress,
    REDIS_URL: stack.redisUrl,
    REDIS_PREFIX: `${stack.redisPrefix}${randomBytes(3).toString('hex')}:`,
    SPILLWAY_CALLBACK_SECRET: stack.callbackSecret,
    API_PORT: String(stack.apiPort),
    LAMBDA_ENDPOINT: stack.lambdaEndpoint ?? 'http://127.0.0.1:9',
    SCHEDULER_ENABLE_WARM_POOL: 'false',
    SPILLWAY_PACKAGE_CACHE_DIR: stack.packageCacheDir,
    ...env,
  });
}

export function uniqueId(label: string): string {
  return `test-${label}-${randomBytes(6).toString('hex')}`;
}

export interface TestHarness {
  config: SpillwayConfig;
  client: Client;
  redis: Redis;
  projection: TaskProjection;
  workers: Worker[];
  close(): Promise<void>;
}

let runtimeInstalled = false;
/** Worker lifecycle logs drown test output; warnings and errors still show. */
function installQuietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier test file in this process.
  }
}

/**
 * Test files share one Temporal server and its task queues, so a task an earlier file left waiting (for a rate
 * permit, a slot, a retry's backoff) would run on this file's worker, against this file's Redis, and skew what it
 * counts. Each file starts with nothing of an earlier one running; the operator-controls singleton stays.
 */
export async function endLeftoverWorkflows(client: Client): Promise<void> {
  const query = `ExecutionStatus = 'Running' AND WorkflowType != '${CONTROLS_WORKFLOW_TYPE}'`;
  const ids: string[] = [];
  for await (const info of client.workflow.list({ query })) ids.push(info.workflowId);
  await Promise.all(
    ids.map((id) =>
      client.workflow
        .getHandle(id)
        .terminate('left running by an earlier test file')
        .catch(() => undefined),
    ),
  );
}

/**
 * Connects to the test stack and runs an in-process worker until close(); `workers: false` connects only (the test
 * runs worker processes of its own, see worker-processes.ts).
 */
export async function startHarness(options: { env?: Record<string, string>; workers?: boolean } = {}) {
  installQuietRuntime();
  const config = testConfig(options.env);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  await endLeftoverWorkflows(client);
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const redis = connectRedis(config.redis.url, 'spillway-test');
  const projection = createTaskProjection(redis, config.redis.prefix);
  const { workers, close: closeWorkers } =
    options.workers === false
      ? { workers: [], close: async () => undefined }
      : await createWorkers({ config, connection: nativeConnection, client, redis });
  const running = workers.map((w) => w.run());
  const harness: TestHarness = {
    config,
    client,
    redis,
    projection,
    workers,
    async close() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.all(running);
      await closeWorkers();
      await nativeConnection.close();
      await connection.close();
      const keys = await redis.keys(`${config.redis.prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    },
  };
  return harness;
}

/** Polls until check returns a value, or fails with the last value seen. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
