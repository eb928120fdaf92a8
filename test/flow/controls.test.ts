// Operator controls on the real stack: pause and resume one task (its attempt finishes, the next waits), every
// task of a type (running and new), drain Lambda (new LAMBDA and AUTO tasks run locally, a running LAMBDA task's
// next attempt too) and force Lambda, each audited.
import type { FastifyInstance } from 'fastify';
import { optionalTsToDate } from '@temporalio/common';
import { buildApp } from '../../api/app';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

jest.setTimeout(180_000);

const stack = readStack();
let harness: TestHarness;
let app: FastifyInstance;
let gate: HoldGate;

beforeAll(async () => {
  // Every read of the controls goes to their workflow, so a change is seen by the next task at once.
  harness = await startHarness({ env: { SPILLWAY_CONTROLS_CACHE_MS: '0' } });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  await app.listen({ host: '127.0.0.1', port: stack.apiPort });
});

beforeEach(async () => {
  gate = await startHoldGate();
});
afterEach(async () => {
  await gate?.close();
  // No control outlives its test.
  await post('/api/controls/placement', { mode: 'none', reason: 'test cleanup' });
  await post('/api/controls/resume', { type: 'data-aggregation', reason: 'test cleanup' });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

interface View {
  id: string;
  status: string;
  attempts: Array<{ attempt: number; placement: string; outcome: string; error?: { type: string } }>;
  placement?: { placement: string; reason: string };
  paused?: { by: string; reason: string; scope?: string };
  waiting?: { reason: string };
  attemptPaused?: boolean;
  temporalStatus?: string;
}

const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });
const view = async (id: string) => (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json() as View;

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await post('/api/tasks', body);
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

async function finished(id: string): Promise<View> {
  return eventually(async () => {
    const v = await view(id);
    return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(v.status) && v.temporalStatus !== 'RUNNING' ? v : undefined;
  }, 120_000);
}

test('a paused task finishes its current attempt, then waits for resume before the next', async () => {
  const id = await create({
    name: uniqueId('pause'),
    type: 'flaky',
    executionMode: 'LOCAL',
    // Attempt 1 holds at the gate, then fails; attempt 2 succeeds.
    payload: { holdUntil: gate.url, failAttempts: 1 },
    retry: { initialIntervalMs: 100, maximumAttempts: 3 },
  });
  await eventually(async () => (gate.closedPolls() > 0 ? true : undefined));
  const paused = await post(`/api/tasks/${id}/pause`, { reason: 'investigating', by: 'ops@example.com' });
  expect(paused.statusCode).toBe(200);
  expect(paused.json()).toEqual({ id, paused: true });
  gate.release();
  // Attempt 1 ends (failed); Temporal holds attempt 2 while the task is paused.
  const held = await eventually(async () => {
    const v = await view(id);
    return v.attempts[0]?.outcome === 'failed' && v.attemptPaused === true ? v : undefined;
  });
  expect(held).toEqual(
    expect.objectContaining({
      status: 'RUNNING',
      paused: expect.objectContaining({ by: 'ops@example.com', reason: 'investigating' }),
    }),
  );
  expect(held.attempts).toHaveLength(1);
  expect((await post(`/api/tasks/${id}/resume`, { reason: 'fixed', by: 'ops@example.com' })).statusCode).toBe(200);
  const done = await finished(id);
  expect(done.status).toBe('COMPLETED');
  expect(done.attempts.map((a) => a.outcome)).toEqual(['failed', 'succeeded']);
  const controls = (await app.inject({ method: 'GET', url: '/api/controls' })).json();
  expect(controls.audit).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        action: 'pause-task',
        target: id,
        by: 'ops@example.com',
        reason: 'investigating',
        at: expect.any(String),
      }),
      expect.objectContaining({ action: 'resume-task', target: id, by: 'ops@example.com', reason: 'fixed' }),
    ]),
  );
});

test('a pause that reaches the running attempt through its heartbeat still lets that attempt end as it would', async () => {
  const id = await create({
    name: uniqueId('pause-beat'),
    type: 'flaky',
    executionMode: 'LOCAL',
    payload: { holdUntil: gate.url, failAttempts: 1 },
    retry: { initialIntervalMs: 100, maximumAttempts: 3 },
  });
  await eventually(async () => (gate.closedPolls() > 0 ? true : undefined));
  expect((await post(`/api/tasks/${id}/pause`, { reason: 'look', by: 'ops@example.com' })).statusCode).toBe(200);
  // Temporal tells a running activity of its pause in the answer to its next heartbeat, which cancels it in the SDK;
  // wait until a heartbeat has come after the pause, so the attempt has certainly been told.
  const handle = harness.client.workflow.getHandle(id);
  await eventually(async () => {
    const pending = (await handle.describe()).raw.pendingActivities?.[0];
    const pausedAt = optionalTsToDate(pending?.pauseInfo?.pauseTime);
    const beatAt = optionalTsToDate(pending?.lastHeartbeatTime);
    return pausedAt && beatAt && beatAt > pausedAt ? true : undefined;
  }, 60_000);
  // The function still runs: it keeps asking the gate.
  const polls = gate.closedPolls();
  await eventually(async () => (gate.closedPolls() > polls ? true : undefined));
  gate.release();
  // Attempt 1 ends with the function's own error (not the SDK's "Activity paused"), and the next attempt waits.
  const held = await eventually(async () => {
    const v = await view(id);
    return v.attempts[0]?.outcome === 'failed' && v.attemptPaused === true ? v : undefined;
  });
  expect(held.attempts).toEqual([
    expect.objectContaining({ attempt: 1, error: expect.objectContaining({ type: 'FlakyError' }) }),
  ]);
  expect((await post(`/api/tasks/${id}/resume`, { reason: 'ok', by: 'ops@example.com' })).statusCode).toBe(200);
  const done = await finished(id);
  expect(done.status).toBe('COMPLETED');
  expect(done.attempts.map((a) => a.outcome)).toEqual(['failed', 'succeeded']);
});

test('pausing a type holds its new tasks until the type is resumed', async () => {
  const res = await post('/api/controls/pause', { type: 'data-aggregation', reason: 'maintenance', by: 'ops' });
  expect(res.statusCode).toBe(200);
  expect(res.json().controls.pauses['type:data-aggregation']).toEqual(
    expect.objectContaining({ by: 'ops', reason: 'maintenance' }),
  );
  const id = await create({ name: uniqueId('paused-type'), type: 'data-aggregation', executionMode: 'LOCAL' });
  const waiting = await eventually(async () => {
    const v = await view(id);
    return v.waiting?.reason === 'paused' ? v : undefined;
  });
  expect(waiting).toEqual(
    expect.objectContaining({
      status: 'QUEUED',
      attempts: [],
      paused: expect.objectContaining({ scope: 'type:data-aggregation' }),
    }),
  );
  const resumed = await post('/api/controls/resume', { type: 'data-aggregation', reason: 'done', by: 'ops' });
  expect(resumed.json().affected).toBeGreaterThanOrEqual(1);
  expect((await finished(id)).status).toBe('COMPLETED');
});

test('draining Lambda sends new LAMBDA and AUTO tasks LOCAL, with the reason in their placement', async () => {
  const set = await post('/api/controls/placement', {
    mode: 'drain-lambda',
    reason: 'Lambda quota incident',
    by: 'ops',
  });
  expect(set.statusCode).toBe(200);
  expect(set.json().placementOverride).toEqual(expect.objectContaining({ mode: 'drain-lambda', by: 'ops' }));
  const ids = [
    await create({ name: uniqueId('drain'), type: 'noop', executionMode: 'LAMBDA' }),
    await create({ name: uniqueId('drain'), type: 'noop', executionMode: 'AUTO' }),
  ];
  for (const id of ids) {
    const v = await finished(id);
    expect({ status: v.status, placement: v.placement?.placement }).toEqual({
      status: 'COMPLETED',
      placement: 'LOCAL',
    });
    expect(v.placement?.reason).toContain('drain-lambda by ops');
    expect(v.placement?.reason).toContain('Lambda quota incident');
  }
});

test('draining Lambda moves a running LAMBDA task LOCAL at its next attempt', async () => {
  // Every Lambda attempt fails while the dependency is down, so however long the drain takes to set, the task is
  // still running on Lambda when it lands; then the dependency comes back.
  const id = await create({
    name: uniqueId('drain-running'),
    type: 'flaky',
    executionMode: 'LAMBDA',
    payload: { dependsOn: gate.url },
    retry: { initialIntervalMs: 500, backoffCoefficient: 1, maximumIntervalMs: 500, maximumAttempts: 100 },
  });
  await eventually(async () => ((await view(id)).attempts.some((a) => a.outcome === 'failed') ? true : undefined));
  const drain = await post('/api/controls/placement', { mode: 'drain-lambda', reason: 'moving off Lambda', by: 'ops' });
  expect(drain.statusCode).toBe(200);
  // Released once the task has moved LOCAL: a Lambda attempt still in flight then could otherwise succeed.
  await eventually(async () => ((await view(id)).placement?.placement === 'LOCAL' ? true : undefined));
  gate.release();
  const done = await finished(id);
  expect(done.status).toBe('COMPLETED');
  const placements = done.attempts.map((a) => a.placement);
  const firstLocal = placements.indexOf('LOCAL');
  // Lambda attempts until the drain, then only LOCAL ones, the last of which succeeded.
  expect(firstLocal).toBeGreaterThan(0);
  expect(placements.slice(0, firstLocal)).toEqual(placements.slice(0, firstLocal).map(() => 'LAMBDA'));
  expect(placements.slice(firstLocal)).toEqual(placements.slice(firstLocal).map(() => 'LOCAL'));
  expect(done.attempts.at(-1)?.outcome).toBe('succeeded');
  expect(done.placement).toEqual(
    expect.objectContaining({ placement: 'LOCAL', reason: expect.stringContaining('moving off Lambda') }),
  );
});

test('a delayed task submitted during a drain that is lifted before it starts runs by its own mode', async () => {
  await post('/api/controls/placement', { mode: 'drain-lambda', reason: 'short incident', by: 'ops' });
  const id = await create({ name: uniqueId('drain-delayed'), type: 'noop', executionMode: 'LAMBDA', delaySeconds: 10 });
  const cleared = await post('/api/controls/placement', { mode: 'none', reason: 'incident over', by: 'ops' });
  expect(cleared.statusCode).toBe(200);
  const done = await finished(id);
  expect({ status: done.status, placement: done.placement?.placement, attempts: done.attempts.length }).toEqual({
    status: 'COMPLETED',
    placement: 'LAMBDA',
    attempts: 1,
  });
  expect(done.placement?.reason).toBe('requested LAMBDA');
  expect(done.attempts[0]?.placement).toBe('LAMBDA');
});

test("a type paused after a schedule was created pauses that schedule's next run", async () => {
  const name = uniqueId('sched-paused-type');
  const created = await post('/api/schedules', {
    name,
    every: '1h',
    paused: true,
    task: { name: `${name} run`, type: 'data-aggregation', executionMode: 'LOCAL' },
  });
  expect(created.statusCode).toBe(201);
  try {
    await post('/api/controls/pause', { type: 'data-aggregation', reason: 'after the schedule', by: 'ops' });
    expect((await post(`/api/schedules/${name}/trigger`, {})).statusCode).toBe(200);
    const run = await eventually(async () => {
      const listed = (await app.inject({ method: 'GET', url: `/api/schedules/${name}` })).json();
      const first = listed.recentTasks[0] as { id: string } | undefined;
      const v = first ? await view(first.id) : undefined;
      return v?.waiting?.reason === 'paused' ? v : undefined;
    });
    expect(run).toEqual(
      expect.objectContaining({
        status: 'QUEUED',
        attempts: [],
        paused: expect.objectContaining({ scope: 'type:data-aggregation', reason: 'after the schedule' }),
      }),
    );
    await post('/api/controls/resume', { type: 'data-aggregation', reason: 'done', by: 'ops' });
    expect((await finished(run.id)).status).toBe('COMPLETED');
  } finally {
    await app.inject({ method: 'DELETE', url: `/api/schedules/${name}` });
  }
});

test("pausing a tenant pauses its running tasks: each finishes its attempt, then waits for the tenant's resume", async () => {
  const tenant = uniqueId('tenant');
  const ids = await Promise.all(
    [0, 1].map((i) =>
      create({
        name: uniqueId('tenant-running'),
        type: 'flaky',
        executionMode: 'LOCAL',
        fairness: { key: tenant },
        // Attempt 1 holds at the gate, then fails; attempt 2 succeeds.
        payload: { holdUntil: gate.holder(`${tenant}-${i}`), failAttempts: 1 },
        retry: { initialIntervalMs: 100, maximumAttempts: 3 },
      }),
    ),
  );
  await eventually(async () => (gate.holders() >= 2 ? true : undefined));
  // Visibility lists the running tasks of the tenant a moment after they start; the pause reaches those it lists.
  await eventually(async () =>
    (await harness.client.workflow.count(`TaskLabels = 'tenant:${tenant}' AND ExecutionStatus = 'Running'`)).count === 2
      ? true
      : undefined,
  );
  try {
    const paused = await post('/api/controls/pause', { tenant, reason: 'tenant over quota', by: 'ops' });
    expect(paused.json().affected).toBe(2);
    gate.release();
    const held = await Promise.all(
      ids.map((id) =>
        eventually(async () => {
          const v = await view(id);
          return v.attempts[0]?.outcome === 'failed' && v.attemptPaused === true ? v : undefined;
        }),
      ),
    );
    for (const v of held) {
      expect(v).toEqual(
        expect.objectContaining({
          status: 'RUNNING',
          paused: expect.objectContaining({ scope: `tenant:${tenant}`, reason: 'tenant over quota' }),
        }),
      );
      expect(v.attempts).toHaveLength(1);
    }
  } finally {
    await post('/api/controls/resume', { tenant, reason: 'quota raised', by: 'ops' });
  }
  const done = await Promise.all(ids.map(finished));
  expect(done.map((v) => v.attempts.map((a) => a.outcome))).toEqual([
    ['failed', 'succeeded'],
    ['failed', 'succeeded'],
  ]);
});

test('forcing Lambda sends AUTO tasks to Lambda', async () => {
  await post('/api/controls/placement', { mode: 'force-lambda', reason: 'local pool maintenance', by: 'ops' });
  const v = await finished(await create({ name: uniqueId('force'), type: 'noop', executionMode: 'AUTO' }));
  expect({ status: v.status, placement: v.placement }).toEqual({
    status: 'COMPLETED',
    placement: expect.objectContaining({ placement: 'LAMBDA', reason: expect.stringContaining('force-lambda') }),
  });
});

test.each([
  [
    'a scope with both type and tenant',
    '/api/controls/pause',
    { type: 'noop', tenant: 'a', reason: 'x' },
    'SPILLWAY_INVALID_CONTROL',
  ],
  ['a pause without a reason', '/api/controls/pause', { type: 'noop' }, 'SPILLWAY_VALIDATION_FAILED'],
  [
    'an unknown override',
    '/api/controls/placement',
    { mode: 'everything-local', reason: 'x' },
    'SPILLWAY_VALIDATION_FAILED',
  ],
])('%s is 400 %s', async (_label, url, body, code) => {
  const res = await post(url, body);
  expect(res.statusCode).toBe(400);
  expect(res.json()).toEqual(expect.objectContaining({ code }));
});

test('the spillway CLI sets and reads the same controls through the API', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const path = await import('node:path');
  // Asynchronous: the API answering the CLI runs in this very process.
  const cli = async (...args: string[]) =>
    JSON.parse(
      (
        await promisify(execFile)(
          process.execPath,
          [path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js'), ...args],
          {
            env: { ...process.env, SPILLWAY_API_URL: `http://127.0.0.1:${stack.apiPort}` },
          },
        )
      ).stdout,
    );
  expect(
    (await cli('control', 'drain-lambda', '--reason', 'from the CLI', '--by', 'cli-user')).placementOverride,
  ).toEqual(expect.objectContaining({ mode: 'drain-lambda', by: 'cli-user', reason: 'from the CLI' }));
  const status = await cli('control', 'status');
  expect(status.audit.at(-1)).toEqual(expect.objectContaining({ action: 'placement:drain-lambda', by: 'cli-user' }));
  expect((await cli('control', 'clear-override', '--reason', 'done')).placementOverride).toBeUndefined();
});
