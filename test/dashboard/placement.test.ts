// The dashboard explains where predictive AUTO placed a task (each target's estimated completion and cost, the
// winner, the runner-up and the margin, as the recorded decision has them) and shows each budget's spent, committed,
// forecast and limit, in a real browser (Debian's Chromium) against the real API and stack.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fmtMs, fmtUsd } from '../../dashboard/src/format';
import { createBudgetBook } from '../../live/budget-book';
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

interface Estimate {
  target: string;
  placement: string;
  completionMs: number;
  costUsd: number;
  feasible: boolean;
}

interface Decision {
  placement: string;
  policy?: string;
  objective?: string;
  target?: { name: string };
  estimates?: Estimate[];
  runnerUp?: string;
  margin?: { completionMs: number; costUsd: number; score: number };
}

interface BudgetView {
  id: string;
  spentUsd: number;
  committedUsd: number;
  forecastUsd: number;
  limitUsd: number;
  level: string;
}

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
    const api = (await call<{ budgets: BudgetView[] }>('GET', '/api/budgets')).body.budgets;
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
});
