// PostgreSQL, the store under Temporal's production server, stopped as if it crashed (pg_ctl -m immediate) under
// load and started again: a private PostgreSQL, never the machine's. The fault comes at a point the test controls:
// the first half of the burst is accepted and every local slot holds an attempt at the gate. While the database is
// down the held attempts are released (their completions cannot be stored) and the second half is submitted
// (refused with 503 SPILLWAY_TEMPORAL_UNAVAILABLE, or accepted and kept: the submission deadline decides; Temporal
// answers NamespaceNotFound while it cannot read its namespace, which api/errors.ts maps to that 503 too). After the
// restart every refused submission is repeated with its idempotency key, and every accepted task completes within
// its retry policy, none lost, none run more often than the policy allows.
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { ClusterStack } from './cluster';
import { acceptedIds, checkTasks, FAULTS_N, summarize, waitUntil, type LedgerLine, type Submission } from './harness';
import { privatePostgresSupport } from './private-postgres';

const POOL = 4;
const N = Math.max(FAULTS_N, POOL * 2);
const RETRY = { maximumAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };
const support = privatePostgresSupport();

if (!support.ok) {
  console.warn(`[faults:postgres-restart] skipped: ${support.reason}`);
  test.skip(`PostgreSQL restart under load: skipped, ${support.reason}`, () => undefined);
} else {
  const stack = new ClusterStack({
    label: 'postgres-restart',
    postgres: 'private',
    workers: 1,
    apis: 1,
    poolSize: POOL,
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

  const open = (lines: LedgerLine[]) =>
    lines.reduce((running, l) => {
      const key = `${l.taskId}#${l.attempt}`;
      if (l.phase === 'start') running.add(key);
      else running.delete(key);
      return running;
    }, new Set<string>());

  test('PostgreSQL crashes and restarts under load: every accepted task completes, none lost or run too often', async () => {
    const body = (i: number) => ({
      name: `postgres-restart ${i}`,
      type: 'flaky',
      executionMode: 'LOCAL' as const,
      payload: { holdUntil: gate.url, holdMaxMs: 600_000, sleepMs: 100 },
      retry: RETRY,
    });
    const half = Math.floor(N / 2);
    const before = await stack.burst(half, body, 20).done;
    expect(before.map((s) => s.status)).toEqual(before.map(() => 201));
    const held = await waitUntil(
      `${POOL} attempts held`,
      () => {
        const running = open(stack.ledger());
        return running.size === Math.min(POOL, half) ? running : undefined;
      },
      120_000,
    );

    await stack.postgres?.stop('immediate');
    const downAt = Date.now();
    stack.note('PostgreSQL stopped (immediate: no checkpoint, as a crash)');
    // The held attempts finish while nothing can be stored; the second half is submitted into the outage.
    gate.release();
    await waitUntil('the held attempts finished their handlers', () => {
      const running = open(stack.ledger());
      return [...held].every((k) => !running.has(k)) ? true : undefined;
    });
    const during = (await stack.burst(N - half, (i) => body(half + i), 0, 4).done).map((s) => ({
      ...s,
      index: half + s.index,
    }));
    stack.note(
      `${during.length} submissions while down: ${JSON.stringify(during.map((s) => `${s.status} ${s.code ?? ''}`))}`,
    );
    // Still down when they were answered.
    expect(stack.postgres?.isRunning).toBe(false);
    // Each was either accepted (201) or refused as Temporal being unavailable: never a 500, a client error or a hang.
    for (const s of during) {
      const answer = s.status === 201 ? 'accepted' : `${s.status} ${s.code}`;
      expect([s.index, answer]).toEqual([
        s.index,
        expect.stringMatching(/^(accepted|503 SPILLWAY_TEMPORAL_UNAVAILABLE)$/),
      ]);
    }

    await stack.postgres?.start();
    stack.note(`PostgreSQL started again after ${Date.now() - downAt} ms`);
    // Repeated with their idempotency keys, once Temporal takes new tasks again: each refused one is accepted once.
    const repeated: Submission[] = [];
    for (const s of during.filter((d) => d.status !== 201)) {
      repeated.push(
        await waitUntil(
          `submission ${s.index} accepted`,
          async () => {
            const answer = await stack.submit(s.body, s.index);
            return answer.status === 201 || answer.status === 200 ? answer : undefined;
          },
          180_000,
          1_000,
        ),
      );
    }
    const ids = [...acceptedIds(before), ...acceptedIds(during), ...acceptedIds(repeated)];
    expect(new Set(ids).size).toBe(N);

    const views = await stack.waitAllFinal(ids, 300_000);
    const report = await checkTasks(stack, views, RETRY.maximumAttempts);
    // None lost, none twice: Temporal holds exactly the accepted tasks, all completed.
    expect(await stack.count("WorkflowType='runTask'")).toBe(N);
    expect(await stack.count("WorkflowType='runTask' AND ExecutionStatus='Completed'")).toBe(N);
    console.log(
      `${summarize('postgres-restart', report, `${held.size} attempts finished while PostgreSQL was down, ${repeated.length} submissions repeated`)}\n${stack.timeline()}`,
    );
  }, 600_000);
}
