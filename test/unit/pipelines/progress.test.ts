// The progress events a pipeline publishes to the live stream: the first carries every state view, each later one
// only the views its record changed since the one before, with the record's revision, status and cost.
import { newExecutionRecord, reduceExecution, type PipelineEvent } from '../../../pipelines/execution-record';
import { pipelineProgress } from '../../../pipelines/progress';

const ids = {
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:orders:run-1',
  stateMachineName: 'orders',
  executionName: 'run-1',
};
const resource = { resourceType: 'spillway', resource: 'noop', region: 'us-east-1' };
const fold = (events: PipelineEvent[], record = newExecutionRecord({}, 1000)) =>
  events.reduce((r, e) => reduceExecution(r, e), record);

describe('pipelineProgress', () => {
  const started = fold([
    { kind: 'executionStarted', at: 1000, input: {}, roleArn: 'r', stateMachineArn: 's', redriveCount: 0 },
    { kind: 'stateEntered', at: 1001, name: 'Prepare', stateType: 'Pass', input: {} },
    { kind: 'stateExited', at: 1002, name: 'Prepare', stateType: 'Pass', output: {} },
    { kind: 'stateEntered', at: 1003, name: 'Charge', stateType: 'Task', input: {} },
    { kind: 'taskScheduled', at: 1004, name: 'Charge', taskId: 't1', resource, parameters: {} },
  ]);

  test('the first event of a run carries every state view, the revision and the status', () => {
    const event = pipelineProgress(started, {}, ids, Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(event).toEqual({
      kind: 'pipeline',
      ...ids,
      revision: 5,
      status: 'RUNNING',
      redriveCount: 0,
      transitions: 2,
      costUsd: 0,
      states: [
        expect.objectContaining({ name: 'Prepare', status: 'SUCCEEDED' }),
        expect.objectContaining({ name: 'Charge', status: 'RUNNING', attempts: 1, taskIds: ['t1'] }),
      ],
      mapRuns: [],
      at: '2026-01-02T03:04:05.000Z',
    });
  });

  test('a later event carries only the views that changed, and the cost so far', () => {
    const done = fold(
      [
        {
          kind: 'taskSucceeded',
          at: 1005,
          name: 'Charge',
          taskId: 't1',
          resource,
          output: 1,
          placement: 'LAMBDA',
          costUsd: 0.25,
        },
        { kind: 'stateExited', at: 1006, name: 'Charge', stateType: 'Task', output: 1 },
        { kind: 'executionFailed', at: 1007, error: 'Nope', cause: 'later' },
      ],
      started,
    );
    const event = pipelineProgress(done, started.states, ids, 1007);
    expect(event.states).toEqual([
      expect.objectContaining({ name: 'Charge', status: 'SUCCEEDED', placements: { LAMBDA: 1 }, costUsd: 0.25 }),
    ]);
    expect({ ...event, states: undefined }).toEqual({
      kind: 'pipeline',
      ...ids,
      revision: 8,
      status: 'FAILED',
      error: 'Nope',
      cause: 'later',
      redriveCount: 0,
      transitions: 2,
      costUsd: 0.25,
      states: undefined,
      mapRuns: [],
      at: new Date(1007).toISOString(),
    });
    // Nothing changed since: no views.
    expect(pipelineProgress(done, done.states, ids, 1008).states).toEqual([]);
  });

  test('a redriven run counts its revision on from the run before', () => {
    const redriven = fold([{ kind: 'executionRedriven', at: 2000, redriveCount: 1 }], started);
    expect(pipelineProgress(redriven, started.states, ids, 2000)).toEqual(
      expect.objectContaining({ revision: 6, status: 'RUNNING', redriveCount: 1, states: [] }),
    );
  });
});
