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

test('Fail with ErrorPath and CausePath ends the execution FAILED with them', async () => {
  const run = await runToEnd(
    harness.client,
    {
      StartAt: 'Stop',
      States: { Stop: { Type: 'Fail', ErrorPath: '$.code', CausePath: "States.Format('bad {}', $.what)" } },
    },
    { code: 'E42', what: 'input' },
  );
  expect(run.status).toBe('FAILED');
  expect(run.error).toBe('E42');
  expect(run.cause).toBe('bad input');
  expect(types(run.history)).toEqual(['ExecutionStarted', 'FailStateEntered', 'ExecutionFailed']);
});

test('Parallel branches and an inline Map with MaxConcurrency give their outputs in order', async () => {
  const run = await runToEnd(
    harness.client,
    {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Pass', Result: 'a', End: true } } },
            {
              StartAt: 'Each',
              States: {
                Each: {
                  Type: 'Map',
                  ItemsPath: '$.xs',
                  MaxConcurrency: 2,
                  ItemProcessor: {
                    StartAt: 'Ping',
                    States: { Ping: { Type: 'Task', Resource: 'noop', ResultSelector: { 'ok.$': '$.ok' }, End: true } },
                  },
                  End: true,
                },
              },
            },
          ],
          End: true,
        },
      },
    },
    { xs: [{ i: 1 }, { i: 2 }, { i: 3 }] },
  );
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output).toEqual(['a', [{ ok: true }, { ok: true }, { ok: true }]]);
  expect(run.description.record.states.Ping).toEqual(expect.objectContaining({ attempts: 3, succeeded: 3 }));
});

test('a distributed Map over 5,000 items finishes in batch child workflows, far below the history limit', async () => {
  const items = Array.from({ length: 5000 }, (_, i) => i);
  const run = await runToEnd(
    harness.client,
    {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'n.$': '$$.Map.Item.Value' },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Square',
            States: { Square: { Type: 'Pass', Parameters: { 'sum.$': 'States.MathAdd($.n, $.n)' }, End: true } },
          },
          ResultSelector: { 'count.$': 'States.ArrayLength($)', 'last.$': '$[4999]' },
          End: true,
        },
      },
    },
    { items },
  );
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output).toEqual({ count: 5000, last: { sum: 9998 } });
  const [mapRun] = run.description.record.mapRuns;
  expect(mapRun).toEqual(
    expect.objectContaining({
      status: 'SUCCEEDED',
      items: { total: 5000, pending: 0, running: 0, succeeded: 5000, failed: 0, aborted: 0 },
      executions: { total: 50, pending: 0, running: 0, succeeded: 50, failed: 0, aborted: 0 },
    }),
  );
  // The execution's own Temporal history holds the batches, not the items; its Step Functions history stays short.
  const description = await harness.client.workflow.getHandle(run.workflowId).describe();
  expect(description.historyLength).toBeLessThan(1000);
  expect(run.history.events.length).toBeLessThan(50);
  expect(run.description.record.states.Square).toEqual(expect.objectContaining({ entered: 5000, succeeded: 5000 }));
}, 180_000);

test('Wait with SecondsPath and TimestampPath waits as long as its input says, a past timestamp not at all', async () => {
  const until = new Date(Date.now() + 3_000).toISOString();
  const run = await runToEnd(
    harness.client,
    {
      StartAt: 'ForSeconds',
      States: {
        ForSeconds: { Type: 'Wait', SecondsPath: '$.delay', Next: 'UntilThen' },
        UntilThen: { Type: 'Wait', TimestampPath: '$.until', Next: 'Past' },
        Past: { Type: 'Wait', TimestampPath: '$.past', End: true },
      },
    },
    { delay: 1, until, past: '2016-03-14T01:59:00Z' },
  );
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output).toEqual({ delay: 1, until, past: '2016-03-14T01:59:00Z' });
  const events = run.history.events;
  expect(types(run.history)).toEqual([
    'ExecutionStarted',
    'WaitStateEntered',
    'WaitStateExited',
    'WaitStateEntered',
    'WaitStateExited',
    'WaitStateEntered',
    'WaitStateExited',
    'ExecutionSucceeded',
  ]);
  // Durable timers never fire early: each Wait lasted at least what its path named.
  const at = (i: number) => events[i]!.timestamp;
  expect(at(2) - at(1)).toBeGreaterThanOrEqual(1_000);
  expect(at(4)).toBeGreaterThanOrEqual(Date.parse(until));
  // A timestamp already past waits for nothing: the state is left in the same workflow task it was entered in.
  expect(at(6)).toBe(at(5));
});

test('a Wait whose SecondsPath or TimestampPath names nothing usable fails the execution with States.Runtime', async () => {
  const bad = await runToEnd(
    harness.client,
    { StartAt: 'W', States: { W: { Type: 'Wait', TimestampPath: '$.when', End: true } } },
    { when: 'next tuesday' },
  );
  expect({ status: bad.status, error: bad.error }).toEqual({ status: 'FAILED', error: 'States.Runtime' });
  expect(bad.cause).toContain('ISO 8601');
  const missing = await runToEnd(
    harness.client,
    { StartAt: 'W', States: { W: { Type: 'Wait', SecondsPath: '$.delay', End: true } } },
    {},
  );
  expect({ status: missing.status, error: missing.error }).toEqual({ status: 'FAILED', error: 'States.Runtime' });
});
