// RedriveExecution through @aws-sdk/client-sfn on the real dev server: a TIMED_OUT execution gets its machine
// timeout again, an ABORTED one resumes, a function fixed after it failed a step is run again by the redrive (and
// only that step), and a redrive reruns only the failed item of a distributed Map and the failed branch of a
// Parallel state.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { deployFunction } from '../../cli/deploy-function';
import { LOCAL_ROLE_ARN } from '../../cli/deploy-folders';
import { packageFunction } from '../../cli/package-function';
import { eventually, readStack, uniqueId } from '../support/test-stack';
import { ROLE, startSfnStack, type SfnStack } from './sfn-api';

let stack: SfnStack;
const work = mkdtempSync(path.join(os.tmpdir(), 'spillway-redrive-'));
beforeAll(async () => {
  // A version or alias is read from the Lambda endpoint again once this old, so a fixed function is seen at once.
  stack = await startSfnStack({ SPILLWAY_FUNCTIONS_REFRESH_MS: '100' });
});
afterAll(async () => {
  await stack?.close();
  rmSync(work, { recursive: true, force: true });
});

const machineName = () => uniqueId('rd').replace(/^test-/, 't');

async function create(definition: object): Promise<string> {
  const out = await stack.sfn.send(
    new CreateStateMachineCommand({ name: machineName(), definition: JSON.stringify(definition), roleArn: ROLE }),
  );
  return out.stateMachineArn!;
}

async function start(stateMachineArn: string, input: object = {}): Promise<string> {
  const out = await stack.sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
  return out.executionArn!;
}

async function waitStatus(executionArn: string, statuses: string[], timeoutMs = 90_000) {
  return eventually(
    async () => {
      const d = await stack.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return statuses.includes(d.status ?? '') ? d : undefined;
    },
    timeoutMs,
    250,
  );
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const out = await stack.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return out.events ?? [];
}

const count = (events: HistoryEvent[], type: string) => events.filter((e) => e.type === type).length;

/**
 * The token of the `nth` (1-based) entry into a `noop.waitForTaskToken` state, once that entry is waiting for it (its
 * task has started): the state's Parameters hand the token on as `token`.
 */
async function nthToken(executionArn: string, nth: number): Promise<string> {
  return eventually(async () => {
    const events = await history(executionArn);
    const waiting = (e: HistoryEvent) =>
      (e.taskScheduledEventDetails ?? e.taskStartedEventDetails)?.resource === 'noop.waitForTaskToken';
    const scheduled = events.filter((e) => e.type === 'TaskScheduled' && waiting(e));
    const started = events.filter((e) => e.type === 'TaskStarted' && waiting(e));
    if (started.length < nth || scheduled.length < nth) return undefined;
    return (JSON.parse(scheduled[nth - 1]!.taskScheduledEventDetails!.parameters!) as { token: string }).token;
  }, 60_000);
}

test('a TIMED_OUT execution redriven after its window has passed gets the machine timeout again and succeeds', async () => {
  // The first run waits past TimeoutSeconds; the redrive waits a second: with the timeout still counted from the
  // first start, it would time out again at once, in that Wait.
  const arn = await create({
    QueryLanguage: 'JSONata',
    TimeoutSeconds: 20,
    StartAt: 'Nap',
    States: {
      Nap: { Type: 'Wait', Seconds: '{% $states.context.Execution.RedriveCount = 0 ? 600 : 1 %}', Next: 'Ping' },
      Ping: { Type: 'Task', Resource: 'noop', End: true },
    },
  });
  const executionArn = await start(arn);
  const timedOut = await waitStatus(executionArn, ['TIMED_OUT', 'SUCCEEDED', 'FAILED', 'ABORTED']);
  expect(timedOut).toEqual(
    expect.objectContaining({ status: 'TIMED_OUT', error: 'States.Timeout', redriveStatus: 'REDRIVABLE' }),
  );
  await stack.sfn.send(new RedriveExecutionCommand({ executionArn }));
  const done = await waitStatus(executionArn, ['SUCCEEDED', 'TIMED_OUT', 'FAILED', 'ABORTED']);
  expect(done).toEqual(expect.objectContaining({ status: 'SUCCEEDED', redriveCount: 1 }));
  expect(JSON.parse(done.output!)).toEqual(expect.objectContaining({ ok: true }));
  const events = await history(executionArn);
  expect(events.map((e) => e.type)).toEqual(
    expect.arrayContaining(['ExecutionTimedOut', 'ExecutionRedriven', 'TaskSucceeded', 'ExecutionSucceeded']),
  );
  expect(count(events, 'TaskScheduled')).toBe(1);
}, 120_000);

test('an ABORTED execution redriven resumes at the state it was stopped in and succeeds', async () => {
  const arn = await create({
    QueryLanguage: 'JSONata',
    StartAt: 'First',
    States: {
      First: { Type: 'Task', Resource: 'noop', Output: '{% {"first": $states.result.taskId} %}', Next: 'Nap' },
      Nap: { Type: 'Wait', Seconds: '{% $states.context.Execution.RedriveCount = 0 ? 600 : 0 %}', Next: 'Done' },
      Done: { Type: 'Pass', End: true },
    },
  });
  const executionArn = await start(arn);
  await eventually(async () =>
    (await history(executionArn)).some((e) => e.type === 'WaitStateEntered') ? true : undefined,
  );
  await stack.sfn.send(new StopExecutionCommand({ executionArn, error: 'Paused', cause: 'by the test' }));
  const aborted = await waitStatus(executionArn, ['ABORTED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT']);
  expect(aborted).toEqual(expect.objectContaining({ status: 'ABORTED', error: 'Paused', redriveStatus: 'REDRIVABLE' }));
  await stack.sfn.send(new RedriveExecutionCommand({ executionArn }));
  const done = await waitStatus(executionArn, ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT']);
  expect(done).toEqual(
    expect.objectContaining({ status: 'SUCCEEDED', redriveCount: 1, redriveDate: expect.any(Date) }),
  );
  // First ran once, in the first run; the redrive entered the Wait it was stopped in again.
  expect(JSON.parse(done.output!)).toEqual({ first: expect.stringMatching(/-r0-1-First$/) });
  const events = await history(executionArn);
  expect(count(events, 'TaskScheduled')).toBe(1);
  expect(count(events, 'WaitStateEntered')).toBe(2);
  expect(events.map((e) => e.type)).toEqual(
    expect.arrayContaining(['ExecutionAborted', 'ExecutionRedriven', 'ExecutionSucceeded']),
  );
}, 120_000);

describe('a function fixed after it failed a step', () => {
  const name = `fixable-${uniqueId('fn').slice(-8)}`;
  let lambda: LambdaClient;
  beforeAll(() => {
    lambda = new LambdaClient({
      endpoint: readStack().lambdaEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterAll(() => lambda?.destroy());

  /** Packages `source` as the function and deploys it as a user does: new code, a new version, alias `live` on it. */
  async function deploy(source: string) {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'index.js'), source);
    writeFileSync(path.join(dir, 'spillway.json'), JSON.stringify({ taskTypes: [name] }));
    return deployFunction(lambda, await packageFunction(dir), { role: LOCAL_ROLE_ARN, alias: 'live' });
  }

  test('is deployed as a new version, the redrive runs the failed step again with it, and only that step', async () => {
    const broken = await deploy(
      "exports.handler = async () => { const e = new Error('the build is broken'); e.name = 'BrokenBuild'; throw e; };\n",
    );
    expect(broken.version).toBe('1');
    const arn = await create({
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Task', Resource: 'noop', ResultPath: '$.prepared', Next: 'Publish' },
        Publish: {
          Type: 'Task',
          Resource: `arn:aws:lambda:us-east-1:123456789012:function:${name}:live`,
          Parameters: { 'report.$': '$.report' },
          ResultPath: '$.published',
          End: true,
        },
      },
    });
    const executionArn = await start(arn, { report: 'q3' });
    const failed = await waitStatus(executionArn, ['FAILED', 'SUCCEEDED', 'ABORTED', 'TIMED_OUT']);
    expect(failed).toEqual(
      expect.objectContaining({
        status: 'FAILED',
        error: 'BrokenBuild',
        cause: expect.stringContaining('the build is broken'),
        redriveStatus: 'REDRIVABLE',
      }),
    );

    // The failed step is the pipeline's to redrive, not a dead letter of its own: once the task list (visibility, as
    // the dead letters read it) shows it FAILED, the dead letters still do not name its type.
    const step = await eventually(async () => {
      const listed = await stack.app.inject({ method: 'GET', url: `/api/tasks?type=${name}&status=FAILED` });
      return (listed.json().tasks as Array<{ id: string }>)[0];
    });
    const letters = (await stack.app.inject({ method: 'GET', url: '/api/dead-letters' })).json();
    expect(letters.groups.map((g: { type: string }) => g.type)).not.toContain(name);
    // Nor is it redriven as a task of its own, which would run it outside the execution that needs its result.
    const refused = await stack.app.inject({ method: 'POST', url: `/api/tasks/${step.id}/redrive`, payload: {} });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({
      statusCode: 409,
      code: 'SPILLWAY_TASK_IS_PIPELINE_STEP',
      error: 'Conflict',
      message: expect.stringContaining(`is a step of pipeline execution`),
    });

    const fixed = await deploy('exports.handler = async (event) => ({ fixed: true, report: event.report });\n');
    expect(fixed).toEqual(expect.objectContaining({ action: 'updated', version: '2' }));
    await stack.sfn.send(new RedriveExecutionCommand({ executionArn }));
    const done = await waitStatus(executionArn, ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT']);
    expect(done.status).toBe('SUCCEEDED');
    const output = JSON.parse(done.output!) as { prepared: { taskId: string }; published: unknown };
    expect(output.published).toEqual({ fixed: true, report: 'q3' });
    // Prepare's result is the first run's: it was not run again.
    expect(output.prepared.taskId).toMatch(/-r0-1-Prepare$/);
    const events = await history(executionArn);
    expect(count(events, 'TaskScheduled')).toBe(1);
    expect(count(events, 'LambdaFunctionScheduled')).toBe(2);
    expect(count(events, 'LambdaFunctionFailed')).toBe(1);
    expect(count(events, 'LambdaFunctionSucceeded')).toBe(1);
    const rest = await stack.app.inject({
      method: 'GET',
      url: `/api/pipelines/${executionArn.split(':').at(-2)}/executions/${executionArn.split(':').at(-1)}`,
    });
    const states = rest.json().states as Record<string, { attempts: number; status: string }>;
    expect(states.Prepare).toEqual(expect.objectContaining({ status: 'SUCCEEDED', attempts: 1 }));
    expect(states.Publish).toEqual(expect.objectContaining({ status: 'SUCCEEDED', attempts: 2 }));
  }, 120_000);
});

test('a redrive of a failed distributed Map reruns the item that failed and those that never ran, and keeps the rest', async () => {
  // One item at a time: item 0 succeeds, item 1 fails (while the redrive count its batch sees is 0), item 2 never
  // starts.
  const arn = await create({
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        ItemsPath: '$.items',
        MaxConcurrency: 1,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Work',
          States: {
            Work: { Type: 'Task', Resource: 'noop', ResultPath: '$.task', Next: 'Check' },
            Check: {
              Type: 'Choice',
              Choices: [
                {
                  And: [
                    { Variable: '$$.Execution.RedriveCount', NumericEquals: 0 },
                    { Variable: '$.bad', BooleanEquals: true },
                  ],
                  Next: 'Broken',
                },
              ],
              Default: 'Fine',
            },
            Broken: { Type: 'Fail', Error: 'Broken', Cause: 'a bad item' },
            Fine: {
              Type: 'Pass',
              Parameters: { 'task.$': '$.task', 'redrive.$': '$$.Execution.RedriveCount' },
              End: true,
            },
          },
        },
        End: true,
      },
    },
  });
  const executionArn = await start(arn, { items: [{ bad: false }, { bad: true }, { bad: false }] });
  const failed = await waitStatus(executionArn, ['FAILED', 'SUCCEEDED', 'ABORTED', 'TIMED_OUT']);
  expect(failed).toEqual(expect.objectContaining({ status: 'FAILED', error: 'Broken' }));
  await stack.sfn.send(new RedriveExecutionCommand({ executionArn }));
  const done = await waitStatus(executionArn, ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT']);
  expect(done.status).toBe('SUCCEEDED');
  const items = JSON.parse(done.output!) as Array<{ redrive: number; task: { taskId: string } }>;
  // Item 0 kept its first-run output; items 1 and 2 ran in the redrive's Map Run, and saw its redrive count.
  expect(items.map((i) => i.redrive)).toEqual([0, 1, 1]);
  expect(items[0]!.task.taskId).toMatch(/-r0m1b0-/);
  expect(items[1]!.task.taskId).toMatch(/-r1m1b0-/);
  expect(items[2]!.task.taskId).toMatch(/-r1m1b0-/);
  const events = await history(executionArn);
  expect(count(events, 'MapRunStarted')).toBe(2);
  expect(count(events, 'MapRunSucceeded')).toBe(1);
}, 120_000);

test('a redrive of a failed Parallel state reruns the failed branch and keeps the one that succeeded', async () => {
  const arn = await create({
    StartAt: 'Both',
    States: {
      Both: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'Quick', States: { Quick: { Type: 'Task', Resource: 'noop', End: true } } },
          {
            StartAt: 'Approve',
            States: {
              Approve: {
                Type: 'Task',
                Resource: 'noop.waitForTaskToken',
                Parameters: { 'token.$': '$$.Task.Token' },
                End: true,
              },
            },
          },
        ],
        End: true,
      },
    },
  });
  const executionArn = await start(arn);
  // Approve fails only once Quick has succeeded, so the first run keeps Quick's output.
  const first = await nthToken(executionArn, 1);
  await eventually(async () => (count(await history(executionArn), 'TaskSucceeded') === 1 ? true : undefined));
  await stack.sfn.send(new SendTaskFailureCommand({ taskToken: first, error: 'Rejected', cause: 'not yet' }));
  const failed = await waitStatus(executionArn, ['FAILED', 'SUCCEEDED', 'ABORTED', 'TIMED_OUT']);
  expect(failed).toEqual(expect.objectContaining({ status: 'FAILED', error: 'Rejected', cause: 'not yet' }));

  await stack.sfn.send(new RedriveExecutionCommand({ executionArn }));
  const second = await nthToken(executionArn, 2);
  await stack.sfn.send(new SendTaskSuccessCommand({ taskToken: second, output: '{"approved":true}' }));
  const done = await waitStatus(executionArn, ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT']);
  expect(done.status).toBe('SUCCEEDED');
  const [quick, approve] = JSON.parse(done.output!) as [{ taskId: string }, unknown];
  expect(quick.taskId).toMatch(/-r0-\d+-Quick$/);
  expect(approve).toEqual({ approved: true });
  const events = await history(executionArn);
  // Quick's task ran once in all; Approve's twice (the failed entry and the redriven one).
  const scheduled = events.filter((e) => e.type === 'TaskScheduled');
  expect(scheduled.map((e) => e.taskScheduledEventDetails!.resource).sort()).toEqual([
    'noop',
    'noop.waitForTaskToken',
    'noop.waitForTaskToken',
  ]);
}, 120_000);
