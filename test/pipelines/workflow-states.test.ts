// Every state type on the real dev server, through the runPipeline workflow and an in-process worker.
import { startHarness, type TestHarness } from '../support/test-stack';
import { runToEnd, types } from './helpers';

let harness: TestHarness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

test('Pass, Choice, Wait, Succeed and a LOCAL noop Task run in order, with the history in Step Functions shape', async () => {
  const run = await runToEnd(
    harness.client,
    {
      StartAt: 'Init',
      States: {
        Init: { Type: 'Pass', Result: { n: 3 }, ResultPath: '$.init', Next: 'Decide' },
        Decide: {
          Type: 'Choice',
          Choices: [{ Variable: '$.init.n', NumericGreaterThan: 2, Next: 'Pause' }],
          Default: 'Nope',
        },
        Nope: { Type: 'Fail', Error: 'Wrong', Cause: 'took the default' },
        Pause: { Type: 'Wait', Seconds: 1, Next: 'Ping' },
        Ping: { Type: 'Task', Resource: 'noop', ResultPath: '$.ping', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    },
    { hello: 'world' },
  );
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output).toEqual({
    hello: 'world',
    init: { n: 3 },
    ping: { ok: true, taskId: expect.stringMatching(/^pl-[0-9a-f]{12}-r0-1-Ping$/), attempt: 1 },
  });
  expect(types(run.history)).toEqual([
    'ExecutionStarted',
    'PassStateEntered',
    'PassStateExited',
    'ChoiceStateEntered',
    'ChoiceStateExited',
    'WaitStateEntered',
    'WaitStateExited',
    'TaskStateEntered',
    'TaskScheduled',
    'TaskStarted',
    'TaskSucceeded',
    'TaskStateExited',
    'SucceedStateEntered',
    'SucceedStateExited',
    'ExecutionSucceeded',
  ]);
  expect(run.description.record.states.Ping).toEqual(
    expect.objectContaining({ status: 'SUCCEEDED', attempts: 1, placements: { LOCAL: 1 } }),
  );
});
