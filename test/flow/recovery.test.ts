// Retry timing across the Lambda boundary (a function's retryAfterSeconds, an explicit retry.delays schedule), and
// dead letters with redrive (one task, a batch's failed items, a group of dead letters), on the real stack.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
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
  attempts: Attempt[];
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
      const after = (await get('/api/dead-letters')).json();
      const left = after.groups.find(
        (g: { type: string; errorType: string }) => g.type === 'flaky' && g.errorType === 'DependencyUnavailable',
      );
      expect(left).toBeUndefined();
    } finally {
      await gate.close();
    }
  });

  test('an unknown batch is 404 SPILLWAY_BATCH_NOT_FOUND', async () => {
    const res = await get('/api/batches/batch-00000000-0000-0000-0000-000000000000');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(expect.objectContaining({ code: 'SPILLWAY_BATCH_NOT_FOUND' }));
  });
});
