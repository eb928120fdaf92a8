// Predictive AUTO (SCHEDULER_AUTO_POLICY=predictive), end to end on the real stack: the decision and its explanation
// as GET /api/tasks/:id serves them, the figures finished tasks teach it, and the two ends of the trade-off: an idle
// pool keeps a task local, a long local queue sends it to Lambda.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { createPlacementStats, statsVersionKey } from '../../live/placement-stats';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

jest.setTimeout(120_000);

const stack = readStack();
const POOL = 2;
let harness: TestHarness;
let app: FastifyInstance;
let target: string;

beforeAll(async () => {
  harness = await startHarness({
    env: { SCHEDULER_AUTO_POLICY: 'predictive', SCHEDULER_LOCAL_WORKER_POOL_SIZE: String(POOL) },
  });
  target = harness.config.placement.lambdaTargets[0]?.name ?? 'missing';
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  // Lambda callbacks come back to the API's own port.
  await app.listen({ host: '127.0.0.1', port: stack.apiPort });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

interface TaskView {
  id: string;
  status: string;
  placement: {
    placement: string;
    reason: string;
    inputs: { learned: { samples: { local: number; lambda: number } } };
    policy?: string;
    runnerUp?: string;
    margin?: { completionMs: number; costUsd: number; score: number };
    estimates?: Array<{ target: string; placement: string; completionMs: number; costUsd: number }>;
  };
  attempts: Array<{ functionVersion?: string; codeSha256?: string }>;
}

const get = async (id: string) => (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json() as TaskView;

async function submit(executionMode: string, payload: Record<string, unknown>): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/tasks',
    payload: { name: uniqueId('predictive'), type: 'flaky', executionMode, payload },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

async function finished(id: string): Promise<TaskView> {
  await harness.client.workflow.getHandle(id).result();
  return eventually(async () => {
    const t = await get(id);
    return t.status === 'COMPLETED' ? t : undefined;
  });
}

/**
 * The local Lambda service is shared by every test file: one that ran `flaky` there within its idle reclaim (60 s in
 * the test stack) leaves a warm environment, and a warm Lambda at a lower price rightly wins a balanced decision.
 * This waits until the service has reclaimed them, so the decision below meets the cold Lambda it is about.
 */
async function untilFlakyIsCold(): Promise<void> {
  await eventually(
    async () => {
      const status = (await (await fetch(`${stack.lambdaEndpoint}/_spillway/status`)).json()) as {
        functions: Array<{ name: string; environments: { total: number } }>;
      };
      return (status.functions.find((f) => f.name === 'flaky')?.environments.total ?? 0) === 0 ? true : undefined;
    },
    90_000,
    500,
  );
}

test('an idle pool keeps the task local, and the decision carries every estimate, the runner-up and the margin', async () => {
  await untilFlakyIsCold();
  const task = await finished(await submit('AUTO', { sleepMs: 1000 }));
  expect(task.placement).toEqual({
    placement: 'LOCAL',
    reason: expect.stringMatching(
      new RegExp(`^predictive AUTO: LOCAL .* \\(a free slot of ${POOL}\\) beats LAMBDA ${target} .*\\[balanced`),
    ),
    inputs: expect.objectContaining({ local: expect.objectContaining({ inFlight: 0, poolSize: POOL }) }),
    policy: 'predictive',
    objective: 'balanced',
    payloadViaS3: false,
    estimates: [
      expect.objectContaining({ target: 'LOCAL', placement: 'LOCAL', feasible: true }),
      expect.objectContaining({ target, placement: 'LAMBDA', feasible: true }),
    ],
    runnerUp: target,
    margin: { completionMs: expect.any(Number), costUsd: expect.any(Number), score: expect.any(Number) },
  });
  expect(task.placement.margin?.score).toBeGreaterThan(0);
});

test('finished attempts on both placements teach the figures the next decision reads', async () => {
  const ids = await Promise.all([
    submit('LOCAL', { sleepMs: 1000 }),
    submit('LAMBDA', { sleepMs: 1000 }),
    submit('LAMBDA', { sleepMs: 1000 }),
  ]);
  const tasks = await Promise.all(ids.map(finished));
  const attempt = tasks[0]?.attempts[0];
  const stats = createPlacementStats(
    harness.redis,
    harness.config.redis.prefix,
    harness.config.placement.statsHalfLifeMs,
    harness.config.placement.priorWeight,
  );
  const learned = await eventually(async () => {
    const figures = await stats.read({
      functionName: 'flaky',
      versionKey: statsVersionKey(attempt?.functionVersion, attempt?.codeSha256),
      expectedDurationMs: 50,
      defaultInitMs: harness.config.placement.defaultInitMs,
      poolSize: POOL,
      now: Date.now(),
    });
    return figures.samples.local >= 1.9 && figures.samples.lambda >= 1.9 ? figures : undefined;
  });
  // Two local runs (the first test's and this one's) and two Lambda runs of a second each, against a 50 ms prior.
  expect(learned.localDurationMs).toBeGreaterThan(300);
  expect(learned.lambdaDurationMs).toBeGreaterThan(300);
  expect(learned.localThroughputPerSec).toBeGreaterThan(0);

  const next = await finished(await submit('AUTO', { sleepMs: 1000 }));
  expect(next.placement.inputs.learned.samples.local).toBeGreaterThanOrEqual(1.9);
  expect(next.placement.inputs.learned.samples.lambda).toBeGreaterThanOrEqual(1.9);
  expect(next.placement.reason).not.toMatch(/durations from the manifest/);
});

describe('a local queue long enough that Lambda finishes sooner', () => {
  let gate: HoldGate;
  afterAll(async () => gate?.close());

  test('spills the tasks queued behind the pool to Lambda, each saying what the queue would have cost', async () => {
    // Every attempt holds at the gate until all are placed, so no slot frees up while the burst is being placed.
    gate = await startHoldGate();
    const name = uniqueId('predictive-queue');
    const res = await app.inject({
      method: 'POST',
      url: '/api/tasks/bulk',
      payload: {
        tasks: Array.from({ length: 8 }, () => ({
          name,
          type: 'flaky',
          executionMode: 'AUTO',
          payload: { holdUntil: gate.url, sleepMs: 1000 },
        })),
      },
    });
    expect(res.statusCode).toBe(207);
    const ids = (res.json().results as Array<{ task: { id: string } }>).map((r) => r.task.id);
    await eventually(async () => {
      const placed = await harness.client.workflow.count(
        `TaskName = '${name}' AND ExecutionMode IN ('LOCAL', 'LAMBDA')`,
      );
      return placed.count === 8 ? true : undefined;
    }, 60_000);
    gate.release();
    const tasks = await Promise.all(ids.map(finished));
    const lambda = tasks.filter((t) => t.placement.placement === 'LAMBDA');
    // Those seeing 2 or more ahead of them (a second each on a pool of 2) are sure to spill.
    expect(lambda.length).toBeGreaterThanOrEqual(4);
    for (const t of lambda) {
      expect(t.placement).toMatchObject({ policy: 'predictive', runnerUp: 'LOCAL', target: { name: target } });
      expect(t.placement.reason).toMatch(
        new RegExp(`^predictive AUTO: LAMBDA ${target} .* beats LOCAL .*queued ahead`),
      );
      expect(t.placement.margin?.completionMs).toBeGreaterThan(0);
    }
    for (const t of tasks.filter((x) => x.placement.placement === 'LOCAL')) {
      expect(t.placement.runnerUp).toBe(target);
    }
  });
});
