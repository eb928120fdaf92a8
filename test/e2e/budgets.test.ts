// Budgets that act, end to end on the real stack (Temporal, Redis, the local Lambda service): a paid task's cost
// reaches its budgets once, GET /api/budgets, /metrics and the live stream show the levels, and a budget at 100 %
// refuses new tasks (402, no workflow), forces them LOCAL (LAMBDA and AUTO alike, the reason naming the budget) or
// holds them until its period ends, as configured.
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { periodOf } from '../../domain/budget-policy';
import { createBudgetBook } from '../../live/budget-book';
import { createBudgetSpend } from '../../live/budget-spend';
import { startHoldGate } from '../support/hold-gate';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

jest.setTimeout(120_000);

const stack = readStack();
// Far below the cost of any task: one paid attempt, or one seeded cent, exceeds them.
const TINY = 0.000000001;
const BUDGETS = {
  budgets: [
    { id: 'paid', scope: { kind: 'tenant', tenant: 't-paid' }, period: 'month', limitUsd: TINY, onExceeded: 'refuse' },
    {
      id: 'no-more',
      scope: { kind: 'tenant', tenant: 't-refuse' },
      period: 'month',
      limitUsd: TINY,
      onExceeded: 'refuse',
    },
    {
      id: 'local-only',
      scope: { kind: 'tenant', tenant: 't-local' },
      period: 'month',
      limitUsd: TINY,
      onExceeded: 'force-local',
    },
    { id: 'wait', scope: { kind: 'tenant', tenant: 't-hold' }, period: 'month', limitUsd: TINY, onExceeded: 'hold' },
    { id: 'late', scope: { kind: 'tenant', tenant: 't-late' }, period: 'month', limitUsd: TINY, onExceeded: 'refuse' },
    {
      id: 'late-lambda',
      scope: { kind: 'tenant', tenant: 't-late-lambda' },
      period: 'month',
      limitUsd: 0.01,
      onExceeded: 'force-local',
    },
    { id: 'everything', scope: { kind: 'deployment' }, period: 'day', limitUsd: 1000, onExceeded: 'refuse' },
  ],
};

let harness: TestHarness;
let app: FastifyInstance;

beforeAll(async () => {
  harness = await startHarness({ env: { SPILLWAY_BUDGETS: JSON.stringify(BUDGETS) } });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  // Lambda callbacks come back to the API's own port.
  await app.listen({ host: '127.0.0.1', port: stack.apiPort });
  // Spend already recorded this month, as an earlier task's end would have.
  const spend = createBudgetSpend(harness.redis, harness.config.redis.prefix);
  for (const tenant of ['t-refuse', 't-local', 't-hold']) {
    await spend.settle(uniqueId('earlier'), [`tenant:${tenant}`], 0.01, Date.now());
  }
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

const submit = (body: Record<string, unknown>) =>
  app.inject({
    method: 'POST',
    url: '/api/tasks',
    payload: { name: uniqueId('budget'), type: 'flaky', payload: { sleepMs: 20 }, ...body },
  });

interface BudgetView {
  id: string;
  spentUsd: number;
  committedUsd: number;
  used: number;
  level: string;
  onExceeded: string;
  periodStart: string;
  periodEnd: string;
  forecastUsd: number;
}
const budgets = async () => {
  const res = await app.inject({ method: 'GET', url: '/api/budgets' });
  expect(res.statusCode).toBe(200);
  return res.json() as { at: string; budgets: BudgetView[] };
};
const budget = async (id: string) => (await budgets()).budgets.find((b) => b.id === id);

test("a paid LAMBDA task's cost reaches its budgets once, and GET /api/budgets, /metrics and the stream say so", async () => {
  const res = await submit({ executionMode: 'LAMBDA', fairness: { key: 't-paid' } });
  expect(res.statusCode).toBe(201);
  const id = res.json().id as string;
  await harness.client.workflow.getHandle(id).result();
  const task = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
  expect(task.costUsd).toBeGreaterThan(0);

  const paid = await eventually(async () => {
    const b = await budget('paid');
    return b && b.spentUsd > 0 ? b : undefined;
  });
  const month = periodOf('month', Date.now());
  expect(paid).toEqual({
    id: 'paid',
    scope: { kind: 'tenant', tenant: 't-paid' },
    period: 'month',
    periodKey: month.key,
    periodStart: new Date(month.start).toISOString(),
    periodEnd: new Date(month.end).toISOString(),
    limitUsd: TINY,
    spentUsd: expect.closeTo(task.costUsd, 12),
    committedUsd: 0,
    used: expect.any(Number),
    level: 'exceeded',
    forecastUsd: expect.any(Number),
    onExceeded: 'refuse',
  });
  expect(paid.used).toBeGreaterThanOrEqual(1);
  expect(paid.forecastUsd).toBeGreaterThanOrEqual(paid.spentUsd);
  // The deployment budget counts every task, this one included; far from its limit it is ok.
  expect(await budget('everything')).toEqual(
    expect.objectContaining({ spentUsd: expect.closeTo(task.costUsd, 12), level: 'ok' }),
  );

  // The same end told again (a retried publish activity) does not count twice, and crosses nothing again.
  const book = createBudgetBook(harness.redis, harness.config.redis.prefix, harness.config.placement.budgets);
  expect(await book.settle({ id, type: 'flaky', tenant: 't-paid' }, task.costUsd)).toEqual([]);
  expect((await budget('paid'))?.spentUsd).toBeCloseTo(task.costUsd, 12);

  // One change crossed 75 %, 90 % and the limit: three budget events on the live stream.
  const entries = await harness.redis.xrange(`${harness.config.redis.prefix}events`, '-', '+');
  const events = entries.filter(([, f]) => f[0] === 'budget').map(([, f]) => JSON.parse(f[1] ?? '{}'));
  expect(events.filter((e) => e.budgetId === 'paid').map((e) => e.level)).toEqual(['warn75', 'warn90', 'exceeded']);
  expect(events.find((e) => e.budgetId === 'paid' && e.level === 'exceeded')).toEqual(
    expect.objectContaining({ kind: 'budget', limitUsd: TINY, message: expect.stringContaining('budget paid') }),
  );

  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(metrics).toMatch(/spillway_budget_level\{budget="paid",period="month"\} 3/);
  expect(metrics).toMatch(/spillway_budget_used_ratio\{budget="everything",period="day"\} \d/);
  expect(metrics).toMatch(/spillway_budget_usd\{budget="paid",period="month",kind="limit"\} (1e-9|0\.000000001)$/m);
});

test('a budget at 100 % whose action is refuse answers 402 SPILLWAY_BUDGET_EXCEEDED and starts no workflow', async () => {
  const idempotencyKey = uniqueId('refused');
  const res = await submit({ executionMode: 'AUTO', fairness: { key: 't-refuse' }, idempotencyKey });
  expect(res.statusCode).toBe(402);
  expect(res.json()).toEqual({
    statusCode: 402,
    code: 'SPILLWAY_BUDGET_EXCEEDED',
    error: 'Payment Required',
    message: expect.stringMatching(/^budget no-more is at \d+ % of \$1e-9 this month: new tasks are refused$/),
  });
  // The idempotency key fixes the id the task would have had: nothing was started under it.
  const id = `task-idem-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}`;
  await expect(harness.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  // A tenant no budget refuses is admitted as ever.
  expect((await submit({ executionMode: 'LOCAL', fairness: { key: 't-other' } })).statusCode).toBe(201);
});

test.each(['LAMBDA', 'AUTO'])(
  'a budget at 100 %% whose action is force-local runs a %s task LOCAL, and the reason names the budget',
  async (executionMode) => {
    const res = await submit({ executionMode, fairness: { key: 't-local' } });
    expect(res.statusCode).toBe(201);
    expect(res.json().budget).toEqual({
      level: 'exceeded',
      budgetId: 'local-only',
      action: 'force-local',
      message: expect.stringMatching(/^budget local-only is at \d+ % of \$1e-9 this month: new tasks run LOCAL$/),
    });
    const id = res.json().id as string;
    await harness.client.workflow.getHandle(id).result();
    const task = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
    expect(task).toEqual(
      expect.objectContaining({
        status: 'COMPLETED',
        executionMode,
        placement: expect.objectContaining({
          placement: 'LOCAL',
          reason: expect.stringMatching(
            new RegExp(
              `^budget local-only is at \\d+ % of \\$1e-9 this month: new tasks run LOCAL \\(requested ${executionMode}\\)$`,
            ),
          ),
        }),
      }),
    );
    expect(task.attempts.map((a: { placement: string }) => a.placement)).toEqual(['LOCAL']);
  },
);

test('a budget at 100 % whose action is hold starts the task when its period ends', async () => {
  const res = await submit({ executionMode: 'LOCAL', fairness: { key: 't-hold' } });
  expect(res.statusCode).toBe(201);
  const month = periodOf('month', Date.now());
  const until = new Date(month.end).toISOString();
  expect(res.json().budget).toEqual({
    level: 'exceeded',
    budgetId: 'wait',
    action: 'hold',
    holdUntil: until,
    message: expect.stringMatching(
      new RegExp(`^budget wait is at \\d+ % of \\$1e-9 this month: new tasks wait until ${until}$`),
    ),
  });
  const handle = harness.client.workflow.getHandle(res.json().id as string);
  const description = await handle.describe();
  // Temporal's own start delay holds it: the workflow has not begun and is due when the month ends.
  expect(description.status.name).toBe('RUNNING');
  expect(Math.abs((description.executionTime?.getTime() ?? 0) - month.end)).toBeLessThan(2_000);
  // Admitted, it commits its estimate until its end settles it.
  expect((await budget('wait'))?.committedUsd).toBeGreaterThan(0);
  await handle.terminate('budget test done');
});

/**
 * Holds the next task of a concurrency key before its placement: a LOCAL task of another tenant takes the key's only
 * permit and waits at a gate, so a task submitted with the key is admitted now and placed only once `release` runs.
 */
async function placementHeld(): Promise<{ concurrency: { key: string; limit: number }; release(): Promise<void> }> {
  const gate = await startHoldGate();
  const concurrency = { key: uniqueId('held'), limit: 1 };
  const holder = await submit({
    executionMode: 'LOCAL',
    fairness: { key: 't-holder' },
    concurrency,
    payload: { holdUntil: gate.url },
  });
  expect(holder.statusCode).toBe(201);
  await eventually(async () => (gate.closedPolls() > 0 ? true : undefined), 60_000);
  return {
    concurrency,
    async release() {
      gate.release();
      await harness.client.workflow.getHandle(holder.json().id as string).result();
      await gate.close();
    },
  };
}

test('an AUTO task admitted before its budget ran out is placed LOCAL once it has, whatever the admission action', async () => {
  // Admitted while the budget is untouched; placed only after the budget is spent.
  const held = await placementHeld();
  const res = await submit({ executionMode: 'AUTO', fairness: { key: 't-late' }, concurrency: held.concurrency });
  expect(res.statusCode).toBe(201);
  expect(res.json().budget).toBeUndefined();
  await createBudgetSpend(harness.redis, harness.config.redis.prefix).settle(
    uniqueId('earlier'),
    ['tenant:t-late'],
    0.01,
    Date.now(),
  );
  await held.release();
  const id = res.json().id as string;
  await harness.client.workflow.getHandle(id).result();
  const task = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
  // Predictive AUTO (the default) rules Lambda out and says which budget closed it.
  expect(task.placement).toEqual(
    expect.objectContaining({
      placement: 'LOCAL',
      policy: 'predictive',
      reason: expect.stringMatching(
        /^predictive AUTO: LOCAL .*; ruled out: LAMBDA \S+ budget late is at \d+ % of \$1e-9 this month: new tasks are refused; Lambda is off until the period ends/,
      ),
    }),
  );
  // A new task of the tenant is now refused at the door.
  expect((await submit({ executionMode: 'AUTO', fairness: { key: 't-late' } })).statusCode).toBe(402);
});

test('a LAMBDA task admitted before its budget ran out runs its attempt LOCAL once it has, and says which budget', async () => {
  // The limit is above the task's own estimate, so only the spend recorded after its admission exceeds it.
  const held = await placementHeld();
  const res = await submit({
    executionMode: 'LAMBDA',
    fairness: { key: 't-late-lambda' },
    concurrency: held.concurrency,
  });
  expect(res.statusCode).toBe(201);
  expect(res.json().budget).toBeUndefined();
  await createBudgetSpend(harness.redis, harness.config.redis.prefix).settle(
    uniqueId('earlier'),
    ['tenant:t-late-lambda'],
    0.02,
    Date.now(),
  );
  await held.release();
  const id = res.json().id as string;
  await harness.client.workflow.getHandle(id).result();
  const task = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
  expect(task.status).toBe('COMPLETED');
  expect(task.placement.placement).toBe('LOCAL');
  expect(task.placement.reason).toMatch(
    /^fallback: budget late-lambda is at \d+ % of \$0\.01 this month: new tasks run LOCAL; Lambda is off until the period ends \(requested LAMBDA\)$/,
  );
  // Lambda was never invoked: the refused attempt is recorded, and the one that ran is LOCAL.
  expect(task.attempts.map((a: { placement: string; outcome: string }) => `${a.placement} ${a.outcome}`)).toEqual([
    'LAMBDA failed',
    'LOCAL succeeded',
  ]);
});
