// Lambda faults, LAMBDA mode with the `flaky` function on the local Lambda service: an execution environment that
// crashes (Runtime.ExitError, no callback), a function that hangs past the task's timeout, and throttling (reserved
// concurrency 1 with synchronous invocations, so Lambda answers 429).
import {
  DeleteFunctionConcurrencyCommand,
  type LambdaClient,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import {
  acceptedIds,
  checkTasks,
  FaultStack,
  FAULTS_N,
  summarize,
  waitUntil,
  type TaskBody,
  type TaskView,
} from './harness';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import type { FunctionStatus } from '../../domain/lambda-status';

const stack = new FaultStack({ label: 'lambda-faults' });
let lambda: LambdaClient;
let gate: HoldGate;

beforeAll(async () => {
  gate = await startHoldGate();
  await stack.start();
  lambda = stack.lambda;
});

afterAll(async () => {
  await stack.shutdown();
  await gate?.close();
});

async function flakyStatus(): Promise<FunctionStatus> {
  const flaky = await stack.lambdaFunctionStatus('flaky');
  if (!flaky) throw new Error('the local Lambda service does not list flaky');
  return flaky;
}

/** Waits until the Lambda service has nothing of flaky running or queued, so late (re)deliveries show in the ledger. */
async function lambdaIdle(): Promise<FunctionStatus> {
  return waitUntil(
    'flaky idle on the Lambda service',
    async () => {
      const s = await flakyStatus();
      return s.inFlight === 0 && s.queuedEvents === 0 ? s : undefined;
    },
    60_000,
  );
}

async function submitAll(count: number, body: (i: number) => TaskBody, intervalMs = 50, concurrency = 4) {
  const submissions = await stack.burst(count, body, intervalMs, concurrency).done;
  expect(submissions.map((s) => s.status)).toEqual(submissions.map(() => 201));
  return acceptedIds(submissions);
}

test('an environment crash (Runtime.ExitError, no callback) times the attempt out; the retry completes', async () => {
  const RETRY = { maximumAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };
  const ids = await submitAll(
    FAULTS_N,
    (i) => ({
      name: `lambda-crash ${i}`,
      type: 'flaky',
      executionMode: 'LAMBDA',
      payload: { crash: true, crashAttempts: 1 },
      // The crashed attempt can only end by this timeout, so it sets the case's length; but the retry must never hit
      // it, or a slow cold start would make a second successful run. A burst of cold starts on a busy 2-core machine
      // took over 3 s here, so the margin is wide.
      timeoutSeconds: 20,
      retry: RETRY,
    }),
    250,
    2,
  );
  const views = await stack.waitAllFinal(ids, 180_000);
  await lambdaIdle();
  const report = await checkTasks(stack, views, RETRY.maximumAttempts);
  let invokeFailures = 0;
  for (const r of report) {
    const attempts = r.view.attempts;
    // Attempt 1 crashed its environment: started, never ended, and the task saw it time out.
    expect(attempts[0]).toEqual(
      expect.objectContaining({
        attempt: 1,
        outcome: 'failed',
        error: expect.objectContaining({ type: 'AttemptTimedOut' }),
      }),
    );
    expect(r.runs[0]).toEqual(expect.objectContaining({ attempt: 1, where: 'LAMBDA' }));
    // The last attempt ran once in Lambda and succeeded.
    expect(attempts.at(-1)).toEqual(expect.objectContaining({ attempt: r.history.lastAttempt, outcome: 'succeeded' }));
    expect(r.okRuns).toBe(1);
    // Attempts in between may only be invocations that never reached the handler (see README.md: ECONNRESET).
    const between = r.runs.filter((run) => run.attempt !== 1 && run.attempt !== r.history.lastAttempt);
    expect(between).toEqual([]);
    invokeFailures += r.history.lastAttempt - 2;
  }
  // The crashed attempts died in their environment: started, never ended.
  const ended = stack.ledger().filter((l) => l.phase === 'end' && l.attempt === 1 && ids.includes(l.taskId));
  expect(ended).toEqual([]);
  console.log(summarize('lambda-crash', report, `${invokeFailures} extra attempts from failed Invoke calls`));
});

test('a function that hangs past timeoutSeconds fails after exactly maximumAttempts attempts (AttemptTimedOut)', async () => {
  const RETRY = { maximumAttempts: 2, initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 2_000 };
  // Each hanging attempt holds an environment until flaky's own 10 s Lambda timeout: keep the count modest.
  const count = Math.min(FAULTS_N, 10);
  const ids = await submitAll(count, (i) => ({
    name: `lambda-hang ${i}`,
    type: 'flaky',
    executionMode: 'LAMBDA',
    payload: { hang: true },
    timeoutSeconds: 3,
    retry: RETRY,
  }));
  const views = await stack.waitAllFinal(ids, 120_000);
  // Until Lambda's own timeouts have ended the hanging invocations: a redelivery by Lambda would show up now.
  await lambdaIdle();
  const report = await checkTasks(stack, views, RETRY.maximumAttempts, ['FAILED']);
  for (const r of report) {
    expect({
      id: r.id,
      status: r.view.status,
      error: r.view.error,
      attempts: r.view.attempts.map((a) => [a.attempt, a.outcome, a.error?.type]),
      lastAttempt: r.history.lastAttempt,
      closedBy: r.history.closedBy,
      runs: r.runs.map((run) => run.attempt),
    }).toEqual({
      id: r.id,
      status: 'FAILED',
      error: {
        type: 'AttemptTimedOut',
        message: 'no result within 3 s: the handler timed out, crashed, or its callback was lost',
        nonRetryable: false,
      },
      attempts: [
        [1, 'failed', 'AttemptTimedOut'],
        [2, 'failed', 'AttemptTimedOut'],
      ],
      lastAttempt: 2,
      closedBy: ['timedOut'],
      runs: [1, 2],
    });
  }
  console.log(summarize('lambda-hang', report));
});

let throttledViews: TaskView[] = [];

test('throttling (reserved concurrency 1, sync invocations): 429s are retried with backoff and all complete', async () => {
  // Within the API's limit of 100 attempts, and sized to the burst: 100 intervals of up to FAULTS_N × 100 ms are many
  // times the burst's serialised work (FAULTS_N × ~0.4 s), so no task can run out of attempts behind the others.
  const RETRY = {
    maximumAttempts: 100,
    initialIntervalMs: 200,
    backoffCoefficient: 1.5,
    maximumIntervalMs: Math.max(2_000, FAULTS_N * 100),
  };
  const body = (i: number): TaskBody => ({
    name: `lambda-throttle ${i}`,
    type: 'flaky',
    executionMode: 'LAMBDA',
    invocation: 'sync',
    payload: { sleepMs: 300 },
    retry: RETRY,
  });
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'flaky', ReservedConcurrentExecutions: 1 }));
  const throttlesBefore = (await flakyStatus()).throttles.count;
  try {
    // One task takes the only slot and holds it at the gate (for less than flaky's own 10 s Lambda timeout), so every
    // other task's first attempt meets a full function: the throttling is certain, not a matter of timing.
    const blocker = await stack.submit(
      {
        ...body(0),
        payload: { holdUntil: gate.url, holdMaxMs: 8_000 },
        idempotencyKey: `throttle-blocker-${Date.now()}`,
      },
      0,
    );
    expect(blocker.status).toBe(201);
    await waitUntil('the blocker holds the only slot', async () =>
      (await flakyStatus()).inFlight === 1 ? true : undefined,
    );
    const rest = await submitAll(FAULTS_N - 1, (i) => body(i + 1), 0, 8);
    await waitUntil(
      'a throttled invocation',
      async () => ((await flakyStatus()).throttles.count > throttlesBefore ? true : undefined),
      7_000,
      50,
    );
    gate.release();
    const ids = [blocker.id as string, ...rest];
    // While the tasks run, Temporal's pending activities say why their last attempt failed.
    const failureTypes = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const id of ids) {
          const type = await stack.pendingFailureType(id).catch(() => undefined);
          if (type) failureTypes.add(type);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const views = await stack.waitAllFinal(ids, 400_000).finally(() => (sampling = false));
    await sampler;
    const report = await checkTasks(stack, views, RETRY.maximumAttempts);
    const throttles = (await flakyStatus()).throttles.count - throttlesBefore;
    expect(throttles).toBeGreaterThan(0);
    // Throttled attempts failed with LambdaThrottledError and were retried with backoff.
    expect([...failureTypes]).toEqual(['LambdaThrottledError']);
    const retried = report.filter((r) => r.history.lastAttempt > 1);
    expect(retried.length).toBeGreaterThan(0);
    // A throttled invocation never runs the function: exactly one execution per task.
    for (const r of report) expect({ id: r.id, runs: r.runs.length }).toEqual({ id: r.id, runs: 1 });
    throttledViews = retried.map((r) => r.view);
    console.log(summarize('lambda-throttle', report, `${throttles} throttles (429) from the Lambda service`));
  } finally {
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'flaky' }));
  }
});

// Regression: an attempt that failed in the Invoke call itself (429) was once recorded as AttemptTimedOut.
test('the task records its throttled attempts as LambdaThrottledError', () => {
  expect(throttledViews.length).toBeGreaterThan(0);
  const errors = throttledViews.flatMap((v) =>
    v.attempts.filter((a) => a.outcome === 'failed').map((a) => a.error?.type),
  );
  expect([...new Set(errors)]).toEqual(['LambdaThrottledError']);
});
