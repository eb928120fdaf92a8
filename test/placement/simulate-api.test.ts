// POST /api/placement/simulate on the real stack: what `spillway simulate` prints, as JSON for the dashboard. Tasks
// recorded in visibility are replayed through each policy beside what happened; bad requests get a coded 400; and
// the simulator's makespan for a recorded burst comes within 15 % of the same burst run again.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { TASK_WORKFLOW_TYPE } from '../../domain/constants';
import {
  EXECUTION_MODE_KEY,
  REQUESTED_MODE_KEY,
  TASK_COST_KEY,
  TASK_DURATION_KEY,
  TASK_NAME_KEY,
  TASK_TYPE_KEY,
} from '../../domain/search-attributes';
import { eventually, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

jest.setTimeout(180_000);

const POOL = 2;
let harness: TestHarness;
let app: FastifyInstance;

beforeAll(async () => {
  harness = await startHarness({ env: { SCHEDULER_LOCAL_WORKER_POOL_SIZE: String(POOL) } });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

const simulate = (payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/api/placement/simulate', payload });

/** A policy's figures: those that depend on when the tasks arrived are numbers; the counts are exact when known. */
const summary = (policy: string, tasks: number, placed?: { LOCAL: number; LAMBDA: number }) => ({
  policy,
  tasks,
  makespanMs: expect.any(Number),
  latencyMs: { p50: expect.any(Number), p95: expect.any(Number), mean: expect.any(Number) },
  costUsd: expect.any(Number),
  placed: placed ?? { LOCAL: expect.any(Number), LAMBDA: expect.any(Number) },
  share: placed
    ? { LOCAL: placed.LOCAL / tasks, LAMBDA: placed.LAMBDA / tasks }
    : { LOCAL: expect.any(Number), LAMBDA: expect.any(Number) },
  coldStarts: expect.any(Number),
});

describe('recorded tasks', () => {
  const name = uniqueId('sim-recorded');

  beforeAll(async () => {
    // Three finished tasks as visibility records them; nobody polls this queue, so they are closed by terminating.
    const queue = uniqueId('sim-nobody');
    const tasks = [
      { placement: 'LOCAL', durationMs: 400, cost: 0.000005 },
      { placement: 'LOCAL', durationMs: 600, cost: 0.000007 },
      { placement: 'LAMBDA', durationMs: 500, cost: 0.00001 },
    ];
    for (const [i, t] of tasks.entries()) {
      const handle = await harness.client.workflow.start(TASK_WORKFLOW_TYPE, {
        taskQueue: queue,
        workflowId: `${name}-${i}`,
        args: [],
        typedSearchAttributes: [
          { key: TASK_TYPE_KEY, value: 'recorded' },
          { key: TASK_NAME_KEY, value: name },
          { key: EXECUTION_MODE_KEY, value: t.placement },
          { key: REQUESTED_MODE_KEY, value: 'AUTO' },
          { key: TASK_DURATION_KEY, value: t.durationMs },
          { key: TASK_COST_KEY, value: t.cost },
        ],
      });
      await handle.terminate('recorded for the simulator test');
    }
    await eventually(async () => {
      const res = await simulate({ since: '1h', name, policies: ['local'] });
      return res.json<{ tasks: number }>().tasks === 3 ? true : undefined;
    });
  });

  test('every policy is replayed beside what happened, with the settings it ran on', async () => {
    const res = await simulate({ since: '1h', name, calibrate: false });
    expect(res.statusCode).toBe(200);
    const { config } = harness;
    expect(res.json()).toEqual({
      since: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      tasks: 3,
      exact: false,
      settings: {
        localPoolSize: POOL,
        localOverheadMs: 0,
        calibrated: false,
        lambda: {
          concurrency: config.placement.lambdaTargets[0]?.concurrency ?? 1000,
          initMs: config.placement.defaultInitMs,
          overheadMs: config.placement.invokeOverheadMs,
          idleLifetimeMs: 300_000,
        },
      },
      actual: { ...summary('what happened', 3, { LOCAL: 2, LAMBDA: 1 }), costUsd: 0.000022, coldStarts: 0 },
      results: [
        summary('all LOCAL', 3, { LOCAL: 3, LAMBDA: 0 }),
        summary('all LAMBDA', 3, { LOCAL: 0, LAMBDA: 3 }),
        summary(`threshold ${config.scheduler.lambdaTaskThreshold}`, 3),
        summary(`predictive ${config.placement.objective}`, 3),
      ],
    });
  });

  test('the policies asked for, with their threshold and objective, in the canonical order', async () => {
    const res = await simulate({
      since: '1h',
      name,
      policies: ['predictive', 'threshold'],
      threshold: 0,
      objective: 'latency',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ results: Array<{ policy: string; placed: { LAMBDA: number } }> }>();
    expect(body.results.map((r) => r.policy)).toEqual(['threshold 0', 'predictive latency']);
    // At a threshold of 0 every task spills.
    expect(body.results[0]?.placed.LAMBDA).toBe(3);
  });

  test('a period with no task answers with nothing to replay', async () => {
    const res = await simulate({ since: '1h', name: uniqueId('nobody-submitted-this') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      since: expect.any(String),
      tasks: 0,
      exact: false,
      settings: expect.objectContaining({ localPoolSize: POOL, calibrated: false }),
      actual: null,
      results: [],
    });
  });
});

describe('bad requests', () => {
  it.each([
    ['a period that is no duration', { since: 'yesterday' }, 'SPILLWAY_VALIDATION_FAILED', /since/],
    ['an unknown policy', { policies: ['random'] }, 'SPILLWAY_VALIDATION_FAILED', /policies/],
    ['a policy twice', { policies: ['local', 'local'] }, 'SPILLWAY_VALIDATION_FAILED', /policies/],
    ['a negative threshold', { threshold: -1 }, 'SPILLWAY_VALIDATION_FAILED', /threshold/],
    ['an unknown objective', { objective: 'speed' }, 'SPILLWAY_VALIDATION_FAILED', /objective/],
    ['a name that could break the query', { name: "x' OR 1=1" }, 'SPILLWAY_VALIDATION_FAILED', /name/],
    ['an unknown field', { everything: true }, 'SPILLWAY_VALIDATION_FAILED', /additional properties/],
    ['more than visibility keeps', { since: '9999d' }, 'SPILLWAY_INVALID_SIMULATION', /at most 400 days/],
  ])('%s is a 400', async (_name, body, code, message) => {
    const res = await simulate(body);
    expect({ status: res.statusCode, body: res.json() }).toEqual({
      status: 400,
      body: { statusCode: 400, code, error: 'Bad Request', message: expect.stringMatching(message) },
    });
  });
});

test("the simulator's makespan for a recorded burst is within 15 % of the burst run again", async () => {
  // Three rounds of the pool: long enough runs that the replay's model (slots, a FIFO queue, the fitted overhead per
  // task) is what decides the makespan.
  const burst = async (name: string, count = POOL * 3, sleepMs = 2000) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/tasks/bulk',
      payload: {
        tasks: Array.from({ length: count }, () => ({
          name,
          type: 'flaky',
          executionMode: 'LOCAL',
          payload: { sleepMs },
        })),
      },
    });
    expect(res.statusCode).toBe(207);
    const ids = (res.json().results as Array<{ task: { id: string } }>).map((r) => r.task.id);
    await Promise.all(ids.map((id) => harness.client.workflow.getHandle(id).result()));
    // Visibility is eventually consistent: wait until it lists every closed task of the burst.
    return eventually(async () => {
      const answer = (await simulate({ since: '1h', name, policies: ['local'], exact: true })).json<{
        tasks: number;
        actual: { makespanMs: number };
        results: Array<{ makespanMs: number }>;
        settings: { localOverheadMs: number };
      }>();
      return answer.tasks === ids.length ? answer : undefined;
    });
  };
  // The pool's execution environments come up first, so neither burst pays their cold starts.
  await burst(uniqueId('sim-warm-up'), POOL, 10);
  const recorded = await burst(uniqueId('sim-burst'));
  const rerun = await burst(uniqueId('sim-rerun'));
  const simulated = recorded.results[0]?.makespanMs ?? 0;
  expect(recorded.settings.localOverheadMs).toBeGreaterThanOrEqual(0);
  expect(Math.abs(simulated - rerun.actual.makespanMs) / rerun.actual.makespanMs).toBeLessThanOrEqual(0.15);
});
