// Concurrency per key across two worker processes and both placements, rate limits, start delays, expiry and
// debounce, against the real stack. Where a test needs a known state (slots held, a window open), it holds tasks at
// a gate instead of guessing with sleeps.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';
import { startWorkerProcess, workerEnv, type WorkerProcess } from '../support/worker-processes';

jest.setTimeout(180_000);

const stack = readStack();
let harness: TestHarness;
let app: FastifyInstance;
let gate: HoldGate;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  harness = await startHarness({ workers: false, env: { SCHEDULER_LOCAL_WORKER_POOL_SIZE: '4' } });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  // Lambda attempts call back here.
  await app.listen({ host: '127.0.0.1', port: stack.apiPort });
  for (let i = 0; i < 2; i++) workers.push(await startWorkerProcess(workerEnv(harness.config)));
}, 120_000);

beforeEach(async () => {
  gate = await startHoldGate();
});
afterEach(async () => gate?.close());

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await app?.close();
  await harness?.close();
});

interface Attempt {
  attempt: number;
  placement: string;
  startedAt: string;
  finishedAt?: string;
  outcome: string;
}
interface View {
  id: string;
  status: string;
  attempts: Attempt[];
  result?: unknown;
  error?: { type: string; message: string };
  waiting?: { reason: string };
  startedAt?: string;
  submittedAt: string;
  permitGrantedAt?: string;
  temporalStatus?: string;
  options?: Record<string, unknown>;
}

const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });
const view = async (id: string) => (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json() as View;
const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'];

async function submit(body: Record<string, unknown>): Promise<{ id: string; debounced?: boolean; statusCode: number }> {
  const res = await post('/api/tasks', body);
  expect([200, 201]).toContain(res.statusCode);
  return { ...res.json(), statusCode: res.statusCode };
}

async function finished(id: string, timeoutMs = 120_000): Promise<View> {
  return eventually(async () => {
    const v = await view(id);
    return FINAL.includes(v.status) && v.temporalStatus !== 'RUNNING' ? v : undefined;
  }, timeoutMs);
}

/** The most attempts that ran at the same moment. */
function maxOverlap(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]) as Array<[number, number]>;
  // At the same instant an end comes before a start: touching intervals do not overlap.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (now += d));
  return max;
}

/** Local slots across the worker processes: what a test must fill to prove where tasks wait. */
const poolSlots = () => harness.config.scheduler.localWorkerPoolSize * workers.length;

/** Tasks held at the gate, each polling its own URL, so gate.holders() counts how many hold at once. */
async function holdAtGate(label: string, count: number, extra: Record<string, unknown> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const payload = { holdUntil: gate.holder(`${label}-${i}`), holdMaxMs: 120_000 };
    ids.push((await submit({ name: uniqueId(label), type: 'flaky', executionMode: 'LOCAL', payload, ...extra })).id);
  }
  return ids;
}

test('a concurrency key of 3 is never exceeded and is reached, across two workers and both placements', async () => {
  const key = uniqueId('cc');
  const concurrency = { key, limit: 3 };
  // Three held tasks take the three slots first: the limit is reached for as long as the test holds them.
  const before = gate.holders();
  const held = await holdAtGate('cc-held', 3, { concurrency });
  await eventually(async () => (gate.holders() === before + 3 ? true : undefined), 60_000);
  const rest = await Promise.all(
    Array.from(
      { length: 12 },
      async (_, i) =>
        (
          await submit({
            name: key,
            type: 'flaky',
            executionMode: i % 2 === 0 ? 'LOCAL' : 'LAMBDA',
            payload: { sleepMs: 300 },
            concurrency,
          })
        ).id,
    ),
  );
  // Every other task of the key waits for a slot meanwhile, in both placements.
  const waiting = await eventually(async () => {
    const vs = await Promise.all(rest.map(view));
    return vs.every((v) => v.waiting?.reason === 'concurrency') ? vs : undefined;
  });
  expect(waiting.every((v) => v.attempts.length === 0)).toBe(true);
  gate.release();
  const views = await Promise.all([...held, ...rest].map((id) => finished(id)));
  expect(views.map((v) => v.status)).toEqual(views.map(() => 'COMPLETED'));
  const intervals = views.flatMap((v) =>
    v.attempts.map((a) => [Date.parse(a.startedAt), Date.parse(a.finishedAt ?? a.startedAt)] as [number, number]),
  );
  expect(maxOverlap(intervals)).toBe(3);
  expect(new Set(views.map((v) => v.attempts[0]?.placement))).toEqual(new Set(['LOCAL', 'LAMBDA']));
});

test('tasks beyond the limit wait without holding a worker slot, in the order they came', async () => {
  const key = uniqueId('cc-order');
  const slots = poolSlots();
  const before = gate.holders();
  // Two tasks hold the key's two slots, and fillers all but one of the pool's other slots: if the waiters held a
  // worker slot each, the pool would be full.
  const holders = await holdAtGate('cc-order-holder', 2, { concurrency: { key, limit: 2 } });
  await holdAtGate('cc-order-filler', slots - 3);
  await eventually(async () => (gate.holders() === before + slots - 1 ? true : undefined), 60_000);
  expect((await Promise.all(holders.map(view))).map((v) => v.status)).toEqual(['RUNNING', 'RUNNING']);
  const waiters: string[] = [];
  for (let i = 0; i < 3; i++) {
    waiters.push(
      (await submit({ name: key, type: 'noop', executionMode: 'LOCAL', concurrency: { key, limit: 2 } })).id,
    );
  }
  const waiting = await eventually(async () => {
    const vs = await Promise.all(waiters.map(view));
    return vs.every((v) => v.waiting?.reason === 'concurrency') ? vs : undefined;
  });
  expect(waiting.map((v) => v.status)).toEqual(['QUEUED', 'QUEUED', 'QUEUED']);
  // The one slot left is free for other work meanwhile: an unrelated task runs while everything else holds.
  const other = await finished((await submit({ name: uniqueId('free'), type: 'noop', executionMode: 'LOCAL' })).id);
  expect(other.status).toBe('COMPLETED');
  expect(gate.holders()).toBe(before + slots - 1);
  gate.release();
  const done = await Promise.all(waiters.map((id) => finished(id)));
  // The two freed slots go to the first two in line; the last one in line starts only when one of them frees a slot.
  // Both times come from the worker's clock (the attempt's own start and end): the task's startedAt is workflow
  // time, the start of the workflow task it was set in, which may predate the release it waited for by a few ms.
  const [first, second, last] = done;
  expect(Date.parse(last?.attempts[0]?.startedAt ?? '')).toBeGreaterThanOrEqual(
    Math.min(...[first, second].map((v) => Date.parse(v?.attempts[0]?.finishedAt ?? ''))),
  );
});

test.each(['LOCAL', 'LAMBDA'])(
  'a rate limit of 5 per second holds for the start of every %s attempt, retries included',
  async (mode) => {
    const key = uniqueId('rate');
    const ids = await Promise.all(
      Array.from(
        { length: 10 },
        async (_, i) =>
          (
            await submit({
              name: key,
              type: 'flaky',
              executionMode: mode,
              // Half of them fail once: their retries, which Temporal schedules by itself, start under a permit too.
              payload: { failAttempts: i % 2 },
              retry: { initialIntervalMs: 100, backoffCoefficient: 1, maximumIntervalMs: 100, maximumAttempts: 3 },
              rateLimit: { key, perSecond: 5 },
              // A synchronous Lambda attempt starts at its invocation, under its permit; an asynchronous one's
              // recorded start is the function's own, after Lambda's event queue, which Spillway does not pace.
              ...(mode === 'LAMBDA' ? { invocation: 'sync' } : {}),
            })
          ).id,
      ),
    );
    const views = await Promise.all(ids.map((id) => finished(id)));
    expect(views.map((v) => v.status)).toEqual(views.map(() => 'COMPLETED'));
    const attempts = views.flatMap((v) => v.attempts);
    expect(attempts.map((a) => a.placement)).toEqual(attempts.map(() => mode));
    const starts = attempts.map((a) => Date.parse(a.startedAt)).sort((a, b) => a - b);
    expect(starts).toHaveLength(15);
    for (let i = 0; i + 5 < starts.length; i++) {
      // The 6th attempt after any attempt starts a full period later.
      expect((starts[i + 5] as number) - (starts[i] as number)).toBeGreaterThanOrEqual(1000);
    }
  },
);

test('a delayed task does not start before its delay', async () => {
  const { id } = await submit({ name: uniqueId('delay'), type: 'noop', executionMode: 'LOCAL', delaySeconds: 3 });
  const early = await view(id);
  expect(early.status).toBe('QUEUED');
  const done = await finished(id);
  expect(done.status).toBe('COMPLETED');
  expect(Date.parse(done.attempts[0]?.startedAt ?? '') - Date.parse(done.submittedAt)).toBeGreaterThanOrEqual(3000);
});

test('a task not started by its expiresAt ends EXPIRED and never runs', async () => {
  const key = uniqueId('expire');
  const holder = await submit({
    name: key,
    type: 'flaky',
    executionMode: 'LOCAL',
    payload: { holdUntil: gate.url },
    concurrency: { key, limit: 1 },
  });
  await eventually(async () => ((await view(holder.id)).status === 'RUNNING' ? true : undefined));
  const { id } = await submit({
    name: key,
    type: 'noop',
    executionMode: 'LOCAL',
    concurrency: { key, limit: 1 },
    expiresAt: new Date(Date.now() + 2_000).toISOString(),
  });
  const expired = await finished(id);
  gate.release();
  expect({ status: expired.status, attempts: expired.attempts, error: expired.error?.type }).toEqual({
    status: 'EXPIRED',
    attempts: [],
    error: 'TaskExpiredError',
  });
  // Visibility catches up with the close a moment after it (eventually consistent).
  await eventually(async () =>
    (await harness.client.workflow.count(`WorkflowId = '${id}' AND TaskStatus = 'EXPIRED'`)).count === 1
      ? true
      : undefined,
  );
  expect((await finished(holder.id)).status).toBe('COMPLETED');
});

test('a task with startAt starts no earlier, and shows its options with their values before it starts', async () => {
  const key = uniqueId('start-at');
  const startAt = new Date(Date.now() + 8_000).toISOString();
  const expiresAt = new Date(Date.now() + 120_000).toISOString();
  const { id } = await submit({
    name: key,
    type: 'noop',
    executionMode: 'LOCAL',
    startAt,
    expiresAt,
    priority: 2,
    fairness: { key: `${key}-tenant`, weight: 2 },
    concurrency: { key, limit: 7 },
    rateLimit: { key, perMinute: 600 },
  });
  const early = await view(id);
  expect({ status: early.status, options: early.options }).toEqual({
    status: 'QUEUED',
    options: {
      startAt,
      expiresAt,
      priority: 2,
      fairness: { key: `${key}-tenant`, weight: 2 },
      concurrency: { key, limit: 7 },
      rateLimit: { key, limit: 600, periodMs: 60_000 },
    },
  });
  const done = await finished(id);
  expect(done.status).toBe('COMPLETED');
  expect(Date.parse(done.attempts[0]?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(startAt));
  expect(done.options).toEqual(early.options);
});

test('a task placed in time whose attempt waits in the local queue past its expiresAt ends EXPIRED unrun', async () => {
  const slots = poolSlots();
  const before = gate.holders();
  const fillers = await holdAtGate('expire-queue', slots);
  await eventually(async () => (gate.holders() === before + slots ? true : undefined), 60_000);
  const expiresAt = Date.now() + 6_000;
  const { id } = await submit({
    name: uniqueId('expire-queue'),
    type: 'noop',
    executionMode: 'LOCAL',
    expiresAt: new Date(expiresAt).toISOString(),
  });
  // Nothing holds the task itself: it is placed at once, and its attempt waits for a slot of the full pool.
  await eventually(async () => ((await view(id)).status === 'RUNNING' ? true : undefined));
  await eventually(async () => (Date.now() > expiresAt ? true : undefined));
  gate.release();
  const expired = await finished(id);
  expect({ status: expired.status, attempts: expired.attempts, error: expired.error?.type }).toEqual({
    status: 'EXPIRED',
    attempts: [],
    error: 'TaskExpiredError',
  });
  expect(expired.error?.message).toContain('waited in the queue');
  const held = await Promise.all(fillers.map((f) => finished(f)));
  expect(held.map((v) => v.status)).toEqual(held.map(() => 'COMPLETED'));
});

test('a delayed task held by a pause of its tenant past its expiresAt ends EXPIRED unrun', async () => {
  const tenant = uniqueId('paused-tenant');
  const pause = await post('/api/controls/pause', { tenant, reason: 'expiry test', by: 'test' });
  expect(pause.statusCode).toBe(200);
  try {
    const { id } = await submit({
      name: tenant,
      type: 'noop',
      executionMode: 'LOCAL',
      delaySeconds: 2,
      expiresAt: new Date(Date.now() + 6_000).toISOString(),
      fairness: { key: tenant },
    });
    const expired = await finished(id);
    expect({ status: expired.status, attempts: expired.attempts, error: expired.error?.type }).toEqual({
      status: 'EXPIRED',
      attempts: [],
      error: 'TaskExpiredError',
    });
    // The stats count it as expired, in total and for its tenant.
    const stats = await eventually(async () => {
      const body = (await app.inject({ method: 'GET', url: '/api/tasks/stats' })).json();
      return body.byTenant?.[tenant]?.expired === 1 ? body : undefined;
    });
    expect(stats.totals.expired).toBeGreaterThanOrEqual(1);
    expect(stats.byTenant[tenant]).toEqual({
      created: 1,
      queued: 0,
      running: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      expired: 1,
      costUsd: 0,
    });
  } finally {
    await post('/api/controls/resume', { tenant, reason: 'expiry test done', by: 'test' });
  }
});

test('trailing debounce runs exactly one task per window, with the last payload', async () => {
  const key = uniqueId('debounce');
  const answers = [];
  // A generous window: the five submissions, one after another, land in it however busy the machine is.
  for (let i = 1; i <= 5; i++) {
    answers.push(
      await submit({
        name: `${key}-${i}`,
        type: 'flaky',
        executionMode: 'LOCAL',
        payload: { sleepMs: i },
        debounce: { key, periodSeconds: 15 },
      }),
    );
  }
  const ids = new Set(answers.map((a) => a.id));
  expect(ids.size).toBe(1);
  expect(answers.map((a) => a.statusCode)).toEqual([201, 200, 200, 200, 200]);
  expect(answers.slice(1).every((a) => a.debounced === true)).toBe(true);
  const done = await finished(answers[0]?.id as string);
  expect(done.status).toBe('COMPLETED');
  expect(done.result).toEqual(expect.objectContaining({ sleptMs: expect.any(Number) }));
  expect((done.result as { sleptMs: number }).sleptMs).toBeGreaterThanOrEqual(5);
  // After the window a submission opens the next one.
  const next = await submit({
    name: `${key}-6`,
    type: 'noop',
    executionMode: 'LOCAL',
    debounce: { key, periodSeconds: 1 },
  });
  expect(next.id).not.toBe(answers[0]?.id);
  // Visibility lists a started workflow a moment after its start: wait for the second, then check there is no third.
  const count = async () => (await harness.client.workflow.count(`TaskName STARTS_WITH '${key}'`)).count;
  await eventually(async () => ((await count()) >= 2 ? true : undefined));
  expect(await count()).toBe(2);
});

test('concurrent trailing submissions all join one window: one task runs', async () => {
  const key = uniqueId('debounce-burst');
  const answers = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      submit({
        name: `${key}-${i}`,
        type: 'flaky',
        executionMode: 'LOCAL',
        payload: { sleepMs: i },
        debounce: { key, periodSeconds: 15 },
      }),
    ),
  );
  // One submission opened the window; every other one, even those that found it before its task existed, joined it.
  expect(new Set(answers.map((a) => a.id)).size).toBe(1);
  expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(1);
  expect(answers.filter((a) => a.debounced === true)).toHaveLength(7);
  const done = await finished(answers[0]?.id as string);
  expect(done.status).toBe('COMPLETED');
  // Any task the burst started began before this one ended, so visibility lists it by the time it lists this one.
  const listed = async () => (await harness.client.workflow.count(`TaskName STARTS_WITH '${key}'`)).count;
  await eventually(async () =>
    (await harness.client.workflow.count(`WorkflowId = '${done.id}' AND ExecutionStatus = 'Completed'`)).count === 1
      ? true
      : undefined,
  );
  expect(await listed()).toBe(1);
});

test('leading debounce runs the first payload at once; the rest of the window answers with its id', async () => {
  const key = uniqueId('leading');
  const first = await submit({
    name: key,
    type: 'noop',
    executionMode: 'LOCAL',
    debounce: { key, periodSeconds: 30, mode: 'leading' },
  });
  const second = await submit({
    name: key,
    type: 'noop',
    executionMode: 'LOCAL',
    debounce: { key, periodSeconds: 30, mode: 'leading' },
  });
  expect(second).toEqual(expect.objectContaining({ id: first.id, debounced: true, statusCode: 200 }));
  expect((await finished(first.id)).status).toBe('COMPLETED');
});

test.each([
  [
    'delaySeconds and startAt together',
    { delaySeconds: 5, startAt: new Date(Date.now() + 5000).toISOString() },
    'SPILLWAY_INVALID_START_TIME',
  ],
  ['an expiresAt in the past', { expiresAt: '2020-01-01T00:00:00Z' }, 'SPILLWAY_INVALID_START_TIME'],
  [
    'an expiresAt before the start',
    { delaySeconds: 60, expiresAt: new Date(Date.now() + 30_000).toISOString() },
    'SPILLWAY_INVALID_START_TIME',
  ],
  ['a concurrency key with no limit anywhere', { concurrency: { key: 'nowhere' } }, 'SPILLWAY_UNKNOWN_LIMIT'],
  [
    'a rate per second and per minute',
    { rateLimit: { key: 'x', perSecond: 1, perMinute: 1 } },
    'SPILLWAY_INVALID_RATE_LIMIT',
  ],
  [
    'delays that contradict maximumAttempts',
    { retry: { delays: ['1s'], maximumAttempts: 5 } },
    'SPILLWAY_INVALID_RETRY',
  ],
  ['a priority of 0', { priority: 0 }, 'SPILLWAY_VALIDATION_FAILED'],
  ['a bad duration', { retry: { delays: ['soon'] } }, 'SPILLWAY_VALIDATION_FAILED'],
  ['a fairness key with a quote', { fairness: { key: "a'b" } }, 'SPILLWAY_VALIDATION_FAILED'],
])('%s is 400 %s', async (_label, extra, code) => {
  const res = await post('/api/tasks', { name: uniqueId('bad'), type: 'noop', executionMode: 'LOCAL', ...extra });
  expect(res.statusCode).toBe(400);
  expect(res.json()).toEqual(expect.objectContaining({ statusCode: 400, code }));
});
