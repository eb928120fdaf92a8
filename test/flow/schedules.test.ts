// Recurring tasks on Temporal Schedules: a schedule fires, shows its tasks, pauses, backfills a past range,
// triggers now and is deleted; `temporal schedule list` sees it too.
import { spawnSync } from 'node:child_process';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { TASK_STATUSES } from '../../domain/task-model';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

jest.setTimeout(120_000);

const stack = readStack();
let harness: TestHarness;
let app: FastifyInstance;

beforeAll(async () => {
  harness = await startHarness();
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

const post = (url: string, payload?: unknown) =>
  app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as object }) });
const get = (url: string) => app.inject({ method: 'GET', url });

interface ScheduleView {
  id: string;
  paused: boolean;
  nextRuns: string[];
  recentTasks: Array<{ id: string; status: string }>;
}

const countTasks = async (id: string) =>
  (await harness.client.workflow.count(`WorkflowType = 'runTask' AND TaskLabels = 'schedule:${id}'`)).count;

test('a schedule fires, pauses, backfills, triggers and is deleted', async () => {
  const name = uniqueId('sched');
  const created = await post('/api/schedules', {
    name,
    every: '2s',
    task: { name: `${name} run`, type: 'noop', executionMode: 'LOCAL' },
  });
  expect(created.statusCode).toBe(201);
  expect(created.json()).toEqual(expect.objectContaining({ id: name, paused: false, nextRuns: expect.any(Array) }));

  // It fires: its runs are ordinary tasks, COMPLETED, listed on the schedule.
  const fired = await eventually(async () => {
    const v = (await get(`/api/schedules/${name}`)).json() as ScheduleView;
    return v.recentTasks.some((t) => t.status === 'COMPLETED') ? v : undefined;
  }, 30_000);
  const first = fired.recentTasks.find((t) => t.status === 'COMPLETED');
  const task = (await get(`/api/tasks/${first?.id}`)).json();
  expect(task).toEqual(expect.objectContaining({ status: 'COMPLETED', type: 'noop', scheduleId: name }));

  // Paused, it starts nothing. Temporal's count of the runs it started is the truth; visibility catches up with it.
  const paused = await post(`/api/schedules/${name}/pause`, { note: 'maintenance' });
  expect(paused.json()).toEqual(expect.objectContaining({ paused: true }));
  const taken = async () => (await harness.client.schedule.getHandle(name).describe()).info.numActionsTaken;
  const listedAll = async (n: number) => eventually(async () => ((await countTasks(name)) === n ? n : undefined));
  const whilePaused = await taken();
  await listedAll(whilePaused);
  // Past the next two due times (every 2 s), still nothing new.
  const dueBy = Date.now() + 5_000;
  await eventually(async () => (Date.now() > dueBy ? true : undefined), 10_000);
  expect(await taken()).toBe(whilePaused);
  expect(await countTasks(name)).toBe(whilePaused);

  // A backfill of a past ten seconds runs what would have run then: five runs of every 2 s (six on a boundary).
  const end = new Date(Date.now() - 60_000);
  const start = new Date(end.getTime() - 10_000);
  const backfill = await post(`/api/schedules/${name}/backfill`, {
    start: start.toISOString(),
    end: end.toISOString(),
  });
  expect(backfill.statusCode).toBe(200);
  const afterBackfill = await eventually(async () => {
    const n = await taken();
    return n >= whilePaused + 5 ? n : undefined;
  }, 30_000);
  expect(afterBackfill - whilePaused).toBeLessThanOrEqual(6);
  await listedAll(afterBackfill);

  // Trigger runs one now, paused or not.
  expect((await post(`/api/schedules/${name}/trigger`)).statusCode).toBe(200);
  await eventually(async () => ((await taken()) === afterBackfill + 1 ? true : undefined), 30_000);
  await listedAll(afterBackfill + 1);

  // Unpaused, it runs on its own again.
  const unpaused = await post(`/api/schedules/${name}/unpause`, { note: 'back' });
  expect(unpaused.json()).toEqual(expect.objectContaining({ paused: false }));
  const resumed = await eventually(async () => {
    const n = await taken();
    return n > afterBackfill + 1 ? n : undefined;
  }, 30_000);
  await eventually(async () => ((await countTasks(name)) >= resumed ? true : undefined));

  // Temporal's own CLI sees it.
  const cli = spawnSync(stack.temporalCli, ['schedule', 'list', '--address', stack.temporalAddress, '-o', 'json'], {
    encoding: 'utf8',
  });
  expect(cli.status).toBe(0);
  expect(cli.stdout).toContain(name);

  // The list shows each schedule's newest runs with their statuses (the list is eventually consistent: it waits for
  // a completed one to show).
  type Listed = ScheduleView & { id: string };
  const inList = await eventually(async () => {
    const listed = (await get('/api/schedules')).json() as { schedules: Listed[] };
    const mine = listed.schedules.find((s) => s.id === name);
    return mine?.recentTasks.some((t) => t.status === 'COMPLETED') ? mine : undefined;
  }, 30_000);
  expect(inList.recentTasks.length).toBeLessThanOrEqual(5);
  const due = inList.recentTasks.map((t) => (t as { scheduledAt?: string }).scheduledAt ?? '');
  expect(due).toEqual([...due].sort().reverse());
  for (const t of inList.recentTasks) {
    expect(TASK_STATUSES).toContain(t.status);
    const read = (await get(`/api/tasks/${t.id}`)).json();
    expect(read).toEqual(expect.objectContaining({ id: t.id, scheduleId: name }));
  }
  expect((await app.inject({ method: 'DELETE', url: `/api/schedules/${name}` })).json()).toEqual({
    id: name,
    deleted: true,
  });
  const gone = await get(`/api/schedules/${name}`);
  expect(gone.statusCode).toBe(404);
  expect(gone.json()).toEqual(expect.objectContaining({ code: 'SPILLWAY_SCHEDULE_NOT_FOUND' }));
});

test('a cron schedule in a time zone shows its next runs', async () => {
  const name = uniqueId('cron');
  const res = await post('/api/schedules', {
    name,
    cron: '0 2 * * *',
    timezone: 'Europe/Paris',
    paused: true,
    task: { name: 'nightly report', type: 'report-generation', executionMode: 'AUTO' },
  });
  expect(res.statusCode).toBe(201);
  const next = res.json().nextRuns.map((t: string) => new Date(t));
  expect(next.length).toBeGreaterThan(0);
  // 02:00 in Paris is 00:00 or 01:00 UTC, depending on summer time.
  for (const t of next) expect([0, 1]).toContain(t.getUTCHours());
  expect(
    (
      await post('/api/schedules', {
        name,
        cron: '0 2 * * *',
        task: { name: 'x', type: 'noop', executionMode: 'LOCAL' },
      })
    ).statusCode,
  ).toBe(409);
  await app.inject({ method: 'DELETE', url: `/api/schedules/${name}` });
});

test('overlap and jitter reach the Temporal Schedule', async () => {
  const name = uniqueId('policy');
  const res = await post('/api/schedules', {
    name,
    every: '1h',
    overlap: 'buffer-one',
    jitterSeconds: 30,
    paused: true,
    task: { name: 'x', type: 'noop', executionMode: 'LOCAL' },
  });
  expect(res.statusCode).toBe(201);
  const described = await harness.client.schedule.getHandle(name).describe();
  expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.BUFFER_ONE);
  expect(described.spec.jitter).toBe(30_000);
  await app.inject({ method: 'DELETE', url: `/api/schedules/${name}` });
});

test.each([
  ['both cron and every', { cron: '* * * * *', every: '1m' }, 'SPILLWAY_INVALID_SCHEDULE'],
  ['neither cron nor every', {}, 'SPILLWAY_INVALID_SCHEDULE'],
  ['a debounced task', { every: '1m', debounce: true }, 'SPILLWAY_INVALID_SCHEDULE'],
  ['an unknown task type', { every: '1m', type: 'no-such-type' }, 'SPILLWAY_UNKNOWN_TASK_TYPE'],
])('%s is 400 %s', async (_label, extra, code) => {
  const { debounce, type, ...spec } = extra as Record<string, unknown>;
  const res = await post('/api/schedules', {
    name: uniqueId('bad-sched'),
    ...spec,
    task: {
      name: 'x',
      type: type ?? 'noop',
      executionMode: 'LOCAL',
      ...(debounce ? { debounce: { key: 'k', periodSeconds: 5 } } : {}),
    },
  });
  expect(res.statusCode).toBe(400);
  expect(res.json()).toEqual(expect.objectContaining({ code }));
});
