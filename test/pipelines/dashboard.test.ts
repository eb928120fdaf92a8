// The dashboard's pipelines view in a real browser (Debian's Chromium through playwright-core): an execution's graph
// of states with each state's status, the failed state and its error, Map progress, and the Redrive button that
// takes the execution to SUCCEEDED. Skipped, with the reason printed, where Chromium is missing (outside CI).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { eventually, uniqueId } from '../support/test-stack';
import { startSfnStack, type SfnStack } from './sfn-api';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '..', '..');
const DASHBOARD = path.join(ROOT, 'dashboard');
const SHOTS = path.join(ROOT, '.test-stack', 'screenshots');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) console.warn(`pipelines dashboard test skipped: no Chromium at ${CHROMIUM}`);
const suite = haveChromium || process.env.CI ? describe : describe.skip;
jest.setTimeout(180_000);

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

suite('dashboard: pipelines', () => {
  let stack: SfnStack;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const problems: string[] = [];

  beforeAll(async () => {
    const index = path.join(DASHBOARD, 'dist', 'index.html');
    if (!existsSync(index) || statSync(index).mtimeMs < newestSource(DASHBOARD)) {
      execFileSync('npm', ['run', 'build:dashboard'], { cwd: ROOT, stdio: 'pipe' });
    }
    mkdirSync(SHOTS, { recursive: true });
    stack = await startSfnStack();
    userDataDir = mkdtempSync(path.join(os.tmpdir(), 'spillway-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
      viewport: { width: 1440, height: 1200 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => problems.push(err.message));
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    const force = setTimeout(() => stack?.app.server.closeAllConnections(), 2_000);
    await stack?.close();
    clearTimeout(force);
  });

  test('an execution graph shows the failed state and its error; Redrive takes it to SUCCEEDED', async () => {
    const name = uniqueId('dash').replace(/^test-/, 'd');
    const definition = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { StartAt: 'Ping', States: { Ping: { Type: 'Task', Resource: 'noop', End: true } } },
          ResultPath: '$.pings',
          Next: 'Publish',
        },
        Publish: {
          Type: 'Pass',
          Parameters: { 'n.$': 'States.ArrayGetItem(States.Array(1), States.MathAdd($$.Execution.RedriveCount, -1))' },
          End: true,
        },
      },
    };
    const post = (url: string, payload: unknown) =>
      stack.app.inject({ method: 'POST', url, payload: payload as object });
    expect((await post('/api/pipelines', { name, definition })).statusCode).toBe(201);
    const started = await post(`/api/pipelines/${name}/executions`, { name: 'first', input: { items: [{}, {}, {}] } });
    expect(started.statusCode).toBe(201);
    await page.goto(`${stack.endpoint}/#/pipelines/${name}/first`);
    const status = page.locator('[data-testid="pl-status"]');
    await eventually(async () => ((await status.textContent()) === 'Failed' ? true : undefined), 60_000, 300);
    await expect(page.locator('.pl-node[data-state="Publish"]').getAttribute('class')).resolves.toContain('pl-failed');
    await expect(page.locator('.pl-node[data-state="Fan"]').getAttribute('class')).resolves.toContain('pl-completed');
    await expect(page.locator('.pl-node[data-state="Fan"] .pl-line').first().textContent()).resolves.toBe(
      '3/3 done · 0 failed · 0 running',
    );
    await expect(page.locator('.pl-error').textContent()).resolves.toContain('Publish: States.IntrinsicFailure');
    await page.screenshot({ path: path.join(SHOTS, 'pipeline-failed.png'), fullPage: true });
    await page.getByRole('button', { name: 'Redrive' }).click();
    await eventually(async () => ((await status.textContent()) === 'Succeeded' ? true : undefined), 60_000, 300);
    await expect(page.locator('.pl-node[data-state="Publish"]').getAttribute('class')).resolves.toContain(
      'pl-completed',
    );
    await page.screenshot({ path: path.join(SHOTS, 'pipeline-redriven.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
