// Table tests of the pipeline reducers: the execution record (history, state views, Map Runs), Map run folding
// and batching, and ARNs.
import {
  appendHistory,
  newExecutionRecord,
  reduceExecution,
  type ExecutionRecord,
  type PipelineEvent,
} from '../../pipelines/execution-record';
import { batchConcurrency, batchRanges, foldMapRun, thresholdExceeded } from '../../pipelines/map-run';
import {
  executionArn,
  executionKeyOfTaskId,
  mapRunArn,
  nameProblem,
  parseStatesArn,
  pipelineTaskId,
  stateMachineArn,
} from '../../pipelines/arns';

const fold = (events: PipelineEvent[], limits?: { maxEvents: number; itemEventBudget: number }) =>
  events.reduce<ExecutionRecord>((r, e) => reduceExecution(r, e, limits), newExecutionRecord({ a: 1 }, 1000));

const resource = { resourceType: 'spillway', resource: 'noop', region: 'us-east-1' };

describe('reduceExecution', () => {
  test.each<[string, PipelineEvent[], Partial<ExecutionRecord>, string[]]>([
    [
      'a Pass state that succeeds',
      [
        { kind: 'executionStarted', at: 1000, input: { a: 1 }, roleArn: 'r', stateMachineArn: 's', redriveCount: 0 },
        { kind: 'stateEntered', at: 1001, name: 'P', stateType: 'Pass', input: { a: 1 } },
        { kind: 'stateExited', at: 1002, name: 'P', stateType: 'Pass', output: 2 },
        { kind: 'executionSucceeded', at: 1003, output: 2 },
      ],
      { status: 'SUCCEEDED', output: 2, stopDate: 1003, transitions: 1 },
      ['ExecutionStarted', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded'],
    ],
    [
      'a Task that fails, is retried and caught',
      [
        { kind: 'stateEntered', at: 1, name: 'T', stateType: 'Task', input: {} },
        { kind: 'taskScheduled', at: 2, name: 'T', taskId: 't1', resource, parameters: {} },
        { kind: 'taskFailed', at: 3, name: 'T', taskId: 't1', resource, error: 'E', cause: 'c', placement: 'LOCAL' },
        { kind: 'stateRetrying', at: 3, name: 'T', error: 'E', cause: 'c', delayMs: 1000 },
        { kind: 'taskScheduled', at: 4, name: 'T', taskId: 't2', resource, parameters: {} },
        { kind: 'taskFailed', at: 5, name: 'T', taskId: 't2', resource, error: 'E', cause: 'c', timedOut: true },
        { kind: 'stateExited', at: 6, name: 'T', stateType: 'Task', output: {} },
        { kind: 'stateCaught', at: 6, name: 'T', error: 'E', cause: 'c' },
      ],
      { status: 'RUNNING' },
      ['TaskStateEntered', 'TaskScheduled', 'TaskFailed', 'TaskScheduled', 'TaskTimedOut', 'TaskStateExited'],
    ],
    [
      'a Lambda function ARN names its events LambdaFunction*',
      [
        {
          kind: 'taskScheduled',
          at: 1,
          name: 'L',
          taskId: 't',
          resource: { ...resource, resourceType: 'lambda', lambdaFunction: 'arn:aws:lambda:us-east-1:1:function:f' },
          parameters: { x: 1 },
        },
        {
          kind: 'taskSucceeded',
          at: 2,
          name: 'L',
          taskId: 't',
          resource: { ...resource, lambdaFunction: 'arn' },
          output: 1,
        },
      ],
      {},
      ['LambdaFunctionScheduled', 'LambdaFunctionSucceeded'],
    ],
    [
      'an aborted execution',
      [
        { kind: 'stateEntered', at: 1, name: 'W', stateType: 'Wait', input: {} },
        { kind: 'stateAborted', at: 2, name: 'W', stateType: 'Wait' },
        { kind: 'executionAborted', at: 3, error: 'Stop', cause: 'asked' },
      ],
      { status: 'ABORTED', error: 'Stop', cause: 'asked', stopDate: 3 },
      ['WaitStateEntered', 'ExecutionAborted'],
    ],
    [
      'a failure, then a redrive',
      [
        { kind: 'executionFailed', at: 5, error: 'E', cause: 'c' },
        { kind: 'executionRedriven', at: 9, redriveCount: 1 },
      ],
      { status: 'RUNNING', redriveCount: 1, redriveDate: 9 },
      ['ExecutionFailed', 'ExecutionRedriven'],
    ],
  ])('%s', (_name, events, expected, historyTypes) => {
    const record = fold(events);
    expect(record).toEqual(expect.objectContaining(expected));
    expect(record.events.map((e) => e.type)).toEqual(historyTypes);
    expect(record.events.map((e) => [e.id, e.previousEventId])).toEqual(historyTypes.map((_, i) => [i + 1, i]));
  });

  test('the state view of a retried and caught Task', () => {
    const record = fold([
      { kind: 'stateEntered', at: 1, name: 'T', stateType: 'Task', input: {} },
      { kind: 'taskScheduled', at: 2, name: 'T', taskId: 't1', resource, parameters: {} },
      { kind: 'taskFailed', at: 3, name: 'T', taskId: 't1', resource, error: 'E', cause: 'c', placement: 'LOCAL' },
      { kind: 'stateRetrying', at: 3, name: 'T', error: 'E', cause: 'c', delayMs: 1000 },
      { kind: 'taskScheduled', at: 4, name: 'T', taskId: 't2', resource, parameters: {} },
      { kind: 'taskSucceeded', at: 5, name: 'T', taskId: 't2', resource, output: 1, placement: 'LAMBDA', costUsd: 0.5 },
      { kind: 'stateExited', at: 6, name: 'T', stateType: 'Task', output: 1 },
    ]);
    expect(record.states.T).toEqual({
      name: 'T',
      type: 'Task',
      status: 'SUCCEEDED',
      entered: 1,
      succeeded: 1,
      failed: 0,
      attempts: 2,
      retries: 1,
      placements: { LOCAL: 1, LAMBDA: 1 },
      costUsd: 0.5,
      taskIds: ['t1', 't2'],
    });
  });

  test('Map item counts and Map Runs', () => {
    const record = fold([
      { kind: 'mapStarted', at: 1, name: 'M', length: 3 },
      { kind: 'mapItem', at: 2, name: 'M', index: 0, status: 'started', inItem: true },
      { kind: 'mapItem', at: 2, name: 'M', index: 1, status: 'started', inItem: true },
      { kind: 'mapItem', at: 3, name: 'M', index: 0, status: 'succeeded', inItem: true },
      { kind: 'mapItem', at: 3, name: 'M', index: 1, status: 'failed', inItem: true },
      {
        kind: 'mapRunStarted',
        at: 4,
        name: 'D',
        seq: 1,
        mapRunArn: 'arn',
        total: 10,
        batches: 2,
        maxConcurrency: 0,
        toleratedFailureCount: 0,
        toleratedFailurePercentage: 0,
      },
      {
        kind: 'mapRunEnded',
        at: 5,
        seq: 1,
        status: 'FAILED',
        error: 'States.ExceedToleratedFailureThreshold',
        cause: 'x',
      },
    ]);
    expect(record.states.M?.map).toEqual({ total: 3, pending: 1, running: 0, succeeded: 1, failed: 1, aborted: 0 });
    expect(record.mapRuns).toEqual([
      expect.objectContaining({
        seq: 1,
        status: 'FAILED',
        stopDate: 5,
        error: 'States.ExceedToleratedFailureThreshold',
      }),
    ]);
    expect(record.events.at(-1)).toEqual(
      expect.objectContaining({
        type: 'MapRunFailed',
        mapRunFailedEventDetails: { error: 'States.ExceedToleratedFailureThreshold', cause: 'x' },
      }),
    );
  });

  test('the history stays bounded: item events past the budget and anything past the cap are only counted', () => {
    const item = (i: number): PipelineEvent => ({
      kind: 'stateEntered',
      at: i,
      name: 'Inner',
      stateType: 'Pass',
      input: i,
      inItem: true,
    });
    const top = (i: number): PipelineEvent => ({
      kind: 'stateEntered',
      at: i,
      name: 'Top',
      stateType: 'Pass',
      input: i,
    });
    const record = fold([item(1), item(2), item(3), top(4), top(5), top(6)], { maxEvents: 4, itemEventBudget: 2 });
    expect(record.events.map((e) => e.timestamp)).toEqual([1, 2, 4, 5]);
    expect(record.dropped).toBe(2);
    expect(record.states.Inner?.entered).toBe(3);
    expect(appendHistory(record, top(7), { maxEvents: 4, itemEventBudget: 2 }).dropped).toBe(3);
  });
});

describe('Map runs', () => {
  test.each([
    [{}, 0, 10, false],
    [{}, 1, 10, true],
    [{ toleratedFailureCount: 2 }, 2, 10, false],
    [{ toleratedFailureCount: 2 }, 3, 10, true],
    [{ toleratedFailurePercentage: 25 }, 2, 8, false],
    [{ toleratedFailurePercentage: 25 }, 3, 8, true],
    [{ toleratedFailureCount: 5, toleratedFailurePercentage: 10 }, 2, 10, true],
  ])('thresholdExceeded(%j, %i failures of %i) is %s', (tolerance, failures, total, expected) => {
    expect(thresholdExceeded(tolerance, failures, total)).toBe(expected);
  });

  test('foldMapRun: tolerated failures leave their error output in the slot; past the threshold the Map fails', () => {
    const ok = { status: 'succeeded' as const, output: 1 };
    const bad = { status: 'failed' as const, error: 'E', cause: 'c' };
    expect(foldMapRun({ toleratedFailureCount: 1 }, [ok, bad])).toEqual({
      status: 'succeeded',
      outputs: [1, { Error: 'E', Cause: 'c' }],
    });
    expect(foldMapRun({ toleratedFailureCount: 0 }, [ok, bad, undefined])).toEqual({
      status: 'failed',
      error: 'States.ExceedToleratedFailureThreshold',
      cause: 'The specified tolerated failure threshold was exceeded: 1 of 3 items failed',
    });
    expect(foldMapRun({}, [bad, { ...bad, error: 'F' }], { error: 'F', cause: 'first in time' })).toEqual({
      status: 'failed',
      error: 'F',
      cause: 'first in time',
    });
  });

  test.each([
    [0, 100, []],
    [5, 100, [[0, 5]]],
    [
      250,
      100,
      [
        [0, 100],
        [100, 200],
        [200, 250],
      ],
    ],
  ])('batchRanges(%i, %i)', (count, size, expected) => {
    expect(batchRanges(count, size)).toEqual(expected);
  });

  test.each([
    [0, 100, 20, { batches: 20, perBatch: 100 }],
    [10, 100, 20, { batches: 1, perBatch: 10 }],
    [250, 100, 20, { batches: 2, perBatch: 100 }],
    [100000, 100, 20, { batches: 20, perBatch: 100 }],
  ])('batchConcurrency(%i, %i, %i)', (max, size, lanes, expected) => {
    expect(batchConcurrency(max, size, lanes)).toEqual(expected);
  });
});

describe('ARNs and ids', () => {
  const scope = { region: 'eu-west-1', account: '111122223333' };
  test('state machine, execution and Map Run ARNs parse back', () => {
    expect(parseStatesArn(stateMachineArn(scope, 'm'))).toEqual({ kind: 'stateMachine', ...scope, machine: 'm' });
    expect(parseStatesArn(executionArn(scope, 'm', 'e.1'))).toEqual({
      kind: 'execution',
      ...scope,
      machine: 'm',
      name: 'e.1',
    });
    expect(parseStatesArn(mapRunArn(scope, 'm', 'Fan', 'e.1', 3))).toEqual({
      kind: 'mapRun',
      ...scope,
      machine: 'm',
      label: 'Fan',
      execution: 'e.1',
      seq: 3,
    });
    expect(parseStatesArn('arn:aws:states:eu-west-1:1:stateMachine:m')).toBeUndefined();
    expect(parseStatesArn('arn:aws:lambda:eu-west-1:111122223333:function:f')).toBeUndefined();
    expect(parseStatesArn(42)).toBeUndefined();
  });

  test.each([
    ['ok-name_1.2', undefined],
    ['', 'name must be a non-empty string'],
    ['x'.repeat(81), 'name must be at most 80 characters'],
    ['a b', expect.stringContaining('contains a character')],
    ['a:b', expect.stringContaining('contains a character')],
    ["it's", expect.stringContaining('contains a character')],
  ])('nameProblem(%j)', (name, expected) => {
    expect(nameProblem(name)).toEqual(expected);
  });

  test('task ids are valid task ids, unique per attempt, and carry the execution key', () => {
    const id = pipelineTaskId('0123456789ab', 'r1m2b3', 17, 'Get report / région');
    expect(id).toBe('pl-0123456789ab-r1m2b3-17-Get_report___r_gion');
    expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/);
    expect(pipelineTaskId('0123456789ab', 'r0', 1, 'x'.repeat(200))).toHaveLength(128);
    expect(executionKeyOfTaskId(id)).toBe('0123456789ab');
    expect(executionKeyOfTaskId('task-123')).toBeUndefined();
  });
});
