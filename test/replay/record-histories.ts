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
import { temporal } from '@temporalio/proto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import {
  CONTROLS_WORKFLOW_ID,
  CONTROLS_WORKFLOW_TYPE,
  PIPELINE_MAP_BATCH_WORKFLOW_TYPE,
  PIPELINE_WORKFLOW_TYPE,
  REMOTE_PIPELINE_WORKFLOW_TYPE,
  STATE_MACHINE_WORKFLOW_TYPE,
  TASK_WORKFLOW_TYPE,
  WARM_POOL_WORKFLOW_TYPE,
  WORKFLOW_TASK_QUEUE,
} from '../../domain/constants';
import type { MapBatchResult } from '../../domain/pipeline-model';
import type { PlacementDecision, TaskInput, TaskState } from '../../domain/task-model';
import { executionWorkflowId, stateMachineWorkflowId } from '../../pipelines/arns';
import { startRemoteSfnStack, type RemoteSfnStack } from '../pipelines/sfn-api';
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

/**
 * A decision as api/services/submission-placement.ts puts it in a predictive AUTO task's input (its estimates left
 * out: the workflow only reads where it goes and records the rest as it came).
 */
function placedBySubmission(placement: 'LOCAL' | 'LAMBDA'): PlacementDecision {
  return {
    placement,
    reason: `predictive AUTO: ${placement} chosen at submission for the replay recording`,
    policy: 'predictive',
    objective: 'balanced',
    payloadViaS3: false,
    ...(placement === 'LAMBDA' ? { fallbackToLocalOnThrottle: true } : {}),
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
  /** A task started straight on Temporal with this input (the shape of older API builds)... */
  input?: () => TaskInput;
  /** ...or submitted through the API as a user does (the current input revision); returns the task id. */
  submit?: (app: FastifyInstance) => Promise<string>;
  /** What the run must have ended with, so a recording is what its name says. */
  expect: (state: TaskState, events: string[]) => void;
  /** Steps while it runs (cancel it, release a gate). */
  during?: (handle: WorkflowHandle, harness: TestHarness) => Promise<void>;
}

const outcomes = (state: TaskState) => state.attempts.map((a) => [a.attempt, a.placement, a.outcome, a.error?.type]);

async function record(harness: TestHarness, scenario: Scenario, app?: FastifyInstance) {
  let handle: WorkflowHandle;
  if (scenario.submit) {
    if (!app) throw new Error(`${scenario.name} submits through the API: give record() the app`);
    handle = harness.client.workflow.getHandle(await scenario.submit(app));
  } else if (scenario.input) {
    handle = await start(harness, scenario.input());
  } else throw new Error(`${scenario.name} has neither input nor submit`);
  await scenario.during?.(handle, harness);
  const state = await finalState(handle);
  scenario.expect(state, await eventTypes(harness.client, handle.workflowId));
  await save(harness.client, scenario.name, handle.workflowId, TASK_WORKFLOW_TYPE, scenario.description, state.status);
}

/** A workflow's history as event type names (ACTIVITY_TASK_SCHEDULED, ...). */
async function eventTypes(client: TestHarness['client'], workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const names = temporal.api.enums.v1.EventType;
  return (history.events ?? []).map((e) => String(names[e.eventType ?? 0]).replace(/^EVENT_TYPE_/, ''));
}

/** Submits a task through POST /api/tasks, as a user does; returns its id. */
async function submitTask(app: FastifyInstance, body: Record<string, unknown>): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/tasks', payload: body });
  expect([res.statusCode, res.json()]).toEqual([201, expect.objectContaining({ id: expect.any(String) })]);
  return res.json<{ id: string }>().id;
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
      name: 'run-task-local-completed-r2',
      description:
        'LOCAL, submitted through the API (input revision 2): RUNNING from its start, the first attempt succeeds ' +
        "and publishes the task's end itself",
      submit: (app) => submitTask(app, { name: 'replay local r2', type: 'noop', executionMode: 'LOCAL', payload: {} }),
      expect: (s, events) => {
        expect(outcomes(s)).toEqual([[1, 'LOCAL', 'succeeded', undefined]]);
        // Revision 2: no RUNNING upsert (the API started it RUNNING), and no publishTransition marker (the attempt
        // published the end): one activity, then one upsert of the facts at the end.
        expect(events.filter((e) => /^(ACTIVITY_TASK_SCHEDULED|UPSERT_WORKFLOW|MARKER_RECORDED)/.test(e))).toEqual([
          'ACTIVITY_TASK_SCHEDULED',
          'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
        ]);
      },
    },
    {
      name: 'run-task-local-gated-r3',
      description:
        'LOCAL, submitted through the API (input revision 3) with a start delay, a concurrency key and a rate limit: ' +
        'reads the operator controls when it places (a local activity), takes its slot and its permit, the attempt ' +
        'moves the permit to its start, and the slot is given back',
      submit: (app) =>
        submitTask(app, {
          name: 'replay local gated r3',
          type: 'noop',
          executionMode: 'LOCAL',
          payload: {},
          delaySeconds: 1,
          concurrency: { key: 'replay-gated', limit: 2 },
          rateLimit: { key: 'replay-gated', perSecond: 5 },
        }),
      expect: (s, events) => {
        expect(outcomes(s)).toEqual([[1, 'LOCAL', 'succeeded', undefined]]);
        expect(s.options).toEqual(
          expect.objectContaining({
            concurrency: { key: 'replay-gated', limit: 2 },
            rateLimit: { key: 'replay-gated', limit: 5, periodMs: 1000 },
          }),
        );
        // The controls read (a marker), acquireSlot, acquirePermit, the attempt, RUNNING, releaseSlot, the facts.
        expect(events.filter((e) => /^(ACTIVITY_TASK_SCHEDULED|UPSERT_WORKFLOW|MARKER_RECORDED)/.test(e))).toEqual([
          'MARKER_RECORDED',
          'ACTIVITY_TASK_SCHEDULED',
          'ACTIVITY_TASK_SCHEDULED',
          'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
          'ACTIVITY_TASK_SCHEDULED',
          'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
          'ACTIVITY_TASK_SCHEDULED',
        ]);
      },
    },
    {
      name: 'run-task-local-retried-r2',
      description:
        'LOCAL, submitted through the API (input revision 2): fails twice (retryable), succeeds on attempt 3, ' +
        'and the workflow publishes the end',
      submit: (app) =>
        submitTask(app, {
          name: 'replay local retried r2',
          type: 'flaky',
          executionMode: 'LOCAL',
          payload: { failAttempts: 2 },
          retry: { maximumAttempts: 3, initialIntervalMs: 200, backoffCoefficient: 2, maximumIntervalMs: 1_000 },
        }),
      expect: (s, events) => {
        expect(outcomes(s)).toEqual([
          [1, 'LOCAL', 'failed', 'FlakyError'],
          [2, 'LOCAL', 'failed', 'FlakyError'],
          [3, 'LOCAL', 'succeeded', undefined],
        ]);
        // No RUNNING upsert at the start; the end is not the attempt's to publish (its first try failed), so the
        // workflow publishes it (the publishTransition local activity's marker).
        expect(events.filter((e) => /^(ACTIVITY_TASK_SCHEDULED|UPSERT_WORKFLOW|MARKER_RECORDED)/.test(e))).toEqual([
          'ACTIVITY_TASK_SCHEDULED',
          'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
          'MARKER_RECORDED',
        ]);
      },
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
    {
      name: 'run-task-auto-local-r4',
      description: 'AUTO of input revision 4: placed LOCAL by decidePlacement run as a local activity, succeeds',
      input: () => taskInput('auto-local-r4', { type: 'noop', executionMode: 'AUTO', workflowRevision: 4 }),
      expect: (s) =>
        expect([s.placement?.placement, ...outcomes(s)]).toEqual(['LOCAL', [1, 'LOCAL', 'succeeded', undefined]]),
    },
    {
      name: 'run-task-auto-placed-local-r4',
      description:
        'AUTO of input revision 4 placed LOCAL by the API at submission (predictive; the decision in its input), succeeds',
      input: () =>
        taskInput('auto-placed-local', {
          type: 'noop',
          executionMode: 'AUTO',
          workflowRevision: 4,
          decidedPlacement: placedBySubmission('LOCAL'),
        }),
      expect: (s) =>
        expect([s.placement?.placement, s.placement?.policy, ...outcomes(s)]).toEqual([
          'LOCAL',
          'predictive',
          [1, 'LOCAL', 'succeeded', undefined],
        ]),
    },
    {
      name: 'run-task-auto-placed-lambda-r4',
      description:
        'AUTO of input revision 4 placed LAMBDA by the API at submission (predictive; the decision in its input), succeeds',
      input: () =>
        taskInput('auto-placed-lambda', {
          type: 'noop',
          executionMode: 'AUTO',
          workflowRevision: 4,
          decidedPlacement: placedBySubmission('LAMBDA'),
        }),
      expect: (s) =>
        expect([s.placement?.placement, s.placement?.policy, ...outcomes(s)]).toEqual([
          'LAMBDA',
          'predictive',
          [1, 'LAMBDA', 'succeeded', undefined],
        ]),
    },
  ];

  test.each(scenarios.map((s) => [s.name, s] as const))(
    '%s',
    (_name, scenario) => record(harness, scenario, app),
    120_000,
  );

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
        // The threshold rule decides AUTO in the workflow, so its histories hold the decision (revision 4's marker).
        SCHEDULER_AUTO_POLICY: 'threshold',
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

  test('run-task-auto-lambda-r4', async () => {
    await record(harness, {
      name: 'run-task-auto-lambda-r4',
      description: 'AUTO of input revision 4: placed LAMBDA by decidePlacement run as a local activity, succeeds',
      input: () => taskInput('auto-lambda-r4', { type: 'noop', executionMode: 'AUTO', workflowRevision: 4 }),
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

/** A JSON request to the API, answered with its status and body. */
async function call(app: FastifyInstance, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  const res = await app.inject({ method, url, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.body ? (res.json() as Record<string, unknown>) : undefined };
}

/** Waits for a workflow to close, however it ended. */
async function closed(client: TestHarness['client'], workflowId: string) {
  await client.workflow
    .getHandle(workflowId)
    .result()
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowFailedError)) throw err;
    });
}

/** The children of a closed workflow of one type, in the order it started them. */
async function childrenOf(client: TestHarness['client'], workflowId: string, workflowType: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.childWorkflowExecutionStartedEventAttributes)
    .filter((a) => a?.workflowType?.name === workflowType)
    .map((a) => a!.workflowExecution!.workflowId!);
}

interface PipelineScenario {
  name: string;
  description: string;
  definition: Record<string, unknown>;
  input: Record<string, unknown>;
  /** Steps while it runs (stop it). */
  during?: (app: FastifyInstance, executionUrl: string) => Promise<void>;
  /** What GET /api/pipelines/:name/executions/:execution answered at the end. */
  expect: (execution: Record<string, unknown>) => void;
  /** Also record the first runPipelineMapBatch child as this scenario. */
  mapBatch?: { name: string; description: string; expect: (result: MapBatchResult) => void };
}

const flakyTask = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'flaky',
  Parameters: parameters,
  ...extra,
});

describe('pipelines (Step Functions executions, state machines and remote executions)', () => {
  let stack: RemoteSfnStack;
  let remoteApp: FastifyInstance;
  beforeAll(async () => {
    stack = await startRemoteSfnStack('replay');
    remoteApp = stack.remoteApp;
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  const machineName = (label: string) => uniqueId(`replay-${label}`).replace(/^test-/, 'p');

  const scenarios: PipelineScenario[] = [
    {
      name: 'run-pipeline-succeeded',
      description: 'runPipeline: Wait, a LOCAL Task (noop), Choice and an inline Map of Pass states; SUCCEEDED',
      definition: {
        StartAt: 'Wait',
        States: {
          Wait: { Type: 'Wait', SecondsPath: '$.wait', Next: 'Ping' },
          Ping: {
            Type: 'Task',
            Resource: 'noop',
            ResultSelector: { 'ok.$': '$.ok' },
            ResultPath: '$.ping',
            Next: 'Ok?',
          },
          'Ok?': {
            Type: 'Choice',
            Choices: [{ Variable: '$.ping.ok', BooleanEquals: true, Next: 'Each' }],
            Default: 'NotOk',
          },
          NotOk: { Type: 'Fail', Error: 'NotOk' },
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      input: { wait: 1, items: [1, 2, 3] },
      expect: (e) => expect([e.status, e.output]).toEqual(['SUCCEEDED', [1, 2, 3]]),
    },
    {
      name: 'run-pipeline-retried-caught',
      description: 'runPipeline: a Task fails, Retry runs it again, it fails again, Catch handles it; SUCCEEDED',
      definition: {
        StartAt: 'Flaky',
        States: {
          Flaky: flakyTask(
            { failAttempts: 1, errorType: 'UpstreamDown' },
            {
              Retry: [{ ErrorEquals: ['UpstreamDown'], IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 1 }],
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: 'Handled' }],
              End: true,
            },
          ),
          Handled: { Type: 'Pass', End: true },
        },
      },
      input: { id: 1 },
      expect: (e) =>
        expect([e.status, e.output]).toEqual([
          'SUCCEEDED',
          { id: 1, caught: { Error: 'UpstreamDown', Cause: expect.any(String) } },
        ]),
    },
    {
      name: 'run-pipeline-failed',
      description: 'runPipeline: a Task fails with a permanent error and nothing catches it; FAILED',
      definition: { StartAt: 'Broken', States: { Broken: flakyTask({ permanent: true }, { End: true }) } },
      input: {},
      expect: (e) => expect([e.status, e.error]).toEqual(['FAILED', 'PermanentTaskError']),
    },
    {
      name: 'run-pipeline-aborted',
      description: 'runPipeline: stopped by StopExecution during a long Wait; ABORTED',
      definition: { StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 600, End: true } } },
      input: {},
      during: async (app, url) => {
        await eventually(async () => {
          const e = await call(app, 'GET', url);
          return (e.body?.states as Record<string, { status: string }> | undefined)?.Nap ? true : undefined;
        });
        expect((await call(app, 'POST', `${url}/stop`, { error: 'Halt', cause: 'replay recording' })).status).toBe(202);
      },
      expect: (e) => expect([e.status, e.error, e.cause]).toEqual(['ABORTED', 'Halt', 'replay recording']),
    },
    {
      name: 'run-pipeline-distributed-map',
      description: 'runPipeline: a distributed Map whose items run a LOCAL Task (noop) in a batch child; SUCCEEDED',
      definition: {
        StartAt: 'Fan',
        States: {
          Fan: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              StartAt: 'Ping',
              States: { Ping: { Type: 'Task', Resource: 'noop', ResultSelector: { 'ok.$': '$.ok' }, End: true } },
            },
            Label: 'Pinger',
            End: true,
          },
        },
      },
      input: { items: [{ n: 1 }, { n: 2 }, { n: 3 }] },
      expect: (e) =>
        expect([e.status, e.output, e.mapRuns]).toEqual([
          'SUCCEEDED',
          [{ ok: true }, { ok: true }, { ok: true }],
          [expect.objectContaining({ status: 'SUCCEEDED' })],
        ]),
      mapBatch: {
        name: 'run-pipeline-map-batch-completed',
        description: "runPipelineMapBatch: a distributed Map's batch of three items, each a LOCAL Task; all succeed",
        expect: (r) =>
          expect(r.outcomes.map((o) => o.outcome?.status)).toEqual(['succeeded', 'succeeded', 'succeeded']),
      },
    },
    {
      name: 'run-pipeline-distributed-map-tolerated',
      description: 'runPipeline: a distributed Map with ToleratedFailureCount 1, one item fails; SUCCEEDED',
      definition: {
        StartAt: 'Fan',
        States: {
          Fan: {
            Type: 'Map',
            ItemsPath: '$.items',
            ToleratedFailureCount: 1,
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              StartAt: 'Work',
              States: { Work: flakyTask({ 'permanent.$': '$.bad' }, { End: true }) },
            },
            End: true,
          },
        },
      },
      input: { items: [{ bad: false }, { bad: true }, { bad: false }] },
      expect: (e) =>
        expect([e.status, (e.output as unknown[])[1]]).toEqual([
          'SUCCEEDED',
          { Error: 'PermanentTaskError', Cause: expect.any(String) },
        ]),
      mapBatch: {
        name: 'run-pipeline-map-batch-item-failed',
        description: "runPipelineMapBatch: a distributed Map's batch of three items, the second fails",
        expect: (r) => expect(r.outcomes.map((o) => o.outcome?.status)).toEqual(['succeeded', 'failed', 'succeeded']),
      },
    },
    {
      name: 'run-pipeline-live-succeeded',
      description:
        'runPipeline publishing its progress to the live stream (an activity per change): Wait, a LOCAL Task, Choice, an inline Map; SUCCEEDED',
      definition: {
        StartAt: 'Wait',
        States: {
          Wait: { Type: 'Wait', Seconds: 1, Next: 'Ping' },
          Ping: {
            Type: 'Task',
            Resource: 'noop',
            ResultSelector: { 'ok.$': '$.ok' },
            ResultPath: '$.ping',
            Next: 'Ok?',
          },
          'Ok?': {
            Type: 'Choice',
            Choices: [{ Variable: '$.ping.ok', BooleanEquals: true, Next: 'Each' }],
            Default: 'NotOk',
          },
          NotOk: { Type: 'Fail', Error: 'NotOk' },
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      input: { items: [1, 2, 3] },
      expect: (e) => expect([e.status, e.output]).toEqual(['SUCCEEDED', [1, 2, 3]]),
    },
    {
      name: 'run-pipeline-live-aborted',
      description:
        'runPipeline publishing its progress: stopped by StopExecution during a long Wait, publishes ABORTED',
      definition: { StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 600, End: true } } },
      input: {},
      during: async (app, url) => {
        await eventually(async () => {
          const e = await call(app, 'GET', url);
          return (e.body?.states as Record<string, { status: string }> | undefined)?.Nap ? true : undefined;
        });
        expect((await call(app, 'POST', `${url}/stop`, { error: 'Halt', cause: 'replay recording' })).status).toBe(202);
      },
      expect: (e) => expect([e.status, e.error, e.cause]).toEqual(['ABORTED', 'Halt', 'replay recording']),
    },
    {
      name: 'run-pipeline-redriven-timed-out',
      description:
        'runPipeline: the redrive of a TIMED_OUT execution (TimeoutSeconds 3), its timeout counted again from the redrive; SUCCEEDED',
      definition: {
        QueryLanguage: 'JSONata',
        TimeoutSeconds: 3,
        StartAt: 'Nap',
        States: {
          Nap: { Type: 'Wait', Seconds: '{% $states.context.Execution.RedriveCount = 0 ? 600 : 1 %}', Next: 'Done' },
          Done: { Type: 'Pass', End: true },
        },
      },
      input: {},
      during: async (app, url) => {
        await eventually(async () => ((await call(app, 'GET', url)).body?.status === 'TIMED_OUT' ? true : undefined));
        expect((await call(app, 'POST', `${url}/redrive`)).status).toBe(202);
        await eventually(async () => ((await call(app, 'GET', url)).body?.status !== 'TIMED_OUT' ? true : undefined));
      },
      expect: (e) => expect([e.status, e.redriveCount]).toEqual(['SUCCEEDED', 1]),
    },
  ];

  test.each(scenarios.map((s) => [s.name, s] as const))(
    '%s',
    async (_name, scenario) => {
      const { app, harness } = stack;
      const machine = machineName(scenario.name.replace(/^run-pipeline-/, ''));
      const created = await call(app, 'POST', '/api/pipelines', {
        name: machine,
        definition: scenario.definition,
        defaultExecutionMode: 'LOCAL',
      });
      expect(created.status).toBe(201);
      const started = await call(app, 'POST', `/api/pipelines/${machine}/executions`, {
        name: 'e1',
        input: scenario.input,
      });
      expect(started.status).toBe(201);
      const url = `/api/pipelines/${machine}/executions/e1`;
      await scenario.during?.(app, url);
      const workflowId = executionWorkflowId(machine, 'e1');
      await closed(harness.client, workflowId);
      const execution = (await call(app, 'GET', url)).body!;
      scenario.expect(execution);
      await save(
        harness.client,
        scenario.name,
        workflowId,
        PIPELINE_WORKFLOW_TYPE,
        scenario.description,
        String(execution.status),
      );
      if (scenario.mapBatch) {
        const [batch] = await childrenOf(harness.client, workflowId, PIPELINE_MAP_BATCH_WORKFLOW_TYPE);
        expect(batch).toEqual(expect.any(String));
        const result = (await harness.client.workflow.getHandle(batch!).result()) as MapBatchResult;
        scenario.mapBatch.expect(result);
        await save(
          harness.client,
          scenario.mapBatch.name,
          batch!,
          PIPELINE_MAP_BATCH_WORKFLOW_TYPE,
          scenario.mapBatch.description,
          'COMPLETED',
        );
      }
    },
    120_000,
  );

  test('pipeline-state-machine-deleted', async () => {
    const { app, harness } = stack;
    const machine = machineName('machine');
    const definition = { StartAt: 'Say', States: { Say: { Type: 'Pass', Result: 'hi', End: true } } };
    expect((await call(app, 'POST', '/api/pipelines', { name: machine, definition })).status).toBe(201);
    const updated = await call(app, 'PUT', `/api/pipelines/${machine}`, {
      definition: { ...definition, Comment: 'revised' },
      defaultExecutionMode: 'AUTO',
    });
    expect([updated.status, updated.body]).toEqual([
      200,
      expect.objectContaining({ defaultExecutionMode: 'AUTO', revisions: 1 }),
    ]);
    expect((await call(app, 'DELETE', `/api/pipelines/${machine}`)).status).toBe(204);
    const workflowId = stateMachineWorkflowId(machine);
    await closed(harness.client, workflowId);
    expect((await harness.client.workflow.getHandle(workflowId).describe()).status.name).toBe('COMPLETED');
    await save(
      harness.client,
      'pipeline-state-machine-deleted',
      workflowId,
      STATE_MACHINE_WORKFLOW_TYPE,
      'pipelineStateMachine: created, updated once (definition and default mode), deleted',
      'COMPLETED',
    );
  }, 120_000);

  const remoteScenarios = [
    {
      name: 'follow-remote-pipeline-succeeded',
      description: 'followRemotePipeline: polls a remote execution (Wait 1 s, Pass) until it SUCCEEDED',
      definition: {
        StartAt: 'Nap',
        States: {
          Nap: { Type: 'Wait', Seconds: 1, Next: 'Say' },
          Say: { Type: 'Pass', Result: { hi: 'aws' }, End: true },
        },
      },
      expect: (r: Record<string, unknown>) => expect([r.status, r.output]).toEqual(['SUCCEEDED', { hi: 'aws' }]),
    },
    {
      name: 'follow-remote-pipeline-failed',
      description: 'followRemotePipeline: polls a remote execution (Wait 1 s, Fail) until it FAILED',
      definition: {
        StartAt: 'Nap',
        States: { Nap: { Type: 'Wait', Seconds: 1, Next: 'Fail' }, Fail: { Type: 'Fail', Error: 'Nope', Cause: 'x' } },
      },
      expect: (r: Record<string, unknown>) => expect([r.status, r.error]).toEqual(['FAILED', 'Nope']),
    },
  ];

  test.each(remoteScenarios.map((s) => [s.name, s] as const))(
    '%s',
    async (_name, scenario) => {
      const { app, harness } = stack;
      const machine = machineName('remote');
      const created = await call(app, 'POST', '/api/pipelines', { name: machine, definition: scenario.definition });
      expect(created.status).toBe(201);
      const started = await call(remoteApp, 'POST', '/api/pipelines/remote/executions', {
        stateMachineArn: created.body!.arn,
        name: 'remote-1',
        input: { a: 1 },
      });
      expect([started.status, started.body]).toEqual([201, expect.objectContaining({ status: 'RUNNING' })]);
      const workflowId = String(started.body!.workflowId);
      await closed(harness.client, workflowId);
      const followed = (await call(remoteApp, 'GET', `/api/pipelines/remote/executions/${workflowId}`)).body!;
      scenario.expect(followed);
      expect(followed.polls).toBeGreaterThan(1);
      await save(
        harness.client,
        scenario.name,
        workflowId,
        REMOTE_PIPELINE_WORKFLOW_TYPE,
        scenario.description,
        String(followed.status),
      );
    },
    120_000,
  );
});

describe('operator controls (the long-lived spillway-controls workflow)', () => {
  let harness: TestHarness;
  let app: FastifyInstance;
  beforeAll(async () => {
    harness = await startHarness({ env: { SPILLWAY_CONTROLS_CACHE_MS: '0' } });
    app = await listenForCallbacks(harness);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await harness?.close();
  });

  test('operator-controls', async () => {
    const hold = await startHoldGate();
    try {
      const actor = { by: 'ops@example.com' };
      const changes: Array<[string, Record<string, unknown>]> = [
        ['/api/controls/pause', { type: 'data-aggregation', reason: 'replay: pause a type', ...actor }],
        ['/api/controls/placement', { mode: 'drain-lambda', reason: 'replay: drain Lambda', ...actor }],
        ['/api/controls/placement', { mode: 'none', reason: 'replay: end the drain', ...actor }],
        ['/api/controls/resume', { type: 'data-aggregation', reason: 'replay: resume the type', ...actor }],
      ];
      for (const [url, body] of changes) expect([url, (await call(app, 'POST', url, body)).status]).toEqual([url, 200]);
      // A task paused and resumed by hand: the audit update.
      const id = await submitTask(app, {
        name: 'replay paused task',
        type: 'flaky',
        executionMode: 'LOCAL',
        payload: { holdUntil: hold.url, holdMaxMs: 30_000 },
      });
      await eventually(async () => (hold.closedPolls() > 0 ? true : undefined));
      for (const action of ['pause', 'resume'])
        expect(
          (await call(app, 'POST', `/api/tasks/${id}/${action}`, { reason: `replay: ${action}`, ...actor })).status,
        ).toBe(200);
      hold.release();
      await closed(harness.client, id);
      const controls = (await call(app, 'GET', '/api/controls')).body!;
      expect(controls).toEqual({
        pauses: {},
        audit: [
          expect.objectContaining({ action: 'pause', target: 'type:data-aggregation' }),
          expect.objectContaining({ action: 'placement:drain-lambda', target: 'all tasks' }),
          expect.objectContaining({ action: 'placement:none', target: 'all tasks' }),
          expect.objectContaining({ action: 'resume', target: 'type:data-aggregation' }),
          expect.objectContaining({ action: 'pause-task', target: id }),
          expect.objectContaining({ action: 'resume-task', target: id }),
        ],
      });
      // It never ends on its own (it continues as new after 5,000 events): ended here, so the file is final.
      const handle = harness.client.workflow.getHandle(CONTROLS_WORKFLOW_ID);
      await handle.terminate('replay recording: the history is complete');
      await save(
        harness.client,
        'operator-controls',
        CONTROLS_WORKFLOW_ID,
        CONTROLS_WORKFLOW_TYPE,
        'operatorControls: pause and resume a type, drain Lambda and end it, pause and resume a task (audit); ' +
          'terminated after, as it never closes',
        'TERMINATED',
      );
    } finally {
      hold.release();
      await hold.close();
    }
  }, 120_000);
});
