// The local Lambda service killed (-9, with its execution environments) while asynchronous events are queued, then
// started again with the same LAMBDA_QUEUE_FILE: the journal brings the accepted events back, every task completes,
// and no task runs its handler more often than its retry policy allows.
import { readFileSync } from 'node:fs';
import { type LambdaClient, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { acceptedIds, checkTasks, FaultStack, FAULTS_N, summarize, waitUntil, type TaskBody } from './harness';

const stack = new FaultStack({ label: 'lambda-restart' });
let gate: HoldGate;
// No task is submitted while the service is down, so only the kill itself may cost an attempt.
const RETRY = { maximumAttempts: 5, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };
let lambda: LambdaClient;

beforeAll(async () => {
  gate = await startHoldGate();
  await stack.start();
  lambda = stack.lambda;
});

afterAll(async () => {
  await stack.shutdown();
  await gate?.close();
});

const flaky = () => stack.lambdaFunctionStatus('flaky');

test('Lambda service killed with events queued, restarted on the same journal: every task completes', async () => {
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'flaky', ReservedConcurrentExecutions: 1 }));
  const body = (i: number): TaskBody => ({
    name: `lambda-restart ${i}`,
    type: 'flaky',
    executionMode: 'LAMBDA',
    payload: { sleepMs: 1_000 },
    // Room for the whole queue to drain one at a time: only the restart may cost an attempt.
    timeoutSeconds: 30 + FAULTS_N * 2,
    retry: RETRY,
  });
  // The first task holds the only slot at the gate (for less than flaky's own 10 s Lambda timeout), so the rest of
  // the first half must queue behind it: at the kill the journal holds a known set of events, whatever the speed.
  const half = Math.max(2, Math.floor(FAULTS_N / 2));
  const blocker = await stack.submit(
    { ...body(0), payload: { holdUntil: gate.url, holdMaxMs: 8_000 }, idempotencyKey: `restart-blocker-${Date.now()}` },
    0,
  );
  expect(blocker.status).toBe(201);
  await waitUntil('the blocker holds the only slot', async () => ((await flaky())?.inFlight === 1 ? true : undefined));
  const first = await stack.burst(half - 1, (i) => body(i + 1), 0, 8).done;
  expect(first.map((s) => s.status)).toEqual(first.map(() => 201));
  const queued = await waitUntil('the first half queued behind the blocker', async () => {
    const f = await flaky();
    return f && f.inFlight === 1 && f.queuedEvents === half - 1 ? f.queuedEvents : undefined;
  });
  stack.note(`${queued} events queued, 1 in flight`);
  await stack.killProcess('lambda');
  const journal = JSON.parse(readFileSync(stack.queueFile, 'utf8')) as { events: unknown[] };
  stack.note(`journal holds ${journal.events.length} events at the kill`);
  // The held event and every queued one: nothing was lost with the process.
  expect(journal.events).toHaveLength(half);

  // The held event is delivered again after the restart; it must not hold again.
  gate.release();
  await stack.startProcess('lambda');
  const second = await stack.burst(FAULTS_N - half, (i) => body(half + i), 50).done;
  const submissions = [blocker, ...first, ...second];
  expect(submissions.map((s) => s.status)).toEqual(submissions.map(() => 201));

  const ids = acceptedIds(submissions);
  const views = await stack.waitAllFinal(ids, 240_000);
  await waitUntil('the restored queue drained', async () => {
    const f = await flaky();
    return f && f.inFlight === 0 && f.queuedEvents === 0 ? true : undefined;
  });
  // Late redeliveries would show in the ledger within Lambda's async retry delays (1 s, 2 s).
  await new Promise((r) => setTimeout(r, 4_000));
  const report = await checkTasks(stack, views, RETRY.maximumAttempts);
  const duplicated = report.filter((r) => new Set(r.runs.map((run) => run.attempt)).size < r.runs.length);
  console.log(
    `${summarize(
      'lambda-restart',
      report,
      `${queued} events queued at the kill, ${duplicated.length} tasks ran one attempt twice (at-least-once redelivery)`,
    )}\n${stack.timeline()}`,
  );
});

// Regression: after a restart the service forgets MaximumRetryAttempts 0, and a function error used to be retried
// by Lambda itself. The wrapper now ends an invocation normally once its failure callback is delivered.
test('after a Lambda service restart, a failing attempt still runs its handler once', async () => {
  const retry = { maximumAttempts: 2, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };
  const submissions = await stack.burst(
    3,
    (i) => ({
      name: `lambda-restart failing ${i}`,
      type: 'flaky',
      executionMode: 'LAMBDA',
      payload: { failAttempts: 1 },
      timeoutSeconds: 30,
      retry,
    }),
    50,
  ).done;
  const ids = acceptedIds(submissions);
  expect(ids).toHaveLength(3);
  const views = await stack.waitAllFinal(ids, 60_000);
  // Lambda's async retries come 1 s and 2 s after a function error.
  await new Promise((r) => setTimeout(r, 5_000));
  await waitUntil('the service idle', async () => {
    const f = await flaky();
    return f && f.inFlight === 0 && f.queuedEvents === 0 ? true : undefined;
  });
  const runs = stack.executions();
  for (const id of ids) {
    expect(views.get(id)?.status).toBe('COMPLETED');
    expect({ id, attempt1Runs: (runs.get(id) ?? []).filter((r) => r.attempt === 1).length }).toEqual({
      id,
      attempt1Runs: 1,
    });
  }
});
