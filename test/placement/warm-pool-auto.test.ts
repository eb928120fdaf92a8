// Warming that proves it pays, end to end on the real stack: in SCHEDULER_WARM_POOL_MODE=auto the warm pool sizes a
// function from the concurrency its real tasks reached and warms only where a saved cold start is worth a warm-up;
// the ledger then shows both sides (what warming cost, the cold starts it saved real tasks) in GET /api/tasks/stats
// and /metrics.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { createPlacementLeases } from '../../live/placement-leases';
import { startHoldGate } from '../support/hold-gate';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

jest.setTimeout(180_000);

const stack = readStack();
let harness: TestHarness;
let app: FastifyInstance;

beforeAll(async () => {
  harness = await startHarness({ env: { SCHEDULER_WARM_POOL_MODE: 'auto' } });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  // Lambda callbacks come back to the API's own port.
  await app.listen({ host: '127.0.0.1', port: stack.apiPort });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

interface Ledger {
  functionName: string;
  runs: number;
  warmups: number;
  warmingUsd: number;
  lambdaAttempts: number;
  warmHits: number;
  savedColdStarts: number;
  savedMs: number;
  savedValueUsd: number;
  last?: { size: number; mode: string; reason: string };
}

const ledger = async (name: string): Promise<Ledger | undefined> => {
  const stats = (await app.inject({ method: 'GET', url: '/api/tasks/stats' })).json<{
    warming: { functions: Ledger[] };
  }>();
  return stats.warming.functions.find((f) => f.functionName === name);
};

async function lambdaBurst(count: number, payload: Record<string, unknown>): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/tasks/bulk',
    payload: {
      tasks: Array.from({ length: count }, () => ({
        name: uniqueId('warming'),
        type: 'flaky',
        executionMode: 'LAMBDA',
        payload,
      })),
    },
  });
  expect(res.statusCode).toBe(207);
  const ids = (res.json().results as Array<{ task: { id: string } }>).map((r) => r.task.id);
  await Promise.all(ids.map((id) => harness.client.workflow.getHandle(id).result()));
}

test('auto mode warms what real tasks needed at once, and the ledger shows what it cost and what it saved', async () => {
  // Three Lambda tasks in flight together (held at a gate until all run): the concurrency the next interval expects.
  const gate = await startHoldGate();
  try {
    const burst = lambdaBurst(3, { holdUntil: gate.url });
    const leases = createPlacementLeases(harness.redis, harness.config.redis.prefix);
    await eventually(async () => ((await leases.lambdaInFlight('flaky')) === 3 ? true : undefined), 60_000);
    gate.release();
    await burst;
  } finally {
    await gate.close();
  }
  await eventually(async () => ((await ledger('flaky'))?.lambdaAttempts === 3 ? true : undefined));

  const pool = await app.inject({ method: 'POST', url: '/api/tasks/warm-pool' });
  expect(pool.statusCode).toBe(200);
  const warmed = pool.json<{
    functions: Array<{ name: string; requested: number; warmed: number; reason?: string }>;
  }>();
  expect(warmed.functions.find((f) => f.name === 'flaky')).toMatchObject({
    requested: 3,
    warmed: 3,
    reason: expect.stringMatching(/^3 expected concurrent, a saved \d+ ms cold start is worth \$/),
  });
  // Functions no task ran on Lambda are not warmed at all in auto mode.
  expect(warmed.functions.map((f) => f.name)).toEqual(['flaky']);

  const before = await ledger('flaky');
  expect(before).toMatchObject({ runs: 1, warmups: 3, last: { size: 3, mode: 'auto' } });
  expect(before?.warmingUsd).toBeGreaterThan(0);

  // Three more tasks while the warmed environments live: each finds one warm, a cold start the warm pool saved.
  await lambdaBurst(3, { sleepMs: 10 });
  const after = await eventually(async () => {
    const l = await ledger('flaky');
    return l && l.lambdaAttempts === 6 ? l : undefined;
  });
  expect(after.warmHits - (before?.warmHits ?? 0)).toBe(3);
  expect(after.savedColdStarts).toBe(3);
  expect(after.savedMs).toBeGreaterThan(0);
  expect(after.savedValueUsd).toBeGreaterThan(0);

  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(metrics).toMatch(/^spillway_warming\{function="flaky",kind="saved_cold_starts"\} 3$/m);
  expect(metrics).toMatch(/^spillway_warming\{function="flaky",kind="warm_hit_ratio"\} [0-9.]+$/m);
});
