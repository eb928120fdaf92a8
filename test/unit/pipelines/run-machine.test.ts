// The run bookkeeping reducer, and whole machines run on the stepping core with fake effects: the shape of what
// the interpreter workflow will do with activities and timers.
import type { StateMachineDefinition } from '../../../pipelines/definition';
import type { Completion, TaskAction, TaskOutcome } from '../../../pipelines/interpreter';
import type { JsonValue } from '../../../pipelines/json';
import type { MachineEffects } from '../../../pipelines/run-machine';
import { runMachine } from '../../../pipelines/run-machine';
import type { RunState } from '../../../pipelines/run-state';
import { advanceRun, RunFinishedError, runEnv, startRun } from '../../../pipelines/run-state';
import { lambdaInvokeResult } from '../../../pipelines/task-resource';
import { countingUuid, fixedRandom } from './helpers';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);

describe('the run reducer', () => {
  const m: StateMachineDefinition = {
    StartAt: 'A',
    States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Succeed' } },
  };
  const start = startRun(m, { x: 1 }, T0, { v: 1 });

  test('startRun begins at StartAt', () => {
    expect(start).toEqual({
      version: 1,
      status: 'running',
      stateName: 'A',
      input: { x: 1 },
      variables: { v: 1 },
      retryCounters: {},
      enteredAtMs: T0,
      transitions: 0,
    });
  });

  test.each<[string, RunState, Completion, number, RunState]>([
    [
      'next moves to the state, resets the counters and stamps the entry',
      { ...start, retryCounters: { 0: 2 } },
      { kind: 'next', next: 'B', output: { y: 2 }, variables: { v: 2 } },
      T0 + 500,
      {
        ...start,
        stateName: 'B',
        input: { y: 2 },
        variables: { v: 2 },
        retryCounters: {},
        enteredAtMs: T0 + 500,
        transitions: 1,
      },
    ],
    [
      'retry keeps the state and its entry time, with new counters',
      start,
      {
        kind: 'retry',
        stateName: 'A',
        delayMs: 1000,
        counters: { 0: 1 },
        retrierIndex: 0,
        retryNumber: 1,
        error: 'E',
        cause: 'c',
      },
      T0 + 1000,
      { ...start, retryCounters: { 0: 1 } },
    ],
    [
      'succeed finishes with the output and variables',
      start,
      { kind: 'succeed', output: 'done', variables: { v: 3 } },
      T0 + 1,
      { ...start, status: 'succeeded', output: 'done', variables: { v: 3 } },
    ],
    [
      'fail finishes with the error and cause',
      start,
      { kind: 'fail', error: 'E', cause: 'c' },
      T0 + 1,
      { ...start, status: 'failed', error: 'E', cause: 'c' },
    ],
  ])('%s', (_label, run, event, now, expected) => {
    expect(advanceRun(run, event, now)).toEqual(expected);
  });

  test('a finished run takes no more events', () => {
    const done = advanceRun(start, { kind: 'fail', error: 'E', cause: 'c' }, T0);
    expect(() => advanceRun(done, { kind: 'fail', error: 'E', cause: 'c' }, T0)).toThrow(
      new RunFinishedError('failed'),
    );
  });

  test('runEnv builds the context object from the run: State.Name, EnteredTime and RetryCount', () => {
    const run = { ...start, retryCounters: { 0: 2, 1: 1 } };
    const e = runEnv(run, {
      execution: { Id: 'exec', Name: 'run-1', StartTime: '2026-11-27T09:00:00.000Z', Input: { x: 1 } },
      stateMachine: { Id: 'sm', Name: 'orders' },
      nowMs: T0 + 5000,
      random: fixedRandom(0.1),
      uuid: countingUuid(),
      taskToken: 'tok',
    });
    expect({ context: e.context, variables: e.variables, nowMs: e.nowMs }).toEqual({
      context: {
        Execution: { Id: 'exec', Name: 'run-1', StartTime: '2026-11-27T09:00:00.000Z', Input: { x: 1 } },
        State: { Name: 'A', EnteredTime: '2026-11-27T09:00:00.000Z', RetryCount: 3 },
        StateMachine: { Id: 'sm', Name: 'orders' },
        Task: { Token: 'tok' },
      },
      variables: { v: 1 },
      nowMs: T0 + 5000,
    });
  });
});

/** Fake effects: a clock that only moves when something sleeps, and a task runner that records its calls. */
function fakeEffects(runTask: (action: TaskAction, call: number) => TaskOutcome | Promise<TaskOutcome>) {
  let now = T0;
  let calls = 0;
  const sleeps: number[] = [];
  const tasks: { state: string; payload: JsonValue; retryCount: JsonValue }[] = [];
  const effects: MachineEffects = {
    execution: { Id: 'exec-1', Name: 'run-1', StartTime: new Date(T0).toISOString(), Input: {} },
    stateMachine: { Id: 'sm-1', Name: 'demo' },
    now: () => now,
    random: fixedRandom(0.5),
    uuid: countingUuid(),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    runTask: async (action, env) => {
      tasks.push({
        state: action.stateName,
        payload: action.payload,
        retryCount: (env.context.State as { RetryCount: number }).RetryCount,
      });
      return runTask(action, calls++);
    },
    taskToken: (run) => `token-${run.stateName}-${run.transitions}`,
  };
  return { effects, sleeps, tasks };
}

describe('runMachine', () => {
  test('a JSONPath order flow: Pass, a retried lambda:invoke Task, Choice, Wait, Succeed', async () => {
    const machine: StateMachineDefinition = {
      StartAt: 'Prepare',
      States: {
        Prepare: {
          Type: 'Pass',
          Parameters: { 'orderId.$': '$.id', 'lines.$': '$.lines', 'requestId.$': 'States.UUID()' },
          Assign: { 'orderId.$': '$.orderId' },
          Next: 'Price',
        },
        Price: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'price-order', 'Payload.$': '$' },
          ResultSelector: { 'total.$': '$.Payload.total' },
          ResultPath: '$.price',
          Retry: [
            { ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 },
          ],
          Next: 'Big?',
        },
        'Big?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.price.total', NumericGreaterThan: 100, Next: 'Review' }],
          Default: 'Done',
        },
        Review: { Type: 'Wait', Seconds: 60, Next: 'Done' },
        Done: {
          Type: 'Succeed',
          OutputPath: '$.price',
        },
      },
    };
    const { effects, sleeps, tasks } = fakeEffects((action, call) =>
      call < 2
        ? { status: 'failed', error: 'Lambda.TooManyRequestsException', cause: 'Rate exceeded' }
        : { status: 'succeeded', result: lambdaInvokeResult({ total: 250 }) },
    );
    const run = await runMachine(machine, { id: 'o-1', lines: [1, 2] }, effects);
    expect({ run, sleeps, tasks }).toEqual({
      run: {
        version: 1,
        status: 'succeeded',
        stateName: 'Done',
        input: {
          orderId: 'o-1',
          lines: [1, 2],
          requestId: '00000000-0000-4000-8000-000000000001',
          price: { total: 250 },
        },
        variables: { orderId: 'o-1' },
        retryCounters: {},
        enteredAtMs: T0 + 1000 + 2000 + 60_000,
        transitions: 4,
        output: { total: 250 },
      },
      sleeps: [1000, 2000, 60_000],
      tasks: [0, 1, 2].map((retryCount) => ({
        state: 'Price',
        payload: {
          FunctionName: 'price-order',
          Payload: { orderId: 'o-1', lines: [1, 2], requestId: '00000000-0000-4000-8000-000000000001' },
        },
        retryCount,
      })),
    });
  });

  test('a caught task failure leads to a Fail state, which fails the run', async () => {
    const machine: StateMachineDefinition = {
      StartAt: 'Charge',
      States: {
        Charge: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:123456789012:function:charge',
          Catch: [{ ErrorEquals: ['CardDeclined'], ResultPath: '$.error', Next: 'Declined' }],
          End: true,
        },
        Declined: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
      },
    };
    const { effects } = fakeEffects(() => ({ status: 'failed', error: 'CardDeclined', cause: 'insufficient funds' }));
    const run = await runMachine(machine, { card: 'x' }, effects);
    expect({ status: run.status, error: run.error, cause: run.cause, at: run.stateName }).toEqual({
      status: 'failed',
      error: 'CardDeclined',
      cause: 'insufficient funds',
      at: 'Declined',
    });
  });

  test('Parallel branches see outer variables, keep their own assignments, and hand data out through Output', async () => {
    const branch = (name: string, value: number): StateMachineDefinition => ({
      StartAt: `${name}1`,
      States: {
        [`${name}1`]: { Type: 'Pass', Assign: { shared: value }, Next: `${name}2` },
        [`${name}2`]: {
          Type: 'Pass',
          Output: { branch: name, outer: '{% $outer %}', shared: '{% $shared %}' },
          End: true,
        },
      },
    });
    const machine: StateMachineDefinition = {
      QueryLanguage: 'JSONata',
      StartAt: 'Init',
      States: {
        Init: { Type: 'Pass', Assign: { outer: 'from outside', shared: 0 }, Next: 'Fan' },
        Fan: {
          Type: 'Parallel',
          Branches: [branch('A', 1), branch('B', 2)],
          Assign: { fromBranches: '{% $states.result.shared %}' },
          Next: 'After',
        },
        After: {
          Type: 'Pass',
          Output: { shared: '{% $shared %}', fromBranches: '{% $fromBranches %}', result: '{% $states.input %}' },
          End: true,
        },
      },
    };
    const { effects } = fakeEffects(() => ({ status: 'succeeded', result: null }));
    const run = await runMachine(machine, {}, effects);
    expect({ status: run.status, output: run.output, variables: run.variables }).toEqual({
      status: 'succeeded',
      output: {
        shared: 0,
        fromBranches: [1, 2],
        result: [
          { branch: 'A', outer: 'from outside', shared: 1 },
          { branch: 'B', outer: 'from outside', shared: 2 },
        ],
      },
      variables: { outer: 'from outside', shared: 0, fromBranches: [1, 2] },
    });
  });

  test('a Map runs its items with at most MaxConcurrency in flight and keeps item order', async () => {
    const machine: StateMachineDefinition = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'n.$': '$$.Map.Item.Value', 'i.$': '$$.Map.Item.Index' },
          MaxConcurrency: 2,
          ToleratedFailureCount: 1,
          ItemProcessor: {
            StartAt: 'Work',
            States: { Work: { Type: 'Task', Resource: 'noop', End: true } },
          },
          End: true,
        },
      },
    };
    let inFlight = 0;
    let peak = 0;
    const { effects } = fakeEffects(async (action) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      const { n } = action.payload as { n: number };
      return n === 3 ? { status: 'failed', error: 'Odd', cause: 'three' } : { status: 'succeeded', result: n * 10 };
    });
    const run = await runMachine(machine, { items: [1, 2, 3, 4, 5] }, effects);
    expect({ status: run.status, output: run.output, peak }).toEqual({
      status: 'succeeded',
      output: [10, 20, { Error: 'Odd', Cause: 'three' }, 40, 50],
      peak: 2,
    });
  });

  test('a machine that loops forever is stopped at maxTransitions', async () => {
    const machine: StateMachineDefinition = {
      StartAt: 'A',
      States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'A' } },
    };
    const { effects } = fakeEffects(() => ({ status: 'succeeded', result: null }));
    const run = await runMachine(machine, {}, { ...effects, maxTransitions: 10 });
    expect({ status: run.status, error: run.error, cause: run.cause, transitions: run.transitions }).toEqual({
      status: 'failed',
      error: 'States.Runtime',
      cause: 'The run exceeded 10 state transitions',
      transitions: 10,
    });
  });

  test('the task token reaches $$.Task.Token of a waitForTaskToken task', async () => {
    const machine: StateMachineDefinition = {
      StartAt: 'Approve',
      States: {
        Approve: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'ask', Payload: { 'token.$': '$$.Task.Token' } },
          End: true,
        },
      },
    };
    const seen: JsonValue[] = [];
    const { effects } = fakeEffects((action) => {
      seen.push(action.lambda?.payload ?? null, action.waitForTaskToken);
      return { status: 'succeeded', result: { approved: true } };
    });
    const run = await runMachine(machine, {}, effects);
    expect({ seen, output: run.output }).toEqual({
      seen: [{ token: 'token-Approve-0' }, true],
      output: { approved: true },
    });
  });
});
