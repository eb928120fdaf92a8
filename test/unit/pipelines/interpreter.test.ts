// The stepping core: what entering each state type returns, how a task's outcome completes its state (retry,
// catch, ResultSelector/ResultPath/OutputPath/Assign), and how branch and item outcomes fold.
import type { StateMachineDefinition } from '../../../pipelines/definition';
import type { RetryCounters } from '../../../pipelines/errors';
import { NO_RETRIES } from '../../../pipelines/errors';
import type { BranchOutcome, MapAction, StepAction, StepEnv, TaskOutcome } from '../../../pipelines/interpreter';
import {
  completeMap,
  completeParallel,
  completeTask,
  contextObject,
  enterState,
  foldBranches,
  foldMapItems,
  StateTypeMismatchError,
  UnknownStateError,
} from '../../../pipelines/interpreter';
import type { JsonValue } from '../../../pipelines/json';
import { countingUuid, fixedRandom } from './helpers';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:HelloFunction';

function env(overrides: Partial<StepEnv> = {}): StepEnv {
  return {
    context: contextObject({
      execution: {
        Id: 'arn:aws:states:us-east-1:123456789012:execution:orders:run-1',
        Name: 'run-1',
        StartTime: '2026-11-27T12:00:00.000Z',
        Input: { start: true },
      },
      stateMachine: { Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:orders', Name: 'orders' },
      stateName: 'S',
      enteredTime: '2026-11-27T12:00:01.000Z',
      retryCount: 0,
      taskToken: 'token-1',
    }),
    variables: { threshold: 10 },
    nowMs: Date.UTC(2026, 10, 27, 12, 0, 1),
    random: fixedRandom(0.5),
    uuid: countingUuid(),
    ...overrides,
  };
}

function machine(states: StateMachineDefinition['States'], extra: Partial<StateMachineDefinition> = {}) {
  return { StartAt: Object.keys(states)[0]!, States: states, ...extra } as StateMachineDefinition;
}

describe('enterState', () => {
  test.each<[string, StateMachineDefinition, JsonValue, StepAction]>([
    [
      'a Task with a Lambda function ARN, Parameters and the Spillway extension',
      machine({
        S: {
          Type: 'Task',
          Resource: LAMBDA,
          InputPath: '$.lambda',
          Parameters: { 'who.$': '$.who', 'execution.$': '$$.Execution.Name' },
          TimeoutSeconds: 30,
          HeartbeatSeconds: 10,
          Spillway: { ExecutionMode: 'AUTO' },
          End: true,
        },
      }),
      { lambda: { who: 'AWS Step Functions' } },
      {
        kind: 'task',
        stateName: 'S',
        resource: {
          kind: 'lambda-function',
          functionName: 'HelloFunction',
          region: 'us-east-1',
          accountId: '123456789012',
          waitForTaskToken: false,
        },
        payload: { who: 'AWS Step Functions', execution: 'run-1' },
        timeoutSeconds: 30,
        heartbeatSeconds: 10,
        executionMode: 'AUTO',
        waitForTaskToken: false,
      },
    ],
    [
      'lambda:invoke reads FunctionName and Payload',
      machine({
        S: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: {
            'Payload.$': '$',
            FunctionName: 'arn:aws:lambda:us-east-2:111122223333:function:check-identity:$LATEST',
          },
          End: true,
        },
      }),
      { email: 'jdoe@example.com' },
      {
        kind: 'task',
        stateName: 'S',
        resource: { kind: 'lambda-invoke', waitForTaskToken: false },
        payload: {
          Payload: { email: 'jdoe@example.com' },
          FunctionName: 'arn:aws:lambda:us-east-2:111122223333:function:check-identity:$LATEST',
        },
        lambda: { functionName: 'check-identity', qualifier: '$LATEST', payload: { email: 'jdoe@example.com' } },
        waitForTaskToken: false,
      },
    ],
    [
      'lambda:invoke.waitForTaskToken hands the function $$.Task.Token',
      machine({
        S: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'approve', Payload: { 'token.$': '$$.Task.Token', 'order.$': '$.id' } },
          TimeoutSecondsPath: '$.timeout',
          End: true,
        },
      }),
      { id: 'o-1', timeout: 3600 },
      {
        kind: 'task',
        stateName: 'S',
        resource: { kind: 'lambda-invoke', waitForTaskToken: true },
        payload: { FunctionName: 'approve', Payload: { token: 'token-1', order: 'o-1' } },
        lambda: { functionName: 'approve', payload: { token: 'token-1', order: 'o-1' } },
        timeoutSeconds: 3600,
        waitForTaskToken: true,
      },
    ],
    [
      'a Spillway task type, in JSONata, with Arguments and a TimeoutSeconds expression',
      machine(
        {
          S: {
            Type: 'Task',
            Resource: 'image-processing',
            Arguments: { imageUrl: '{% $states.input.url %}', limit: '{% $threshold %}' },
            TimeoutSeconds: '{% $states.input.budget * 2 %}',
            Spillway: { ExecutionMode: 'LOCAL' },
            End: true,
          },
        },
        { QueryLanguage: 'JSONata' },
      ),
      { url: 'https://example.com/a.png', budget: 15 },
      {
        kind: 'task',
        stateName: 'S',
        resource: { kind: 'spillway-task', taskType: 'image-processing', waitForTaskToken: false },
        payload: { imageUrl: 'https://example.com/a.png', limit: 10 },
        timeoutSeconds: 30,
        executionMode: 'LOCAL',
        waitForTaskToken: false,
      },
    ],
    [
      'a Pass with Result and ResultPath',
      machine({
        S: { Type: 'Pass', Result: { x: 0.381018, y: 622.2269926397355 }, ResultPath: '$.result', Next: 'T' },
        T: { Type: 'Succeed' },
      }),
      { georefOf: 'Home' },
      {
        kind: 'next',
        next: 'T',
        output: { georefOf: 'Home', result: { x: 0.381018, y: 622.2269926397355 } },
        variables: { threshold: 10 },
      },
    ],
    [
      'a Pass with Parameters and Assign, at the end of the machine',
      machine({
        S: {
          Type: 'Pass',
          Parameters: { 'total.$': 'States.MathAdd($.a, $.b)' },
          Assign: { 'sum.$': '$.total' },
          End: true,
        },
      }),
      { a: 2, b: 3 },
      { kind: 'succeed', output: { total: 5 }, variables: { threshold: 10, sum: 5 } },
    ],
    [
      'a JSONata Pass with Output and Assign',
      machine({
        S: {
          Type: 'Pass',
          QueryLanguage: 'JSONata',
          Output: { doubled: '{% $states.input.n * 2 %}' },
          Assign: { seen: '{% $states.input.n %}' },
          Next: 'T',
        },
        T: { Type: 'Succeed' },
      }),
      { n: 21 },
      { kind: 'next', next: 'T', output: { doubled: 42 }, variables: { threshold: 10, seen: 21 } },
    ],
    [
      'a Choice that matches a rule with its own Assign',
      machine({
        S: {
          Type: 'Choice',
          InputPath: '$.order',
          Choices: [
            { Variable: '$.total', NumericGreaterThanPath: '$threshold', Next: 'Big', Assign: { 'size.$': '$.total' } },
          ],
          Default: 'Small',
          Assign: { size: 'default' },
        },
        Big: { Type: 'Succeed' },
        Small: { Type: 'Succeed' },
      }),
      { order: { total: 99 } },
      { kind: 'next', next: 'Big', output: { total: 99 }, variables: { threshold: 10, size: 99 } },
    ],
    [
      "a Choice's Default takes the state's Assign",
      machine({
        S: {
          Type: 'Choice',
          Choices: [{ Variable: '$.total', NumericGreaterThan: 100, Next: 'Big' }],
          Default: 'Small',
          Assign: { size: 'small' },
          OutputPath: '$.total',
        },
        Big: { Type: 'Succeed' },
        Small: { Type: 'Succeed' },
      }),
      { total: 5 },
      { kind: 'next', next: 'Small', output: 5, variables: { threshold: 10, size: 'small' } },
    ],
    [
      'a JSONata Choice with a rule Output',
      machine({
        S: {
          Type: 'Choice',
          QueryLanguage: 'JSONata',
          Choices: [{ Condition: '{% $states.input.n > $threshold %}', Next: 'Big', Output: '{% $states.input.n %}' }],
          Default: 'Small',
        },
        Big: { Type: 'Succeed' },
        Small: { Type: 'Succeed' },
      }),
      { n: 11 },
      { kind: 'next', next: 'Big', output: 11, variables: { threshold: 10 } },
    ],
    [
      'a Choice without a match or Default fails',
      machine({
        S: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericEquals: 1, Next: 'T' }] },
        T: { Type: 'Succeed' },
      }),
      { n: 2 },
      {
        kind: 'fail',
        error: 'States.NoChoiceMatched',
        cause: 'State "S": no Choice rule matched the input {"n":2} and there is no Default',
      },
    ],
    [
      'a Wait of Seconds',
      machine({ S: { Type: 'Wait', Seconds: 10, Next: 'T' }, T: { Type: 'Succeed' } }),
      { a: 1 },
      {
        kind: 'wait',
        stateName: 'S',
        seconds: 10,
        then: { kind: 'next', next: 'T', output: { a: 1 }, variables: { threshold: 10 } },
      },
    ],
    [
      'a Wait until TimestampPath',
      machine({ S: { Type: 'Wait', TimestampPath: '$.expirydate', End: true } }),
      { expirydate: '2016-03-14T01:59:00+02:00' },
      {
        kind: 'wait',
        stateName: 'S',
        untilIso: '2016-03-13T23:59:00.000Z',
        untilMs: Date.UTC(2016, 2, 13, 23, 59),
        then: { kind: 'succeed', output: { expirydate: '2016-03-14T01:59:00+02:00' }, variables: { threshold: 10 } },
      },
    ],
    [
      'a Wait with a SecondsPath that is not a number fails',
      machine({ S: { Type: 'Wait', SecondsPath: '$.s', End: true } }),
      { s: 'ten' },
      {
        kind: 'fail',
        error: 'States.Runtime',
        cause: 'The value of Seconds must be a non-negative integer, not "ten"',
      },
    ],
    [
      'a JSONata Wait with a Seconds expression',
      machine({ S: { Type: 'Wait', QueryLanguage: 'JSONata', Seconds: '{% $states.input.delay %}', End: true } }),
      { delay: 5 },
      {
        kind: 'wait',
        stateName: 'S',
        seconds: 5,
        then: { kind: 'succeed', output: { delay: 5 }, variables: { threshold: 10 } },
      },
    ],
    [
      'a Succeed with InputPath and OutputPath',
      machine({ S: { Type: 'Succeed', InputPath: '$.a', OutputPath: '$.b' } }),
      { a: { b: [1] } },
      { kind: 'succeed', output: [1], variables: { threshold: 10 } },
    ],
    [
      'a Fail with Error and Cause',
      machine({ S: { Type: 'Fail', Error: 'ErrorA', Cause: 'Kaiju attack' } }),
      {},
      { kind: 'fail', error: 'ErrorA', cause: 'Kaiju attack' },
    ],
    [
      'a Fail with ErrorPath and an intrinsic CausePath',
      machine({
        S: {
          Type: 'Fail',
          ErrorPath: '$.Error',
          CausePath: "States.Format('this is the error: {}, and this is the cause: {}', $.Error, $.Cause)",
        },
      }),
      { Error: 'Boom', Cause: 'gravity' },
      { kind: 'fail', error: 'Boom', cause: 'this is the error: Boom, and this is the cause: gravity' },
    ],
    [
      'a JSONata Fail with expressions',
      machine({
        S: { Type: 'Fail', QueryLanguage: 'JSONata', Error: "{% 'E' & $states.input.code %}", Cause: 'literal' },
      }),
      { code: 42 },
      { kind: 'fail', error: 'E42', cause: 'literal' },
    ],
  ])('%s', async (_label, m, input, expected) => {
    expect(await enterState(m, m.StartAt, input, env())).toEqual(expected);
  });

  test('a Parallel hands each branch the Parameters and a copy of the variables', async () => {
    const branch = (name: string): StateMachineDefinition => ({
      StartAt: name,
      States: { [name]: { Type: 'Pass', End: true } },
    });
    const m = machine(
      { S: { Type: 'Parallel', Branches: [branch('A'), branch('B')], Parameters: { 'id.$': '$.id' }, End: true } },
      { QueryLanguage: 'JSONPath' },
    );
    const e = env();
    const action = await enterState(m, 'S', { id: 7, other: true }, e);
    expect(action).toEqual({
      kind: 'parallel',
      stateName: 'S',
      branches: [
        { machine: { ...branch('A'), QueryLanguage: 'JSONPath' }, input: { id: 7 }, variables: { threshold: 10 } },
        { machine: { ...branch('B'), QueryLanguage: 'JSONPath' }, input: { id: 7 }, variables: { threshold: 10 } },
      ],
    });
    expect(action.kind === 'parallel' && action.branches[0]!.variables !== e.variables).toBe(true);
  });

  const processor: StateMachineDefinition = { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } };

  test('a Map reads ItemsPath and builds each item with ItemSelector and $$.Map.Item', async () => {
    const m = machine({
      S: {
        Type: 'Map',
        ItemsPath: '$.detail.shipped',
        ItemSelector: {
          'parcel.$': '$$.Map.Item.Value',
          'index.$': '$$.Map.Item.Index',
          'courier.$': '$.detail.courier',
        },
        MaxConcurrencyPath: '$.detail.parallelism',
        ToleratedFailurePercentage: 50,
        ItemProcessor: processor,
        ResultPath: '$.detail.shipped',
        End: true,
      },
    });
    const input = { detail: { courier: 'UQS', parallelism: 2, shipped: [{ prod: 'R31' }, { prod: 'S39' }] } };
    expect(await enterState(m, 'S', input, env())).toEqual({
      kind: 'map',
      stateName: 'S',
      mode: 'INLINE',
      itemMachine: { ...processor, QueryLanguage: 'JSONPath' },
      maxConcurrency: 2,
      toleratedFailurePercentage: 50,
      items: [
        {
          index: 0,
          value: { prod: 'R31' },
          input: { parcel: { prod: 'R31' }, index: 0, courier: 'UQS' },
          machine: { ...processor, QueryLanguage: 'JSONPath' },
          variables: { threshold: 10 },
        },
        {
          index: 1,
          value: { prod: 'S39' },
          input: { parcel: { prod: 'S39' }, index: 1, courier: 'UQS' },
          machine: { ...processor, QueryLanguage: 'JSONPath' },
          variables: { threshold: 10 },
        },
      ],
    });
  });

  test('a JSONata distributed Map evaluates Items and ItemSelector; its children get no outer variables', async () => {
    const m = machine(
      {
        S: {
          Type: 'Map',
          Items: '{% $states.input.xs %}',
          ItemSelector: { n: '{% $states.context.Map.Item.Value * 10 %}', i: '{% $states.context.Map.Item.Index %}' },
          ItemProcessor: { ...processor, ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
          MaxConcurrency: 5,
          ToleratedFailureCount: 1,
          End: true,
        },
      },
      { QueryLanguage: 'JSONata' },
    );
    const action = (await enterState(m, 'S', { xs: [1, 2] }, env())) as MapAction;
    expect({
      mode: action.mode,
      inputs: action.items.map((i) => i.input),
      variables: action.items.map((i) => i.variables),
      maxConcurrency: action.maxConcurrency,
      toleratedFailureCount: action.toleratedFailureCount,
      itemLanguage: action.itemMachine.QueryLanguage,
    }).toEqual({
      mode: 'DISTRIBUTED',
      inputs: [
        { n: 10, i: 0 },
        { n: 20, i: 1 },
      ],
      variables: [{}, {}],
      maxConcurrency: 5,
      toleratedFailureCount: 1,
      itemLanguage: 'JSONata',
    });
  });

  test('a Map over something that is not an array fails with States.Runtime', async () => {
    const m = machine({ S: { Type: 'Map', ItemsPath: '$.xs', ItemProcessor: processor, End: true } });
    expect(await enterState(m, 'S', { xs: { a: 1 } }, env())).toEqual({
      kind: 'fail',
      error: 'States.Runtime',
      cause: 'State "S": the Map items must be a JSON array, not {"a":1}',
    });
  });

  test('an error while preparing a Task goes through its Catch', async () => {
    const m = machine({
      S: {
        Type: 'Task',
        Resource: LAMBDA,
        Parameters: { 'x.$': 'States.ArrayLength($.notArray)' },
        Catch: [{ ErrorEquals: ['States.IntrinsicFailure'], ResultPath: '$.problem', Next: 'Handle' }],
        End: true,
      },
      Handle: { Type: 'Succeed' },
    });
    expect(await enterState(m, 'S', { notArray: 1 }, env())).toEqual({
      kind: 'next',
      next: 'Handle',
      output: {
        notArray: 1,
        problem: {
          Error: 'States.IntrinsicFailure',
          Cause: 'States.ArrayLength: its argument must be an array, not 1',
        },
      },
      variables: { threshold: 10 },
      caught: {
        error: 'States.IntrinsicFailure',
        cause: 'States.ArrayLength: its argument must be an array, not 1',
        catcherIndex: 0,
      },
    });
  });

  test('an unsupported Resource fails the execution with States.Runtime', async () => {
    const m = machine({ S: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } });
    expect(await enterState(m, 'S', {}, env())).toEqual({
      kind: 'fail',
      error: 'States.Runtime',
      cause:
        'Unsupported Task Resource "arn:aws:states:::sqs:sendMessage": only Lambda functions, arn:aws:states:::lambda:invoke[.waitForTaskToken] and Spillway task types are supported',
    });
  });

  test('an unknown state name is the caller’s bug', async () => {
    await expect(enterState(machine({ S: { Type: 'Succeed' } }), 'Nope', {}, env())).rejects.toThrow(
      new UnknownStateError('Nope'),
    );
  });
});

const RESULT_SELECTOR_MISS =
  'The JSONPath $.Payload.body specified for the field body.$ could not be found in the input {"StatusCode":200}';

describe('completeTask', () => {
  const task = machine({
    S: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'f', 'Payload.$': '$' },
      ResultSelector: { 'body.$': '$.Payload.body', 'status.$': '$.StatusCode' },
      ResultPath: '$.taskResult',
      OutputPath: '$.taskResult',
      Assign: { 'lastStatus.$': '$.status' },
      Retry: [
        { ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 2, MaxAttempts: 2, BackoffRate: 3 },
        { ErrorEquals: ['States.Timeout'], MaxAttempts: 0 },
      ],
      Catch: [
        { ErrorEquals: ['States.Timeout'], Next: 'TimedOut', ResultPath: null },
        { ErrorEquals: ['States.ALL'], Next: 'Failed', ResultPath: '$.error', Assign: { 'why.$': '$.Cause' } },
      ],
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    TimedOut: { Type: 'Succeed' },
    Failed: { Type: 'Succeed' },
  });
  const input = { order: 'o-1' };

  test.each<[string, TaskOutcome, RetryCounters, unknown]>([
    [
      'success: ResultSelector, Assign, ResultPath, OutputPath',
      { status: 'succeeded', result: { ExecutedVersion: '$LATEST', Payload: { body: 'ok' }, StatusCode: 200 } },
      NO_RETRIES,
      {
        kind: 'next',
        next: 'Done',
        output: { body: 'ok', status: 200 },
        variables: { threshold: 10, lastStatus: 200 },
      },
    ],
    [
      'a throttle is retried after IntervalSeconds',
      { status: 'failed', error: 'Lambda.TooManyRequestsException', cause: 'Rate exceeded' },
      NO_RETRIES,
      {
        kind: 'retry',
        stateName: 'S',
        delayMs: 2000,
        counters: { 0: 1 },
        retrierIndex: 0,
        retryNumber: 1,
        error: 'Lambda.TooManyRequestsException',
        cause: 'Rate exceeded',
      },
    ],
    [
      'the second retry waits IntervalSeconds × BackoffRate',
      { status: 'failed', error: 'Lambda.TooManyRequestsException', cause: 'Rate exceeded' },
      { 0: 1 },
      {
        kind: 'retry',
        stateName: 'S',
        delayMs: 6000,
        counters: { 0: 2 },
        retrierIndex: 0,
        retryNumber: 2,
        error: 'Lambda.TooManyRequestsException',
        cause: 'Rate exceeded',
      },
    ],
    [
      'used-up retries fall through to Catch, with the error output at ResultPath and the catcher’s Assign',
      { status: 'failed', error: 'Lambda.TooManyRequestsException', cause: 'Rate exceeded' },
      { 0: 2 },
      {
        kind: 'next',
        next: 'Failed',
        output: { order: 'o-1', error: { Error: 'Lambda.TooManyRequestsException', Cause: 'Rate exceeded' } },
        variables: { threshold: 10, why: 'Rate exceeded' },
        caught: { error: 'Lambda.TooManyRequestsException', cause: 'Rate exceeded', catcherIndex: 1 },
      },
    ],
    [
      'a timeout is not retried (MaxAttempts 0) and its catcher keeps the input (ResultPath null)',
      { status: 'failed', error: 'States.Timeout', cause: 'Task timed out after 30 seconds' },
      NO_RETRIES,
      {
        kind: 'next',
        next: 'TimedOut',
        output: { order: 'o-1' },
        variables: { threshold: 10 },
        caught: { error: 'States.Timeout', cause: 'Task timed out after 30 seconds', catcherIndex: 0 },
      },
    ],
    [
      'a ResultSelector path that names nothing is States.ParameterPathFailure, which the States.ALL catcher handles',
      { status: 'succeeded', result: { StatusCode: 200 } },
      NO_RETRIES,
      {
        kind: 'next',
        next: 'Failed',
        output: {
          order: 'o-1',
          error: { Error: 'States.ParameterPathFailure', Cause: RESULT_SELECTOR_MISS },
        },
        variables: { threshold: 10, why: RESULT_SELECTOR_MISS },
        caught: { error: 'States.ParameterPathFailure', cause: RESULT_SELECTOR_MISS, catcherIndex: 1 },
      },
    ],
  ])('%s', async (_label, outcome, counters, expected) => {
    expect(await completeTask(task, 'S', input, outcome, counters, env())).toEqual(expected);
  });

  test('a ResultPath that cannot be applied is States.ResultPathMatchFailure, caught like a task error', async () => {
    const m = machine({
      S: {
        Type: 'Task',
        Resource: LAMBDA,
        ResultPath: '$.order.result',
        Catch: [{ ErrorEquals: ['States.ResultPathMatchFailure'], Next: 'Fix', ResultPath: '$.problem' }],
        End: true,
      },
      Fix: { Type: 'Succeed' },
    });
    const cause =
      'Unable to apply ResultPath "$.order.result" to input {"order":"o-1"}: "order" holds "o-1", which is not an object';
    expect(await completeTask(m, 'S', input, { status: 'succeeded', result: 1 }, NO_RETRIES, env())).toEqual({
      kind: 'next',
      next: 'Fix',
      output: { order: 'o-1', problem: { Error: 'States.ResultPathMatchFailure', Cause: cause } },
      variables: { threshold: 10 },
      caught: { error: 'States.ResultPathMatchFailure', cause, catcherIndex: 0 },
    });
  });

  test('an error with no retrier or catcher fails the state', async () => {
    const m = machine({ S: { Type: 'Task', Resource: LAMBDA, End: true } });
    expect(await completeTask(m, 'S', {}, { status: 'failed', error: 'Boom', cause: 'x' }, NO_RETRIES, env())).toEqual({
      kind: 'fail',
      error: 'Boom',
      cause: 'x',
    });
  });

  test('JSONata: Output and Assign see $states.result; a catcher’s Output defaults to $states.errorOutput', async () => {
    const m = machine(
      {
        S: {
          Type: 'Task',
          Resource: 'noop',
          Output: { price: '{% $states.result.Payload.current_price %}' },
          Assign: { product: '{% $states.input.order.product %}', old: '{% $threshold %}', threshold: 99 },
          Catch: [
            { ErrorEquals: ['States.ALL'], Next: 'Recover', Assign: { failedWith: '{% $states.errorOutput.Error %}' } },
          ],
          End: true,
        },
        Recover: { Type: 'Succeed' },
      },
      { QueryLanguage: 'JSONata' },
    );
    const stateInput = { order: { product: 'p-1' } };
    const ok = await completeTask(
      m,
      'S',
      stateInput,
      { status: 'succeeded', result: { Payload: { current_price: 12 } } },
      NO_RETRIES,
      env(),
    );
    const failed = await completeTask(
      m,
      'S',
      stateInput,
      { status: 'failed', error: 'E', cause: 'c' },
      NO_RETRIES,
      env(),
    );
    expect({ ok, failed }).toEqual({
      ok: { kind: 'succeed', output: { price: 12 }, variables: { threshold: 99, product: 'p-1', old: 10 } },
      failed: {
        kind: 'next',
        next: 'Recover',
        output: { Error: 'E', Cause: 'c' },
        variables: { threshold: 10, failedWith: 'E' },
        caught: { error: 'E', cause: 'c', catcherIndex: 0 },
      },
    });
  });

  test('the state must be a Task', async () => {
    await expect(
      completeTask(
        machine({ S: { Type: 'Pass', End: true } }),
        'S',
        {},
        { status: 'succeeded', result: 1 },
        NO_RETRIES,
        env(),
      ),
    ).rejects.toThrow(new StateTypeMismatchError('S', 'Task', 'Pass'));
  });
});

describe('Parallel and Map outcomes', () => {
  test.each<[string, BranchOutcome[], unknown]>([
    [
      'all succeed: outputs in branch order',
      [
        { status: 'succeeded', output: 'a' },
        { status: 'succeeded', output: 'b' },
      ],
      { status: 'succeeded', outputs: ['a', 'b'] },
    ],
    [
      'the first failed branch decides',
      [
        { status: 'succeeded', output: 'a' },
        { status: 'failed', error: 'E1', cause: 'c1' },
        { status: 'failed', error: 'E2', cause: 'c2' },
      ],
      { status: 'failed', error: 'E1', cause: 'c1' },
    ],
    ['no branches', [], { status: 'succeeded', outputs: [] }],
  ])('foldBranches: %s', (_label, outcomes, expected) => {
    expect(foldBranches(outcomes)).toEqual(expected);
  });

  const mapAction = (tolerance: Partial<MapAction>): MapAction => ({
    kind: 'map',
    stateName: 'M',
    mode: 'INLINE',
    items: [],
    itemMachine: { StartAt: 'x', States: {} },
    maxConcurrency: 0,
    ...tolerance,
  });
  const ok = (output: JsonValue): BranchOutcome => ({ status: 'succeeded', output });
  const bad = (error: string): BranchOutcome => ({ status: 'failed', error, cause: `${error} happened` });

  test.each<[string, Partial<MapAction>, BranchOutcome[], unknown]>([
    ['all succeed', {}, [ok(1), ok(2)], { status: 'succeeded', outputs: [1, 2] }],
    [
      'no tolerance: the first failed item fails the Map',
      {},
      [ok(1), bad('A'), bad('B')],
      { status: 'failed', error: 'A', cause: 'A happened' },
    ],
    [
      'within ToleratedFailureCount: the failed slot holds its error output',
      { toleratedFailureCount: 1 },
      [ok(1), bad('A'), ok(3)],
      { status: 'succeeded', outputs: [1, { Error: 'A', Cause: 'A happened' }, 3] },
    ],
    [
      'over ToleratedFailureCount',
      { toleratedFailureCount: 1 },
      [bad('A'), bad('B'), ok(3)],
      {
        status: 'failed',
        error: 'States.ExceedToleratedFailureThreshold',
        cause: 'The specified tolerated failure threshold was exceeded: 2 of 3 items failed',
      },
    ],
    [
      'at ToleratedFailurePercentage',
      { toleratedFailurePercentage: 50 },
      [bad('A'), ok(2)],
      { status: 'succeeded', outputs: [{ Error: 'A', Cause: 'A happened' }, 2] },
    ],
    [
      'over ToleratedFailurePercentage',
      { toleratedFailurePercentage: 49.9 },
      [bad('A'), ok(2)],
      {
        status: 'failed',
        error: 'States.ExceedToleratedFailureThreshold',
        cause: 'The specified tolerated failure threshold was exceeded: 1 of 2 items failed',
      },
    ],
    [
      'either threshold exceeded fails',
      { toleratedFailurePercentage: 100, toleratedFailureCount: 0 },
      [bad('A'), ok(2)],
      {
        status: 'failed',
        error: 'States.ExceedToleratedFailureThreshold',
        cause: 'The specified tolerated failure threshold was exceeded: 1 of 2 items failed',
      },
    ],
  ])('foldMapItems: %s', (_label, tolerance, outcomes, expected) => {
    expect(foldMapItems(mapAction(tolerance), outcomes)).toEqual(expected);
  });

  test('completeParallel applies ResultSelector and ResultPath to the branch outputs', async () => {
    const m = machine({
      P: {
        Type: 'Parallel',
        Branches: [],
        ResultSelector: { 'identity.$': '$[0]', 'address.$': '$[1]' },
        ResultPath: '$.results',
        End: true,
      },
    });
    expect(
      await completeParallel(
        m,
        'P',
        { data: 1 },
        { status: 'succeeded', outputs: [{ ok: true }, { ok: false }] },
        NO_RETRIES,
        env(),
      ),
    ).toEqual({
      kind: 'succeed',
      output: { data: 1, results: { identity: { ok: true }, address: { ok: false } } },
      variables: { threshold: 10 },
    });
  });

  test('a failed branch fails the Parallel state with its own error, not States.BranchFailed, as on AWS', async () => {
    const m = machine({
      P: {
        Type: 'Parallel',
        Branches: [],
        Catch: [
          { ErrorEquals: ['States.BranchFailed'], Next: 'Wrong' },
          { ErrorEquals: ['Boom'], ResultPath: '$.error', Next: 'Handled' },
        ],
        End: true,
      },
      Wrong: { Type: 'Fail' },
      Handled: { Type: 'Succeed' },
    });
    const failed = { status: 'failed' as const, error: 'Boom', cause: 'branch 2' };
    expect(await completeParallel(m, 'P', { data: 1 }, failed, NO_RETRIES, env())).toEqual({
      kind: 'next',
      next: 'Handled',
      output: { data: 1, error: { Error: 'Boom', Cause: 'branch 2' } },
      variables: { threshold: 10 },
      caught: { error: 'Boom', cause: 'branch 2', catcherIndex: 1 },
    });
  });

  test('completeMap retries a failed Map like a Task', async () => {
    const m = machine({
      M: {
        Type: 'Map',
        ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
        Retry: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], IntervalSeconds: 5, MaxAttempts: 1 }],
        End: true,
      },
    });
    const failed = { status: 'failed' as const, error: 'States.ExceedToleratedFailureThreshold', cause: 'too many' };
    expect([
      await completeMap(m, 'M', [], failed, NO_RETRIES, env()),
      await completeMap(m, 'M', [], failed, { 0: 1 }, env()),
    ]).toEqual([
      {
        kind: 'retry',
        stateName: 'M',
        delayMs: 5000,
        counters: { 0: 1 },
        retrierIndex: 0,
        retryNumber: 1,
        error: 'States.ExceedToleratedFailureThreshold',
        cause: 'too many',
      },
      { kind: 'fail', error: 'States.ExceedToleratedFailureThreshold', cause: 'too many' },
    ]);
  });
});

test('contextObject lays out the context object as Step Functions does', () => {
  expect(
    contextObject({
      execution: { Id: 'e', Name: 'n', StartTime: '2019-03-26T20:14:13.192Z', Input: { key: 'value' }, RoleArn: 'r' },
      stateMachine: { Id: 'sm', Name: 'stateMachineName' },
      stateName: 'Test',
      enteredTime: '2019-03-26T20:14:13.192Z',
      retryCount: 3,
      taskToken: 'h7XRiCdLtd',
    }),
  ).toEqual({
    Execution: { Id: 'e', Name: 'n', StartTime: '2019-03-26T20:14:13.192Z', Input: { key: 'value' }, RoleArn: 'r' },
    State: { Name: 'Test', EnteredTime: '2019-03-26T20:14:13.192Z', RetryCount: 3 },
    StateMachine: { Id: 'sm', Name: 'stateMachineName' },
    Task: { Token: 'h7XRiCdLtd' },
  });
});
