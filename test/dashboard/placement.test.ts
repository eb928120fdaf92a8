// The dashboard explains where predictive AUTO placed a task (each target's estimated completion and cost, the
// winner, the runner-up and the margin, as the recorded decision has them), shows each budget's spent, committed,
// forecast and limit, replays recorded tasks through the placement policies (the simulator panel, beside what
// happened) and shows per function what warming cost and saved, in a real browser (Debian's Chromium) against the
// real API and stack.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fmtInt, fmtMs, fmtPct, fmtUsd } from '../../dashboard/src/format';
import type { SimulateResponse } from '../../api/schemas/placement-schemas';
import type { BudgetList } from '../../api/schemas/budget-schemas';
import type { PlacementExplanation } from '../../domain/placement-predictor';
import type { SimulationSummary } from '../../domain/placement-simulator';
import { createBudgetBook } from '../../live/budget-book';
import type { WarmingLedger } from '../../live/warming-stats';
import { uniqueId } from '../support/test-stack';
import {
  browserSuite,
  dismissToasts,
  eventually,
  EXTRA_SHOTS,
  openDashboard,
  untilSettled,
  type DashboardSession,
} from './browser';

jest.setTimeout(180_000);

/** A recorded decision as GET /api/tasks/:id answers it: the placement and, for predictive AUTO, its explanation. */
type Decision = PlacementExplanation & { placement: string };

/** A simulator row as the panel should show a policy's figures. */
const simulatedRow = (r: SimulationSummary) => ({
  policy: r.policy,
  makespan: fmtMs(r.makespanMs),
  p50: fmtMs(r.latencyMs.p50),
  p95: fmtMs(r.latencyMs.p95),
  cost: fmtUsd(r.costUsd),
  share: `${fmtPct(r.share.LOCAL)} local · ${fmtPct(r.share.LAMBDA)} Lambda`,
  coldStarts: fmtInt(r.coldStarts),
});

const TENANT = `dash-budget-${randomBytes(4).toString('hex')}`;
const BUDGETS = {
  budgets: [
    { id: 'dash-tenant', scope: { kind: 'tenant', tenant: TENANT }, period: 'day', limitUsd: 1, onExceeded: 'hold' },
    { id: 'dash-all', scope: { kind: 'deployment' }, period: 'month', limitUsd: 500, onExceeded: 'refuse' },
  ],
};

browserSuite('dashboard placement and budgets', () => {
  let session: DashboardSession;
  let page: Page;

  async function call<T>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${session.base}${url}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  beforeAll(async () => {
    session = await openDashboard({
      SCHEDULER_AUTO_POLICY: 'predictive',
      SPILLWAY_BUDGETS: JSON.stringify(BUDGETS),
    });
    page = session.page;
    await untilSettled(page);
  });

  afterAll(async () => {
    await session?.close();
  });

  test("a predictive AUTO task's detail shows each target's estimate, the winner, the runner-up and the margin", async () => {
    const created = await call<{ id: string }>('POST', '/api/tasks', {
      name: uniqueId('predictive'),
      type: 'noop',
      executionMode: 'AUTO',
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const task = await eventually(async () => {
      const t = (await call<{ status: string; placement?: Decision }>('GET', `/api/tasks/${id}`)).body;
      return t.status === 'COMPLETED' && t.placement?.estimates ? t : undefined;
    }, 120_000);
    const decision = task.placement as Decision;
    const estimates = decision.estimates ?? [];
    expect(decision.policy).toBe('predictive');
    // LOCAL and the stack's Lambda target at least.
    expect(estimates.length).toBeGreaterThanOrEqual(2);

    await page.goto(`${session.base}/#/tasks/${encodeURIComponent(id)}`);
    const explain = page.locator('#detail .explain');
    await explain.waitFor({ timeout: 30_000 });
    await expect(explain.locator('.explain-head').textContent()).resolves.toBe(
      `Predictive AUTO · ${decision.objective} objective`,
    );

    // One row per target, in the decision's order, with its completion time and cost as recorded.
    const rows = await explain.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        target: tr.getAttribute('data-target'),
        classes: tr.getAttribute('class') ?? '',
        completion: tr.querySelector('[data-field="completion"]')?.textContent,
        cost: tr.querySelector('[data-field="cost"]')?.textContent,
        notes: tr.querySelector('.est-notes')?.textContent ?? '',
      })),
    );
    expect(rows.map((r) => r.target)).toEqual(estimates.map((e) => e.target));
    for (const [i, e] of estimates.entries()) {
      expect(rows[i]).toEqual(expect.objectContaining({ completion: fmtMs(e.completionMs), cost: fmtUsd(e.costUsd) }));
    }

    // The winner is the placement the task got; the runner-up is the decision's.
    const winner = estimates.find(
      (e) =>
        e.placement === decision.placement && (decision.placement === 'LOCAL' || e.target === decision.target?.name),
    );
    expect(winner).toBeDefined();
    const chosen = rows.filter((r) => r.classes.includes('est-chosen'));
    expect(chosen.map((r) => r.target)).toEqual([winner?.target]);
    expect(chosen[0]?.notes).toContain('chosen');
    expect(decision.runnerUp).toBeDefined();
    const second = rows.filter((r) => r.classes.includes('est-runner-up'));
    expect(second.map((r) => r.target)).toEqual([decision.runnerUp]);
    expect(second[0]?.notes).toContain('runner-up');

    // The margin: runner-up minus chosen, in time and cost.
    const margin = decision.margin;
    expect(margin).toBeDefined();
    const later = (ms: number) =>
      ms === 0 ? 'at the same time' : `${fmtMs(Math.abs(ms))} ${ms > 0 ? 'later' : 'sooner'}`;
    const dearer = (usd: number) => (usd === 0 ? 'the same' : `${fmtUsd(Math.abs(usd))} ${usd > 0 ? 'more' : 'less'}`);
    await expect(explain.locator('[data-field="margin-completion"]').textContent()).resolves.toBe(
      later(margin?.completionMs ?? 0),
    );
    await expect(explain.locator('[data-field="margin-cost"]').textContent()).resolves.toBe(
      dearer(margin?.costUsd ?? 0),
    );
    await page.screenshot({ path: path.join(EXTRA_SHOTS, 'detail-predictive.png') });
    await page.getByRole('button', { name: 'Close task details' }).click();
    await page.locator('#detail').waitFor({ state: 'hidden' });
  });

  test("the budgets panel shows each budget's spent, committed, forecast and limit, and follows its spend", async () => {
    const panel = page.locator('#budgets');
    const cells = (id: string) =>
      panel.locator(`tr[data-budget="${id}"]`).evaluate((tr) => ({
        level: tr.getAttribute('data-level'),
        spent: tr.querySelector('[data-field="spent"]')?.textContent,
        committed: tr.querySelector('[data-field="committed"]')?.textContent,
        forecast: tr.querySelector('[data-field="forecast"]')?.textContent,
        limit: tr.querySelector('[data-field="limit"]')?.textContent,
      }));
    await panel.locator('tr[data-budget="dash-tenant"]').waitFor();
    await expect(
      panel.locator('tbody tr').evaluateAll((trs) => trs.map((t) => t.getAttribute('data-budget'))),
    ).resolves.toEqual(['dash-tenant', 'dash-all']);

    // A task of the tenant ends costing $0.80 of its $1 a day: the panel follows (on the budget event it causes).
    const book = createBudgetBook(
      session.harness.redis,
      session.harness.config.redis.prefix,
      session.harness.config.placement.budgets,
    );
    await book.settle({ id: uniqueId('budget-task'), type: 'noop', tenant: TENANT }, 0.8);
    const shown = await eventually(async () => {
      const c = await cells('dash-tenant');
      return c.level === 'warn75' ? c : undefined;
    }, 30_000);
    const api = (await call<BudgetList>('GET', '/api/budgets')).body.budgets;
    const tenantBudget = api.find((b) => b.id === 'dash-tenant');
    expect(tenantBudget).toEqual(expect.objectContaining({ committedUsd: 0, limitUsd: 1, level: 'warn75' }));
    expect(tenantBudget?.spentUsd).toBeCloseTo(0.8, 9);
    expect(shown).toEqual({
      level: 'warn75',
      spent: fmtUsd(0.8),
      committed: fmtUsd(0),
      // The forecast moves with the clock (the run rate times the time left); it is at least what is spent.
      forecast: expect.stringMatching(/^\$\d/),
      limit: fmtUsd(1),
    });
    expect(Number(shown.forecast?.replace(/[^0-9.]/g, ''))).toBeGreaterThanOrEqual(0.8);
    await expect(panel.locator('tr[data-budget="dash-tenant"] .budget-level').textContent()).resolves.toBe('Over 75 %');
    await expect(panel.locator('tr[data-budget="dash-tenant"] .budget-scope').textContent()).resolves.toContain(
      `tenant ${TENANT} · per day · 80%`,
    );
    // The deployment budget counts the same spend.
    const all = await cells('dash-all');
    expect(all).toEqual(expect.objectContaining({ level: 'ok', spent: fmtUsd(0.8), limit: fmtUsd(500) }));
    await dismissToasts(page);
    await panel.screenshot({ path: path.join(EXTRA_SHOTS, 'budgets.png') });
  });

  test('the placement simulator replays recorded tasks through the chosen policies, with the figures the API gives', async () => {
    // A burst of real tasks under one name, on both placements, so the replay reads exactly these.
    const name = uniqueId('dash-sim');
    const modes = ['LOCAL', 'LOCAL', 'LAMBDA', 'AUTO'] as const;
    const bulk = await call<{ results: { ok: boolean; task?: { id: string } }[] }>('POST', '/api/tasks/bulk', {
      tasks: modes.map((executionMode) => ({ name, type: 'noop', executionMode })),
    });
    expect(bulk.status).toBe(207);
    const ids = bulk.body.results.map((r) => r.task?.id);
    expect(ids).toEqual(modes.map(() => expect.any(String)));
    for (const id of ids) {
      await eventually(async () => {
        const t = (await call<{ status: string }>('GET', `/api/tasks/${id}`)).body;
        return t.status === 'COMPLETED' ? true : undefined;
      }, 120_000);
    }
    // Visibility lists a closed task a moment after it closes.
    await eventually(async () => {
      const res = await call<SimulateResponse>('POST', '/api/placement/simulate', {
        since: '1h',
        name,
        policies: ['local'],
      });
      return res.body.tasks === modes.length ? true : undefined;
    }, 60_000);

    const panel = page.locator('#simulator');
    await panel.locator('input[name="since"]').fill('1h');
    await panel.locator('input[name="policies"][value="lambda"]').uncheck();
    await panel.locator('input[name="threshold"]').fill('1');
    await panel.locator('select[name="objective"]').selectOption('cost');
    await panel.locator('input[name="name"]').fill(name);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/placement/simulate'));
    await panel.getByRole('button', { name: 'Simulate' }).click();
    const response = await answer;
    expect(response.status()).toBe(200);
    // The request the form describes (the blank type is left to the API); the typed client sends its body as a
    // stream, which the browser does not show, so the figures below tell that this was the request.
    const request = {
      since: '1h',
      policies: ['local', 'threshold', 'predictive'],
      threshold: 1,
      objective: 'cost',
      name,
    };
    await panel.locator('tbody tr').first().waitFor();
    await untilSettled(page);

    // The same request, asked again: the replay of the same recorded tasks gives the same figures.
    const again = await call<SimulateResponse>('POST', '/api/placement/simulate', request);
    expect(again.status).toBe(200);
    const shownBody = (await response.json()) as SimulateResponse;
    expect({ ...again.body, since: undefined }).toEqual({ ...shownBody, since: undefined });
    const { actual, results } = again.body;
    expect(actual).toEqual(expect.objectContaining({ policy: 'what happened', tasks: modes.length }));
    expect(results.map((r) => r.policy)).toEqual(['all LOCAL', 'threshold 1', 'predictive cost']);

    const rows = await panel.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => {
        const field = (f: string) => tr.querySelector(`[data-field="${f}"]`)?.textContent;
        return {
          policy: tr.getAttribute('data-policy'),
          makespan: field('makespan'),
          p50: field('p50'),
          p95: field('p95'),
          cost: field('cost'),
          share: field('share'),
          coldStarts: field('cold-starts'),
        };
      }),
    );
    expect(rows).toEqual([simulatedRow(actual as SimulationSummary), ...results.map(simulatedRow)]);
    await expect(panel.locator('tr.sim-actual th').textContent()).resolves.toBe('What happened');
    await expect(panel.locator('[data-field="tasks"]').textContent()).resolves.toBe(`${modes.length} tasks`);
    await panel.screenshot({ path: path.join(EXTRA_SHOTS, 'simulator.png') });

    // A period further back than visibility keeps: the API's coded 400 in a toast, and the last replay stays shown.
    await panel.locator('input[name="since"]').fill('9999d');
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/placement/simulate'));
    await panel.getByRole('button', { name: 'Simulate' }).click();
    expect((await refused).status()).toBe(400);
    const toast = page.locator('.toast', { hasText: 'Simulation failed' }).first();
    await toast.waitFor({ timeout: 10_000 });
    await expect(toast.getAttribute('data-kind')).resolves.toBe('error');
    await expect(toast.textContent()).resolves.toMatch(/at most 400 days.*\(SPILLWAY_INVALID_SIMULATION\)/);
    await expect(panel.locator('tbody tr').count()).resolves.toBe(rows.length);
    await dismissToasts(page);

    // Nothing recorded under a name: the panel says so.
    await panel.locator('input[name="since"]').fill('1h');
    await panel.locator('input[name="name"]').fill(uniqueId('nobody-submitted-this'));
    await panel.getByRole('button', { name: 'Simulate' }).click();
    await panel.locator('.sim-summary', { hasText: 'No finished tasks to replay' }).waitFor({ timeout: 30_000 });
    await expect(panel.locator('tbody tr').count()).resolves.toBe(0);
  });

  test("the warming table shows each function's warm hits, warm-ups, cost and saved cold starts as the stats have them", async () => {
    // A warm-up of the warm pool, then a real Lambda task of a warmed function.
    const warmed = await call<{ functions: { name: string; warmed: number }[] }>('POST', '/api/tasks/warm-pool');
    expect(warmed.status).toBe(200);
    expect(warmed.body.functions).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'noop', warmed: expect.any(Number) })]),
    );
    const created = await call<{ id: string }>('POST', '/api/tasks', {
      name: uniqueId('warm-hit'),
      type: 'noop',
      executionMode: 'LAMBDA',
    });
    expect(created.status).toBe(201);
    await eventually(async () => {
      const t = (await call<{ status: string }>('GET', `/api/tasks/${created.body.id}`)).body;
      return t.status === 'COMPLETED' ? true : undefined;
    }, 120_000);
    const ledger = async () =>
      (await call<{ warming: { functions: WarmingLedger[] } }>('GET', '/api/tasks/stats')).body.warming.functions.find(
        (f) => f.functionName === 'noop',
      );
    // The task's attempt reaches the ledger when the projection takes its end.
    await eventually(async () => {
      const l = await ledger();
      return l && l.lambdaAttempts >= 1 ? true : undefined;
    }, 30_000);

    const row = page.locator('#warming tr[data-function="noop"]');
    const cells = () =>
      row.evaluate((tr) => {
        const field = (f: string) => tr.querySelector(`[data-field="${f}"]`)?.textContent;
        return {
          warmHitRatio: field('warm-hit-ratio'),
          warmHits: field('warm-hits'),
          warmups: field('warmups'),
          runs: field('runs'),
          warmingCost: field('warming-cost'),
          savedColdStarts: field('saved-cold-starts'),
          savedTime: field('saved-time'),
          savedValue: field('saved-value'),
          net: field('net'),
          verdict: field('verdict'),
          last: field('last'),
        };
      });
    const expected = (l: WarmingLedger) => ({
      warmHitRatio: fmtPct(l.warmHitRatio),
      warmHits: `${fmtInt(l.warmHits)} of ${fmtInt(l.lambdaAttempts)}`,
      warmups: fmtInt(l.warmups),
      runs: `${fmtInt(l.runs)} run${l.runs === 1 ? '' : 's'}`,
      warmingCost: fmtUsd(l.warmingUsd),
      savedColdStarts: fmtInt(l.savedColdStarts),
      savedTime: fmtMs(l.savedMs),
      savedValue: fmtUsd(l.savedValueUsd),
      net: l.netUsd > 0 ? `+${fmtUsd(l.netUsd)}` : fmtUsd(l.netUsd),
      // Warmed and run on Lambda: warming pays exactly when what it saved is worth more than it cost.
      verdict: l.netUsd > 0 ? 'pays' : 'costs more than it saves',
      // The time of day is the browser's to format.
      last: expect.stringMatching(new RegExp(`^${l.last?.mode} · ${l.last?.size} at `)),
    });
    // The page follows the stats (the live feed's stats events); the row and the API agree once both have settled.
    await row.waitFor({ timeout: 30_000 });
    const { shown, api } = await eventually(async () => {
      const l = await ledger();
      if (!l) return undefined;
      const c = await cells();
      // Both read the same ledger once nothing moves; a mismatch meanwhile is retried, and the last one reported.
      expect(c).toEqual(expected(l));
      return { shown: c, api: l };
    }, 30_000);
    expect(api.warmups).toBeGreaterThanOrEqual(1);
    expect(api.warmingUsd).toBeGreaterThan(0);
    expect(api.lambdaAttempts).toBeGreaterThanOrEqual(1);
    expect(api.last).toEqual(expect.objectContaining({ mode: 'fixed', size: expect.any(Number) }));
    expect(shown).toEqual(expected(api));
    await page.locator('#warming').screenshot({ path: path.join(EXTRA_SHOTS, 'warming.png') });
  });
});
