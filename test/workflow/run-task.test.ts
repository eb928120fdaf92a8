// TaskWorkflow on the real Temporal dev server, with the real worker and real handlers from functions/.
import { WorkflowFailedError } from '@temporalio/client';
import { TASK_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE } from '../../domain/constants';
import type { TaskInput, TaskState } from '../../domain/task-model';
import { startHarness, uniqueId, eventually, type TestHarness } from '../support/test-stack';

let harness: TestHarness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
});

function flakyTask(id: string, payload: Record<string, unknown>, retry: Partial<TaskInput['retry']> = {}): TaskInput {
  return {
    version: 1,
    id,
    name: `flaky ${id}`,
    type: 'flaky',
    executionMode: 'LOCAL',
    functionName: 'flaky',
    payload,
    retry: { maximumAttempts: 5, initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 10_000, ...retry },
    timeoutSeconds: 30,
    submittedAt: new Date().toISOString(),
  };
}

async function start(input: TaskInput) {
  return harness.client.workflow.start(TASK_WORKFLOW_TYPE, {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId: input.id,
    args: [input],
  });
}

test('a handler that fails twice and then succeeds completes after 3 attempts with growing intervals', async () => {
  const handle = await start(flakyTask(uniqueId('flaky'), { failAttempts: 2 }));
  const state = (await handle.result()) as TaskState;

  expect(state.status).toBe('COMPLETED');
  expect(state.attempts.map((a) => [a.attempt, a.outcome])).toEqual([
    [1, 'failed'],
    [2, 'failed'],
    [3, 'succeeded'],
  ]);
  expect(state.attempts[0]?.error).toEqual({ type: 'FlakyError', message: expect.any(String), nonRetryable: false });
  const [, second, third] = state.attempts;
  // Temporal's backoff: never less than 1 s before attempt 2 and 2 s before attempt 3 (less the clocks' resolution).
  expect(second?.backoffMs).toBeGreaterThanOrEqual(900);
  expect(third?.backoffMs).toBeGreaterThanOrEqual(1900);
  expect(state.result).toEqual(expect.objectContaining({ attempt: 3 }));
  const description = await handle.describe();
  expect(description.status.name).toBe('COMPLETED');
});

test('a permanent error fails the task after one attempt', async () => {
  const handle = await start(flakyTask(uniqueId('permanent'), { permanent: true }));
  const failure = await handle.result().catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const state = await handle.query<TaskState>('status');
  expect(state.status).toBe('FAILED');
  expect(state.attempts).toHaveLength(1);
  expect(state.error).toEqual({ type: 'PermanentTaskError', message: expect.any(String), nonRetryable: true });
  expect((await handle.describe()).status.name).toBe('FAILED');
});

test('an unknown function is permanent', async () => {
  const input = { ...flakyTask(uniqueId('unknown-fn'), {}), functionName: 'does-not-exist' };
  const handle = await start(input);
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  const state = await handle.query<TaskState>('status');
  expect(state.error?.type).toBe('UnknownFunctionError');
  expect(state.attempts).toHaveLength(1);
});

test('a task that runs out of attempts ends FAILED with the last error', async () => {
  const handle = await start(
    flakyTask(uniqueId('exhausted'), { failAttempts: 10 }, { maximumAttempts: 2, initialIntervalMs: 100 }),
  );
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  const state = await handle.query<TaskState>('status');
  expect(state.status).toBe('FAILED');
  expect(state.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed']);
  expect(state.error?.type).toBe('FlakyError');
});

test('cancelling a running task reaches the handler and ends CANCELLED', async () => {
  const handle = await start(flakyTask(uniqueId('cancel'), { sleepMs: 900_000 }));
  await eventually(async () => ((await handle.query<TaskState>('status')).status === 'RUNNING' ? true : undefined));
  await handle.cancel();
  await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  // The handler honoured the cancellation: its activity ended cancelled; had the sleep run out, it would have
  // completed instead.
  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.filter((e) => e.activityTaskCanceledEventAttributes)).toHaveLength(1);
  expect(events.filter((e) => e.activityTaskCompletedEventAttributes)).toHaveLength(0);
  const state = await handle.query<TaskState>('status');
  expect(state.status).toBe('CANCELLED');
  expect((await handle.describe()).status.name).toBe('CANCELLED');
});

test('each transition reaches the live projection in Redis', async () => {
  const id = uniqueId('projection');
  const handle = await start({ ...flakyTask(id, {}), type: 'noop', functionName: 'noop' });
  await handle.result();
  const counts = await eventually(async () => {
    const c = await harness.projection.counts();
    return (c['status:COMPLETED'] ?? 0) >= 1 ? c : undefined;
  });
  expect(counts['COMPLETED:LOCAL']).toBeGreaterThanOrEqual(1);
  expect(await harness.redis.hget(`${harness.config.redis.prefix}task:${id}`, 'status')).toBe('COMPLETED');
});
