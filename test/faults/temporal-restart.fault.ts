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
  const burst = stack.burst(FAULTS_N, body, 150);
  await waitUntil('half of the burst submitted', () => (burst.submitted() >= FAULTS_N / 2 ? true : undefined));
  await stack.stopProcess('temporal');

  // While Temporal is down: health says so at once, and a new task is refused with a stable code once the
  // Temporal client has given up retrying (about 20 s: the SDK's default retry of UNAVAILABLE).
  const downAt = Date.now();
  const [health, refused] = await Promise.all([
    stack.http('GET', '/actuator/health'),
    stack.submit({ ...body(FAULTS_N), idempotencyKey: `temporal-down-${Date.now()}` }, FAULTS_N),
  ]);
  stack.note(
    `health while down: ${health.status}; submission while down: ${refused.status} ${refused.code} after ${refused.ms} ms`,
  );
  expect(health.status).toBe(503);
  expect(health.body).toEqual(
    expect.objectContaining({
      status: 'DOWN',
      components: expect.objectContaining({ temporal: expect.objectContaining({ status: 'DOWN' }) }),
    }),
  );
  expect({ status: refused.status, code: refused.code }).toEqual({
    status: 503,
    code: 'SPILLWAY_TEMPORAL_UNAVAILABLE',
  });
  expect(refused.ms).toBeLessThan(30_000);
  // Still down when it answered: the 503 is the answer to an outage, not a race with the restart.
  expect(stack.isRunning('temporal')).toBe(false);

  await stack.startProcess('temporal');
  stack.note(`Temporal was down for ${Date.now() - downAt} ms`);
  await waitUntil('the API reports healthy again', async () =>
    (await stack.http('GET', '/actuator/health')).status === 200 ? true : undefined,
  );
  const submissions = await burst.done;

  // Every submission was either accepted or refused with the Temporal code; nothing else.
  for (const s of submissions) {
    expect([s.index, s.status === 201 ? 201 : `${s.status} ${s.code}`]).toEqual([
      s.index,
      s.status === 201 ? 201 : '503 SPILLWAY_TEMPORAL_UNAVAILABLE',
    ]);
  }
  // Repeating every refused submission with its idempotency key: each is accepted once (201: it was never started;
  // 200 would mean the refused request had started a task after all).
  const repeated: Submission[] = [];
  for (const s of [...submissions.filter((x) => x.status !== 201), refused]) {
    repeated.push(await stack.submit(s.body, s.index));
  }
  expect(repeated.map((s) => s.status)).toEqual(repeated.map(() => 201));

  const ids = [...acceptedIds(submissions), ...acceptedIds(repeated)];
  expect(new Set(ids).size).toBe(FAULTS_N + 1);
  const views = await stack.waitAllFinal(ids, 180_000);
  const report = await checkTasks(stack, views, RETRY.maximumAttempts);
  // None lost: Temporal holds exactly the accepted tasks, all closed.
  expect(await stack.count("WorkflowType='runTask'")).toBe(ids.length);
  expect(await stack.count("WorkflowType='runTask' AND ExecutionStatus='Completed'")).toBe(ids.length);
  console.log(
    `${summarize('temporal-restart', report, `${submissions.filter((s) => s.status !== 201).length + 1} refused while down`)}\n${stack.timeline()}`,
  );
});
