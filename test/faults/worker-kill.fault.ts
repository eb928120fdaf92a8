// kill -9 of the worker mid-burst, then a restart: attempts that died with the worker are noticed by their heartbeat
// timeout (15 s) and retried; every task completes, within its retry policy, its handler run at most once per attempt.
import { acceptedIds, checkTasks, FaultStack, FAULTS_N, summarize, waitUntil } from './harness';

const stack = new FaultStack({ label: 'worker-kill', poolSize: 4 });
const RETRY = { maximumAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };

beforeAll(async () => {
  await stack.start();
});

afterAll(async () => {
  await stack.shutdown();
});

test('kill -9 of the worker mid-burst: lost attempts are retried and every task completes', async () => {
  const killedPid = stack.pid('worker');
  const burst = stack.burst(FAULTS_N, (i) => ({
    name: `worker-kill ${i}`,
    type: 'flaky',
    executionMode: 'LOCAL',
    payload: { sleepMs: 1_500 },
    retry: RETRY,
  }));

  // Mid-burst, while handlers are running in the worker.
  await waitUntil('half of the burst submitted', () => (burst.submitted() >= FAULTS_N / 2 ? true : undefined));
  await waitUntil('handlers running in the worker', () =>
    stack.ledger().some((l) => l.phase === 'start' && l.pid === killedPid) ? true : undefined,
  );
  await stack.killProcess('worker');
  const runningAtKill = new Set(
    stack
      .ledger()
      .filter((l) => l.pid === killedPid)
      .reduce((open, l) => {
        const key = `${l.taskId}#${l.attempt}`;
        if (l.phase === 'start') open.add(key);
        else open.delete(key);
        return open;
      }, new Set<string>()),
  );

  const submissions = await burst.done;
  // The API and Temporal were up all along: every submission was accepted.
  expect(submissions.map((s) => s.status)).toEqual(submissions.map(() => 201));
  await new Promise((r) => setTimeout(r, 2_000));
  await stack.startProcess('worker');

  const ids = acceptedIds(submissions);
  expect(ids).toHaveLength(FAULTS_N);
  // Heartbeat timeout (15 s) + backoff + the re-run: well inside this.
  const views = await stack.waitAllFinal(ids, 180_000);
  const report = await checkTasks(stack, views, RETRY.maximumAttempts);

  // The fault hit: the attempts that were running in the killed worker ran again, as attempt 2, in the new one.
  expect(runningAtKill.size).toBeGreaterThan(0);
  const newPid = stack.pid('worker');
  for (const key of runningAtKill) {
    const [id, attempt] = key.split('#');
    const task = report.find((r) => r.id === id);
    expect(task?.view.status).toBe('COMPLETED');
    expect(task?.history.lastAttempt).toBe(Number(attempt) + 1);
    expect(task?.runs.filter((r) => r.pid === newPid).map((r) => r.attempt)).toEqual([Number(attempt) + 1]);
    expect(task?.view.attempts.find((a) => a.attempt === Number(attempt))?.error?.type).toBe('AttemptTimedOut');
  }
  for (const r of report) {
    // No attempt ran twice; a task ran more than once only because the killed worker lost a run.
    const attempts = r.runs.map((run) => run.attempt);
    expect({ id: r.id, attempts: [...new Set(attempts)].length }).toEqual({ id: r.id, attempts: attempts.length });
    expect(r.runs.filter((run) => run.pid !== killedPid && run.pid !== newPid)).toEqual([]);
    if (r.runs.length > 1)
      expect(r.runs.slice(0, -1).map((run) => run.pid)).toEqual(r.runs.slice(0, -1).map(() => killedPid));
  }
  console.log(
    `${summarize('worker-kill', report, `${runningAtKill.size} attempts lost with the worker`)}\n${stack.timeline()}`,
  );
});
