// The dashboard's pipelines view in a real browser (Debian's Chromium through playwright-core): an execution's graph
// of states with each state's status, the failed state and its error, Map progress, and the Redrive button that
// takes the execution to SUCCEEDED. Skipped, with the reason printed, where Chromium is missing (outside CI).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { fmtUsd } from '../../dashboard/src/format';
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
    await page.locator('#pipelines').getByRole('button', { name: 'Redrive', exact: true }).click();
    await eventually(async () => ((await status.textContent()) === 'Succeeded' ? true : undefined), 60_000, 300);
    await expect(page.locator('.pl-node[data-state="Publish"]').getAttribute('class')).resolves.toContain(
      'pl-completed',
    );
    await page.screenshot({ path: path.join(SHOTS, 'pipeline-redriven.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  test('the view follows an execution on the live stream alone, with each Task state’s placement and cost; Stop aborts it', async () => {
    const name = uniqueId('live').replace(/^test-/, 'd');
    const definition = {
      StartAt: 'Approve',
      States: {
        Approve: {
          Type: 'Task',
          Resource: 'noop.waitForTaskToken',
          Parameters: { 'token.$': '$$.Task.Token' },
          ResultPath: null,
          Next: 'Charge',
        },
        Charge: {
          Type: 'Task',
          Resource: 'noop',
          Spillway: { ExecutionMode: 'LOCAL' },
          ResultPath: '$.charge',
          Next: 'Hold',
        },
        Hold: { Type: 'Wait', Seconds: 600, End: true },
      },
    };
    const inject = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
      const res = await stack.app.inject({
        method,
        url,
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
      return { status: res.statusCode, body: res.json() as Record<string, unknown> };
    };
    expect((await inject('POST', '/api/pipelines', { name, definition })).status).toBe(201);
    expect((await inject('POST', `/api/pipelines/${name}/executions`, { name: 'live' })).status).toBe(201);
    const self = `/api/pipelines/${name}/executions/live`;
    const detailUrl = (url: URL) => url.pathname === self;
    // The view's reads of the execution, asked and answered.
    let asked = 0;
    let answered = 0;
    page.on('request', (r) => void (detailUrl(new URL(r.url())) && asked++));
    const done = (r: { url(): string }) => void (detailUrl(new URL(r.url())) && answered++);
    page.on('requestfinished', done);
    page.on('requestfailed', done);
    await page.goto(`${stack.endpoint}/#/pipelines/${name}/live`);
    const status = page.locator('[data-testid="pl-status"]');
    const node = (state: string) => page.locator(`.pl-node[data-state="${state}"]`);
    await eventually(async () =>
      (await page.locator('#live').getAttribute('data-state')) === 'live' ? true : undefined,
    );
    await eventually(async () =>
      (await status.textContent()) === 'Running' &&
      (await node('Approve').getAttribute('class'))?.includes('pl-running')
        ? true
        : undefined,
    );

    // From here on REST answers 503 for this execution, once the reads already asked have their answers: whatever
    // the view shows next came over the event stream.
    await eventually(async () => (asked > 0 && answered === asked ? true : undefined));
    await page.route(detailUrl, (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: '{"message":"blocked by the test"}' }),
    );
    const token = await eventually(async () => {
      const { body } = await inject('GET', `${self}/history`);
      const events = body.events as Array<{ type: string; taskScheduledEventDetails?: { parameters: string } }>;
      const scheduled = events.find((e) => e.type === 'TaskScheduled');
      return scheduled && events.some((e) => e.type === 'TaskStarted')
        ? (JSON.parse(scheduled.taskScheduledEventDetails!.parameters) as { token: string }).token
        : undefined;
    });
    await stack.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await eventually(async () =>
      (await node('Hold').getAttribute('class'))?.includes('pl-running') &&
      (await node('Charge').getAttribute('class'))?.includes('pl-completed')
        ? true
        : undefined,
    );
    expect(await node('Approve').getAttribute('class')).toContain('pl-completed');
    expect(await status.textContent()).toBe('Running');
    expect(await page.locator('.pl-detail .error-text').count()).toBe(0);
    await page.unroute(detailUrl);

    // The texts are those of the execution's record: the Task state's placement, attempts and cost, the total cost.
    const { body: execution } = await inject('GET', self);
    const charge = (execution.states as Record<string, { costUsd: number; placements: Record<string, number> }>)
      .Charge!;
    expect(charge.placements).toEqual({ LOCAL: 1 });
    expect(await node('Charge').locator('.pl-line').first().textContent()).toBe(
      `LOCAL×1 · 1 attempt · ${fmtUsd(charge.costUsd)}`,
    );
    expect(await page.locator('[data-testid="pl-cost"]').textContent()).toBe(` · ${fmtUsd(execution.costUsd)}`);
    await page.screenshot({ path: path.join(SHOTS, 'pipeline-live.png'), fullPage: true });

    const stop = page.locator('#pipelines').getByRole('button', { name: 'Stop', exact: true });
    const redrive = page.locator('#pipelines').getByRole('button', { name: 'Redrive', exact: true });
    expect(await stop.isEnabled()).toBe(true);
    expect(await redrive.isEnabled()).toBe(false);
    await stop.click();
    await eventually(async () =>
      (await page.locator('.toast').filter({ hasText: 'Stop requested' }).count()) > 0 ? true : undefined,
    );
    await eventually(async () => ((await status.textContent()) === 'Aborted' ? true : undefined), 60_000, 300);
    await eventually(async () => ((await redrive.isEnabled()) ? true : undefined));
    expect(await stop.isEnabled()).toBe(false);
    expect(await node('Hold').getAttribute('class')).toContain('pl-cancelled');
    const { body: stopped } = await inject('GET', self);
    expect(stopped).toEqual(
      expect.objectContaining({ status: 'ABORTED', error: 'Stopped', cause: 'stopped from the dashboard' }),
    );
    expect(problems).toEqual([]);
  });
});
