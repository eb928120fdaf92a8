// kill -9 of the worker mid-burst, then a restart: attempts that died with the worker are noticed by their heartbeat
// timeout (15 s) and retried; every task completes, within its retry policy, its handler run at most once per attempt.
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { acceptedIds, checkTasks, FaultStack, FAULTS_N, summarize, waitUntil } from './harness';

const POOL = 4;
const stack = new FaultStack({ label: 'worker-kill', poolSize: POOL });
let gate: HoldGate;
const RETRY = { maximumAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };

beforeAll(async () => {
  gate = await startHoldGate();
  await stack.start();
});

afterAll(async () => {
  await stack.shutdown();
  await gate?.close();
});

test('kill -9 of the worker mid-burst: lost attempts are retried and every task completes', async () => {
  const killedPid = stack.pid('worker');
  // Every handler holds at the gate until the test releases it, so the kill comes while a known set of attempts runs.
  const burst = stack.burst(FAULTS_N, (i) => ({
    name: `worker-kill ${i}`,
    type: 'flaky',
    executionMode: 'LOCAL',
    payload: { holdUntil: gate.url, sleepMs: 500 },
    retry: RETRY,
  }));

  const open = (pid: number | undefined) =>
    stack
      .ledger()
      .filter((l) => l.pid === pid)
      .reduce((running, l) => {
        const key = `${l.taskId}#${l.attempt}`;
        if (l.phase === 'start') running.add(key);
        else running.delete(key);
        return running;
      }, new Set<string>());
  const expected = Math.min(POOL, FAULTS_N);
  // Every local slot holds a running attempt: nothing can finish before the kill, the gate is still closed.
  const runningAtKill = await waitUntil(
    `${expected} attempts held in the worker`,
    () => {
      const running = open(killedPid);
      return running.size === expected ? running : undefined;
    },
    120_000,
  );
  await stack.killProcess('worker');
  expect(open(killedPid)).toEqual(runningAtKill);
  gate.release();

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
  expect(runningAtKill.size).toBe(expected);
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
