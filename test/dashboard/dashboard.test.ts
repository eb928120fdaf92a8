// The dashboard in a real browser (Debian's Chromium through playwright-core) against the real API, built in-process
// over the test stack's Temporal dev server, Redis, an in-process worker and the local Lambda service.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { TASK_STATUSES } from '../../domain/task-model';
import { createBudgetBook } from '../../live/budget-book';
import type { TestHarness } from '../support/test-stack';
import {
  browserSuite,
  dismissToasts,
  eventually,
  EXTRA_SHOTS,
  openDashboard,
  SCREENSHOT,
  startApi,
  stopApi,
  untilSettled,
  type DashboardSession,
} from './browser';

jest.setTimeout(180_000);

browserSuite('dashboard', () => {
  let session: DashboardSession;
  let harness: TestHarness;
  let app: FastifyInstance | undefined;
  let page: Page;
  let base: string;
  let consoleProblems: string[];

  /** With apiKey, /api/* answers 401 SPILLWAY_UNAUTHORIZED unless the key comes as a bearer token or ?access_token. */
  const startApp = async (apiKey?: string) => (session.app = await startApi(harness, session.port, apiKey));
  async function stopApp(instance: FastifyInstance | undefined): Promise<void> {
    await stopApi(instance);
    if (session.app === instance) session.app = undefined;
  }

  const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();
  const metric = async (key: string) => {
    const raw = await text(`[data-metric="${key}"]`);
    const n = Number(raw.replace(/[^0-9.]/g, ''));
    return raw && /\d/.test(raw) ? n : undefined;
  };
  const liveState = () => page.locator('#live').getAttribute('data-state');
  const waitForLiveState = (states: string[], timeoutMs = 30_000) =>
    eventually(async () => {
      const state = await liveState();
      return state && states.includes(state) ? state : undefined;
    }, timeoutMs);

  beforeAll(async () => {
    session = await openDashboard();
    ({ harness, page, base, consoleProblems } = session);
    app = session.app;
  });

  afterAll(async () => {
    await session?.close();
  });

  test('the page loads with no console errors or warnings', async () => {
    await expect(page.title()).resolves.toMatch(/Spillway/);
    await eventually(async () => ((await metric('created')) !== undefined ? true : undefined));
    const state = await waitForLiveState(['live', 'polling']);
    expect(['live', 'polling']).toContain(state);
    await page.locator('#tasks-empty, #task-rows tr').first().waitFor();
    // Every panel has answered (none is aria-busy) and the feed is up: whatever the page would complain of, it has.
    await untilSettled(page);
    expect(consoleProblems).toEqual([]);
    // The page, not the bundle of a CDN: every script and stylesheet comes from this origin.
    const external = await page.evaluate(
      `[...document.querySelectorAll('script[src], link[href]')].map((e) => e.src || e.href).filter((u) => u && !u.startsWith(location.origin) && !u.startsWith('data:'))`,
    );
    expect(external).toEqual([]);
  });

  test('the status filter offers every status of the task model, EXPIRED included', async () => {
    const values = (await page
      .locator('#filters select[name="status"] option')
      .evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value).filter(Boolean))) as string[];
    expect(values).toEqual([...TASK_STATUSES]);
    expect(values).toContain('EXPIRED');
  });

  test("the type filter lists the deployed functions' task types, as GET /api/functions does", async () => {
    const listed = (await (await fetch(`${base}/api/functions`)).json()) as { taskTypes: Record<string, string[]> };
    const deployed = Object.keys(listed.taskTypes).sort();
    expect(deployed).toContain('noop');
    const options = await eventually(async () => {
      const values = (await page
        .locator('#filters select[name="type"] option')
        .evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value).filter(Boolean))) as string[];
      return values.length ? values : undefined;
    });
    expect(options).toEqual(deployed);
  });

  let createdIds: string[] = [];

  test('"Create 10 Tasks" raises the created count and the rows appear without a reload', async () => {
    const before = await eventually(async () => metric('created'));
    await page.evaluate('window.__spillwayNoReload = true');
    const responsePromise = page.waitForResponse((r) => r.url().endsWith('/api/tasks/bulk'));
    await page.getByRole('button', { name: 'Create 10 Tasks' }).click();
    const response = await responsePromise;
    expect(response.status()).toBe(207);
    const body = (await response.json()) as {
      accepted: number;
      rejected: number;
      results: { ok: boolean; task?: { id: string; executionMode: string; type: string } }[];
    };
    expect(body.accepted + body.rejected).toBe(10);
    expect(body.accepted).toBeGreaterThan(0);
    createdIds = body.results.flatMap((r) => (r.ok && r.task ? [r.task.id] : []));
    expect(createdIds).toHaveLength(body.accepted);

    // The outcome toast: "10 created" when every mode is available, else which were rejected and why.
    const toast = page.locator('.toast').first();
    await toast.waitFor();
    await expect(toast.textContent()).resolves.toContain(`${body.accepted} created`);
    if (body.rejected) await expect(toast.textContent()).resolves.toMatch(/SPILLWAY_[A-Z_]+/);

    for (const id of createdIds) await page.locator(`#task-rows tr[data-id="${id}"]`).waitFor({ timeout: 5_000 });
    await eventually(async () => ((await metric('created')) === (before ?? 0) + body.accepted ? true : undefined));
    await expect(metric('created')).resolves.toBe((before ?? 0) + body.accepted);

    // Rows change status live: at least one of the new tasks is shown finished, still without a reload.
    await eventually(async () => {
      const finished = await page
        .locator('#task-rows tr[data-status="COMPLETED"], #task-rows tr[data-status="FAILED"]')
        .evaluateAll(
          (rows, ids) => rows.filter((r) => ids.includes(r.getAttribute('data-id') ?? '')).length,
          createdIds,
        );
      return finished > 0 ? finished : undefined;
    }, 60_000);
    await expect(page.evaluate('window.__spillwayNoReload')).resolves.toBe(true);
  });

  test('a task detail shows its timeline, result and the Temporal UI link; deep links open it', async () => {
    const noop = createdIds[0];
    expect(noop).toBeDefined();
    const id = noop as string;
    const row = page.locator(`#task-rows tr[data-id="${id}"][data-status="COMPLETED"]`);
    await row.waitFor({ timeout: 60_000 });
    // The picture for the README: every new task finished, no notification in front of the table.
    await eventually(async () => {
      const open = await page
        .locator('#task-rows tr[data-status="QUEUED"], #task-rows tr[data-status="RUNNING"]')
        .count();
      return open === 0 ? true : undefined;
    }, 60_000).catch(() => undefined);
    await dismissToasts(page);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Keyboard: the row's link opens the dialog, Escape closes it and focus returns to the link.
    await row.locator('a.task-link').focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await expect(dialog.locator('.timeline').textContent()).resolves.toMatch(
      /Queued.*Placed on.*Attempt 1.*Completed/s,
    );
    const link = dialog.getByRole('link', { name: /Open in Temporal Web UI/ });
    await expect(link.getAttribute('href')).resolves.toBe(
      `${harness.config.temporal.uiUrl}/namespaces/${harness.config.temporal.namespace}/workflows/${id}`,
    );
    await expect(link.getAttribute('target')).resolves.toBe('_blank');
    await expect(dialog.locator('details.result').textContent()).resolves.toContain(id);
    // Each attempt says which function version and package (CodeSha256, shortened) it ran.
    const detailJson = (await (await fetch(`${base}/api/tasks/${id}`)).json()) as {
      attempts: { functionVersion?: string; codeSha256?: string }[];
    };
    const ran = detailJson.attempts[0];
    expect(ran).toEqual(
      expect.objectContaining({ functionVersion: expect.any(String), codeSha256: expect.stringMatching(/^.{20,}$/) }),
    );
    const code = dialog.locator('.timeline .attempt-code').first();
    await expect(code.getAttribute('data-version')).resolves.toBe(ran?.functionVersion);
    await expect(code.getAttribute('data-sha')).resolves.toBe(ran?.codeSha256);
    await expect(code.textContent()).resolves.toBe(`version ${ran?.functionVersion} ${ran?.codeSha256?.slice(0, 10)}`);
    await expect(code.locator('code').getAttribute('title')).resolves.toBe(`CodeSha256 ${ran?.codeSha256}`);
    expect(page.url()).toContain(`#/tasks/${id}`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await expect(page.evaluate('document.activeElement && document.activeElement.className')).resolves.toBe(
      'task-link',
    );

    // A retried task: the timeline shows the failed attempt, its error and the backoff before the next one.
    const flaky = await eventually(async () => {
      const res = await fetch(`${base}/api/tasks?type=flaky&limit=20`);
      const list = (await res.json()) as { tasks: { id: string; status: string }[] };
      return list.tasks.find((t) => createdIds.includes(t.id) && t.status === 'COMPLETED');
    }, 60_000);
    // A deep link opened cold, in a tab of its own, as a shared link is: the page opens the task by itself.
    const linked = await page.context().newPage();
    try {
      await linked.goto(`${base}/#/tasks/${flaky.id}`);
      const linkedDialog = linked.getByRole('dialog');
      await linkedDialog.waitFor();
      // The dialog shows "Loading…" until the task arrives; wait for the rendered timeline.
      const timeline = /Attempt 1.*failed.*FlakyError.*Backoff.*Attempt 2.*succeeded.*Completed/s;
      const timelineText = await eventually(async () => {
        const item = linkedDialog.locator('.timeline');
        const text = (await item.count()) ? await item.innerText() : '';
        return timeline.test(text) ? text : undefined;
      }, 30_000);
      expect(timelineText).toMatch(timeline);
      await linked.screenshot({ path: path.join(EXTRA_SHOTS, 'detail.png') });
      await linked.getByRole('button', { name: 'Close task details' }).click();
      await linkedDialog.waitFor({ state: 'hidden' });
      // The dialog's close event, which clears the deep link, is dispatched a moment after it hides.
      await linked.waitForFunction(
        () => !(globalThis as unknown as { location: { hash: string } }).location.hash.startsWith('#/tasks/'),
        undefined,
        { timeout: 5_000 },
      );
      expect(linked.url()).not.toContain('#/tasks/');
    } finally {
      await linked.close();
    }
  });

  // Regression: the dialog's close event arrives a moment after it hides, and it used to strip whatever
  // #/tasks/<id> was in the address bar by then, so the next task's deep link, followed in the same page right
  // after a close, ended with no hash and no dialog (about 1 in 3).
  test('after closing a detail, another task hash in the same page opens that task, every time', async () => {
    const ids = createdIds.slice(0, 4);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const dialog = page.locator('#detail');
    const shows = async (id: string) => {
      await dialog.waitFor({ state: 'visible', timeout: 10_000 });
      await expect(eventually(async () => ((await text('#detail-sub')) === id ? id : undefined), 10_000)).resolves.toBe(
        id,
      );
      // Rendered, not stuck on "Loading…": the fetch of this task was not thrown away by a late close.
      await dialog.locator('.timeline').waitFor({ timeout: 20_000 });
      await expect(page.evaluate('location.hash')).resolves.toBe(`#/tasks/${encodeURIComponent(id)}`);
    };
    await page.goto(`${base}/#/tasks/${encodeURIComponent(ids[0] as string)}`);
    await shows(ids[0] as string);
    for (let round = 1; round <= 12; round++) {
      const next = ids[round % ids.length] as string;
      const hash = `#/tasks/${encodeURIComponent(next)}`;
      if (round % 2) {
        // Close and navigate in one go, as a link clicked right after the close would: the hash changes while
        // the close event is still queued.
        await page.evaluate((h) => {
          const doc = (globalThis as unknown as { document: { querySelector(s: string): { click(): void } } }).document;
          doc.querySelector('#detail [data-close]').click();
          (globalThis as unknown as { location: { hash: string } }).location.hash = h;
        }, hash);
      } else {
        await page.getByRole('button', { name: 'Close task details' }).click();
        await dialog.waitFor({ state: 'hidden' });
        await page.goto(`${base}/${hash}`);
      }
      await shows(next);
    }
    await page.getByRole('button', { name: 'Close task details' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForFunction(
      () => !(globalThis as unknown as { location: { hash: string } }).location.hash.startsWith('#/tasks/'),
      undefined,
      { timeout: 5_000 },
    );
    expect(page.url()).not.toContain('#/tasks/');
  });

  test('"Warm Lambda Pool" reports its result', async () => {
    const exists = app?.hasRoute({ method: 'POST', url: '/api/tasks/warm-pool' }) ?? false;
    const responsePromise = page.waitForResponse((r) => r.url().endsWith('/api/tasks/warm-pool'));
    await page.getByRole('button', { name: 'Warm Lambda Pool' }).click();
    const response = await responsePromise;
    const toast = page.locator('.toast', { hasText: /Lambda pool/ }).first();
    await toast.waitFor({ timeout: 60_000 });
    if (!exists) {
      console.warn(
        'warm-pool check skipped: the API has no POST /api/tasks/warm-pool yet; checked the error toast only',
      );
      expect(response.status()).toBe(404);
      await expect(toast.textContent()).resolves.toContain('SPILLWAY_ROUTE_NOT_FOUND');
      return;
    }
    expect(response.ok()).toBe(true);
    const body = (await response.json()) as { functions: { name: string }[] };
    await expect(toast.textContent()).resolves.toMatch(/Lambda pool warmed/);
    for (const fn of body.functions) await expect(toast.textContent()).resolves.toContain(fn.name);
  });

  test('a budget reaching its limit shows a toast from the live feed', async () => {
    await expect(waitForLiveState(['live'])).resolves.toBe('live');
    // A task's end as the worker settles it: the counters change and the crossings go to the stream.
    const book = createBudgetBook(harness.redis, harness.config.redis.prefix, [
      { id: 'dashboard-demo', scope: { kind: 'deployment' }, period: 'day', limitUsd: 0.5, onExceeded: 'force-local' },
    ]);
    await book.settle({ id: 'dashboard-budget-task', type: 'noop' }, 1);
    // One settlement crosses 75 %, 90 % and 100 % at once: three toasts, whichever is on top; the limit's is the one.
    const toast = page
      .locator('.toast', { hasText: 'reached its limit of $0.5 this day (200 %): new tasks are run LOCAL' })
      .first();
    await toast.waitFor({ timeout: 20_000 });
    await expect(toast.textContent()).resolves.toContain('Budget dashboard-demo');
    await expect(toast.getAttribute('data-kind')).resolves.toBe('error');
    await dismissToasts(page);
  });

  test('after the API restarts the live feed reconnects by itself', async () => {
    const streaming = app?.hasRoute({ method: 'GET', url: '/api/events' }) ?? false;
    if (!streaming) console.warn('the API has no GET /api/events yet: checking that polling recovers instead');
    const upState = streaming ? 'live' : 'polling';
    await expect(waitForLiveState([upState])).resolves.toBe(upState);

    await stopApp(app);
    app = undefined;
    await expect(waitForLiveState(['reconnecting'], 20_000)).resolves.toBe('reconnecting');
    app = await startApp();
    await expect(waitForLiveState([upState], 30_000)).resolves.toBe(upState);

    // Fed again: a task created now shows up without a reload.
    const res = await app.inject({
      method: 'POST',
      url: '/api/tasks',
      payload: { name: 'after restart', type: 'noop', executionMode: 'LOCAL' },
    });
    expect(res.statusCode).toBe(201);
    const id = (res.json() as { id: string }).id;
    await page.locator(`#task-rows tr[data-id="${id}"]`).waitFor({ timeout: 20_000 });
  });

  test('the layout fits a phone and the theme toggle switches to dark', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/`);
    await page.locator('#task-rows tr').first().waitFor();
    await expect(page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).resolves.toBe(true);
    const toggle = page.locator('#theme-toggle');
    await expect(toggle.getAttribute('aria-label')).resolves.toBe('Switch to dark theme');
    await toggle.click();
    await expect(page.evaluate('document.documentElement.dataset.theme')).resolves.toBe('dark');
    await expect(toggle.getAttribute('aria-label')).resolves.toBe('Switch to light theme');
    await page.screenshot({ path: path.join(EXTRA_SHOTS, 'phone-dark.png'), fullPage: true });
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.screenshot({ path: path.join(EXTRA_SHOTS, 'desktop-dark.png') });
  });

  test('an API that asks for a key gets it from the form; fetches and the feed then carry it', async () => {
    const key = 'dashboard-test-key';
    await page.setViewportSize({ width: 1440, height: 1000 });
    await stopApp(app);
    app = undefined;
    app = await startApp(key);
    try {
      await page.evaluate('sessionStorage.clear()');
      await page.goto(`${base}/`);
      const dialog = page.getByRole('dialog', { name: 'API key required' });
      await dialog.waitFor();
      await expect(dialog.textContent()).resolves.toContain('this API needs a key');
      await dialog.getByLabel('API key', { exact: true }).fill(key);
      await dialog.getByRole('button', { name: 'Use key' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await page.locator('#task-rows tr').first().waitFor();
      await expect(page.evaluate("sessionStorage.getItem('spillway.apiKey')")).resolves.toBe(key);
      const streaming = app.hasRoute({ method: 'GET', url: '/api/events' });
      const upState = streaming ? 'live' : 'polling';
      await expect(waitForLiveState([upState], 20_000)).resolves.toBe(upState);
    } finally {
      await stopApp(app);
      app = undefined;
      app = await startApp();
    }
  });
});
