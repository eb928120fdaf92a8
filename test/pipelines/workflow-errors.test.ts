// Retry, Catch, Map tolerance, Parallel failure, timeouts and redrive on the real dev server, with real tasks of
// the example functions (flaky, noop) run LOCAL.
import {
  PIPELINE_REDRIVE_QUERY,
  PIPELINE_DESCRIBE_QUERY,
  PIPELINE_WORKFLOW_TYPE,
  WORKFLOW_TASK_QUEUE,
} from '../../domain/constants';
import type { PipelineDescription, RedriveSeed } from '../../domain/pipeline-model';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { startHarness, type TestHarness } from '../support/test-stack';
import { finish, pipelineInput, runToEnd, types } from './helpers';

let harness: TestHarness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

test('Retry runs the first matching retrier to its MaxAttempts, then Catch takes the first matching catcher', async () => {
  const run = await runToEnd(
    harness.client,
    {
      StartAt: 'Flaky',
      States: {
        Flaky: {
          Type: 'Task',
          Resource: 'flaky',
          Parameters: { failAttempts: 1, errorType: 'UpstreamDown' },
          Retry: [
            { ErrorEquals: ['Other'], MaxAttempts: 5 },
            { ErrorEquals: ['UpstreamDown'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 },
            { ErrorEquals: ['States.ALL'], MaxAttempts: 5 },
          ],
          Catch: [
            { ErrorEquals: ['Nope'], Next: 'Wrong' },
            { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.caught', Next: 'Handled' },
            { ErrorEquals: ['States.ALL'], Next: 'Wrong' },
          ],
          End: true,
        },
        Wrong: { Type: 'Fail', Error: 'WrongCatcher' },
        Handled: { Type: 'Pass', End: true },
      },
    },
    { id: 1 },
  );
  expect(run.status).toBe('SUCCEEDED');
  // One ASL attempt is one task attempt: three tasks (the first try and two retries), each failing on its attempt 1.
  expect(run.output).toEqual({ id: 1, caught: { Error: 'UpstreamDown', Cause: expect.stringContaining('attempt 1') } });
  expect(types(run.history).filter((t) => t === 'TaskScheduled')).toHaveLength(3);
  expect(types(run.history).filter((t) => t === 'TaskFailed')).toHaveLength(3);
  expect(run.description.record.states.Flaky).toEqual(
    expect.objectContaining({
      status: 'CAUGHT',
      attempts: 3,
      retries: 2,
      error: 'UpstreamDown',
      taskIds: expect.any(Array),
    }),
  );
  expect(run.description.record.states.Flaky!.taskIds).toHaveLength(3);
  const tasks = await Promise.all(
    run.description.record.states.Flaky!.taskIds.map((id) => harness.client.workflow.getHandle(id).describe()),
  );
  expect(tasks.map((t) => t.status.name)).toEqual(['FAILED', 'FAILED', 'FAILED']);
});

test('a retried Task succeeds once its function stops failing (JSONata reads the retry count)', async () => {
  const run = await runToEnd(
    harness.client,
    {
      QueryLanguage: 'JSONata',
      StartAt: 'Flaky',
      States: {
        Flaky: {
          Type: 'Task',
          Resource: 'flaky',
          Arguments: { failAttempts: '{% $states.context.State.RetryCount < 2 ? 1 : 0 %}' },
          Retry: [{ ErrorEquals: ['FlakyError'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 1 }],
          Output: '{% $states.result %}',
          End: true,
        },
      },
    },
    {},
  );
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output).toEqual(expect.objectContaining({ attempt: 1, succeededAfterFailures: 0 }));
  expect(run.description.record.states.Flaky).toEqual(
    expect.objectContaining({ status: 'SUCCEEDED', attempts: 3, retries: 2, placements: { LOCAL: 3 } }),
  );
});

test('a Map with a tolerated failure threshold succeeds below it and fails above it', async () => {
  const machine = (tolerated: number) => ({
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map' as const,
        ItemsPath: '$.items',
        MaxConcurrency: 2,
        ToleratedFailureCount: tolerated,
        ItemProcessor: {
          StartAt: 'Work',
          States: {
            Work: {
              Type: 'Task' as const,
              Resource: 'flaky',
              Parameters: { 'failAttempts.$': '$.fail', permanent: false },
              End: true,
            },
          },
        },
        End: true,
      },
    },
  });
  const items = [{ fail: 0 }, { fail: 1 }, { fail: 0 }, { fail: 0 }];
  const ok = await runToEnd(harness.client, machine(1), { items });
  expect(ok.status).toBe('SUCCEEDED');
  expect(ok.output).toEqual([
    expect.objectContaining({ attempt: 1 }),
    { Error: 'FlakyError', Cause: expect.any(String) },
    expect.objectContaining({ attempt: 1 }),
    expect.objectContaining({ attempt: 1 }),
  ]);
  expect(ok.description.record.states.Each?.map).toEqual({
    total: 4,
    pending: 0,
    running: 0,
    succeeded: 3,
    failed: 1,
    aborted: 0,
  });
  const over = await runToEnd(harness.client, machine(0), { items: [{ fail: 1 }, { fail: 1 }, { fail: 0 }] });
  expect(over.status).toBe('FAILED');
  expect(over.error).toBe('States.ExceedToleratedFailureThreshold');
  expect(types(over.history)).toEqual(
    expect.arrayContaining(['MapStateStarted', 'MapIterationFailed', 'MapStateFailed', 'ExecutionFailed']),
  );
});

test('a Parallel state with a failing branch fails with its error, stops the other branch and can be caught', async () => {
  const run = await runToEnd(
    harness.client,
    {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Slow', States: { Slow: { Type: 'Wait', Seconds: 30, End: true } } },
            { StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'Boom', Cause: 'branch 2' } } },
          ],
          Catch: [{ ErrorEquals: ['Boom'], ResultPath: '$.error', Next: 'After' }],
          End: true,
        },
        After: { Type: 'Pass', End: true },
      },
    },
    { x: 1 },
  );
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output).toEqual({ x: 1, error: { Error: 'Boom', Cause: 'branch 2' } });
  expect(types(run.history)).toEqual(
    expect.arrayContaining(['ParallelStateStarted', 'FailStateEntered', 'ParallelStateFailed']),
  );
  expect(run.description.record.states.Slow?.status).toBe('ABORTED');
});

test('TimeoutSeconds on a Task state fails it with States.Timeout; on the machine the execution ends TIMED_OUT', async () => {
  const task = await runToEnd(
    harness.client,
    {
      StartAt: 'Slow',
      States: {
        Slow: { Type: 'Task', Resource: 'flaky', Parameters: { sleepMs: 20000 }, TimeoutSeconds: 2, End: true },
      },
    },
    {},
  );
  expect(task.status).toBe('FAILED');
  expect(task.error).toBe('States.Timeout');
  expect(types(task.history)).toContain('TaskTimedOut');
  const machine = await runToEnd(
    harness.client,
    {
      TimeoutSeconds: 2,
      StartAt: 'Nap',
      States: { Nap: { Type: 'Wait', Seconds: 30, End: true } },
    },
    {},
  );
  expect(machine.status).toBe('TIMED_OUT');
  expect(machine.error).toBe('States.Timeout');
  expect(types(machine.history).at(-1)).toBe('ExecutionTimedOut');
});

test('a redrive after a failure reruns only the Map items that failed and keeps the outputs of the others', async () => {
  // An item fails while the redrive count it was handed is 0 and its `bad` flag is set; the redrive runs it again.
  const definition = {
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map' as const,
        ItemsPath: '$.items',
        ItemSelector: { 'bad.$': '$$.Map.Item.Value.bad', 'redrive.$': '$$.Execution.RedriveCount' },
        ItemProcessor: {
          StartAt: 'Work',
          States: {
            Work: { Type: 'Task' as const, Resource: 'noop', ResultPath: '$.task', Next: 'Check' },
            Check: {
              Type: 'Choice' as const,
              Choices: [
                {
                  And: [
                    { Variable: '$.redrive', NumericEquals: 0 },
                    { Variable: '$.bad', BooleanEquals: true },
                  ],
                  Next: 'Broken',
                },
              ],
              Default: 'Fine',
            },
            Broken: { Type: 'Fail' as const, Error: 'Broken' },
            Fine: { Type: 'Pass' as const, End: true },
          },
        },
        End: true,
      },
    },
  };
  const items = [{ bad: false }, { bad: true }, { bad: false }];
  const { workflowId, args } = pipelineInput(definition, { items });
  await harness.client.workflow.start(PIPELINE_WORKFLOW_TYPE, {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId,
    args: [args],
  });
  const failed = await finish(harness.client, workflowId);
  expect(failed.status).toBe('FAILED');
  expect(failed.error).toBe('Broken');
  const handle = harness.client.workflow.getHandle(workflowId);
  const seed = await handle.query<RedriveSeed>(PIPELINE_REDRIVE_QUERY);
  expect(seed.stateName).toBe('Each');
  expect(Object.keys(seed.done).sort()).toEqual(['Each#0/', 'Each#2/']);
  const d = await handle.query<PipelineDescription>(PIPELINE_DESCRIBE_QUERY);
  await harness.client.workflow.start(PIPELINE_WORKFLOW_TYPE, {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    args: [{ ...args, definition: d.definition, redrive: { count: 1, date: Date.now(), seed } }],
  });
  const done = await finish(harness.client, workflowId);
  expect(done.status).toBe('SUCCEEDED');
  const out = done.output as Array<{ task: { taskId: string }; redrive: number }>;
  // Items 0 and 2 kept their first-run output (redrive 0, their first tasks); item 1 ran again in the redrive.
  expect(out.map((o) => o.redrive)).toEqual([0, 1, 0]);
  expect(out[0]!.task.taskId).toMatch(/-r0-/);
  expect(out[1]!.task.taskId).toMatch(/-r1-/);
  expect(done.description.record.redriveCount).toBe(1);
  expect(types(done.history)).toEqual(
    expect.arrayContaining(['ExecutionFailed', 'ExecutionRedriven', 'ExecutionSucceeded']),
  );
});

test('a .waitForTaskToken state that hears no heartbeat within HeartbeatSeconds fails with States.HeartbeatTimeout, which its Catch takes', async () => {
  const run = await runToEnd(
    harness.client,
    {
      StartAt: 'Approve',
      States: {
        Approve: {
          Type: 'Task',
          Resource: 'noop.waitForTaskToken',
          Parameters: { 'token.$': '$$.Task.Token' },
          HeartbeatSeconds: 2,
          Catch: [
            { ErrorEquals: ['States.TaskFailed'], Next: 'Wrong' },
            { ErrorEquals: ['States.HeartbeatTimeout'], ResultPath: '$.error', Next: 'Escalate' },
          ],
          End: true,
        },
        Wrong: { Type: 'Fail', Error: 'WrongCatcher' },
        Escalate: { Type: 'Pass', End: true },
      },
    },
    { order: 7 },
  );
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output).toEqual({
    order: 7,
    error: { Error: 'States.HeartbeatTimeout', Cause: 'No SendTaskHeartbeat within 2 seconds' },
  });
  expect(types(run.history)).toEqual(expect.arrayContaining(['TaskTimedOut', 'TaskStateExited', 'PassStateEntered']));
  expect(run.description.record.states.Approve).toEqual(
    expect.objectContaining({ status: 'CAUGHT', error: 'States.HeartbeatTimeout' }),
  );
});

test('a .waitForTaskToken state whose token is not returned within TimeoutSeconds fails with States.Timeout', async () => {
  const run = await runToEnd(
    harness.client,
    {
      StartAt: 'Approve',
      States: {
        Approve: {
          Type: 'Task',
          Resource: 'noop.waitForTaskToken',
          Parameters: { 'token.$': '$$.Task.Token' },
          TimeoutSeconds: 2,
          End: true,
        },
      },
    },
    {},
  );
  expect(run.status).toBe('FAILED');
  expect(run.error).toBe('States.Timeout');
  expect(run.cause).toBe('No task token returned within 2 seconds');
  expect(types(run.history).slice(-2)).toEqual(['TaskTimedOut', 'ExecutionFailed']);
});
