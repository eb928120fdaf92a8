// The dashboard's operations views in a real browser (Debian's Chromium) against the real API and stack: schedules
// (next runs, recent tasks, pause, resume, run now, delete), dead letters (grouped by type and error, redriven),
// operator controls (drain and force Lambda, pausing a tenant, pausing one task from its detail, the audit) and the
// flow options a task detail shows (priority, tenant, keys, start and expiry, what it waits for, EXPIRED).
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { uniqueId } from '../support/test-stack';
import {
  answerConfirm,
  browserSuite,
  dismissToasts,
  eventually,
  EXTRA_SHOTS,
  openDashboard,
  untilSettled,
  type DashboardSession,
} from './browser';
import path from 'node:path';

jest.setTimeout(240_000);

interface TaskView {
  id: string;
  status: string;
  temporalStatus?: string;
  executionMode: string;
  redriveOf?: string;
  placement?: { placement: string; reason: string };
  attempts: { outcome: string }[];
  paused?: { by: string; reason: string };
  attemptPaused?: boolean;
}

const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'];

browserSuite('dashboard operations', () => {
  let session: DashboardSession;
  let page: Page;
  let gate: HoldGate | undefined;

  /** The API as a user's script calls it. */
  async function call<T = Record<string, unknown>>(method: string, url: string, body?: unknown) {
    const res = await fetch(`${session.base}${url}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function create(task: Record<string, unknown>): Promise<string> {
    const res = await call<{ id: string }>('POST', '/api/tasks', task);
    expect(res.status).toBe(201);
    return res.body.id;
  }

  const view = async (id: string) => (await call<TaskView>('GET', `/api/tasks/${id}`)).body;

  async function finished(id: string): Promise<TaskView> {
    return eventually(async () => {
      const v = await view(id);
      return FINAL.includes(v.status) && v.temporalStatus !== 'RUNNING' ? v : undefined;
    }, 120_000);
  }

  /** Opens a task's detail in this page, as a link to it does. */
  async function openTask(id: string): Promise<void> {
    await page.evaluate(
      (hash) => {
        (globalThis as unknown as { location: { hash: string } }).location.hash = hash;
      },
      `#/tasks/${encodeURIComponent(id)}`,
    );
    await eventually(async () => ((await page.locator('#detail-sub').textContent()) === id ? true : undefined));
    await page.locator('#detail .timeline').waitFor();
  }

  async function closeTask(): Promise<void> {
    await page.getByRole('button', { name: 'Close task details' }).click();
    await page.locator('#detail').waitFor({ state: 'hidden' });
  }

  /** The detail's flow-control facts, label → value. */
  const flowFacts = async () =>
    Object.fromEntries(
      await page
        .locator('#detail .flow-facts .fact')
        .evaluateAll((els) =>
          els.map((e) => [e.querySelector('dt')?.textContent ?? '', (e.querySelector('dd')?.textContent ?? '').trim()]),
        ),
    ) as Record<string, string>;

  /** Waits until the element's text matches; returns it. */
  const textMatches = (selector: string, pattern: RegExp, timeoutMs = 60_000) =>
    eventually(async () => {
      const el = page.locator(selector).first();
      const text = (await el.count()) ? ((await el.textContent()) ?? '') : '';
      return pattern.test(text) ? text : undefined;
    }, timeoutMs);

  beforeAll(async () => {
    // Every read of the controls goes to their workflow, so a change is seen by the next task at once.
    session = await openDashboard({ SPILLWAY_CONTROLS_CACHE_MS: '0' });
    page = session.page;
    await untilSettled(page);
  });

  afterEach(async () => {
    gate?.release();
    await gate?.close();
    gate = undefined;
    // No control outlives its test.
    await call('POST', '/api/controls/placement', { mode: 'none', reason: 'test cleanup' });
    if (await page.locator('#detail').isVisible()) await closeTask();
    if (await page.locator('#confirm').isVisible()) await page.keyboard.press('Escape');
    await dismissToasts(page);
  });

  afterAll(async () => {
    await session?.close();
  });

  test('schedules: the rule, next runs and recent tasks; pause, resume, run now and delete', async () => {
    const name = uniqueId('dash-sched');
    const created = await call('POST', '/api/schedules', {
      name,
      every: '1h',
      task: { name: `${name} run`, type: 'noop', executionMode: 'LOCAL' },
    });
    expect(created.status).toBe(201);
    try {
      await page.goto(`${session.base}/`);
      const item = page.locator(`#schedules li[data-schedule="${name}"]`);
      // Temporal lists a new schedule a moment after it exists; the panel reads the list again on its own.
      await item.waitFor({ timeout: 60_000 });
      await expect(item.textContent()).resolves.toContain('every 1h');
      await expect(item.locator('.recent-tasks').textContent()).resolves.toContain('no runs yet');
      // The next runs are the API's.
      const nextRuns = await eventually(async () => {
        const api = (await call<{ nextRuns: string[] }>('GET', `/api/schedules/${name}`)).body.nextRuns.slice(0, 3);
        const shown = await item
          .locator('time.next-run')
          .evaluateAll((els) => els.map((e) => e.getAttribute('datetime') ?? ''));
        return api.length && JSON.stringify(shown) === JSON.stringify(api) ? shown : undefined;
      }, 60_000);
      expect(nextRuns.length).toBeGreaterThan(0);

      // Run now: the run shows among the recent tasks, and its detail names the schedule.
      await item.getByRole('button', { name: `Run schedule ${name} now` }).click();
      await page.locator('.toast', { hasText: `Started a run of ${name}` }).waitFor();
      const recent = item.locator('a.recent-task').first();
      await recent.waitFor({ timeout: 60_000 });
      const runId = (await recent.getAttribute('data-task')) ?? '';
      const apiView = await call<{ recentTasks: { id: string }[] }>('GET', `/api/schedules/${name}`);
      expect(apiView.body.recentTasks.map((t) => t.id)).toContain(runId);
      await recent.click();
      await eventually(async () => ((await page.locator('#detail-sub').textContent()) === runId ? true : undefined));
      await expect(textMatches('#detail .flow-facts', new RegExp(`Schedule${name}`))).resolves.toContain(name);
      await closeTask();

      // Pause with a note, then resume.
      await item.getByRole('button', { name: `Pause schedule ${name}` }).click();
      await answerConfirm(page, { reason: 'maintenance window', confirm: 'Pause' });
      await page.locator(`#schedules li[data-schedule="${name}"][data-paused="true"]`).waitFor();
      await expect(item.textContent()).resolves.toMatch(/Paused.*maintenance window/s);
      await expect(item.locator('.ops-meta').first().textContent()).resolves.toContain('none while paused');
      expect((await call('GET', `/api/schedules/${name}`)).body).toEqual(
        expect.objectContaining({ paused: true, note: 'maintenance window' }),
      );
      await item.getByRole('button', { name: `Resume schedule ${name}` }).click();
      await page.locator(`#schedules li[data-schedule="${name}"][data-paused="false"]`).waitFor();
      expect((await call('GET', `/api/schedules/${name}`)).body).toEqual(expect.objectContaining({ paused: false }));

      // Delete, after a confirmation: gone from the panel and the API.
      await item.getByRole('button', { name: `Delete schedule ${name}` }).click();
      await answerConfirm(page, { confirm: 'Delete' });
      await item.waitFor({ state: 'detached' });
      expect((await call('GET', `/api/schedules/${name}`)).status).toBe(404);
    } finally {
      await call('DELETE', `/api/schedules/${name}`);
    }
  });

  test('dead letters: failed tasks grouped by type and error with the last error; Redrive re-runs the group', async () => {
    // An error type of this test alone, so the group holds only its tasks.
    const errorType = `DashboardDeadLetter${randomBytes(4).toString('hex')}`;
    const failing = { type: 'flaky', executionMode: 'LOCAL', payload: { failAttempts: 1, errorType } };
    const ids = [
      await create({ name: uniqueId('dlq'), ...failing, retry: { maximumAttempts: 1 } }),
      await create({ name: uniqueId('dlq'), ...failing, retry: { maximumAttempts: 1 } }),
    ];
    for (const id of ids) expect((await finished(id)).status).toBe('FAILED');

    const group = page.locator(`#dead-letters li[data-type="flaky"][data-error="${errorType}"]`);
    const linked = () =>
      group.locator('a[data-task]').evaluateAll((els) => els.map((e) => e.getAttribute('data-task') ?? '').sort());
    // The panel reads the dead letters again after failures (and on an interval, as task lists lag).
    await eventually(
      async () => (JSON.stringify(await linked()) === JSON.stringify([...ids].sort()) ? true : undefined),
      90_000,
    );
    await expect(group.locator('[data-count]').getAttribute('data-count')).resolves.toBe('2');
    await expect(group.locator('.last-error').textContent()).resolves.toContain('flaky failure on attempt 1');
    await page.screenshot({ path: path.join(EXTRA_SHOTS, 'dead-letters.png'), fullPage: true });

    // Redrive the group in another mode: new tasks, each linked to the one it replaces.
    await group.getByRole('button', { name: `Redrive flaky ${errorType}` }).click();
    await answerConfirm(page, { mode: 'AUTO', confirm: 'Redrive' });
    await page.locator('.toast', { hasText: 'Redrove 2 tasks' }).waitFor();
    // The re-runs fail the same way (the payload fails attempt 1): the group now lists them, not the originals.
    const reruns = await eventually(async () => {
      const shown = await linked();
      return shown.length === 2 && shown.every((id) => !ids.includes(id)) ? shown : undefined;
    }, 120_000);
    const views = await Promise.all(reruns.map(view));
    expect(views.map((v) => v.redriveOf).sort()).toEqual([...ids].sort());
    expect(views.map((v) => v.executionMode)).toEqual(['AUTO', 'AUTO']);
  });

  test('a failed task is redriven from its detail, and a batch re-runs only its failed items', async () => {
    const errorType = `DashboardRedrive${randomBytes(4).toString('hex')}`;
    const failing = {
      type: 'flaky',
      executionMode: 'LOCAL',
      payload: { failAttempts: 1, errorType },
      retry: { maximumAttempts: 1 },
    };

    // One task: Redrive runs it again as a new task, which the detail opens, linked to the one it replaces.
    const original = await create({ name: uniqueId('redrive-one'), ...failing });
    expect((await finished(original)).status).toBe('FAILED');
    await openTask(original);
    await page.locator('#detail').getByRole('button', { name: 'Redrive', exact: true }).click();
    await answerConfirm(page, { mode: 'LOCAL', confirm: 'Redrive' });
    const rerun = await eventually(async () => {
      const shown = (await page.locator('#detail-sub').textContent()) ?? '';
      return shown && shown !== original ? shown : undefined;
    });
    await page.locator('#detail .flow-facts').waitFor();
    expect(await flowFacts()).toEqual(expect.objectContaining({ 'Redrive of': original }));
    expect((await view(rerun)).redriveOf).toBe(original);
    await closeTask();

    // A batch of one failing and one passing task: its detail counts the items and redrives the failed one only.
    const bulk = await call<{ batchId: string; results: { task?: { id: string } }[] }>('POST', '/api/tasks/bulk', {
      tasks: [
        { name: uniqueId('batch-fails'), ...failing },
        { name: uniqueId('batch-passes'), type: 'noop', executionMode: 'LOCAL' },
      ],
    });
    expect(bulk.status).toBe(207);
    const [failed, passed] = bulk.body.results.map((r) => r.task?.id ?? '');
    expect((await finished(failed ?? '')).status).toBe('FAILED');
    expect((await finished(passed ?? '')).status).toBe('COMPLETED');
    await openTask(failed ?? '');
    const counts = await textMatches('#detail [data-field="batch-counts"]', /2 items: 1 completed, 1 failed/);
    expect(counts).toContain('2 items');
    await page.locator('#detail').getByRole('button', { name: 'Redrive 1 failed' }).click();
    await answerConfirm(page, { confirm: 'Redrive' });
    await page.locator('.toast', { hasText: `Redrove 1 of batch ${bulk.body.batchId}` }).waitFor();
    const batch = (
      await call<{ redriven: number; items: { id: string; latestId: string }[] }>(
        'GET',
        `/api/batches/${bulk.body.batchId}`,
      )
    ).body;
    expect(batch.redriven).toBe(1);
    expect(batch.items.find((i) => i.id === passed)?.latestId).toBe(passed);
    expect(batch.items.find((i) => i.id === failed)?.latestId).not.toBe(failed);
  });

  test('controls: drain Lambda and force Lambda with a reason, shown and audited; a drained LAMBDA task runs LOCAL', async () => {
    const controls = page.locator('#controls');
    const placement = controls.locator('.controls-placement');
    await controls.getByRole('button', { name: 'Drain Lambda' }).click();
    await answerConfirm(page, { reason: 'Lambda quota incident', by: 'ops@example.com', confirm: 'Drain Lambda' });
    await controls.locator('.controls-placement[data-override="drain-lambda"]').waitFor();
    await expect(placement.textContent()).resolves.toMatch(/Drain Lambda.*by ops@example\.com: Lambda quota incident/s);
    expect((await call('GET', '/api/controls')).body.placementOverride).toEqual(
      expect.objectContaining({ mode: 'drain-lambda', by: 'ops@example.com', reason: 'Lambda quota incident' }),
    );

    // A LAMBDA task submitted now runs LOCAL, and its detail says why.
    const id = await create({ name: uniqueId('drained'), type: 'noop', executionMode: 'LAMBDA' });
    expect((await finished(id)).placement?.placement).toBe('LOCAL');
    await openTask(id);
    await expect(textMatches('#detail .timeline', /Placed on Local.*Lambda quota incident/s)).resolves.toContain(
      'drain-lambda',
    );
    await closeTask();

    await controls.getByRole('button', { name: 'Force Lambda' }).click();
    await answerConfirm(page, { reason: 'local pool maintenance', confirm: 'Force Lambda' });
    await controls.locator('.controls-placement[data-override="force-lambda"]').waitFor();
    await controls.getByRole('button', { name: 'Clear override' }).click();
    await answerConfirm(page, { reason: 'incident over', confirm: 'Clear override' });
    await controls.locator('.controls-placement[data-override="none"]').waitFor();
    expect((await call('GET', '/api/controls')).body.placementOverride).toBeUndefined();

    // The audit, newest first.
    const audit = await textMatches(
      '#controls .audit-list',
      /placement:none.*placement:force-lambda.*placement:drain-lambda/s,
    );
    expect(audit).toContain('ops@example.com: Lambda quota incident');
  });

  test('controls: pausing a tenant holds its new task, the detail says why, and resuming lets it run', async () => {
    const tenant = `dash-tenant-${randomBytes(4).toString('hex')}`;
    const controls = page.locator('#controls');
    await controls.locator('select[name="facet"]').selectOption('tenant');
    await controls.locator('input[name="value"]').fill(tenant);
    await controls.locator('form.ops-form').getByRole('button', { name: 'Pause' }).click();
    await answerConfirm(page, { reason: 'noisy tenant', confirm: 'Pause' });
    const paused = controls.locator(`li[data-scope="tenant:${tenant}"]`);
    await paused.waitFor();
    await expect(paused.textContent()).resolves.toContain('noisy tenant');

    const id = await create({
      name: uniqueId('paused-tenant'),
      type: 'noop',
      executionMode: 'LOCAL',
      fairness: { key: tenant },
    });
    await openTask(id);
    await expect(
      textMatches('#detail [data-notice="paused"]', new RegExp(`Paused with tenant ${tenant}`)),
    ).resolves.toContain('noisy tenant');
    await page.locator('#detail [data-notice="waiting"][data-reason="paused"]').waitFor({ timeout: 60_000 });
    await expect(page.locator('#detail .flow-facts').textContent()).resolves.toContain(tenant);
    await closeTask();

    await paused.getByRole('button', { name: `Resume tenant ${tenant}` }).click();
    await answerConfirm(page, { reason: 'tenant calmed down', confirm: 'Resume' });
    await paused.waitFor({ state: 'detached' });
    expect((await finished(id)).status).toBe('COMPLETED');
  });

  test('a running task is paused from its detail: its attempt finishes, the next waits until Resume', async () => {
    gate = await startHoldGate();
    const id = await create({
      name: uniqueId('pause-one'),
      type: 'flaky',
      executionMode: 'LOCAL',
      // Attempt 1 holds at the gate, then fails; attempt 2 succeeds.
      payload: { holdUntil: gate.url, failAttempts: 1 },
      retry: { initialIntervalMs: 100, maximumAttempts: 3 },
    });
    await eventually(async () => (gate?.closedPolls() ? true : undefined));
    await openTask(id);
    await page.locator('#detail').getByRole('button', { name: 'Pause task' }).click();
    await answerConfirm(page, { reason: 'investigating', by: 'ops@example.com', confirm: 'Pause task' });
    await expect(textMatches('#detail [data-notice="paused"]', /investigating/)).resolves.toContain('ops@example.com');

    gate.release();
    // Attempt 1 ends, and Temporal holds attempt 2: the detail (re-read while the task is open) says so.
    await expect(textMatches('#detail .timeline', /Attempt 1.*failed.*Paused until resumed/s)).resolves.not.toContain(
      'Attempt 2',
    );
    await expect(page.locator('#detail [data-notice="paused"]').textContent()).resolves.toContain(
      'Temporal holds its next attempt',
    );
    expect((await view(id)).attempts).toHaveLength(1);
    await page.screenshot({ path: path.join(EXTRA_SHOTS, 'detail-paused.png') });

    await page.locator('#detail').getByRole('button', { name: 'Resume task' }).click();
    await answerConfirm(page, { reason: 'fixed', confirm: 'Resume task' });
    await expect(
      textMatches('#detail .timeline', /Attempt 1.*failed.*Attempt 2.*succeeded.*Completed/s, 120_000),
    ).resolves.toContain('Completed');
    await closeTask();
    await expect(
      textMatches('#controls .audit-list', new RegExp(`resume-task ${id}.*pause-task ${id}`, 's')),
    ).resolves.toContain('ops@example.com: investigating');
  });

  test("a task's detail shows its flow options and what it waits for; EXPIRED is a status of the filter and badges", async () => {
    gate = await startHoldGate();
    const key = uniqueId('dash-conc');
    const rateKey = uniqueId('dash-rate');
    const tenant = `dash-flow-${randomBytes(4).toString('hex')}`;
    // A task that holds the only slot of the concurrency key until the gate opens.
    const holder = await create({
      name: uniqueId('holder'),
      type: 'flaky',
      executionMode: 'LOCAL',
      payload: { holdUntil: gate.url },
      concurrency: { key, limit: 1 },
    });
    await eventually(async () => ((await view(holder)).status === 'RUNNING' ? true : undefined));
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    const waiting = await create({
      name: uniqueId('waits'),
      type: 'noop',
      executionMode: 'LOCAL',
      priority: 2,
      fairness: { key: tenant },
      concurrency: { key, limit: 1 },
      rateLimit: { key: rateKey, perSecond: 5 },
      expiresAt,
    });
    const expiring = await create({
      name: uniqueId('expires'),
      type: 'noop',
      executionMode: 'LOCAL',
      concurrency: { key, limit: 1 },
      expiresAt: new Date(Date.now() + 2_000).toISOString(),
    });

    await openTask(waiting);
    await page.locator('#detail [data-notice="waiting"][data-reason="concurrency"]').waitFor({ timeout: 60_000 });
    expect(await flowFacts()).toEqual({
      Priority: '2 (1 runs first, 5 last)',
      'Tenant (fairness)': tenant,
      'Concurrency key': key,
      'Rate-limit key': rateKey,
      'Expires at': expect.any(String),
    });
    await expect(page.locator('#detail .flow-facts time').first().getAttribute('datetime')).resolves.toBe(expiresAt);
    await page.screenshot({ path: path.join(EXTRA_SHOTS, 'detail-waiting.png') });
    await closeTask();

    // The one that could not start by its expiresAt: EXPIRED in the filter, the row's badge and its detail.
    expect((await finished(expiring)).status).toBe('EXPIRED');
    await eventually(async () => {
      const list = await call<{ tasks: { id: string }[] }>('GET', '/api/tasks?status=EXPIRED&limit=50');
      return list.body.tasks.some((t) => t.id === expiring) ? true : undefined;
    });
    await page.locator('#filters select[name="status"]').selectOption('EXPIRED');
    const row = page.locator(`#task-rows tr[data-id="${expiring}"]`);
    await row.waitFor({ timeout: 30_000 });
    await expect(row.locator('.badge.status-expired').textContent()).resolves.toBe('Expired');
    await page.locator('#filters select[name="status"]').selectOption('');
    await openTask(expiring);
    await expect(page.locator('#detail .fact-status .badge').textContent()).resolves.toBe('Expired');
    await expect(page.locator('#detail .timeline').textContent()).resolves.toMatch(/Expired.*not started by/s);
    await closeTask();

    // Released, the waiting task runs; its rate-limit permit is shown.
    gate.release();
    expect((await finished(waiting)).status).toBe('COMPLETED');
    await openTask(waiting);
    await expect(textMatches('#detail .flow-facts', /permit at/)).resolves.toContain(rateKey);
    await closeTask();

    // A start time and a debounce key are shown too.
    const startAt = new Date(Date.now() + 2_000).toISOString();
    const delayed = await create({ name: uniqueId('delayed'), type: 'noop', executionMode: 'LOCAL', startAt });
    const debounceKey = uniqueId('dash-debounce');
    const debounced = await create({
      name: uniqueId('debounced'),
      type: 'noop',
      executionMode: 'LOCAL',
      debounce: { key: debounceKey, periodSeconds: 1, mode: 'trailing' },
    });
    expect((await finished(delayed)).status).toBe('COMPLETED');
    expect((await finished(debounced)).status).toBe('COMPLETED');
    await openTask(delayed);
    expect(await flowFacts()).toEqual(expect.objectContaining({ 'Start at': expect.any(String) }));
    await expect(page.locator('#detail .flow-facts time').first().getAttribute('datetime')).resolves.toBe(startAt);
    await closeTask();
    await openTask(debounced);
    expect(await flowFacts()).toEqual(expect.objectContaining({ 'Debounce key': debounceKey }));
    await closeTask();
  });
});
