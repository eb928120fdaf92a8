// `npm start -- --detach --profile server --workers 2 --apis 2` as a new user runs it, then the README's curl
// commands against it, then `npm stop`: the whole launcher (scripts/run.mjs), not the pieces the other tests start
// themselves. It runs beside `npm test`'s own servers and a developer's stack, on ports and a data folder of its own
// (API_PORT, TEMPORAL_PORT, TEMPORAL_UI_PORT, LAMBDA_PORT, SPILLWAY_S3_PORT, WORKER_METRICS_ADDRESS,
// SPILLWAY_DATA_DIR), with databases and a Redis key prefix of its own that it removes afterwards. It builds
// nothing: `npm test` has built dist/, and `.ci/run` builds the dashboard and the binaries in ~/.cache/spillway first.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStack } from '../support/test-stack';
import { deleteRedisKeys, postgresReachable, skipReason, stopAndDrop, uniqueDatabases } from './server-profile';

/* eslint-disable @typescript-eslint/no-require-imports */
const { freePort, freeConsecutivePorts } = require('../../scripts/lib/net.js') as {
  freePort(): Promise<number>;
  freeConsecutivePorts(count: number): Promise<number>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.resolve(__dirname, '..', '..');
const postgres = postgresReachable();
/** The settings of a stack (and of the tests' own servers) that must not leak from this process into the new one. */
const STACK_VARIABLES = /^(TEMPORAL_|SPILLWAY_|LAMBDA_|REDIS_|API_|WORKER_|SCHEDULER_|OTEL_|SFN_|AWS_)/;
const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'];

interface Run {
  code: number | null;
  output: string;
}

/** `npm <args>` in the repository with the given environment; resolves its exit code and output, never rejects. */
function npm(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      args,
      { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function curl(url: string, body?: unknown): Promise<Answer> {
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

if (!postgres.reachable) {
  console.warn(skipReason(postgres.where));
  test.skip(skipReason(postgres.where), () => undefined);
} else {
  describe('npm start -- --detach --profile server --workers 2 --apis 2', () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'spillway-npm-start-'));
    const databases = uniqueDatabases('npm_start');
    const redisPrefix = `spillway-test-npm-start-${randomBytes(4).toString('hex')}:`;
    let env: NodeJS.ProcessEnv = {};
    let base = '';
    let apiPort = 0;
    let uiPort = 0;
    let started: Run | undefined;

    beforeAll(async () => {
      apiPort = await freeConsecutivePorts(3); // the balancer, then api-1 and api-2 on the next two
      const metricsPort = await freeConsecutivePorts(2); // worker-1 and worker-2
      uiPort = await freePort();
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !STACK_VARIABLES.test(name)));
      env = {
        ...inherited,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        SPILLWAY_DATA_DIR: dataDir,
        API_PORT: String(apiPort),
        TEMPORAL_PORT: String(await freePort()),
        TEMPORAL_UI_PORT: String(uiPort),
        LAMBDA_PORT: String(await freePort()),
        SPILLWAY_S3_PORT: String(await freePort()),
        WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        TEMPORAL_DATABASE: databases.default,
        TEMPORAL_VISIBILITY_DATABASE: databases.visibility,
        REDIS_URL: readStack().redisUrl,
        REDIS_PREFIX: redisPrefix,
      };
      base = `http://localhost:${apiPort}`;
      // The detached start waits for as long as the start makes progress; the jest timeout is the outer bound.
      started = await npm(
        ['start', '--', '--detach', '--profile', 'server', '--workers', '2', '--apis', '2'],
        env,
        840_000,
      );
    }, 900_000);

    afterAll(async () => {
      const stopped = await npm(['stop'], env, 120_000);
      if (stopped.code !== 0) console.warn(`npm stop: ${stopped.output}`);
      await stopAndDrop(undefined, databases);
      await deleteRedisKeys(redisPrefix);
      if (process.env.SPILLWAY_KEEP_TEST_LOGS === '1') console.log(`the stack's data and logs: ${dataDir}`);
      else rmSync(dataDir, { recursive: true, force: true });
    }, 180_000);

    /** The background start's log, for a failure message. */
    const stackLog = () => {
      const file = path.join(dataDir, 'logs', 'stack.log');
      return existsSync(file) ? readFileSync(file, 'utf8').slice(-4000) : '(no stack.log)';
    };

    test('comes up in the background and says where everything is', () => {
      expect([started?.code, started?.code === 0 ? '' : `${started?.output}\n${stackLog()}`]).toEqual([0, '']);
      expect(started?.output).toContain('Spillway is up in the background.');
      // What the background start printed as it went: the production server, the balancer over both instances.
      expect(started?.output).toMatch(/starting Temporal's production server v1\.32\.2 on PostgreSQL/);
      expect(stackLog()).toContain(`balancer over 2 API instances on ${apiPort + 1}, ${apiPort + 2}`);
      expect(stackLog()).toMatch(/Workers\s+2 \(metrics on/);
    });

    test('GET /actuator/health through the balancer: every dependency UP', async () => {
      const health = await curl(`${base}/actuator/health`);
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('UP');
      // The Web UI that the profile runs beside the server answers on TEMPORAL_UI_PORT.
      const ui = await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`, { signal: AbortSignal.timeout(10_000) });
      expect(ui.status).toBe(200);
    });

    test.each([
      ['LOCAL', 'image-processor', 'image-processing'],
      ['LAMBDA', 'image-processor', 'image-processing'],
    ])(
      'the README curl: a %s task runs to COMPLETED through the balancer',
      async (mode, functionName, type) => {
        const created = await curl(`${base}/api/tasks`, {
          name: `npm start ${mode}`,
          type,
          executionMode: mode,
          functionName,
          payload: { imageUrl: `${base}/samples/landscape.jpg`, width: 400 },
        });
        expect([created.status, created.body.status]).toEqual([201, 'QUEUED']);
        const id = created.body.id as string;
        expect(created.body.links).toMatchObject({
          self: `/api/tasks/${id}`,
          temporalUi: expect.stringContaining(`http://localhost:${uiPort}/`),
        });
        // GET /api/tasks/:id until the task is final (each request may reach either instance).
        const deadline = Date.now() + 180_000;
        let task: Answer = { status: 0, body: {} };
        while (Date.now() < deadline) {
          task = await curl(`${base}/api/tasks/${id}`);
          if (task.status === 200 && FINAL.includes(task.body.status as string)) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        expect(task.status).toBe(200);
        expect(task.body).toMatchObject({
          id,
          status: 'COMPLETED',
          placement: { placement: mode },
          result: expect.objectContaining({ output: expect.objectContaining({ width: 400 }) }),
        });
      },
      240_000,
    );
  });
}
