// A worker cut off by the network mid-burst, on Temporal's production server: two workers on hosts of their own
// (network namespaces behind a bridge), every local slot of both holding an attempt at the gate. worker-1's link goes
// down: it keeps running but reaches nothing. Its attempts' heartbeats stop arriving, Temporal times them out after
// 15 s and runs them again on worker-2; every task completes, within its retry policy, and nothing runs more often
// than the policy allows.
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { ClusterStack, productionProfileMissing } from './cluster';
import { acceptedIds, checkTasks, FAULTS_N, summarize, waitUntil, type LedgerLine } from './harness';
import { netnsSupport } from './host-network';

const POOL = 3;
const N = Math.max(FAULTS_N, 2 * POOL);
const RETRY = { maximumAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };
const netns = netnsSupport();
const missing = netns.ok ? productionProfileMissing() : `network namespaces are not available: ${netns.reason}`;

if (missing) {
  console.warn(`[faults:worker-partition] skipped: ${missing}`);
  test.skip(`worker partition: skipped, ${missing}`, () => undefined);
} else {
  const stack = new ClusterStack({ label: 'worker-partition', workers: 2, poolSize: POOL, netns: true });
  let gate: HoldGate;

  beforeAll(async () => {
    await stack.start();
    gate = await startHoldGate(stack.hostIp);
  }, 900_000);

  afterAll(async () => {
    gate?.release();
    await stack.shutdown();
    await gate?.close();
  }, 120_000);

  /** Attempts that started in a process and have not ended, as `taskId#attempt`. */
  const open = (lines: LedgerLine[], pid: number | undefined) =>
    lines
      .filter((l) => l.pid === pid)
      .reduce((running, l) => {
        const key = `${l.taskId}#${l.attempt}`;
        if (l.phase === 'start') running.add(key);
        else running.delete(key);
        return running;
      }, new Set<string>());

  test('a worker cut off mid-burst: its attempts time out and run on the other worker, nothing is lost', async () => {
    const [w1, w2] = [stack.pid('worker-1'), stack.pid('worker-2')];
    const burst = stack.burst(N, (i) => ({
      name: `worker-partition ${i}`,
      type: 'flaky',
      executionMode: 'LOCAL',
      // Held until released; a cut-off worker cannot see the release, so its attempts hold until they are stale.
      payload: { holdUntil: gate.url, holdMaxMs: 600_000, sleepMs: 200 },
      retry: RETRY,
    }));
    // The fault point: every slot of both workers holds an attempt, the rest of the burst is queued.
    const heldAtCut = await waitUntil(
      `${POOL} attempts held in each worker`,
      () => {
        const ledger = stack.ledger();
        const [one, two] = [open(ledger, w1), open(ledger, w2)];
        return one.size === POOL && two.size === POOL ? one : undefined;
      },
      180_000,
    );
    const submissions = await burst.done;
    expect(submissions.map((s) => s.status)).toEqual(submissions.map(() => 201));

    stack.cut('worker-1');
    const cutAt = Date.now();
    // Confirmed: from worker-1's host the Temporal frontend no longer answers; worker-2's host still reaches it.
    const port = Number(stack.server?.address.split(':').pop());
    expect(stack.network?.canReach('worker-1', stack.hostIp, port)).toBe(false);
    expect(stack.network?.canReach('worker-2', stack.hostIp, port)).toBe(true);
    gate.release();

    const ids = acceptedIds(submissions);
    expect(ids).toHaveLength(N);
    await waitUntil(
      'every task closed in Temporal',
      async () => {
        const statuses = await Promise.all(ids.map((id) => stack.temporalStatus(id)));
        return statuses.every((s) => s !== 'RUNNING') ? true : undefined;
      },
      300_000,
    );
    stack.note(`all ${ids.length} tasks closed in Temporal`);
    const closed = Date.now();
    // Status queries may be handed to the cut-off worker's outstanding polls until they expire; the API then answers
    // from visibility for a while. waitAllFinal waits for each task's own record.
    const views = await stack.waitAllFinal(ids, 300_000);
    stack.note(`full task views after ${Date.now() - closed} ms`);
    const report = await checkTasks(stack, views, RETRY.maximumAttempts);
    // worker-1 never crashed: it was only unreachable.
    expect(stack.isRunning('worker-1')).toBe(true);

    // Each attempt held in worker-1 at the cut ran again, as the next attempt, in worker-2, after its heartbeat
    // timeout, and is recorded as timed out.
    for (const key of heldAtCut) {
      const [id, attempt] = key.split('#');
      const task = report.find((r) => r.id === id);
      expect([id, task?.view.status, task?.history.lastAttempt]).toEqual([id, 'COMPLETED', Number(attempt) + 1]);
      expect(task?.runs.filter((r) => r.pid === w2).map((r) => r.attempt)).toEqual([Number(attempt) + 1]);
      expect(task?.view.attempts.find((a) => a.attempt === Number(attempt))?.error?.type).toBe('AttemptTimedOut');
    }
    // Nothing started in worker-1 after the cut, and every other task ran exactly once, in one of the two workers.
    expect(stack.ledger().filter((l) => l.pid === w1 && l.phase === 'start' && l.at >= cutAt)).toEqual([]);
    for (const r of report) {
      expect(r.runs.every((run) => run.pid === w1 || run.pid === w2)).toBe(true);
      if (!heldAtCut.has(`${r.id}#1`)) expect({ id: r.id, runs: r.runs.length }).toEqual({ id: r.id, runs: 1 });
    }
    stack.heal('worker-1');
    console.log(
      `${summarize('worker-partition', report, `${heldAtCut.size} attempts stranded in the cut-off worker`)}\n${stack.timeline()}`,
    );
  }, 600_000);
}
