// A rolling upgrade under a burst, with Temporal Worker Versioning, on the production server: two workers of build A
// (deployment `spillway-faults`, auto-upgrade), every slot holding an attempt at the gate. worker-1 gets SIGTERM and
// drains while its replacement of build B starts and, as the newest build, makes B the current version; the gate
// opens; then worker-2 is replaced the same way. The tasks that build A started finish on build B (their later
// workflow tasks run there), nothing new runs on A once B is current, both old workers exit 0 (drained), and every
// task completes with exactly one run of its handler: the upgrade cost no attempt. A build-A worker started again
// afterwards leaves B current.
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { ClusterStack, productionProfileMissing } from './cluster';
import { acceptedIds, checkTasks, FAULTS_N, summarize, waitUntil, type LedgerLine } from './harness';

const POOL = 3;
const N = Math.max(FAULTS_N, 2 * POOL + 2);
const RETRY = { maximumAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };
const DEPLOYMENT = 'spillway-faults';
const missing = productionProfileMissing();

if (missing) {
  console.warn(`[faults:rolling-upgrade] skipped: ${missing}`);
  test.skip(`rolling upgrade: skipped, ${missing}`, () => undefined);
} else {
  const stack = new ClusterStack({
    label: 'rolling-upgrade',
    workers: 2,
    poolSize: POOL,
    env: {
      SPILLWAY_WORKER_DEPLOYMENT: DEPLOYMENT,
      SPILLWAY_BUILD_ID: 'build-a',
      SPILLWAY_WORKER_SHUTDOWN_GRACE_MS: '120000',
    },
  });
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

  const open = (lines: LedgerLine[], pid: number | undefined) =>
    lines
      .filter((l) => l.pid === pid)
      .reduce((running, l) => {
        const key = `${l.taskId}#${l.attempt}`;
        if (l.phase === 'start') running.add(key);
        else running.delete(key);
        return running;
      }, new Set<string>());

  /** The build ids that completed the workflow tasks of a task, in order. */
  async function buildsOf(id: string): Promise<string[]> {
    const history = await stack.client.workflow.getHandle(id).fetchHistory();
    return (history.events ?? [])
      .map((e) => e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId)
      .filter((b): b is string => Boolean(b));
  }

  async function currentBuild(): Promise<string | undefined> {
    const described = await stack.client.workflowService.describeWorkerDeployment({
      namespace: 'default',
      deploymentName: DEPLOYMENT,
    });
    return described.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? undefined;
  }

  test('one worker after the other replaced by a new build mid-burst: running tasks move over, none lost', async () => {
    expect(await currentBuild()).toBe('build-a');
    expect(stack.logSince('worker-1')).toMatch(/versioning deployment spillway-faults, build build-a, AUTO_UPGRADE/);
    const oldPids = [stack.pid('worker-1'), stack.pid('worker-2')];
    const burst = stack.burst(N, (i) => ({
      name: `rolling-upgrade ${i}`,
      type: 'flaky',
      executionMode: 'LOCAL',
      payload: { holdUntil: gate.url, holdMaxMs: 600_000, sleepMs: 200 },
      retry: RETRY,
    }));
    // Every slot of build A holds an attempt; the rest of the burst waits in the queue.
    const heldOnA = await waitUntil(
      `${POOL} attempts held in each build-A worker`,
      () => {
        const ledger = stack.ledger();
        const sets = oldPids.map((pid) => open(ledger, pid));
        return sets.every((s) => s.size === POOL) ? new Set(sets.flatMap((s) => [...s])) : undefined;
      },
      180_000,
    );
    const submissions = await burst.done;
    expect(submissions.map((s) => s.status)).toEqual(submissions.map(() => 201));

    // worker-1 drains (its held attempts keep running), and build B takes its place and becomes current.
    const firstExit = stack.signal('worker-1', 'SIGTERM', 180_000);
    await stack.startWorker('worker-1b', { SPILLWAY_BUILD_ID: 'build-b' });
    expect(stack.logSince('worker-1b')).toMatch(/build build-b, AUTO_UPGRADE, made current \(was build-a\)/);
    expect(await currentBuild()).toBe('build-b');
    const promotedAt = Date.now();
    gate.release();
    expect(await firstExit).toBe(0);
    expect(stack.logSince('worker-1')).toMatch(/drained: every local attempt in flight finished/);

    // Then worker-2, the last of build A; its replacement finds B current already.
    const secondExit = stack.signal('worker-2', 'SIGTERM', 180_000);
    await stack.startWorker('worker-2b', { SPILLWAY_BUILD_ID: 'build-b' });
    expect(stack.logSince('worker-2b')).toMatch(/build build-b, AUTO_UPGRADE, current/);
    expect(await secondExit).toBe(0);

    const ids = acceptedIds(submissions);
    expect(ids).toHaveLength(N);
    const views = await stack.waitAllFinal(ids, 300_000);
    const report = await checkTasks(stack, views, RETRY.maximumAttempts);
    // The upgrade cost nothing: one attempt, one run of the handler per task.
    expect(report.map((r) => [r.id, r.history.lastAttempt, r.runs.length])).toEqual(report.map((r) => [r.id, 1, 1]));
    // Once B was current, no attempt started on A; the attempts A held finished there.
    const ledger = stack.ledger();
    expect(ledger.filter((l) => l.phase === 'start' && oldPids.includes(l.pid) && l.at >= promotedAt)).toEqual([]);
    for (const key of heldOnA) {
      const [id] = key.split('#');
      expect(ledger.filter((l) => l.taskId === id && l.phase === 'end').map((l) => oldPids.includes(l.pid))).toEqual([
        true,
      ]);
    }
    // Every task was started by build A (the burst came before the upgrade) and finished by build B.
    for (const id of ids) {
      const builds = await buildsOf(id);
      expect([id, builds[0], builds.at(-1)]).toEqual([id, 'build-a', 'build-b']);
    }
    // An old build that starts again mid-rollout (a crash loop, a stale replica) does not take the deployment back.
    await stack.startWorker('worker-stale', { SPILLWAY_BUILD_ID: 'build-a' });
    expect(stack.logSince('worker-stale')).toMatch(/build build-a, AUTO_UPGRADE, not current: a newer build, build-b/);
    expect(await currentBuild()).toBe('build-b');
    expect(await stack.signal('worker-stale', 'SIGTERM')).toBe(0);
    console.log(
      `${summarize('rolling-upgrade', report, `${heldOnA.size} attempts ran through the upgrade on build A`)}\n${stack.timeline()}`,
    );
  }, 600_000);
}
