// A stop and start of the Temporal dev server (same SQLite file, same port) mid-burst: while it is down the API
// refuses new tasks with 503 SPILLWAY_TEMPORAL_UNAVAILABLE and reports Temporal DOWN; after the restart every
// accepted task completes and none is lost, and a refused submission repeated with its idempotency key is accepted
// exactly once.
import { acceptedIds, checkTasks, FaultStack, FAULTS_N, summarize, waitUntil, type Submission } from './harness';

const stack = new FaultStack({ label: 'temporal-restart', poolSize: 4 });
const RETRY = { maximumAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };

beforeAll(async () => {
  await stack.start();
});

afterAll(async () => {
  await stack.shutdown();
});

test('Temporal stopped and started mid-burst: 503 while down, then every accepted task completes', async () => {
  const body = (i: number) => ({
    name: `temporal-restart ${i}`,
    type: 'flaky',
    executionMode: 'LOCAL' as const,
    payload: { sleepMs: 1_000 },
    retry: RETRY,
  });
  // The fault comes at a point the test controls: half the burst is accepted, then Temporal stops, then the other
  // half is submitted while it is down. Nothing depends on how fast the machine submits.
  const half = Math.floor(FAULTS_N / 2);
  const before = await stack.burst(half, body, 50).done;
  expect(before.map((s) => s.status)).toEqual(before.map(() => 201));
  await stack.stopProcess('temporal');
  const downAt = Date.now();

  // While Temporal is down: health says so at once, and every new task is refused with a stable code once the
  // submission's 5 s deadline for reaching Temporal has passed.
  const health = await waitUntil('the API reports Temporal DOWN', async () => {
    const answer = await stack.http('GET', '/actuator/health');
    return (answer.body.components as { temporal?: { status: string } } | undefined)?.temporal?.status === 'DOWN'
      ? answer
      : undefined;
  });
  expect(health.status).toBe(503);
  expect(health.body).toEqual(
    expect.objectContaining({
      status: 'DOWN',
      components: expect.objectContaining({ temporal: expect.objectContaining({ status: 'DOWN' }) }),
    }),
  );
  const during = (await stack.burst(FAULTS_N - half, (i) => body(half + i), 0, 8).done).map((s) => ({
    ...s,
    index: half + s.index,
  }));
  stack.note(`${during.length} submissions while down: ${JSON.stringify(during.map((s) => `${s.status} ${s.code}`))}`);
  expect(during.length).toBeGreaterThan(0);
  for (const s of during) {
    expect([s.index, s.status, s.code]).toEqual([s.index, 503, 'SPILLWAY_TEMPORAL_UNAVAILABLE']);
    expect(s.ms).toBeLessThan(30_000);
  }
  // Still down when they were answered: the 503s are the answer to the outage, not a race with the restart.
  expect(stack.isRunning('temporal')).toBe(false);

  await stack.startProcess('temporal');
  stack.note(`Temporal was down for ${Date.now() - downAt} ms`);
  await waitUntil('the API reports healthy again', async () =>
    (await stack.http('GET', '/actuator/health')).status === 200 ? true : undefined,
  );

  // Repeating every refused submission with its idempotency key: each is accepted once (201: it was never started;
  // 200 would mean the refused request had started a task after all).
  const repeated: Submission[] = [];
  for (const s of during) repeated.push(await stack.submit(s.body, s.index));
  expect(repeated.map((s) => s.status)).toEqual(repeated.map(() => 201));

  const ids = [...acceptedIds(before), ...acceptedIds(repeated)];
  expect(new Set(ids).size).toBe(FAULTS_N);
  const views = await stack.waitAllFinal(ids, 180_000);
  const report = await checkTasks(stack, views, RETRY.maximumAttempts);
  // None lost: Temporal holds exactly the accepted tasks, all closed.
  expect(await stack.count("WorkflowType='runTask'")).toBe(ids.length);
  expect(await stack.count("WorkflowType='runTask' AND ExecutionStatus='Completed'")).toBe(ids.length);
  console.log(`${summarize('temporal-restart', report, `${during.length} refused while down`)}\n${stack.timeline()}`);
});
