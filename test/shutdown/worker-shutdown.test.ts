// Graceful shutdown of a real worker process: on SIGTERM it stops polling and lets the local attempt it holds finish
// (exit 0); past its grace period it kills the attempt's environment without reporting it (exit 2), and Temporal
// runs the attempt again on another worker once its heartbeat lapses. The attempts are held at a gate, so the signal
// always comes while one runs.
import { Client, Connection } from '@temporalio/client';
import { TASK_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE } from '../../domain/constants';
import type { TaskInput, TaskState } from '../../domain/task-model';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { readStack, uniqueId } from '../support/test-stack';
import { SpillwayProcesses, waitFor } from '../scale/processes';

let connection: Connection;
let client: Client;

beforeAll(async () => {
  connection = await Connection.connect({ address: readStack().temporalAddress });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
});

function flakyTask(label: string, payload: Record<string, unknown>): TaskInput {
  const id = uniqueId(label);
  return {
    version: 1,
    id,
    name: `shutdown ${label}`,
    type: 'flaky',
    executionMode: 'LOCAL',
    functionName: 'flaky',
    payload,
    retry: { maximumAttempts: 3, initialIntervalMs: 200, backoffCoefficient: 2, maximumIntervalMs: 1_000 },
    timeoutSeconds: 120,
    submittedAt: new Date().toISOString(),
  };
}

const start = (input: TaskInput) =>
  client.workflow.start(TASK_WORKFLOW_TYPE, { taskQueue: WORKFLOW_TASK_QUEUE, workflowId: input.id, args: [input] });

describe('a worker on SIGTERM', () => {
  let processes: SpillwayProcesses;
  let gate: HoldGate;

  beforeEach(async () => {
    gate = await startHoldGate();
  });

  afterEach(async () => {
    gate.release();
    await processes?.stopAll();
    await gate.close();
  }, 60_000);

  test('stops polling, lets the attempt in flight finish and exits 0', async () => {
    processes = new SpillwayProcesses({ SCHEDULER_LOCAL_WORKER_POOL_SIZE: '2' });
    await processes.startWorker('worker-a');
    const held = flakyTask('drain', { holdUntil: gate.url, holdMaxMs: 120_000 });
    const heldHandle = await start(held);
    const runsOf = (id: string) => processes.ledger().filter((l) => l.taskId === id);
    await waitFor('the attempt holding in worker-a', () =>
      runsOf(held.id).some((l) => l.phase === 'start') ? true : undefined,
    );
    const exit = processes.signal('worker-a', 'SIGTERM', 90_000);
    await waitFor('worker-a draining', () => (/SIGTERM: draining/.test(processes.log('worker-a')) ? true : undefined));
    expect(processes.log('worker-a')).toMatch(/1 local attempt\(s\) in flight/);
    // Submitted while worker-a drains: it must not take it.
    const later = flakyTask('after-sigterm', {});
    const laterHandle = await start(later);
    gate.release();
    expect(await exit).toBe(0);
    expect(processes.log('worker-a')).toMatch(/drained: every local attempt in flight finished/);
    // The held attempt ran once, to its end, in worker-a; the later task never started there.
    const workerA = processes.pid('worker-a');
    expect(runsOf(held.id).map((l) => [l.attempt, l.phase, l.ok, l.pid])).toEqual([
      [1, 'start', undefined, workerA],
      [1, 'end', true, workerA],
    ]);
    expect(runsOf(later.id)).toEqual([]);

    await processes.startWorker('worker-b');
    const [heldState, laterState] = (await Promise.all([heldHandle.result(), laterHandle.result()])) as TaskState[];
    expect(heldState?.attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'succeeded']]);
    expect(laterState?.status).toBe('COMPLETED');
    expect(runsOf(later.id).map((l) => [l.attempt, l.phase, l.pid])).toEqual([
      [1, 'start', processes.pid('worker-b')],
      [1, 'end', processes.pid('worker-b')],
    ]);
  }, 120_000);

  test('past its grace period leaves the attempt to its heartbeat timeout, exits 2, and another worker runs it', async () => {
    processes = new SpillwayProcesses({ SCHEDULER_LOCAL_WORKER_POOL_SIZE: '2' });
    await processes.startWorker('worker-a', { SPILLWAY_WORKER_SHUTDOWN_GRACE_MS: '1000' });
    const task = flakyTask('grace-over', { holdUntil: gate.url, holdMaxMs: 120_000 });
    const handle = await start(task);
    const runs = () => processes.ledger().filter((l) => l.taskId === task.id);
    await waitFor('the attempt holding in worker-a', () => (runs().length > 0 ? true : undefined));
    expect(await processes.signal('worker-a', 'SIGTERM')).toBe(2);
    expect(processes.log('worker-a')).toMatch(/grace period of 1000 ms over: 1 local attempt\(s\) still running/);
    // Killed with its environment, before it could report anything: a start and no end.
    const workerA = processes.pid('worker-a');
    expect(runs().map((l) => [l.attempt, l.phase, l.pid])).toEqual([[1, 'start', workerA]]);

    gate.release();
    await processes.startWorker('worker-b');
    const state = (await handle.result()) as TaskState;
    expect(state.status).toBe('COMPLETED');
    // Attempt 1 was never reported: Temporal saw its heartbeat lapse, and retried it on worker-b.
    expect(state.attempts.map((a) => [a.attempt, a.outcome, a.error?.type])).toEqual([
      [1, 'failed', 'AttemptTimedOut'],
      [2, 'succeeded', undefined],
    ]);
    expect(runs().map((l) => [l.attempt, l.phase, l.pid])).toEqual([
      [1, 'start', workerA],
      [2, 'start', processes.pid('worker-b')],
      [2, 'end', processes.pid('worker-b')],
    ]);
  }, 120_000);
});
