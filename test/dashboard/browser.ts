// What the dashboard's browser tests share: Debian's Chromium through playwright-core, the dashboard built from its
// sources, the real API listening on a port of its own over a test harness, and small page helpers.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildApp } from '../../api/app';
import { eventually, startHarness, type TestHarness } from '../support/test-stack';

// The launchers' freePort: it never hands out a port twice in one process (the kernel may offer a just-closed one).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../scripts/lib/net.js') as { freePort(host?: string): Promise<number> };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
const ROOT = path.resolve(__dirname, '..', '..');
const DASHBOARD = path.join(ROOT, 'dashboard');
export const SCREENSHOT = path.join(ROOT, 'docs', 'dashboard.png');
export const EXTRA_SHOTS = path.join(ROOT, '.test-stack', 'screenshots');

const haveChromium = existsSync(CHROMIUM);
const runInBrowser = haveChromium || Boolean(process.env.CI);
if (!runInBrowser) {
  console.warn(
    `dashboard tests skipped: no Chromium at ${CHROMIUM}. Install Debian's (apt-get install -y chromium) or set ` +
      'CHROMIUM_PATH; in CI (CI set) these tests run and fail without it.',
  );
}
/** `describe` where Chromium is (or must be: CI), else `describe.skip`. */
export const browserSuite = runInBrowser ? describe : describe.skip;

/** Newest modification time of the dashboard's sources, so a stale build is rebuilt. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function ensureDashboardBuilt(): void {
  const index = path.join(DASHBOARD, 'dist', 'index.html');
  // The bundle also takes the task model from domain/ and the typed client from client/: a change there rebuilds it.
  const newest = Math.max(
    newestSource(DASHBOARD),
    newestSource(path.join(ROOT, 'domain')),
    newestSource(path.join(ROOT, 'client')),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= newest) return;
  execFileSync('npm', ['run', 'build:dashboard'], { cwd: ROOT, stdio: 'pipe' });
}

/** The real API over the harness, listening on `port`; with apiKey, /api/* answers 401 without it. */
export async function startApi(harness: TestHarness, port: number, apiKey?: string): Promise<FastifyInstance> {
  // Not an object literal: the API's dependencies change, and a field it no longer takes must not break the tests.
  const deps = {
    config: harness.config,
    client: harness.client,
    redis: harness.redis,
    projection: harness.projection,
  };
  const instance = await buildApp(deps);
  if (apiKey) {
    instance.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/api/')) return;
      const token = new URL(request.url, 'http://localhost').searchParams.get('access_token');
      if (request.headers.authorization === `Bearer ${apiKey}` || token === apiKey) return;
      return reply.code(401).send({
        statusCode: 401,
        code: 'SPILLWAY_UNAUTHORIZED',
        error: 'Unauthorized',
        message: 'this API needs a key',
      });
    });
  }
  try {
    await instance.listen({ port, host: '127.0.0.1' });
  } catch (err) {
    await instance.close();
    throw err;
  }
  return instance;
}

export async function stopApi(instance: FastifyInstance | undefined): Promise<void> {
  if (!instance) return;
  // An open event stream would hold close() forever; cut what is still open after a grace period.
  const force = setTimeout(() => instance.server.closeAllConnections(), 2_000);
  try {
    await instance.close();
  } finally {
    clearTimeout(force);
  }
}

export interface DashboardSession {
  harness: TestHarness;
  /** The API's port, kept across restarts; Lambda callbacks are sent to it. */
  port: number;
  base: string;
  context: BrowserContext;
  page: Page;
  /** Console errors and warnings, and uncaught page errors, since the page opened. */
  consoleProblems: string[];
  app: FastifyInstance | undefined;
  close(): Promise<void>;
}

/** A harness (with `env`), the API on a port of its own, and Chromium on the dashboard. */
export async function openDashboard(env: Record<string, string> = {}): Promise<DashboardSession> {
  if (!haveChromium) {
    throw new Error(`Chromium is required in CI: install it with apt-get install -y chromium (looked at ${CHROMIUM})`);
  }
  ensureDashboardBuilt();
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  mkdirSync(EXTRA_SHOTS, { recursive: true });
  const port = await freePort();
  const harness = await startHarness({
    env: { API_PORT: String(port), SPILLWAY_CALLBACK_URL: `http://127.0.0.1:${port}/api/callbacks/lambda`, ...env },
  });
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'spillway-chromium-'));
  const session: DashboardSession = {
    harness,
    port,
    base: `http://127.0.0.1:${port}`,
    app: undefined,
    consoleProblems: [],
    context: undefined as unknown as BrowserContext,
    page: undefined as unknown as Page,
    async close() {
      await session.context?.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
      await stopApi(session.app);
      await harness.close();
    },
  };
  try {
    session.app = await startApi(harness, port);
    session.context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 1000 },
      colorScheme: 'light',
    });
    session.page = session.context.pages()[0] ?? (await session.context.newPage());
    session.page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        session.consoleProblems.push(`${msg.type()}: ${msg.text()}`);
      }
    });
    session.page.on('pageerror', (err) => session.consoleProblems.push(`pageerror: ${err.message}`));
    await session.page.goto(`${session.base}/`);
  } catch (err) {
    await session.close();
    throw err;
  }
  return session;
}

/** The page has loaded what it asked for: no part of it is busy (aria-busy) and the live feed is up. */
export async function untilSettled(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const doc = (
        globalThis as unknown as {
          document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
        }
      ).document;
      const live = doc.querySelector('#live')?.getAttribute('data-state');
      return (live === 'live' || live === 'polling') && doc.querySelector('[aria-busy="true"]') === null;
    },
    undefined,
    { timeout: timeoutMs, polling: 100 },
  );
}

/**
 * Dismisses every toast. A dismissed toast stays a moment (its leaving transition) before it is removed, so the
 * buttons are taken one at a time from those not yet leaving: positions shift as they go.
 */
export async function dismissToasts(page: Page): Promise<void> {
  const open = page.locator('.toast:not(.toast-leaving) .toast-close');
  // At most 4 toasts are shown; a few more rounds cover any that arrive meanwhile.
  for (let round = 0; round < 10 && (await open.count()) > 0; round++) {
    // One that fades by itself between the count and the click is gone already, which is what we want.
    await open
      .first()
      .click({ timeout: 2_000 })
      .catch(() => undefined);
  }
  await page.waitForFunction(
    () =>
      (
        globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
      ).document.querySelectorAll('#toasts .toast').length === 0,
    undefined,
    { timeout: 10_000 },
  );
}

/**
 * Answers the confirm dialog (dashboard/src/confirm.ts) that an action opened: the reason and who, or the mode of a
 * redrive, then its confirm button.
 */
export async function answerConfirm(
  page: Page,
  answer: { reason?: string; by?: string; mode?: string; confirm: string },
): Promise<void> {
  const dialog = page.locator('#confirm');
  await dialog.waitFor({ state: 'visible' });
  if (answer.reason !== undefined) await dialog.locator('#confirm-reason').fill(answer.reason);
  if (answer.by !== undefined) await dialog.locator('#confirm-by').fill(answer.by);
  if (answer.mode !== undefined) await dialog.locator('#confirm-mode').selectOption(answer.mode);
  await dialog.getByRole('button', { name: answer.confirm, exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/** The text of the first match, trimmed ('' when there is none). */
export async function textOf(page: Page, selector: string): Promise<string> {
  const el = page.locator(selector).first();
  return (await el.count()) ? ((await el.textContent()) ?? '').trim() : '';
}

export { eventually };
