// Priority and fair shares, Temporal's own: two worker processes share the local pool; a backlog is built behind
// tasks held at a gate, so the order in which the backlog runs is the matcher's, not the submission's timing.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { eventually, startHarness, uniqueId, type TestHarness } from '../support/test-stack';
import { startWorkerProcess, workerEnv, type WorkerProcess } from '../support/worker-processes';

jest.setTimeout(480_000);

let harness: TestHarness;
let app: FastifyInstance;
let gate: HoldGate;
const workers: WorkerProcess[] = [];
/** One local slot per worker process, so a small backlog is a real one. */
const SLOTS = 2;

beforeAll(async () => {
  harness = await startHarness({ workers: false, env: { SCHEDULER_LOCAL_WORKER_POOL_SIZE: '1' } });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  for (let i = 0; i < SLOTS; i++) workers.push(await startWorkerProcess(workerEnv(harness.config)));
}, 180_000);

beforeEach(async () => {
  gate = await startHoldGate();
});

afterEach(async () => gate?.close());

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await app?.close();
  await harness?.close();
});

interface View {
  id: string;
  status: string;
  finishedAt?: string;
  options?: Record<string, unknown>;
}

async function bulk(tasks: Array<Record<string, unknown>>): Promise<string[]> {
  const res = await app.inject({ method: 'POST', url: '/api/tasks/bulk', payload: { tasks } });
  expect(res.statusCode).toBe(207);
  const body = res.json();
  expect(body.rejected).toBe(0);
  return body.results.map((r: { task: { id: string } }) => r.task.id);
}

const view = async (id: string) => (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json() as View;

/** Fills every local slot with a task held at the gate, then waits until the backlog is placed behind them. */
async function backlogBehindGate(name: string, batches: Array<Array<Record<string, unknown>>>) {
  const backlog = batches.flat();
  const blockers = await bulk(
    Array.from({ length: SLOTS }, (_, i) => ({
      name: `${name}-blocker`,
      type: 'flaky',
      executionMode: 'LOCAL',
      payload: { holdUntil: gate.holder(i), holdMaxMs: 300_000 },
    })),
  );
  await eventually(async () => (gate.holders() === SLOTS ? true : undefined), 60_000);
  const ids: string[] = [];
  for (const batch of batches) ids.push(...(await bulk(batch)));
  // Every backlog task has scheduled its attempt: it is RUNNING (placed) in Temporal.
  await eventually(async () => {
    const placed = (await harness.client.workflow.count(`TaskName = '${name}' AND TaskStatus = 'RUNNING'`)).count;
    return placed === backlog.length ? true : undefined;
  }, 60_000);
  return { blockers, ids };
}

/** The backlog's ids in the order they finished, once visibility lists them all as completed. */
async function finishOrder(name: string, ids: string[]): Promise<string[]> {
  await eventually(
    async () =>
      (await harness.client.workflow.count(`TaskName = '${name}' AND ExecutionStatus = 'Completed'`)).count ===
      ids.length
        ? true
        : undefined,
    300_000,
    1_000,
  );
  const views = await Promise.all(ids.map(view));
  expect(views.map((v) => v.status)).toEqual(views.map(() => 'COMPLETED'));
  return [...views].sort((a, b) => Date.parse(a.finishedAt ?? '') - Date.parse(b.finishedAt ?? '')).map((v) => v.id);
}

test('two tenants of 100 tasks each, one submitted first, finish interleaved across two workers', async () => {
  const name = uniqueId('fair');
  const PER_TENANT = 100;
  const task = (tenant: string) => ({
    name,
    type: 'flaky',
    executionMode: 'LOCAL',
    payload: {},
    fairness: { key: tenant },
  });
  // Tenant a's whole backlog is submitted before tenant b's first task.
  const { ids } = await backlogBehindGate(name, [
    Array.from({ length: PER_TENANT }, () => task('tenant-a')),
    Array.from({ length: PER_TENANT }, () => task('tenant-b')),
  ]);
  const tenantB = new Set(ids.slice(PER_TENANT));
  gate.release();
  const order = await finishOrder(name, ids);
  // First come, first served would finish every tenant-a task first; fair shares interleave the two.
  const bInFirstHalf = order.slice(0, PER_TENANT).filter((id) => tenantB.has(id)).length;
  expect(bInFirstHalf).toBeGreaterThanOrEqual(PER_TENANT / 4);
  const view0 = await view(ids[PER_TENANT] as string);
  expect(view0).toEqual(
    expect.objectContaining({ tenant: 'tenant-b', options: { fairness: { key: 'tenant-b', weight: 1 } } }),
  );
});

test('priority 1 tasks submitted after a backlog of priority 5 run first', async () => {
  const name = uniqueId('prio');
  const task = (priority: number) => ({ name, type: 'flaky', executionMode: 'LOCAL', payload: {}, priority });
  const { ids } = await backlogBehindGate(name, [
    Array.from({ length: 20 }, () => task(5)),
    Array.from({ length: 5 }, () => task(1)),
  ]);
  const urgent = new Set(ids.slice(20));
  gate.release();
  const order = await finishOrder(name, ids);
  const ranks = order.map((id, rank) => ({ urgent: urgent.has(id), rank: rank + 1 }));
  const urgentRanks = ranks.filter((r) => r.urgent).map((r) => r.rank);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // In submission order they would be 21st to 25th.
  expect(Math.max(...urgentRanks)).toBeLessThanOrEqual(15);
  expect(mean(urgentRanks)).toBeLessThan(mean(ranks.filter((r) => !r.urgent).map((r) => r.rank)));
  expect(await view(ids[24] as string)).toEqual(expect.objectContaining({ priority: 1 }));
});
