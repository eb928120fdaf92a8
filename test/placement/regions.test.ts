// Region rules end to end: two Lambda targets in two regions (two local Lambda services of this process), tasks
// pinned to one or kept to some by residency, and the API refusing rules this deployment cannot keep. Where a task
// ran is read from the service that ran it (its per-function invocation count), not from Spillway's own record.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { startLambdaService, type LambdaService } from '../../lambda/lambda-service';
import { deployExamples } from '../support/deploy-examples';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

jest.setTimeout(120_000);

const stack = readStack();
const work = mkdtempSync(path.join(os.tmpdir(), 'spillway-regions-'));
/** The local region (LOCAL runs here) and the first target's; the second target is elsewhere. */
const HOME = 'us-east-1';
const AWAY = 'local-away';
let home: LambdaService;
let away: LambdaService;
let harness: TestHarness;
let app: FastifyInstance;

async function startService(name: string, region: string): Promise<LambdaService> {
  const service = await startLambdaService({
    port: 0,
    region,
    dataDir: path.join(work, name),
    // The functions sign their callbacks with the stack's secret, which this process does not have in its env.
    environment: { SPILLWAY_CALLBACK_SECRET: stack.callbackSecret },
    log: () => undefined,
  });
  await deployExamples(
    {
      endpoint: service.url,
      region,
      credentials: { accessKeyId: 'spillway-local', secretAccessKey: 'spillway-local' },
    },
    ['noop'],
  );
  return service;
}

/** How many times the service has invoked noop (every invocation, warm or cold). */
async function invocations(service: LambdaService): Promise<number> {
  const status = (await (await fetch(`${service.url}/_spillway/status`)).json()) as {
    functions: Array<{ name: string; invocations: number }>;
  };
  return status.functions.find((f) => f.name === 'noop')?.invocations ?? 0;
}

beforeAll(async () => {
  home = await startService('home', HOME);
  away = await startService('away', AWAY);
  harness = await startHarness({
    env: {
      LAMBDA_ENDPOINT: home.url,
      SPILLWAY_LOCAL_REGION: HOME,
      LAMBDA_TARGETS: JSON.stringify([
        { name: 'home', region: HOME, endpoint: home.url },
        { name: 'away', region: AWAY, endpoint: away.url },
      ]),
    },
  });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  // The functions call back to the API's own port.
  await app.listen({ host: '127.0.0.1', port: stack.apiPort });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
  await away?.close();
  await home?.close();
  rmSync(work, { recursive: true, force: true });
});

interface TaskView {
  id: string;
  status: string;
  placement?: { placement: string; reason: string; target?: { name: string; region: string } };
  attempts: Array<{ placement: string; outcome: string }>;
}

const submit = (body: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/api/tasks', payload: { name: uniqueId('regions'), type: 'noop', ...body } });

async function finished(id: string): Promise<TaskView> {
  await harness.client.workflow.getHandle(id).result();
  return eventually(async () => {
    const t = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json() as TaskView;
    return t.status === 'COMPLETED' ? t : undefined;
  });
}

test('a LAMBDA task pinned to a region runs on that region’s target, and the decision names it', async () => {
  const before = { home: await invocations(home), away: await invocations(away) };
  const res = await submit({ executionMode: 'LAMBDA', region: AWAY });
  expect(res.statusCode).toBe(201);
  const task = await finished(res.json().id);
  expect(task.placement).toEqual(
    expect.objectContaining({ placement: 'LAMBDA', target: { name: 'away', region: AWAY } }),
  );
  expect(task.placement?.reason).toContain(`away (${AWAY})`);
  expect(await invocations(away)).toBe(before.away + 1);
  expect(await invocations(home)).toBe(before.home);
});

test('a LAMBDA task without rules runs on the default target, as with one target', async () => {
  const before = { home: await invocations(home), away: await invocations(away) };
  const res = await submit({ executionMode: 'LAMBDA' });
  expect(res.statusCode).toBe(201);
  const task = await finished(res.json().id);
  expect(task.placement?.placement).toBe('LAMBDA');
  expect(await invocations(home)).toBe(before.home + 1);
  expect(await invocations(away)).toBe(before.away);
});

test('AUTO tasks kept out of the local region by residency all run on an allowed target, never LOCAL', async () => {
  const before = { home: await invocations(home), away: await invocations(away) };
  const ids = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const res = await submit({ executionMode: 'AUTO', allowedRegions: [AWAY] });
      expect(res.statusCode).toBe(201);
      return res.json().id as string;
    }),
  );
  const tasks = await Promise.all(ids.map(finished));
  for (const task of tasks) {
    expect(task.placement).toEqual(
      expect.objectContaining({ placement: 'LAMBDA', target: { name: 'away', region: AWAY } }),
    );
    expect(task.attempts.every((a) => a.placement === 'LAMBDA')).toBe(true);
  }
  expect(await invocations(away)).toBe(before.away + ids.length);
  expect(await invocations(home)).toBe(before.home);
});

test('an AUTO task allowed in the local region alone never goes to the other region', async () => {
  const before = await invocations(away);
  const res = await submit({ executionMode: 'AUTO', allowedRegions: [HOME] });
  expect(res.statusCode).toBe(201);
  const task = await finished(res.json().id);
  // An idle pool keeps it LOCAL; had it spilled, the home target is the only allowed one.
  if (task.placement?.placement === 'LAMBDA') expect(task.placement.target).toEqual({ name: 'home', region: HOME });
  expect(await invocations(away)).toBe(before);
});

test.each([
  [{ executionMode: 'LOCAL', allowedRegions: [AWAY] }, 'SPILLWAY_RESIDENCY_VIOLATION', /local region us-east-1/],
  [{ executionMode: 'LOCAL', region: AWAY }, 'SPILLWAY_RESIDENCY_VIOLATION', /pinned to local-away/],
  [{ executionMode: 'LAMBDA', region: 'eu-west-9' }, 'SPILLWAY_UNKNOWN_REGION', /"eu-west-9" is not a region/],
  [
    { executionMode: 'AUTO', allowedRegions: ['eu-west-9', AWAY] },
    'SPILLWAY_UNKNOWN_REGION',
    /its regions: local-away, us-east-1/,
  ],
  [
    { executionMode: 'LAMBDA', region: AWAY, allowedRegions: [HOME] },
    'SPILLWAY_RESIDENCY_VIOLATION',
    /not among its allowedRegions/,
  ],
])('%j is refused with %s', async (body, code, message) => {
  const res = await submit(body);
  expect(res.statusCode).toBe(400);
  expect(res.json()).toEqual(expect.objectContaining({ code, message: expect.stringMatching(message) }));
});

test('a region that is not a region name fails the schema', async () => {
  const res = await submit({ executionMode: 'AUTO', region: 'Not A Region' });
  expect(res.statusCode).toBe(400);
  expect(res.json().code).toBe('SPILLWAY_VALIDATION_FAILED');
});
