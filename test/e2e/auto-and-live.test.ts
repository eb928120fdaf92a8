// AUTO placement, the live projection, statistics, reconcile and the warm pool, end to end on the real stack.
import { spawn, type ChildProcess } from 'node:child_process';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../api/app';
import { WARM_POOL_SCHEDULE_ID } from '../../domain/constants';
import { parseReportLine } from '../../domain/lambda-report';
import { ensureWarmPoolSchedule } from '../../worker/warm-pool-schedule';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

/* eslint-disable @typescript-eslint/no-require-imports */
const { freePort, waitForPort } = require('../../scripts/lib/net.js');
/* eslint-enable @typescript-eslint/no-require-imports */

const stack = readStack();
let harness: TestHarness;
let app: FastifyInstance;
let privateRedis: ChildProcess;
let redisUrl: string;

beforeAll(async () => {
  // A Redis of this file's own, so FLUSHALL cannot touch anything else on the machine.
  const port = await freePort();
  privateRedis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await waitForPort(port, '127.0.0.1', 10_000);
  redisUrl = `redis://127.0.0.1:${port}`;
  harness = await startHarness({
    env: {
      REDIS_URL: redisUrl,
      // The threshold rule (predictive AUTO has test/e2e/predictive-auto.test.ts).
      SCHEDULER_AUTO_POLICY: 'threshold',
      SCHEDULER_LOCAL_WORKER_POOL_SIZE: '3',
      SCHEDULER_LAMBDA_TASK_THRESHOLD: '2',
    },
  });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  await app.listen({ host: '127.0.0.1', port: stack.apiPort });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
  privateRedis?.kill('SIGKILL');
});

const get = async (url: string) => (await app.inject({ method: 'GET', url })).json();
const count = async (query: string) => (await harness.client.workflow.count(query)).count;

describe('AUTO placement under a burst', () => {
  const name = uniqueId('burst');
  const ids: string[] = [];
  let gate: HoldGate;

  afterAll(async () => gate?.close());

  beforeAll(async () => {
    // Every attempt holds at the gate until all ten are placed, so no local slot frees up while the burst is still
    // being placed: the split depends on the policy, not on how fast this machine runs the first tasks.
    gate = await startHoldGate();
    const res = await app.inject({
      method: 'POST',
      url: '/api/tasks/bulk',
      payload: {
        tasks: Array.from({ length: 10 }, () => ({
          name,
          type: 'flaky',
          executionMode: 'AUTO',
          payload: { holdUntil: gate.url, sleepMs: 500 },
        })),
      },
    });
    expect(res.statusCode).toBe(207);
    for (const r of res.json().results) ids.push(r.task.id);
    await eventually(async () => {
      const placed = await count(`TaskName = '${name}' AND ExecutionMode IN ('LOCAL', 'LAMBDA')`);
      return placed === 10 ? true : undefined;
    }, 60_000);
    gate.release();
    await eventually(async () => {
      const done = await count(`TaskName = '${name}' AND ExecutionStatus = 'Completed'`);
      return done === 10 ? true : undefined;
    }, 90_000);
  });

  test('tasks spill to Lambda once local in-flight reaches the threshold, each with its reason', async () => {
    const tasks = await Promise.all(ids.map((id) => get(`/api/tasks/${id}`)));
    const local = tasks.filter((t) => t.placement.placement === 'LOCAL');
    const lambda = tasks.filter((t) => t.placement.placement === 'LAMBDA');
    expect(local.length).toBeGreaterThanOrEqual(2);
    expect(lambda.length).toBeGreaterThanOrEqual(1);
    expect(local.length + lambda.length).toBe(10);
    for (const t of local) expect(t.placement.reason).toMatch(/below the threshold 2|slot|unreachable|headroom/);
    for (const t of lambda) expect(t.placement.reason).toMatch(/reached the threshold 2; Lambda headroom \d+/);
    for (const t of tasks) expect(t.placement.inputs).toEqual(expect.objectContaining({ lambdaTaskThreshold: 2 }));
    // The placement is queryable in Temporal visibility too.
    expect(await count(`TaskName = '${name}' AND ExecutionMode = 'LAMBDA'`)).toBe(lambda.length);
    expect(await count(`TaskName = '${name}' AND ExecutionMode = 'LOCAL'`)).toBe(local.length);
  });

  test('the task list shows (and filters by) the mode each task asked for, beside where it ran', async () => {
    type Listed = { id: string; executionMode: string; placement: string };
    // Every page of the list, so other files' flaky tasks on the shared server cannot push these off the first one.
    const listed = await eventually(async () => {
      const mine: Listed[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 100; page++) {
        const answer: { tasks: Listed[]; nextCursor: string | null } = await get(
          `/api/tasks?type=flaky&mode=AUTO&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        mine.push(...answer.tasks.filter((t) => ids.includes(t.id)));
        cursor = answer.nextCursor;
        if (!cursor) break;
      }
      return mine.length === ids.length ? mine : undefined;
    });
    const placements = new Map(
      await Promise.all(ids.map(async (id) => [id, (await get(`/api/tasks/${id}`)).placement.placement] as const)),
    );
    expect(listed.map((t) => [t.id, t.executionMode, t.placement])).toEqual(
      expect.arrayContaining(ids.map((id) => [id, 'AUTO', placements.get(id)])),
    );
  });

  test('an AUTO task returns the cost estimate of each placement on creation', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/tasks',
      payload: { name: uniqueId('estimate'), type: 'noop', executionMode: 'AUTO' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().costEstimate).toEqual({
      priceTableDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      local: expect.any(Number),
      lambda: { x86_64: expect.any(Number), arm64: expect.any(Number) },
      basis: { expectedDurationMs: 1, memoryMB: 128 },
    });
  });

  test('stats after the burst equal the counts from Temporal visibility', async () => {
    const stats = await eventually(async () => {
      const s = await get('/api/tasks/stats');
      return s.totals.completed >= 10 && s.totals.running === 0 && s.totals.queued === 0 ? s : undefined;
    });
    const inTemporal = {
      created: await count(`TaskName = '${name}'`),
      completed: await count(`TaskName = '${name}' AND ExecutionStatus = 'Completed'`),
      local: await count(`TaskName = '${name}' AND ExecutionMode = 'LOCAL'`),
      lambda: await count(`TaskName = '${name}' AND ExecutionMode = 'LAMBDA'`),
    };
    // Only the burst and the one estimate task (a noop) ran against this file's Redis.
    const noop = (await get(`/api/tasks?type=noop&limit=500`)).tasks.filter((t: { name: string }) =>
      t.name.startsWith('test-estimate'),
    ).length;
    expect(stats.source).toBe('redis');
    expect(stats.totals.created).toBe(inTemporal.created + noop);
    expect(stats.totals.completed).toBe(inTemporal.completed + noop);
    expect(stats.byPlacement.LAMBDA.completed).toBe(inTemporal.lambda);
    expect(stats.autoPlacement).toEqual({ LOCAL: inTemporal.local + noop, LAMBDA: inTemporal.lambda });
    expect(stats.executionTimeMs.LOCAL.count).toBeGreaterThanOrEqual(inTemporal.local);
    expect(stats.executionTimeMs.LAMBDA.p50).toBeGreaterThanOrEqual(500);
    expect(stats.cost.lambdaExecutionUsd).toBeGreaterThan(0);
    // Every Lambda attempt is cold or warm; a retried attempt (rare, under load) adds one.
    expect(stats.coldStarts.cold + stats.coldStarts.warm).toBeGreaterThanOrEqual(inTemporal.lambda);
    const histogram = Object.values(stats.retries.attemptsHistogram as Record<string, number>);
    expect(histogram.reduce((a, b) => a + b, 0)).toBe(inTemporal.completed + noop);
    expect(stats.throughput.lastMinute).toBeGreaterThanOrEqual(1);
    expect(stats.series.buckets.length).toBe(30);
  });

  test('after FLUSHALL a reconcile restores the counters from Temporal', async () => {
    const before = await get('/api/tasks/stats');
    const admin = new Redis(redisUrl);
    await admin.flushall();
    admin.disconnect();
    expect((await get('/api/tasks/stats')).totals.created).toBe(0);

    const res = await app.inject({ method: 'POST', url: '/api/admin/reconcile' });
    expect(res.statusCode).toBe(200);
    const after = await get('/api/tasks/stats');
    // Reconcile sees every task in this Temporal server (other test files ran some too), so compare with it.
    expect(after.totals.created).toBe(await count(`WorkflowType = 'runTask'`));
    expect(after.totals.completed).toBe(await count(`WorkflowType = 'runTask' AND ExecutionStatus = 'Completed'`));
    expect(after.byPlacement.LAMBDA.completed).toBeGreaterThanOrEqual(before.byPlacement.LAMBDA.completed);
    expect(after.autoPlacement.LAMBDA).toBeGreaterThanOrEqual(before.autoPlacement.LAMBDA);
    expect(after.cost.lambdaExecutionUsd).toBeGreaterThanOrEqual(before.cost.lambdaExecutionUsd * 0.999);
    expect(after.executionTimeMs.LAMBDA.count).toBeGreaterThanOrEqual(before.executionTimeMs.LAMBDA.count);
  });
});

describe('live feed and metrics', () => {
  test('the event stream delivers task transitions over SSE', async () => {
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${stack.apiPort}/api/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const id = (
      await app.inject({
        method: 'POST',
        url: '/api/tasks',
        payload: { name: 'sse', type: 'noop', executionMode: 'LOCAL' },
      })
    ).json().id;
    let text = '';
    const decoder = new TextDecoder();
    const deadline = Date.now() + 15_000;
    while (!text.includes(`"taskId":"${id}","status":"COMPLETED"`) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    controller.abort();
    expect(text).toContain('event: stats');
    expect(text).toMatch(new RegExp(`id: \\d+-\\d+\\nevent: task\\ndata: \\{"taskId":"${id}","status":"QUEUED"`));
    expect(text).toContain(`"taskId":"${id}","status":"COMPLETED"`);
  });

  test('/metrics serves the statistics in Prometheus format', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(/^spillway_tasks\{status="completed"\} \d+$/m);
    expect(res.body).toMatch(/^spillway_cost_usd\{kind="lambda_execution"\} [0-9.e-]+$/m);
    expect(res.body).toContain('spillway_api_process_resident_memory_bytes');
  });
});

describe('warm pool', () => {
  test('a warm-pool run leaves the next invocation of a warmed function warm', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/tasks/warm-pool' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const noop = body.functions.find((f: { name: string }) => f.name === 'noop');
    expect(noop).toEqual({
      name: 'noop',
      requested: 1,
      warmed: 1,
      coldStarts: expect.any(Number),
      durationMs: expect.any(Number),
      costUsd: expect.any(Number),
      errors: [],
      reason: expect.stringMatching(/^fixed: warmPoolSize 1\b/),
    });
    expect(body.totalCostUsd).toBeGreaterThan(0);
    const lambda = new LambdaClient({
      endpoint: stack.lambdaEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const invoked = await lambda.send(
      new InvokeCommand({
        FunctionName: 'noop',
        LogType: 'Tail',
        Payload: new TextEncoder().encode('{"taskId":"w","taskType":"noop","attempt":1,"payload":{}}'),
      }),
    );
    const report = parseReportLine(Buffer.from(invoked.LogResult ?? '', 'base64').toString('utf8'));
    expect(report).toEqual(expect.objectContaining({ memoryMB: 128 }));
    expect(report?.initDurationMs).toBeUndefined();
    lambda.destroy();
    const stats = await get('/api/tasks/stats');
    expect(stats.cost.warmingUsd).toBeGreaterThan(0);
  });

  test('the warm-pool schedule is created once, and triggers', async () => {
    const first = await ensureWarmPoolSchedule(harness.client, harness.config.scheduler);
    expect(['created', 'unchanged']).toContain(first);
    expect(await ensureWarmPoolSchedule(harness.client, harness.config.scheduler)).toBe('unchanged');
    const handle = harness.client.schedule.getHandle(WARM_POOL_SCHEDULE_ID);
    const description = await handle.describe();
    expect(description.spec.intervals?.[0]?.every).toBe(harness.config.scheduler.warmPoolIntervalSeconds * 1000);
    const before = await count(`WorkflowType = 'warmPool' AND WorkflowId STARTS_WITH '${WARM_POOL_SCHEDULE_ID}'`);
    await handle.trigger();
    await eventually(async () => {
      const runs = await count(
        `WorkflowType = 'warmPool' AND WorkflowId STARTS_WITH '${WARM_POOL_SCHEDULE_ID}' AND ExecutionStatus = 'Completed'`,
      );
      return runs > before ? true : undefined;
    });
    await handle.delete();
  });
});
