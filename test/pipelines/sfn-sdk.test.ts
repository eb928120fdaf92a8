// Wire tests of the Step Functions endpoint through @aws-sdk/client-sfn: every operation, and its error cases,
// against the real dev server and an in-process worker.
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  ListStateMachinesCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
  ValidateStateMachineDefinitionCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { eventually, uniqueId } from '../support/test-stack';
import { ROLE, startSfnStack, type SfnStack } from './sfn-api';

let stack: SfnStack;
let sfn: SFNClient;
beforeAll(async () => {
  stack = await startSfnStack();
  sfn = stack.sfn;
});
afterAll(async () => {
  await stack?.close();
});

const passMachine = JSON.stringify({
  Comment: 'A Hello World example of the Amazon States Language using Pass states',
  StartAt: 'Hello',
  States: {
    Hello: { Type: 'Pass', Result: 'Hello', Next: 'World' },
    World: { Type: 'Pass', Result: 'World', End: true },
  },
});

const machineName = () => uniqueId('sm').replace(/^test-/, 't');

async function create(definition: string, extra: Record<string, unknown> = {}) {
  const name = machineName();
  const out = await sfn.send(new CreateStateMachineCommand({ name, definition, roleArn: ROLE, ...extra }));
  return { name, arn: out.stateMachineArn! };
}

async function waitEnd(executionArn: string, timeoutMs = 60_000) {
  return eventually(async () => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  }, timeoutMs);
}

async function expectError(promise: Promise<unknown>, name: string) {
  await expect(promise).rejects.toMatchObject({ name, $metadata: expect.objectContaining({ httpStatusCode: 400 }) });
}

test('CreateStateMachine, DescribeStateMachine, UpdateStateMachine, ListStateMachines, DeleteStateMachine', async () => {
  const { name, arn } = await create(passMachine);
  expect(arn).toBe(`arn:aws:states:us-east-1:123456789012:stateMachine:${name}`);
  const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
  expect(described).toEqual(
    expect.objectContaining({
      stateMachineArn: arn,
      name,
      status: 'ACTIVE',
      definition: passMachine,
      roleArn: ROLE,
      type: 'STANDARD',
      creationDate: expect.any(Date),
    }),
  );
  // The same definition again is idempotent; a different one under the same name is refused.
  const again = await sfn.send(new CreateStateMachineCommand({ name, definition: passMachine, roleArn: ROLE }));
  expect(again.stateMachineArn).toBe(arn);
  await expectError(
    sfn.send(
      new CreateStateMachineCommand({
        name,
        definition: passMachine.replace('"Result":"World"', '"Result":"Earth"'),
        roleArn: ROLE,
      }),
    ),
    'StateMachineAlreadyExists',
  );
  const updated = await sfn.send(
    new UpdateStateMachineCommand({
      stateMachineArn: arn,
      definition: passMachine.replace('"Result":"World"', '"Result":"Earth"'),
    }),
  );
  expect(updated.updateDate).toEqual(expect.any(Date));
  expect(updated.revisionId).toEqual(expect.any(String));
  const after = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
  expect(after.definition).toContain('"Earth"');
  const listed = await eventually(async () => {
    const page = await sfn.send(new ListStateMachinesCommand({}));
    return page.stateMachines?.find((m) => m.name === name);
  });
  expect(listed).toEqual({ stateMachineArn: arn, name, type: 'STANDARD', creationDate: expect.any(Date) });
  await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
  await expectError(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn })), 'StateMachineDoesNotExist');
  // Deleting what is not there succeeds, as on AWS.
  await expect(sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }))).resolves.toEqual(
    expect.objectContaining({ $metadata: expect.objectContaining({ httpStatusCode: 200 }) }),
  );
});

test('definitions are validated at creation, naming the state and the field', async () => {
  const bad = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } });
  await expect(
    sfn.send(new CreateStateMachineCommand({ name: machineName(), definition: bad, roleArn: ROLE })),
  ).rejects.toMatchObject({ name: 'InvalidDefinition', message: expect.stringContaining('State "A"') });
  const checked = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: bad }));
  expect(checked.result).toBe('FAIL');
  expect(checked.diagnostics?.[0]).toEqual(
    expect.objectContaining({
      severity: 'ERROR',
      message: expect.stringContaining('Nowhere'),
      location: expect.stringContaining('/States/A'),
    }),
  );
  const ok = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: passMachine }));
  expect(ok).toEqual(expect.objectContaining({ result: 'OK', diagnostics: [], truncated: false }));
  await expectError(
    sfn.send(new CreateStateMachineCommand({ name: 'has space', definition: passMachine, roleArn: ROLE })),
    'InvalidName',
  );
  await expectError(
    sfn.send(new CreateStateMachineCommand({ name: machineName(), definition: passMachine, roleArn: 'nope' })),
    'InvalidArn',
  );
  await expectError(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: 'not-an-arn' })), 'InvalidArn');
});

test('StartExecution with a name is idempotent for the same input; DescribeExecution, ListExecutions, GetExecutionHistory', async () => {
  const { name: machine, arn } = await create(passMachine);
  const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'run-1', input: '{"a":1}' }));
  expect(first.executionArn).toBe(`arn:aws:states:us-east-1:123456789012:execution:${machine}:run-1`);
  const done = await waitEnd(first.executionArn!);
  expect(done).toEqual(
    expect.objectContaining({
      executionArn: first.executionArn,
      stateMachineArn: arn,
      name: 'run-1',
      status: 'SUCCEEDED',
      input: '{"a":1}',
      output: '"World"',
      startDate: expect.any(Date),
      stopDate: expect.any(Date),
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    }),
  );
  // Closed: the same name is refused whatever the input.
  await expectError(
    sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'run-1', input: '{"a":1}' })),
    'ExecutionAlreadyExists',
  );
  await expectError(
    sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: 'not json' })),
    'InvalidExecutionInput',
  );
  await expectError(
    sfn.send(new StartExecutionCommand({ stateMachineArn: arn.replace(machine, 'missing-machine') })),
    'StateMachineDoesNotExist',
  );
  const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: first.executionArn }));
  expect(history.events?.map((e) => e.type)).toEqual([
    'ExecutionStarted',
    'PassStateEntered',
    'PassStateExited',
    'PassStateEntered',
    'PassStateExited',
    'ExecutionSucceeded',
  ]);
  expect(history.events?.[0]).toEqual(
    expect.objectContaining({
      id: 1,
      previousEventId: 0,
      timestamp: expect.any(Date),
      executionStartedEventDetails: { input: '{"a":1}', inputDetails: { truncated: false }, roleArn: ROLE },
    }),
  );
  const paged = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn: first.executionArn, maxResults: 4, reverseOrder: true }),
  );
  expect(paged.events?.map((e) => e.id)).toEqual([6, 5, 4, 3]);
  const rest = await sfn.send(
    new GetExecutionHistoryCommand({
      executionArn: first.executionArn,
      maxResults: 4,
      reverseOrder: true,
      nextToken: paged.nextToken,
    }),
  );
  expect(rest.events?.map((e) => e.id)).toEqual([2, 1]);
  expect(rest.nextToken).toBeUndefined();
  await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'run-2' }));
  const listed = await eventually(async () => {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }));
    return page.executions?.length === 2 ? page : undefined;
  });
  expect(listed.executions?.map((e) => e.name).sort()).toEqual(['run-1', 'run-2']);
  await eventually(async () => {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'SUCCEEDED' }));
    return page.executions?.length === 2 ? page : undefined;
  });
  const succeeded = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'SUCCEEDED', maxResults: 1 }),
  );
  expect(succeeded.nextToken).toEqual(expect.any(String));
  expect(succeeded.executions).toHaveLength(1);
  const next = await sfn.send(
    new ListExecutionsCommand({
      stateMachineArn: arn,
      statusFilter: 'SUCCEEDED',
      maxResults: 1,
      nextToken: succeeded.nextToken,
    }),
  );
  expect(next.executions).toHaveLength(1);
  expect(next.executions?.[0]?.name).not.toBe(succeeded.executions?.[0]?.name);
  await expectError(
    sfn.send(new DescribeExecutionCommand({ executionArn: `${first.executionArn}-missing` })),
    'ExecutionDoesNotExist',
  );
});

test('a running execution with the same name and input is the same execution; StopExecution aborts it', async () => {
  const { arn } = await create(
    JSON.stringify({ StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 60, End: true } } }),
  );
  const a = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'sleepy', input: '{}' }));
  const b = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'sleepy', input: '{}' }));
  expect(b.executionArn).toBe(a.executionArn);
  expect(b.startDate?.getTime()).toBe(a.startDate?.getTime());
  await expectError(
    sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'sleepy', input: '{"x":2}' })),
    'ExecutionAlreadyExists',
  );
  const stopped = await sfn.send(
    new StopExecutionCommand({ executionArn: a.executionArn, error: 'Bored', cause: 'took too long' }),
  );
  expect(stopped.stopDate).toEqual(expect.any(Date));
  const d = await waitEnd(a.executionArn!);
  expect(d).toEqual(
    expect.objectContaining({ status: 'ABORTED', error: 'Bored', cause: 'took too long', redriveStatus: 'REDRIVABLE' }),
  );
  const history = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn: a.executionArn, reverseOrder: true, maxResults: 1 }),
  );
  expect(history.events?.[0]).toEqual(
    expect.objectContaining({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Bored', cause: 'took too long' },
    }),
  );
});

test('RedriveExecution restarts a failed execution from the failed state and keeps what succeeded', async () => {
  // Check fails on the first run only: its index is -1 while $$.Execution.RedriveCount is 0.
  const { arn } = await create(
    JSON.stringify({
      StartAt: 'First',
      States: {
        First: { Type: 'Pass', Result: 'kept', ResultPath: '$.first', Next: 'Check' },
        Check: {
          Type: 'Pass',
          Parameters: {
            'first.$': '$.first',
            'picked.$': 'States.ArrayGetItem(States.Array(7), States.MathAdd($$.Execution.RedriveCount, -1))',
          },
          End: true,
        },
      },
    }),
  );
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'redrive-me' }));
  const failed = await waitEnd(executionArn!);
  expect(failed).toEqual(
    expect.objectContaining({
      status: 'FAILED',
      error: 'States.IntrinsicFailure',
      cause: expect.stringContaining('out of bounds'),
      redriveStatus: 'REDRIVABLE',
    }),
  );
  await expectError(
    sfn.send(new RedriveExecutionCommand({ executionArn: `${executionArn}x` })),
    'ExecutionDoesNotExist',
  );
  const redriven = await sfn.send(new RedriveExecutionCommand({ executionArn }));
  expect(redriven.redriveDate).toEqual(expect.any(Date));
  const done = await waitEnd(executionArn!);
  expect(done).toEqual(
    expect.objectContaining({
      status: 'SUCCEEDED',
      redriveCount: 1,
      redriveDate: expect.any(Date),
      output: '{"first":"kept","picked":7}',
    }),
  );
  const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
  const types = history.events?.map((e) => e.type) ?? [];
  // First ran once; Check twice (it failed, then the redrive entered it again).
  expect(types.filter((t) => t === 'PassStateEntered')).toHaveLength(3);
  expect(types).toEqual(expect.arrayContaining(['ExecutionFailed', 'ExecutionRedriven', 'ExecutionSucceeded']));
  await expectError(sfn.send(new RedriveExecutionCommand({ executionArn })), 'ExecutionNotRedrivable');
});

test('SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat complete .waitForTaskToken states; bad tokens are refused', async () => {
  const { arn } = await create(
    JSON.stringify({
      StartAt: 'Approve',
      States: {
        Approve: {
          Type: 'Task',
          Resource: 'noop.waitForTaskToken',
          Parameters: { 'token.$': '$$.Task.Token' },
          HeartbeatSeconds: 30,
          End: true,
        },
      },
    }),
  );
  const tokenOf = async (executionArn: string) =>
    eventually(async () => {
      const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
      const scheduled = h.events?.find((e) => e.type === 'TaskScheduled');
      const started = h.events?.find((e) => e.type === 'TaskStarted');
      if (!scheduled || !started) return undefined;
      return JSON.parse(scheduled.taskScheduledEventDetails!.parameters!).token as string;
    });
  const ok = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'approve-ok' }));
  const token = await tokenOf(ok.executionArn!);
  await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
  await expectError(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: 'nope' })), 'InvalidOutput');
  await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
  expect(await waitEnd(ok.executionArn!)).toEqual(
    expect.objectContaining({ status: 'SUCCEEDED', output: '{"approved":true}' }),
  );
  await expectError(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })), 'TaskTimedOut');
  await expectError(sfn.send(new SendTaskSuccessCommand({ taskToken: `${token}x`, output: '{}' })), 'InvalidToken');
  await expectError(sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'forged.token' })), 'InvalidToken');

  const no = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'approve-no' }));
  const token2 = await tokenOf(no.executionArn!);
  await sfn.send(new SendTaskFailureCommand({ taskToken: token2, error: 'Rejected', cause: 'by a human' }));
  expect(await waitEnd(no.executionArn!)).toEqual(
    expect.objectContaining({ status: 'FAILED', error: 'Rejected', cause: 'by a human' }),
  );
});

test('StartSyncExecution runs an EXPRESS machine to its end; a STANDARD one is refused', async () => {
  const { arn } = await create(passMachine, { type: 'EXPRESS' });
  const out = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: arn, input: '{}' }));
  expect(out).toEqual(
    expect.objectContaining({
      status: 'SUCCEEDED',
      output: '"World"',
      startDate: expect.any(Date),
      stopDate: expect.any(Date),
    }),
  );
  const standard = await create(passMachine);
  await expectError(
    sfn.send(new StartSyncExecutionCommand({ stateMachineArn: standard.arn })),
    'StateMachineTypeNotSupported',
  );
});

test('DescribeMapRun and ListMapRuns report a distributed Map', async () => {
  const { arn } = await create(
    JSON.stringify({
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Double',
            States: { Double: { Type: 'Pass', Parameters: { 'v.$': 'States.MathAdd($.n, $.n)' }, End: true } },
          },
          Label: 'Doubler',
          End: true,
        },
      },
    }),
  );
  const items = Array.from({ length: 250 }, (_, n) => ({ n }));
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ items }) }),
  );
  const done = await waitEnd(executionArn!);
  expect(done.status).toBe('SUCCEEDED');
  expect(JSON.parse(done.output!)).toEqual(items.map(({ n }) => ({ v: 2 * n })));
  const runs = await sfn.send(new ListMapRunsCommand({ executionArn }));
  expect(runs.mapRuns).toHaveLength(1);
  const mapRunArn = runs.mapRuns![0]!.mapRunArn!;
  expect(mapRunArn).toMatch(/^arn:aws:states:us-east-1:123456789012:mapRun:[^/]+\/Doubler:/);
  const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
  expect(run).toEqual(
    expect.objectContaining({
      mapRunArn,
      executionArn,
      status: 'SUCCEEDED',
      itemCounts: expect.objectContaining({ total: 250, succeeded: 250, failed: 0, running: 0, pending: 0 }),
      executionCounts: expect.objectContaining({ total: 3, succeeded: 3 }),
    }),
  );
  await expectError(sfn.send(new DescribeMapRunCommand({ mapRunArn: `${mapRunArn}9` })), 'ResourceNotFound');
});

test('UpdateStateMachine refuses a machine that does not exist, an invalid definition and an empty change', async () => {
  const { name, arn } = await create(passMachine);
  await expectError(
    sfn.send(new UpdateStateMachineCommand({ stateMachineArn: `${arn}-gone`, definition: passMachine })),
    'StateMachineDoesNotExist',
  );
  await expect(
    sfn.send(
      new UpdateStateMachineCommand({
        stateMachineArn: arn,
        definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Wait', End: true } } }),
      }),
    ),
  ).rejects.toMatchObject({
    name: 'InvalidDefinition',
    message: expect.stringContaining('State "A"'),
    $metadata: expect.objectContaining({ httpStatusCode: 400 }),
  });
  await expectError(
    sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: '{not json' })),
    'InvalidDefinition',
  );
  await expectError(sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn })), 'MissingRequiredParameter');
  await expectError(
    sfn.send(
      new UpdateStateMachineCommand({
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:nope',
        definition: passMachine,
      }),
    ),
    'InvalidArn',
  );
  // Nothing of the refused updates stuck.
  const after = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
  expect({ name: after.name, definition: after.definition }).toEqual({ name, definition: passMachine });
});

test('ListStateMachines pages with maxResults and nextToken; a forged token is InvalidToken', async () => {
  const made = [await create(passMachine), await create(passMachine)];
  const pageAll = async () => {
    const names: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await sfn.send(new ListStateMachinesCommand({ maxResults: 1, nextToken }));
      expect(page.stateMachines!.length).toBeLessThanOrEqual(1);
      names.push(...page.stateMachines!.map((m) => m.name!));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    return { names, pages };
  };
  // Visibility is eventually consistent: page until both new machines are listed.
  const { names, pages } = await eventually(async () => {
    const all = await pageAll();
    return made.every((m) => all.names.includes(m.name)) ? all : undefined;
  });
  expect(new Set(names).size).toBe(names.length);
  expect(pages).toBeGreaterThanOrEqual(2);
  await expectError(sfn.send(new ListStateMachinesCommand({ nextToken: 'AAAA' })), 'InvalidToken');
  await expectError(sfn.send(new ListStateMachinesCommand({ maxResults: 5000 })), 'ValidationException');
});

test('operations on an execution refuse a malformed ARN (InvalidArn) and an unknown one (ExecutionDoesNotExist)', async () => {
  const { arn, name } = await create(passMachine);
  const unknown = `arn:aws:states:us-east-1:123456789012:execution:${name}:never-started`;
  const malformed = 'arn:aws:states:us-east-1:123456789012:stateMachine:not-an-execution';
  const cases: Array<[string, (executionArn: string) => Promise<unknown>]> = [
    ['GetExecutionHistory', (executionArn) => sfn.send(new GetExecutionHistoryCommand({ executionArn }))],
    ['StopExecution', (executionArn) => sfn.send(new StopExecutionCommand({ executionArn }))],
    ['ListMapRuns', (executionArn) => sfn.send(new ListMapRunsCommand({ executionArn }))],
    ['DescribeExecution', (executionArn) => sfn.send(new DescribeExecutionCommand({ executionArn }))],
    ['RedriveExecution', (executionArn) => sfn.send(new RedriveExecutionCommand({ executionArn }))],
  ];
  for (const [operation, call] of cases) {
    await expect({ operation, error: await call(malformed).catch((e: Error) => e.name) }).toEqual({
      operation,
      error: 'InvalidArn',
    });
    await expect({ operation, error: await call(unknown).catch((e: Error) => e.name) }).toEqual({
      operation,
      error: 'ExecutionDoesNotExist',
    });
  }
  await expectError(sfn.send(new ListExecutionsCommand({ stateMachineArn: 'not-an-arn' })), 'InvalidArn');
  await expectError(
    sfn.send(new ListExecutionsCommand({ stateMachineArn: arn.replace(name, `${name}-missing`) })),
    'StateMachineDoesNotExist',
  );
  await expectError(
    sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'SLEEPING' as never })),
    'ValidationException',
  );
  await expectError(sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, nextToken: 'AAAA' })), 'InvalidToken');
  // A real token, of another list, is refused too.
  const machines = await sfn.send(new ListStateMachinesCommand({ maxResults: 1 }));
  expect(machines.nextToken).toEqual(expect.any(String));
  await expectError(
    sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, nextToken: machines.nextToken })),
    'InvalidToken',
  );
  await expectError(sfn.send(new DescribeMapRunCommand({ mapRunArn: unknown })), 'InvalidArn');

  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
  await waitEnd(executionArn!);
  await expectError(
    sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1, nextToken: 'bm90LWEtbnVtYmVy' })),
    'InvalidToken',
  );
  await expectError(sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: -1 })), 'ValidationException');
  // An execution without a distributed Map has no Map Runs.
  await expect(sfn.send(new ListMapRunsCommand({ executionArn }))).resolves.toEqual(
    expect.objectContaining({ mapRuns: [] }),
  );
});

test('SendTaskFailure and SendTaskHeartbeat refuse a token that is not one of ours', async () => {
  await expectError(sfn.send(new SendTaskFailureCommand({ taskToken: 'not.a.token', error: 'E' })), 'InvalidToken');
  await expectError(sfn.send(new SendTaskFailureCommand({ taskToken: '', error: 'E' })), 'InvalidToken');
  await expectError(sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'x'.repeat(100) })), 'InvalidToken');
});

test('the endpoint answers an unknown X-Amz-Target with UnknownOperationException and a bad body with its error', async () => {
  const post = async (target: string, body: string, contentType = 'application/x-amz-json-1.0') => {
    const res = await fetch(stack.endpoint, {
      method: 'POST',
      headers: { 'content-type': contentType, 'x-amz-target': target },
      body,
    });
    return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: (await res.json()) as unknown };
  };
  expect(await post('AWSStepFunctions.LaunchRocket', '{}')).toEqual({
    status: 400,
    type: 'UnknownOperationException',
    body: {
      __type: 'com.amazonaws.states#UnknownOperationException',
      message: 'Operation AWSStepFunctions.LaunchRocket is not supported by Spillway',
    },
  });
  expect(await post('DynamoDB_20120810.ListTables', '{}')).toEqual({
    status: 400,
    type: 'UnknownOperationException',
    body: expect.objectContaining({ __type: 'com.amazonaws.states#UnknownOperationException' }),
  });
  expect(await post('AWSStepFunctions.ListStateMachines', '{"maxResults": "ten"}')).toEqual({
    status: 400,
    type: 'ValidationException',
    body: {
      __type: 'com.amazonaws.states#ValidationException',
      message: 'maxResults must be an integer from 0 to 1000',
    },
  });
  expect(await post('AWSStepFunctions.DescribeStateMachine', '{}')).toEqual({
    status: 400,
    type: 'InvalidArn',
    body: expect.objectContaining({ __type: 'com.amazonaws.states#InvalidArn' }),
  });
  expect(await post('AWSStepFunctions.ListStateMachines', '{oops')).toEqual({
    status: 400,
    type: 'SerializationException',
    body: expect.objectContaining({ __type: 'com.amazonaws.states#SerializationException' }),
  });
  // Through the SDK: a field the operation needs, missing, is a ValidationException.
  await expectError(sfn.send(new StartExecutionCommand({ stateMachineArn: undefined })), 'InvalidArn');
  await expectError(
    sfn.send(new SendTaskSuccessCommand({ taskToken: undefined, output: '{}' })),
    'ValidationException',
  );
});

describe('with SPILLWAY_API_KEYS set', () => {
  const KEY = 'pipelines-test-key-0123456789';
  let keyed: SfnStack;
  beforeAll(async () => {
    keyed = await startSfnStack({ SPILLWAY_API_KEYS: KEY });
  });
  afterAll(async () => {
    await keyed?.close();
  });
  const client = (accessKeyId: string) =>
    new SFNClient({
      endpoint: keyed.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId, secretAccessKey: 'anything' },
      maxAttempts: 1,
    });

  test('a client whose access key id is an API key is served; any other is refused', async () => {
    const good = client(KEY);
    const bad = client('someone-else');
    try {
      await expect(good.send(new ListStateMachinesCommand({}))).resolves.toEqual(
        expect.objectContaining({ stateMachines: expect.any(Array) }),
      );
      await expect(bad.send(new ListStateMachinesCommand({}))).rejects.toMatchObject({
        name: 'UnrecognizedClientException',
        $metadata: expect.objectContaining({ httpStatusCode: 403 }),
      });
    } finally {
      good.destroy();
      bad.destroy();
    }
  });
});
