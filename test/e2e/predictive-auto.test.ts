// Predictive AUTO (SCHEDULER_AUTO_POLICY=predictive), end to end on the real stack: the decision and its explanation
// as GET /api/tasks/:id serves them, the figures finished tasks teach it, and the two ends of the trade-off: an idle
// pool keeps a task local, a long local queue sends it to Lambda. The figures each decision weighs are set by the
// test where the outcome depends on them (run times, Lambda's delay), so no other test file, warm environment or
// load on the machine can tip it.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { createPlacementStats, statsVersionKey, type PlacementStats } from '../../live/placement-stats';
import { createTargetLatencyStore } from '../../live/target-latency';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

jest.setTimeout(120_000);

const stack = readStack();
const POOL = 2;
let harness: TestHarness;
let app: FastifyInstance;
let target: string;
let stats: PlacementStats;
/** statsVersionKey of the deployed `flaky`, under which its figures are learned. */
let flakyVersion: string;

beforeAll(async () => {
  harness = await startHarness({
    env: { SCHEDULER_AUTO_POLICY: 'predictive', SCHEDULER_LOCAL_WORKER_POOL_SIZE: String(POOL) },
  });
  target = harness.config.placement.lambdaTargets[0]?.name ?? 'missing';
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  // Lambda callbacks come back to the API's own port.
  await app.listen({ host: '127.0.0.1', port: stack.apiPort });
  stats = createPlacementStats(
    harness.redis,
    harness.config.redis.prefix,
    harness.config.placement.statsHalfLifeMs,
    harness.config.placement.priorWeight,
  );
  // One local run says which version of flaky is deployed.
  const first = await finished(await submit('LOCAL', { sleepMs: 0 }));
  flakyVersion = statsVersionKey(first.attempts[0]?.functionVersion, first.attempts[0]?.codeSha256);
});

let seeded = 0;
/**
 * What placement would have learned from `count` earlier runs of flaky on each placement, so heavy that they outweigh
 * the few real runs of this file, and the callback delay of Lambda as the API would have measured it.
 */
async function learnedBefore(figures: { localMs: number; heldMs: number; lambdaMs: number; initMs: number }) {
  const now = Date.now();
  for (let i = 0; i < 100; i++) {
    const common = { functionName: 'flaky', versionKey: flakyVersion, finishedAt: now, attemptId: `seed-${++seeded}` };
    await stats.record({
      ...common,
      placement: 'LOCAL',
      durationMs: figures.localMs,
      heldMs: figures.heldMs,
      cpuTimeMs: 1,
    });
    await stats.record({
      ...common,
      attemptId: `seed-${++seeded}`,
      placement: 'LAMBDA',
      durationMs: figures.lambdaMs,
      coldStart: true,
      initDurationMs: figures.initMs,
    });
  }
  const latency = createTargetLatencyStore(harness.redis, harness.config.redis.prefix);
  for (let i = 0; i < 200; i++) await latency.recordCallbackDelay(target, 100);
}

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

test('an idle pool keeps the task local, and the decision carries every estimate, the runner-up and the margin', async () => {
  // A second's run either way, a slot held 50 ms longer, Lambda's callback 100 ms after the run: even a warm Lambda
  // finishes later and costs more than a free local slot.
  await learnedBefore({ localMs: 1000, heldMs: 1050, lambdaMs: 1000, initMs: 300 });
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
  const read = () =>
    stats.read({
      functionName: 'flaky',
      versionKey: flakyVersion,
      expectedDurationMs: 50,
      defaultInitMs: harness.config.placement.defaultInitMs,
      poolSize: POOL,
      now: Date.now(),
    });
  const before = await read();
  const ids = await Promise.all([
    submit('LOCAL', { sleepMs: 1000 }),
    submit('LAMBDA', { sleepMs: 1000 }),
    submit('LAMBDA', { sleepMs: 1000 }),
  ]);
  await Promise.all(ids.map(finished));
  // One more local sample and two more Lambda ones (decay over a test's few seconds is far below 0.1 sample).
  const learned = await eventually(async () => {
    const figures = await read();
    return figures.samples.local >= before.samples.local + 0.9 && figures.samples.lambda >= before.samples.lambda + 1.9
      ? figures
      : undefined;
  });
  expect(learned.localThroughputPerSec).toBeGreaterThan(0);
  expect(learned.localSlotMs).toBeGreaterThanOrEqual(learned.localDurationMs);

  const next = await finished(await submit('AUTO', { sleepMs: 1000 }));
  expect(next.placement.inputs.learned.samples.local).toBeGreaterThanOrEqual(learned.samples.local - 0.1);
  expect(next.placement.inputs.learned.samples.lambda).toBeGreaterThanOrEqual(learned.samples.lambda - 0.1);
  expect(next.placement.reason).not.toMatch(/durations from the manifest/);
});

describe('a local queue long enough that Lambda finishes sooner', () => {
  let gate: HoldGate;
  afterAll(async () => gate?.close());

  test('spills exactly the tasks queued behind the pool to Lambda, each saying what the queue would have cost', async () => {
    // Runs of 20 s as placement learned them: a task behind the pool of 2 would wait 20 s for a slot, far more than
    // any number of cold starts in turn; a task with a free slot beats Lambda's cold start and its callback.
    await learnedBefore({ localMs: 20_000, heldMs: 20_000, lambdaMs: 20_000, initMs: 300 });
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
          payload: { holdUntil: gate.url, sleepMs: 100 },
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
    // Decisions take turns, so each sees the ones before it: two fill the pool, the six behind it spill.
    const lambda = tasks.filter((t) => t.placement.placement === 'LAMBDA');
    const local = tasks.filter((t) => t.placement.placement === 'LOCAL');
    expect({ local: local.length, lambda: lambda.length }).toEqual({ local: POOL, lambda: 8 - POOL });
    for (const t of lambda) {
      expect(t.placement).toMatchObject({ policy: 'predictive', runnerUp: 'LOCAL', target: { name: target } });
      expect(t.placement.reason).toMatch(
        new RegExp(`^predictive AUTO: LAMBDA ${target} .* beats LOCAL .*queued ahead`),
      );
      expect(t.placement.margin?.completionMs).toBeGreaterThan(0);
    }
    for (const t of local) {
      expect(t.placement.runnerUp).toBe(target);
      expect(t.placement.reason).toMatch(new RegExp(`^predictive AUTO: LOCAL .* \\(a free slot of ${POOL}\\)`));
    }
  });
});

describe('placed at submission', () => {
  /** The events of a finished task's history, by type name, in order. */
  async function eventTypes(id: string): Promise<string[]> {
    const history = await harness.client.workflow.getHandle(id).fetchHistory();
    // The name of the event's attributes (its oneof), e.g. markerRecordedEventAttributes.
    return (history.events ?? []).map((e) => String((e as { attributes?: string }).attributes));
  }

  test('an AUTO task with nothing to wait for starts with its placement: visibility shows it from the start, and its history is that of a requested LOCAL task', async () => {
    await learnedBefore({ localMs: 1000, heldMs: 1050, lambdaMs: 1000, initMs: 300 });
    const auto = await submit('AUTO', { sleepMs: 0 });
    const task = await finished(auto);
    expect(task.placement).toMatchObject({ placement: 'LOCAL', policy: 'predictive', runnerUp: target });
    const local = await finished(await submit('LOCAL', { sleepMs: 0 }));
    expect(local.placement.placement).toBe('LOCAL');
    // No decision in the workflow (no local-activity marker) and no upsert saying where it went.
    const [autoEvents, localEvents] = await Promise.all([eventTypes(auto), eventTypes(local.id)]);
    // Where it went is in the search attributes it started with, before its workflow said anything.
    const history = await harness.client.workflow.getHandle(auto).fetchHistory();
    const fields = history.events?.[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields;
    const startedWith = (name: string) => JSON.parse(Buffer.from(fields?.[name]?.data ?? []).toString('utf8'));
    expect([startedWith('ExecutionMode'), startedWith('RequestedMode'), startedWith('TaskStatus')]).toEqual([
      'LOCAL',
      'AUTO',
      'RUNNING',
    ]);
    expect(autoEvents).not.toContain('markerRecordedEventAttributes');
    expect(autoEvents).toContain('activityTaskCompletedEventAttributes');
    expect(autoEvents).toEqual(localEvents);
  });

  test('an AUTO task that may wait (a concurrency slot) is still placed by its workflow, when it gets its slot', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/tasks',
      payload: {
        name: uniqueId('predictive-wait'),
        type: 'flaky',
        executionMode: 'AUTO',
        payload: { sleepMs: 0 },
        concurrency: { key: uniqueId('slot'), limit: 1 },
      },
    });
    expect(res.statusCode).toBe(201);
    const task = await finished(res.json().id as string);
    expect(task.placement).toMatchObject({ policy: 'predictive' });
    expect(await eventTypes(task.id)).toContain('markerRecordedEventAttributes');
  });
});
