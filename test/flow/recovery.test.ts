// Retry timing across the Lambda boundary (a function's retryAfterSeconds, an explicit retry.delays schedule), and
// dead letters with redrive (one task, a batch's failed items, a group of dead letters), on the real stack.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DeleteFunctionConcurrencyCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { createLambdaClient } from '../../clients/lambda-client';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

jest.setTimeout(180_000);

const stack = readStack();
let harness: TestHarness;
let app: FastifyInstance;
let dependency: HoldGate;

beforeAll(async () => {
  harness = await startHarness();
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  await app.listen({ host: '127.0.0.1', port: stack.apiPort });
  dependency = await startHoldGate();
});

afterAll(async () => {
  await dependency?.close();
  await app?.close();
  await harness?.close();
});

interface Attempt {
  attempt: number;
  outcome: string;
  backoffMs?: number;
  error?: { type: string; retryAfterMs?: number };
}
interface View {
  id: string;
  status: string;
  attempts: Array<Attempt & { placement?: string }>;
  redriveOf?: string;
  executionMode: string;
  temporalStatus?: string;
}

const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });
const get = (url: string) => app.inject({ method: 'GET', url });
const view = async (id: string) => (await get(`/api/tasks/${id}`)).json() as View;

async function finished(id: string): Promise<View> {
  return eventually(async () => {
    const v = await view(id);
    return ['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'].includes(v.status) && v.temporalStatus !== 'RUNNING'
      ? v
      : undefined;
  }, 120_000);
}

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await post('/api/tasks', body);
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

describe('retry timing', () => {
  // The policy alone would retry after 100 ms; only the function's ask or the schedule can make it wait longer.
  const fastPolicy = { initialIntervalMs: 100, backoffCoefficient: 1, maximumIntervalMs: 100, maximumAttempts: 3 };

  test.each(['LOCAL', 'LAMBDA'])('a %s function that asks for retryAfterSeconds gets that gap', async (mode) => {
    const id = await create({
      name: uniqueId('retry-after'),
      type: 'flaky',
      executionMode: mode,
      payload: { failAttempts: 1, retryAfterSeconds: 2 },
      retry: fastPolicy,
    });
    const task = await finished(id);
    expect(task.status).toBe('COMPLETED');
    expect(task.attempts[0]?.error).toEqual(expect.objectContaining({ type: 'FlakyError', retryAfterMs: 2000 }));
    expect(task.attempts[1]?.backoffMs).toBeGreaterThanOrEqual(1900);
  });

  test.each(['LOCAL', 'LAMBDA'])('retry.delays sets the %s gaps between attempts', async (mode) => {
    const id = await create({
      name: uniqueId('delays'),
      type: 'flaky',
      executionMode: mode,
      payload: { failAttempts: 2 },
      retry: { delays: ['1s', '3s'], initialIntervalMs: 100 },
    });
    const task = await finished(id);
    expect(task.status).toBe('COMPLETED');
    expect(task.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'succeeded']);
    expect(task.attempts[1]?.backoffMs).toBeGreaterThanOrEqual(900);
    expect(task.attempts[2]?.backoffMs).toBeGreaterThanOrEqual(2900);
  });
});

describe('retry hints from outside the function', () => {
  const fastPolicy = { initialIntervalMs: 100, backoffCoefficient: 1, maximumIntervalMs: 100, maximumAttempts: 10 };

  test("a Lambda throttle's Retry-After sets the gap before the next attempt", async () => {
    const lambda = createLambdaClient(harness.config.lambda);
    // No concurrency at all: Lambda throttles every synchronous invocation of the function, with Retry-After: 1.
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'flaky', ReservedConcurrentExecutions: 0 }));
    let id: string;
    try {
      id = await create({
        name: uniqueId('throttled'),
        type: 'flaky',
        executionMode: 'LAMBDA',
        invocation: 'sync',
        retry: fastPolicy,
      });
      await eventually(async () =>
        (await view(id)).attempts[0]?.error?.type === 'LambdaThrottledError' ? true : undefined,
      );
    } finally {
      await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'flaky' }));
    }
    const task = await finished(id);
    expect(task.status).toBe('COMPLETED');
    const throttled = task.attempts.filter((a) => a.error?.type === 'LambdaThrottledError');
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    // The policy alone would retry after 100 ms; each attempt after a throttle waited for Lambda's second.
    for (const a of task.attempts.slice(1)) {
      const before = task.attempts.find((b) => b.attempt === a.attempt - 1);
      if (before?.error?.type === 'LambdaThrottledError') expect(a.backoffMs).toBeGreaterThanOrEqual(900);
    }
    expect(task.attempts.at(-1)?.outcome).toBe('succeeded');
  });

  describe('a downstream API that answers 429 or 503 with Retry-After', () => {
    let server: Server;
    let base: string;
    const asked = new Map<string, number>();
    const logo = readFileSync(path.join(__dirname, '../../examples/samples/logo.png'));

    beforeAll(async () => {
      // Each path answers its status with Retry-After: 2 the first time, then the image.
      server = createServer((req, res) => {
        const url = req.url ?? '';
        const n = (asked.get(url) ?? 0) + 1;
        asked.set(url, n);
        const status = Number(/\/busy-(\d{3})-/.exec(url)?.[1] ?? 0);
        if (status && n === 1) res.writeHead(status, { 'retry-after': '2' }).end('busy');
        else res.writeHead(200, { 'content-type': 'image/png' }).end(logo);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

    test.each([
      ['LOCAL', 429],
      ['LAMBDA', 503],
    ])('an image-processing task on %s told %i sets its next attempt that far out', async (mode, status) => {
      const id = await create({
        name: uniqueId('retry-after-header'),
        type: 'image-processing',
        executionMode: mode,
        payload: { imageUrl: `${base}/busy-${status}-${uniqueId('img')}.png`, width: 16 },
        retry: fastPolicy,
      });
      const task = await finished(id);
      expect(task.status).toBe('COMPLETED');
      expect(task.attempts.map((a) => a.outcome)).toEqual(['failed', 'succeeded']);
      expect(task.attempts[0]?.error).toEqual(expect.objectContaining({ type: 'ImageFetchError', retryAfterMs: 2000 }));
      expect(task.attempts[1]?.backoffMs).toBeGreaterThanOrEqual(1900);
    });
  });
});

describe('dead letters and redrive', () => {
  const once = { maximumAttempts: 1 };

  test('a batch with failures is redriven, and only its failed items run again', async () => {
    const name = uniqueId('batch');
    const res = await post('/api/tasks/bulk', {
      tasks: Array.from({ length: 6 }, (_, i) => ({
        name,
        type: 'flaky',
        executionMode: 'LOCAL',
        // Two items depend on something that is down.
        payload: i < 2 ? { dependsOn: dependency.url } : {},
        retry: once,
      })),
    });
    expect(res.statusCode).toBe(207);
    const { batchId, results } = res.json();
    expect(batchId).toMatch(/^batch-/);
    const ids: string[] = results.map((r: { task: { id: string } }) => r.task.id);
    await Promise.all(ids.map(finished));
    const before = (await get(`/api/batches/${batchId}`)).json();
    expect(before).toEqual(
      expect.objectContaining({
        id: batchId,
        total: 6,
        redriven: 0,
        counts: expect.objectContaining({ COMPLETED: 4, FAILED: 2 }),
      }),
    );

    dependency.release();
    const redrive = await post(`/api/batches/${batchId}/redrive`, {});
    expect(redrive.statusCode).toBe(200);
    const body = redrive.json();
    expect(body.redriven).toBe(2);
    expect(body.results.map((r: { id: string }) => r.id).sort()).toEqual(ids.slice(0, 2).sort());
    const reruns = await Promise.all(body.results.map((r: { task: { id: string } }) => finished(r.task.id)));
    for (const rerun of reruns)
      expect({ status: rerun.status, redriveOf: ids.includes(rerun.redriveOf ?? '') }).toEqual({
        status: 'COMPLETED',
        redriveOf: true,
      });
    const after = await eventually(async () => {
      const b = (await get(`/api/batches/${batchId}`)).json();
      return b.counts.COMPLETED === 6 ? b : undefined;
    });
    expect(after).toEqual(expect.objectContaining({ total: 6, redriven: 2 }));
    // Nothing left to redrive: a second redrive re-runs nothing.
    expect((await post(`/api/batches/${batchId}/redrive`, {})).json()).toEqual(
      expect.objectContaining({ redriven: 0 }),
    );
  });

  test('one failed task is redriven in another mode; a completed one cannot be', async () => {
    const failing = await create({
      name: uniqueId('redrive-one'),
      type: 'flaky',
      executionMode: 'LOCAL',
      payload: { permanent: true, failAttempts: 1 },
      retry: { maximumAttempts: 2 },
    });
    expect((await finished(failing)).status).toBe('FAILED');
    const res = await post(`/api/tasks/${failing}/redrive`, { executionMode: 'LAMBDA' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual(expect.objectContaining({ redriveOf: failing, executionMode: 'LAMBDA' }));
    // The permanent failure was for attempt 1 only; the re-run starts at attempt 1 again, so it fails the same way.
    const rerun = await finished(res.json().id);
    expect({ status: rerun.status, mode: rerun.executionMode, redriveOf: rerun.redriveOf }).toEqual({
      status: 'FAILED',
      mode: 'LAMBDA',
      redriveOf: failing,
    });

    const ok = await create({ name: uniqueId('redrive-ok'), type: 'noop', executionMode: 'LOCAL' });
    expect((await finished(ok)).status).toBe('COMPLETED');
    const refused = await post(`/api/tasks/${ok}/redrive`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual(expect.objectContaining({ code: 'SPILLWAY_TASK_NOT_REDRIVABLE' }));
  });

  test('dead letters are grouped by type and error, and a group is redriven at once', async () => {
    const gate = await startHoldGate();
    try {
      const name = uniqueId('dlq');
      const ids = await Promise.all(
        Array.from({ length: 3 }, () =>
          create({ name, type: 'flaky', executionMode: 'LOCAL', payload: { dependsOn: gate.url }, retry: once }),
        ),
      );
      await Promise.all(ids.map(finished));
      const letters = await eventually(async () => {
        const body = (await get('/api/dead-letters')).json();
        const group = body.groups.find(
          (g: { type: string; errorType: string }) => g.type === 'flaky' && g.errorType === 'DependencyUnavailable',
        );
        return group && group.count >= 3 ? group : undefined;
      });
      expect(letters.examples[0]).toEqual(
        expect.objectContaining({ status: 'FAILED', lastError: expect.stringContaining('unavailable') }),
      );
      gate.release();
      const redrive = (
        await post('/api/dead-letters/redrive', { type: 'flaky', errorType: 'DependencyUnavailable' })
      ).json();
      expect(redrive.redriven).toBeGreaterThanOrEqual(3);
      expect(redrive.results.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(ids));
      // The redrives are listed by visibility a moment after they start; until then their originals still show.
      const left = await eventually(async () => {
        const after = (await get('/api/dead-letters')).json();
        const group = after.groups.find(
          (g: { type: string; errorType: string }) => g.type === 'flaky' && g.errorType === 'DependencyUnavailable',
        );
        return group ? undefined : { group };
      });
      expect(left.group).toBeUndefined();
    } finally {
      await gate.close();
    }
  });

  test('a batch redrive re-runs its FAILED, CANCELLED and EXPIRED items, in another mode', async () => {
    const gate = await startHoldGate();
    const down = await startHoldGate();
    try {
      const key = uniqueId('batch-slot');
      // Outside the batch, a task holds the one slot of a key, so the batch's item of that key expires waiting.
      const holder = await create({
        name: uniqueId('batch-holder'),
        type: 'flaky',
        executionMode: 'LOCAL',
        payload: { holdUntil: gate.holder('holder'), holdMaxMs: 120_000 },
        concurrency: { key, limit: 1 },
      });
      await eventually(async () => (gate.holders() === 1 ? true : undefined));
      const name = uniqueId('batch-kinds');
      const res = await post('/api/tasks/bulk', {
        tasks: [
          {
            name,
            type: 'noop',
            executionMode: 'LOCAL',
            concurrency: { key, limit: 1 },
            expiresAt: new Date(Date.now() + 3_000).toISOString(),
          },
          {
            name,
            type: 'flaky',
            executionMode: 'LOCAL',
            payload: { holdUntil: gate.holder('cancelled'), holdMaxMs: 120_000 },
          },
          { name, type: 'flaky', executionMode: 'LOCAL', payload: { dependsOn: down.url }, retry: once },
          { name, type: 'noop', executionMode: 'LOCAL' },
          { name, type: 'noop', executionMode: 'LOCAL' },
        ],
      });
      expect(res.statusCode).toBe(207);
      const { batchId, results } = res.json();
      const [expiring, cancelled, failing, ...fine] = results.map(
        (r: { task: { id: string } }) => r.task.id,
      ) as string[];
      await eventually(async () => (gate.holders() === 2 ? true : undefined));
      expect((await post(`/api/tasks/${cancelled}/cancel`, {})).statusCode).toBe(202);
      const ended = await Promise.all([expiring, cancelled, failing, ...fine].map((id) => finished(id as string)));
      expect(ended.map((v) => v.status)).toEqual(['EXPIRED', 'CANCELLED', 'FAILED', 'COMPLETED', 'COMPLETED']);
      await eventually(async () => {
        const b = (await get(`/api/batches/${batchId}`)).json();
        return b.counts.EXPIRED === 1 && b.counts.CANCELLED === 1 && b.counts.FAILED === 1 ? b : undefined;
      });

      gate.release();
      down.release();
      expect((await finished(holder)).status).toBe('COMPLETED');
      const redrive = await post(`/api/batches/${batchId}/redrive`, { executionMode: 'LAMBDA' });
      expect(redrive.statusCode).toBe(200);
      const body = redrive.json();
      expect(body.redriven).toBe(3);
      expect(body.results.map((r: { id: string }) => r.id).sort()).toEqual([expiring, cancelled, failing].sort());
      const reruns: View[] = await Promise.all(body.results.map((r: { task: { id: string } }) => finished(r.task.id)));
      for (const rerun of reruns) {
        expect({
          status: rerun.status,
          mode: rerun.executionMode,
          placements: rerun.attempts.map((a) => a.placement),
          linked: [expiring, cancelled, failing].includes(rerun.redriveOf ?? ''),
        }).toEqual({ status: 'COMPLETED', mode: 'LAMBDA', placements: ['LAMBDA'], linked: true });
      }
      const after = await eventually(async () => {
        const b = (await get(`/api/batches/${batchId}`)).json();
        return b.counts.COMPLETED === 5 ? b : undefined;
      });
      expect(after).toEqual(expect.objectContaining({ total: 5, redriven: 3 }));
    } finally {
      await gate.close();
      await down.close();
    }
  });

  test('two redrives of one task at once start one task; a redrive in another mode after it is 409', async () => {
    const failing = await create({
      name: uniqueId('redrive-twice'),
      type: 'flaky',
      executionMode: 'LOCAL',
      payload: { permanent: true },
      retry: once,
    });
    expect((await finished(failing)).status).toBe('FAILED');
    const both = await Promise.all([
      post(`/api/tasks/${failing}/redrive`, {}),
      post(`/api/tasks/${failing}/redrive`, {}),
    ]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 201]);
    const [first, second] = both.map((r) => r.json());
    expect(first.id).toBe(second.id);
    expect(first).toEqual(expect.objectContaining({ id: `${failing}.r1`, redriveOf: failing }));
    expect((await finished(first.id)).status).toBe('FAILED');
    // Every redrive of it is listed by now (each started before this one ended): there is one.
    const redrives = async () => (await harness.client.workflow.count(`TaskLabels = 'redrive-of:${failing}'`)).count;
    await eventually(async () => ((await redrives()) >= 1 ? true : undefined));
    expect(await redrives()).toBe(1);
    const conflict = await post(`/api/tasks/${failing}/redrive`, { executionMode: 'LAMBDA' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toEqual(expect.objectContaining({ code: 'SPILLWAY_REDRIVE_CONFLICT' }));
    // Its own redrive is what to redrive next.
    const again = await post(`/api/tasks/${first.id}/redrive`, { executionMode: 'LAMBDA' });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(expect.objectContaining({ id: `${failing}.r2`, redriveOf: first.id }));
  });

  test('an unknown batch is 404 SPILLWAY_BATCH_NOT_FOUND', async () => {
    const res = await get('/api/batches/batch-00000000-0000-0000-0000-000000000000');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(expect.objectContaining({ code: 'SPILLWAY_BATCH_NOT_FOUND' }));
  });
});
