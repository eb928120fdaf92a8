// Redis stopped mid-burst: Redis is only the live projection, so the API keeps accepting tasks, health reports
// Redis DOWN (503), statistics fall back to Temporal visibility and every task still ends as its policy says. After
// Redis returns on the same port (with its stale pre-outage data), POST /api/admin/reconcile makes the statistics
// equal Temporal's counts again.
import { acceptedIds, checkTasks, FaultStack, FAULTS_N, summarize, waitUntil } from './harness';

const stack = new FaultStack({ label: 'redis-outage', poolSize: 4 });
const RETRY = { maximumAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };
/** Every fifth task fails permanently (non-retryable): FAILED after one attempt is what its policy says. */
const isPermanent = (i: number) => i % 5 === 4;

beforeAll(async () => {
  await stack.start();
});

afterAll(async () => {
  await stack.shutdown();
});

async function temporalTotals() {
  const base = "WorkflowType='runTask'";
  return {
    created: await stack.count(base),
    queued: await stack.count(`${base} AND TaskStatus='QUEUED' AND ExecutionStatus='Running'`),
    running: await stack.count(`${base} AND TaskStatus='RUNNING' AND ExecutionStatus='Running'`),
    completed: await stack.count(`${base} AND ExecutionStatus='Completed'`),
    failed: await stack.count(`${base} AND ExecutionStatus='Failed'`),
    cancelled: await stack.count(`${base} AND ExecutionStatus='Canceled'`),
    expired: await stack.count(`${base} AND TaskStatus='EXPIRED'`),
  };
}

test('Redis stopped mid-burst: tasks are accepted and complete; reconcile restores the statistics', async () => {
  const body = (i: number) => ({
    name: `redis-outage ${i}`,
    type: 'flaky',
    executionMode: 'LOCAL' as const,
    payload: isPermanent(i) ? { sleepMs: 500, permanent: true } : { sleepMs: 1_000, failAttempts: i % 3 === 0 ? 1 : 0 },
    retry: RETRY,
  });
  // The fault comes at a point the test controls: half the burst before Redis stops, half after the API says so.
  const half = Math.floor(FAULTS_N / 2);
  const before = await stack.burst(half, body).done;
  expect(before.map((s) => s.status)).toEqual(before.map(() => 201));

  await stack.stopProcess('redis');
  const health = await waitUntil('the API reports Redis DOWN', async () => {
    const answer = await stack.http('GET', '/actuator/health');
    return (answer.body.components as { redis?: { status: string } } | undefined)?.redis?.status === 'DOWN'
      ? answer
      : undefined;
  });
  expect(health.status).toBe(503);
  expect(health.body).toEqual({
    status: 'DOWN',
    components: {
      temporal: expect.objectContaining({ status: 'UP' }),
      redis: expect.objectContaining({ status: 'DOWN' }),
    },
  });
  const statsWhileDown = await stack.http('GET', '/api/tasks/stats');
  expect(statsWhileDown.status).toBe(200);
  expect(statsWhileDown.body.source).toBe('temporal-visibility');

  // Accepted also after Redis went away: the other half is submitted during the outage, every one of them.
  const after = await stack.burst(FAULTS_N - half, (i) => body(half + i)).done;
  expect(after.length).toBeGreaterThan(0);
  expect(after.map((s) => s.status)).toEqual(after.map(() => 201));
  expect(stack.isRunning('redis')).toBe(false);
  const submissions = [...before, ...after.map((s) => ({ ...s, index: half + s.index }))];
  const ids = acceptedIds(submissions);
  expect(ids).toHaveLength(FAULTS_N);

  // Every task ends while Redis is still down.
  const views = await stack.waitAllFinal(ids, 180_000);
  expect(stack.isRunning('redis')).toBe(false);
  const report = await checkTasks(stack, views, RETRY.maximumAttempts, ['COMPLETED', 'FAILED']);
  for (const r of report) {
    const index = submissions.find((s) => s.id === r.id)?.index ?? -1;
    if (isPermanent(index)) {
      expect({ status: r.view.status, attempts: r.history.lastAttempt, error: r.view.error?.type }).toEqual({
        status: 'FAILED',
        attempts: 1,
        error: 'PermanentTaskError',
      });
    } else {
      expect({ id: r.id, status: r.view.status }).toEqual({ id: r.id, status: 'COMPLETED' });
    }
  }

  // Redis returns on the same port with the data it had; the projection is stale until reconciled.
  await stack.startProcess('redis');
  await waitUntil(
    'the API reports Redis UP again',
    async () => ((await stack.http('GET', '/actuator/health')).status === 200 ? true : undefined),
    30_000,
  );
  const expected = await temporalTotals();
  expect(expected).toEqual({
    created: FAULTS_N,
    queued: 0,
    running: 0,
    completed: report.filter((r) => r.view.status === 'COMPLETED').length,
    failed: report.filter((r) => r.view.status === 'FAILED').length,
    cancelled: 0,
    expired: 0,
  });
  const stale = await stack.http('GET', '/api/tasks/stats');
  expect(stale.body.source).toBe('redis');
  // Transitions during the outage were lost: the projection undercounts before the reconcile.
  expect((stale.body.totals as { completed: number }).completed).toBeLessThan(expected.completed);

  const reconciled = await stack.http('POST', '/api/admin/reconcile');
  expect(reconciled.status).toBe(200);
  expect(reconciled.body.tasks).toBe(FAULTS_N);
  const stats = await stack.http('GET', '/api/tasks/stats');
  expect(stats.status).toBe(200);
  expect(stats.body.source).toBe('redis');
  expect(stats.body.totals).toEqual(expected);
  console.log(
    `${summarize('redis-outage', report, `stale completed before reconcile ${(stale.body.totals as { completed: number }).completed}/${expected.completed}`)}\n${stack.timeline()}`,
  );
});
