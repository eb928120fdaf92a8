// One of two API instances killed (-9) in the middle of a bulk submission, on Temporal's production server: the
// client sends POST /api/tasks/bulk through the balancer; once the instance that took it has started creating the
// bulk's tasks (the first one is visible in Temporal), it dies. The client gets 502 from the balancer and repeats the
// same bulk, whose items carry idempotency keys; the other instance answers it. Every item then has exactly one task:
// those created before the kill come back as idempotent replays (200), the rest are created (201), none twice.
import { randomBytes } from 'node:crypto';
import { ClusterStack, productionProfileMissing } from './cluster';
import { checkTasks, FAULTS_N, summarize, waitUntil, type TaskBody } from './harness';

const ITEMS = Math.max(100, FAULTS_N * 10);
const RETRY = { maximumAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };
const missing = productionProfileMissing();

interface BulkAnswer {
  accepted: number;
  rejected: number;
  results: Array<{ index: number; ok: boolean; statusCode: number; task?: { id: string } }>;
}

if (missing) {
  console.warn(`[faults:api-kill] skipped: ${missing}`);
  test.skip(`API instance killed during a bulk submission: skipped, ${missing}`, () => undefined);
} else {
  const stack = new ClusterStack({ label: 'api-kill', apis: 2, workers: 1, poolSize: 10 });

  beforeAll(async () => {
    await stack.start();
  }, 900_000);

  afterAll(async () => {
    await stack.shutdown();
  }, 120_000);

  /** The number of tasks in visibility once it has stopped changing (the instance that creates them is frozen). */
  async function settledCount(): Promise<number> {
    let last = await stack.count("WorkflowType='runTask'");
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const now = await stack.count("WorkflowType='runTask'");
      if (now === last) return now;
      last = now;
    }
  }

  test('an API instance killed mid-bulk: every accepted item has one task, nothing is created twice', async () => {
    const run = randomBytes(4).toString('hex');
    const tasks: TaskBody[] = Array.from({ length: ITEMS }, (_, i) => ({
      name: `api-kill ${run} ${i}`,
      // flaky with nothing to do: the probe's ledger counts its runs.
      type: 'flaky',
      executionMode: 'LOCAL',
      retry: RETRY,
      idempotencyKey: `api-kill-${run}-${i}`,
    }));
    expect(await stack.count("WorkflowType='runTask'")).toBe(0);

    const first = stack.http('POST', '/api/tasks/bulk', { tasks }, 120_000);
    // The instance holding the request, as the balancer sees it.
    const holder = await waitUntil(
      'the bulk request held by an instance',
      () => {
        const index = stack.balancer?.stats().findIndex((b) => b.active > 0) ?? -1;
        return index >= 0 ? `api-${index + 1}` : undefined;
      },
      30_000,
      5,
    );
    // The fault point, held still so that no machine is too fast or too slow for it: the instance is frozen
    // (SIGSTOP) and let run a few milliseconds at a time until some of the bulk's tasks exist. Frozen, it creates
    // nothing more while visibility catches up, so the count read is the count it dies with.
    const pid = stack.pid(holder);
    if (!pid) throw new Error(`${holder} has no pid`);
    process.kill(pid, 'SIGSTOP');
    let createdBeforeKill = 0;
    const giveUpAt = Date.now() + 120_000;
    for (let stepMs = 1; createdBeforeKill === 0; stepMs = Math.min(stepMs * 2, 50)) {
      if (Date.now() > giveUpAt) throw new Error(`${holder} created none of the bulk's tasks in 2 minutes`);
      process.kill(pid, 'SIGCONT');
      await new Promise((resolve) => setTimeout(resolve, stepMs));
      process.kill(pid, 'SIGSTOP');
      createdBeforeKill = await settledCount();
    }
    stack.note(`${holder} frozen with ${createdBeforeKill} of ${ITEMS} tasks created; killing it`);
    expect(createdBeforeKill).toBeLessThan(ITEMS);
    await stack.killProcess(holder);
    const answer = await first;
    stack.note(`first bulk answered ${answer.status} ${String(answer.body.code)}`);
    expect([answer.status, answer.body.code]).toEqual([502, 'SPILLWAY_API_INSTANCE_FAILED']);
    // The client repeats the same bulk; the balancer takes it to the instance that is left.
    const repeatedAt = Date.now();
    const repeat = await stack.http('POST', '/api/tasks/bulk', { tasks }, 120_000);
    expect(repeat.status).toBe(207);
    const body = repeat.body as unknown as BulkAnswer;
    expect([body.accepted, body.rejected]).toEqual([ITEMS, 0]);
    const replayed = body.results.filter((r) => r.statusCode === 200);
    const created = body.results.filter((r) => r.statusCode === 201);
    stack.note(`repeat: ${replayed.length} already existed (200), ${created.length} created (201)`);
    // The fault hit in the middle: some items existed already (their answers were lost with the instance), the rest
    // did not, and nothing else.
    expect(replayed.length).toBeGreaterThan(0);
    expect(created.length).toBeGreaterThan(0);
    expect(replayed.length + created.length).toBe(ITEMS);

    const ids = body.results.map((r) => r.task?.id ?? '');
    expect(new Set(ids).size).toBe(ITEMS);
    const views = await stack.waitAllFinal(ids, 300_000);
    const report = await checkTasks(stack, views, RETRY.maximumAttempts);
    // A replayed item is the task the killed instance created, a created one is new: by when each was submitted.
    const submittedAt = (id: string | undefined) => Date.parse(String(views.get(id ?? '')?.submittedAt));
    expect(replayed.filter((r) => !(submittedAt(r.task?.id) < repeatedAt))).toEqual([]);
    expect(created.filter((r) => !(submittedAt(r.task?.id) >= repeatedAt))).toEqual([]);
    // Nothing twice: Temporal holds one execution per item, and each ran its handler once.
    expect(await stack.count("WorkflowType='runTask'")).toBe(ITEMS);
    expect(await stack.count("WorkflowType='runTask' AND ExecutionStatus='Completed'")).toBe(ITEMS);
    expect(report.filter((r) => r.history.lastAttempt !== 1)).toEqual([]);
    console.log(
      `${summarize('api-kill', report, `${holder} killed after ${replayed.length} of ${ITEMS} were created, ${created.length} created on the repeat`)}\n${stack.timeline()}`,
    );
  }, 600_000);
}
