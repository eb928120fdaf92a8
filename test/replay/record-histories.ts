// `npm run replay:record`: runs one execution of every scenario below on the real stack (the jest global setup's
// Temporal dev server, Redis and local Lambda service, and the real worker with the current workflow bundle), checks
// that each ended the way its name says, and writes its history into test/replay/histories/ as JSON (see
// history-file.ts). replay.test.ts replays them all against the workflow code of every later commit, so a change
// that would break a running task fails CI.
//
// Record again only to add scenarios, or after a deliberate, versioned change (workflow.patched()): the point of the
// files is that they come from older code. A new workflow type (a pipeline interpreter) needs scenarios here;
// replay.test.ts fails until every exported workflow type has at least one history.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import path from 'node:path';
import {
  InvokeCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
  DeleteFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { TASK_WORKFLOW_TYPE, WARM_POOL_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE } from '../../domain/constants';
import type { TaskInput, TaskState } from '../../domain/task-model';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';
import { HISTORY_FORMAT, historyToFile } from './history-file';

const HISTORIES = path.join(__dirname, 'histories');

interface Recorded {
  file: string;
  workflowType: string;
  workflowId: string;
  description: string;
  finalStatus: string;
  recordedAt?: string;
  recordedWith?: string;
}

const recorded: Recorded[] = [];
let gate: HoldGate;

beforeAll(async () => {
  mkdirSync(HISTORIES, { recursive: true });
  gate = await startHoldGate();
});

afterAll(async () => {
  gate?.release();
  await gate?.close();
  if (recorded.length === 0) return;
  const stack = readStack();
  const server = execFileSync(stack.temporalCli, ['--version'], { encoding: 'utf8' }).trim();
  writeFileSync(path.join(HISTORIES, 'index.json'), mergedIndex(new Date().toISOString(), server));
});

/**
 * index.json with this run's recordings merged in: an entry whose file was recorded now is replaced, every other
 * entry is kept exactly as it was (a run filtered with `-t` records some scenarios, and the older files are the
 * point). An entry recorded by a merging run says when and with which server; the top-level recordedAt and
 * recordedWith stay those of the entries without their own.
 */
function mergedIndex(now: string, server: string): string {
  const file = path.join(HISTORIES, 'index.json');
  const old = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { recordedAt?: string; recordedWith?: string; histories: Recorded[] })
    : { recordedAt: now, recordedWith: server, histories: [] };
  const fresh = new Set(recorded.map((r) => r.file));
  const kept = old.histories.filter((h) => !fresh.has(h.file));
  const added = recorded.map((r) => ({ ...r, recordedAt: now, recordedWith: server }));
  return `${JSON.stringify(
    {
      about: 'Recorded by npm run replay:record (test/replay/record-histories.ts); replayed by replay.test.ts.',
      format: HISTORY_FORMAT,
      recordedAt: old.recordedAt,
      recordedWith: old.recordedWith,
      histories: [...kept, ...added].sort((a, b) => a.file.localeCompare(b.file)),
    },
    null,
    2,
  )}\n`;
}

function taskInput(label: string, fields: Partial<TaskInput> & Pick<TaskInput, 'type' | 'executionMode'>): TaskInput {
  return {
    version: 1,
    id: uniqueId(`replay-${label}`),
    name: `replay ${label}`,
    functionName: fields.type,
    payload: {},
    retry: { maximumAttempts: 3, initialIntervalMs: 200, backoffCoefficient: 2, maximumIntervalMs: 1_000 },
    timeoutSeconds: 60,
    submittedAt: new Date().toISOString(),
    ...fields,
  };
}

function start(harness: TestHarness, input: TaskInput) {
  return harness.client.workflow.start(TASK_WORKFLOW_TYPE, {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId: input.id,
    args: [input],
  });
}

async function finalState(handle: WorkflowHandle): Promise<TaskState> {
  try {
    await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
  }
  return handle.query<TaskState>('status');
}

/** Writes the history of a closed workflow. */
async function save(
  client: TestHarness['client'],
  name: string,
  workflowId: string,
  workflowType: string,
  description: string,
  finalStatus: string,
) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const file = `${name}.json`;
  writeFileSync(path.join(HISTORIES, file), historyToFile(history));
  recorded.push({ file, workflowType, workflowId, description, finalStatus });
}

interface Scenario {
  name: string;
  description: string;
  input: () => TaskInput;
  /** What the run must have ended with, so a recording is what its name says. */
  expect: (state: TaskState) => void;
  /** Steps while it runs (cancel it, release a gate). */
  during?: (handle: WorkflowHandle, harness: TestHarness) => Promise<void>;
}

const outcomes = (state: TaskState) => state.attempts.map((a) => [a.attempt, a.placement, a.outcome, a.error?.type]);

async function record(harness: TestHarness, scenario: Scenario) {
  const input = scenario.input();
  const handle = await start(harness, input);
  await scenario.during?.(handle, harness);
  const state = await finalState(handle);
  scenario.expect(state);
  await save(harness.client, scenario.name, input.id, TASK_WORKFLOW_TYPE, scenario.description, state.status);
}

/** The API on the test stack's API port, where the functions post their Lambda callbacks. */
async function listenForCallbacks(harness: TestHarness): Promise<FastifyInstance> {
  const app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  await app.listen({ host: '127.0.0.1', port: readStack().apiPort });
  return app;
}

async function whenRunning(handle: WorkflowHandle) {
  await eventually(async () => ((await handle.query<TaskState>('status')).status === 'RUNNING' ? true : undefined));
}

describe('the default placement settings (AUTO stays local below the threshold)', () => {
  let harness: TestHarness;
  let app: FastifyInstance;
  beforeAll(async () => {
    harness = await startHarness();
    app = await listenForCallbacks(harness);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await harness?.close();
  });

  const scenarios: Scenario[] = [
    {
      name: 'run-task-local-completed',
      description: 'LOCAL, succeeds on the first attempt',
      input: () => taskInput('local', { type: 'noop', executionMode: 'LOCAL' }),
      expect: (s) => expect(outcomes(s)).toEqual([[1, 'LOCAL', 'succeeded', undefined]]),
    },
    {
      name: 'run-task-local-retried',
      description: 'LOCAL, fails twice (retryable) and succeeds on attempt 3',
      input: () => taskInput('local-retried', { type: 'flaky', executionMode: 'LOCAL', payload: { failAttempts: 2 } }),
      expect: (s) =>
        expect(outcomes(s)).toEqual([
          [1, 'LOCAL', 'failed', 'FlakyError'],
          [2, 'LOCAL', 'failed', 'FlakyError'],
          [3, 'LOCAL', 'succeeded', undefined],
        ]),
    },
    {
      name: 'run-task-local-permanent',
      description: 'LOCAL, a permanent error: FAILED after one attempt',
      input: () =>
        taskInput('local-permanent', { type: 'flaky', executionMode: 'LOCAL', payload: { permanent: true } }),
      expect: (s) =>
        expect([s.status, ...outcomes(s)]).toEqual(['FAILED', [1, 'LOCAL', 'failed', 'PermanentTaskError']]),
    },
    {
      name: 'run-task-local-exhausted',
      description: 'LOCAL, fails every attempt: FAILED when the retry policy runs out',
      input: () =>
        taskInput('local-exhausted', {
          type: 'flaky',
          executionMode: 'LOCAL',
          payload: { failAttempts: 10 },
          retry: { maximumAttempts: 2, initialIntervalMs: 100, backoffCoefficient: 2, maximumIntervalMs: 500 },
        }),
      expect: (s) => expect([s.status, s.attempts.length, s.error?.type]).toEqual(['FAILED', 2, 'FlakyError']),
    },
    {
      name: 'run-task-local-timed-out',
      description: 'LOCAL, hangs past its timeout on both attempts: FAILED with AttemptTimedOut',
      input: () =>
        taskInput('local-timeout', {
          type: 'flaky',
          executionMode: 'LOCAL',
          payload: { hang: true },
          timeoutSeconds: 2,
          retry: { maximumAttempts: 2, initialIntervalMs: 100, backoffCoefficient: 2, maximumIntervalMs: 500 },
        }),
      expect: (s) => expect([s.status, s.error?.type]).toEqual(['FAILED', 'AttemptTimedOut']),
    },
    {
      name: 'run-task-local-unknown-function',
      description: 'LOCAL, the function is not deployed: FAILED with UnknownFunctionError',
      input: () => ({
        ...taskInput('unknown-fn', { type: 'noop', executionMode: 'LOCAL' }),
        functionName: 'no-such-fn',
      }),
      expect: (s) => expect([s.status, s.error?.type]).toEqual(['FAILED', 'UnknownFunctionError']),
    },
    {
      name: 'run-task-local-cancelled',
      description: 'LOCAL, cancelled while its handler runs',
      input: () => taskInput('local-cancel', { type: 'flaky', executionMode: 'LOCAL', payload: { sleepMs: 600_000 } }),
      during: async (handle) => {
        await whenRunning(handle);
        await handle.cancel();
      },
      expect: (s) => expect(s.status).toBe('CANCELLED'),
    },
    {
      name: 'run-task-lambda-completed',
      description: 'LAMBDA, asynchronous (Event + signed callback), succeeds',
      input: () => taskInput('lambda', { type: 'noop', executionMode: 'LAMBDA' }),
      expect: (s) => expect(outcomes(s)).toEqual([[1, 'LAMBDA', 'succeeded', undefined]]),
    },
    {
      name: 'run-task-lambda-retried',
      description: 'LAMBDA, asynchronous, the first attempt fails through its callback, the second succeeds',
      input: () =>
        taskInput('lambda-retried', { type: 'flaky', executionMode: 'LAMBDA', payload: { failAttempts: 1 } }),
      expect: (s) =>
        expect(outcomes(s)).toEqual([
          [1, 'LAMBDA', 'failed', 'FlakyError'],
          [2, 'LAMBDA', 'succeeded', undefined],
        ]),
    },
    {
      name: 'run-task-lambda-sync',
      description: 'LAMBDA, synchronous (RequestResponse), succeeds',
      input: () => taskInput('lambda-sync', { type: 'noop', executionMode: 'LAMBDA', invocation: 'sync' }),
      expect: (s) => expect(outcomes(s)).toEqual([[1, 'LAMBDA', 'succeeded', undefined]]),
    },
    {
      name: 'run-task-lambda-callback-lost',
      description: 'LAMBDA, the first attempt crashes (no callback) and times out, the second succeeds',
      input: () =>
        taskInput('lambda-crash', {
          type: 'flaky',
          executionMode: 'LAMBDA',
          payload: { crash: true, crashAttempts: 1 },
          timeoutSeconds: 4,
        }),
      expect: (s) =>
        expect(outcomes(s)).toEqual([
          [1, 'LAMBDA', 'failed', 'AttemptTimedOut'],
          [2, 'LAMBDA', 'succeeded', undefined],
        ]),
    },
    {
      name: 'run-task-lambda-cancelled',
      description: 'LAMBDA, cancelled while its function runs',
      input: () =>
        taskInput('lambda-cancel', {
          type: 'flaky',
          executionMode: 'LAMBDA',
          payload: { holdUntil: gate.url, holdMaxMs: 8_000 },
        }),
      during: async (handle) => {
        await whenRunning(handle);
        await handle.cancel();
      },
      expect: (s) => expect(s.status).toBe('CANCELLED'),
    },
    {
      name: 'run-task-auto-local',
      description: 'AUTO below the threshold: placed LOCAL by decidePlacement, succeeds',
      input: () => taskInput('auto-local', { type: 'noop', executionMode: 'AUTO' }),
      expect: (s) =>
        expect([s.placement?.placement, ...outcomes(s)]).toEqual(['LOCAL', [1, 'LOCAL', 'succeeded', undefined]]),
    },
  ];

  test.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, scenario) => record(harness, scenario), 120_000);

  test('warm-pool', async () => {
    const workflowId = uniqueId('replay-warm-pool');
    const handle = await harness.client.workflow.start(WARM_POOL_WORKFLOW_TYPE, {
      taskQueue: WORKFLOW_TASK_QUEUE,
      workflowId,
      args: [{ trigger: 'manual' }],
    });
    const result = (await handle.result()) as { functions: Array<{ warmed: number }> };
    expect(result.functions.length).toBeGreaterThan(0);
    await save(
      harness.client,
      'warm-pool',
      workflowId,
      WARM_POOL_WORKFLOW_TYPE,
      'warmPool, triggered by hand, warms every function',
      'COMPLETED',
    );
  }, 120_000);
});

/**
 * A TCP relay from 127.0.0.2 to the local Lambda service: a Lambda endpoint that is not loopback by Spillway's test
 * (clients/lambda-client.ts), so AUTO reads AWS's signals (reserved concurrency, its own in-flight leases) instead of
 * the local service's exact status, and can place a task on Lambda that Lambda then throttles, as AWS can.
 */
async function startRelay(target: URL): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((socket) => {
    const upstream = connect(Number(target.port), target.hostname);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.2:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('AUTO over the threshold (0): placed on Lambda', () => {
  let harness: TestHarness;
  let app: FastifyInstance;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let lambda: LambdaClient;

  beforeAll(async () => {
    const endpoint = readStack().lambdaEndpoint;
    if (!endpoint) throw new Error('the test stack has no Lambda service: run npm run build first');
    relay = await startRelay(new URL(endpoint));
    lambda = new LambdaClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'replay', secretAccessKey: 'replay' },
      maxAttempts: 1,
    });
    harness = await startHarness({
      env: {
        SCHEDULER_LAMBDA_TASK_THRESHOLD: '0',
        LAMBDA_ENDPOINT: relay.url,
        AWS_ACCESS_KEY_ID: 'replay',
        AWS_SECRET_ACCESS_KEY: 'replay',
      },
    });
    app = await listenForCallbacks(harness);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await harness?.close();
    await lambda?.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'flaky' })).catch(() => undefined);
    lambda?.destroy();
    await relay?.close();
  });

  test('run-task-auto-lambda', async () => {
    await record(harness, {
      name: 'run-task-auto-lambda',
      description: 'AUTO over the threshold: placed LAMBDA by decidePlacement, succeeds',
      input: () => taskInput('auto-lambda', { type: 'noop', executionMode: 'AUTO' }),
      expect: (s) =>
        expect([s.placement?.placement, ...outcomes(s)]).toEqual(['LAMBDA', [1, 'LAMBDA', 'succeeded', undefined]]),
    });
  }, 120_000);

  test('run-task-auto-throttle-fallback', async () => {
    const blockerGate = await startHoldGate();
    try {
      // flaky gets one concurrent execution, and an invocation outside Spillway holds it: Spillway's own leases
      // show Lambda free, so AUTO places the task there, and the synchronous invoke is throttled.
      await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'flaky', ReservedConcurrentExecutions: 1 }));
      await lambda.send(
        new InvokeCommand({
          FunctionName: 'flaky',
          InvocationType: 'Event',
          Payload: Buffer.from(
            JSON.stringify({
              taskId: 'replay-blocker',
              taskType: 'flaky',
              attempt: 1,
              payload: { holdUntil: blockerGate.url, holdMaxMs: 8_000 },
            }),
          ),
        }),
      );
      await eventually(async () => (blockerGate.closedPolls() > 0 ? true : undefined));
      await record(harness, {
        name: 'run-task-auto-throttle-fallback',
        description: 'AUTO placed LAMBDA, the synchronous invoke is throttled, the task falls back to LOCAL',
        input: () => taskInput('auto-fallback', { type: 'flaky', executionMode: 'AUTO', invocation: 'sync' }),
        // Attempt numbers are not pinned here: the fallback records the throttled attempt a second time (reported
        // both by invokeLambda's signal and by the workflow), which a fix may change without changing commands.
        expect: (s) => {
          const all = outcomes(s);
          expect([s.placement?.placement, s.status, all[0], all.at(-1)?.slice(1)]).toEqual([
            'LOCAL',
            'COMPLETED',
            [1, 'LAMBDA', 'failed', 'LambdaThrottledError'],
            ['LOCAL', 'succeeded', undefined],
          ]);
        },
      });
    } finally {
      blockerGate.release();
      await blockerGate.close();
    }
  }, 120_000);
});
