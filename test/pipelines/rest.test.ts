// /api/pipelines through app.inject: status codes and whole bodies, and the SPILLWAY_* error codes.
import { eventually, uniqueId } from '../support/test-stack';
import { startSfnStack, type SfnStack } from './sfn-api';

let stack: SfnStack;
beforeAll(async () => {
  stack = await startSfnStack();
});
afterAll(async () => {
  await stack?.close();
});

const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
  const res = await stack.app.inject({ method, url, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.body ? (res.json() as Record<string, unknown>) : undefined };
};

const definition = {
  StartAt: 'Wait',
  States: {
    Wait: { Type: 'Wait', SecondsPath: '$.wait', Next: 'Ping' },
    Ping: { Type: 'Task', Resource: 'noop', ResultSelector: { 'ok.$': '$.ok' }, End: true },
  },
};

test('create, read, update, list and delete a pipeline', async () => {
  const name = uniqueId('rest').replace(/^test-/, 'p');
  const created = await call('POST', '/api/pipelines', { name, definition, defaultExecutionMode: 'LOCAL' });
  expect(created).toEqual({
    status: 201,
    body: {
      name,
      arn: `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`,
      type: 'STANDARD',
      definition,
      roleArn: 'arn:aws:iam::123456789012:role/spillway-pipelines',
      defaultExecutionMode: 'LOCAL',
      creationDate: expect.any(String),
      updateDate: expect.any(String),
      revisionId: expect.any(String),
      revisions: 0,
      status: 'ACTIVE',
      links: { self: `/api/pipelines/${name}`, executions: `/api/pipelines/${name}/executions` },
    },
  });
  expect((await call('POST', '/api/pipelines', { name, definition, defaultExecutionMode: 'LOCAL' })).status).toBe(200);
  expect(await call('POST', '/api/pipelines', { name, definition: { ...definition, Comment: 'other' } })).toEqual({
    status: 409,
    body: {
      statusCode: 409,
      code: 'SPILLWAY_PIPELINE_ALREADY_EXISTS',
      error: 'Conflict',
      message: `State Machine Already Exists: 'arn:aws:states:us-east-1:123456789012:stateMachine:${name}'`,
    },
  });
  const updated = await call('PUT', `/api/pipelines/${name}`, { defaultExecutionMode: 'AUTO' });
  expect(updated.status).toBe(200);
  expect(updated.body).toEqual(expect.objectContaining({ defaultExecutionMode: 'AUTO', revisions: 1 }));
  const listed = await eventually(async () => {
    const page = await call('GET', '/api/pipelines?limit=100');
    return (page.body?.pipelines as Array<{ name: string }>).find((p) => p.name === name);
  });
  expect(listed).toEqual({ name, arn: expect.any(String), type: 'STANDARD', creationDate: expect.any(String) });
  expect(await call('DELETE', `/api/pipelines/${name}`)).toEqual({ status: 204, body: undefined });
  expect(await call('GET', `/api/pipelines/${name}`)).toEqual({
    status: 404,
    body: {
      statusCode: 404,
      code: 'SPILLWAY_PIPELINE_NOT_FOUND',
      error: 'Not Found',
      message: `State Machine Does Not Exist: 'arn:aws:states:us-east-1:123456789012:stateMachine:${name}'`,
    },
  });
});

test('invalid definitions are refused with every problem, naming the state and the field', async () => {
  const bad = {
    StartAt: 'A',
    States: { A: { Type: 'Task', Resource: 'noop', Retry: [{ MaxAttempts: 2 }], End: true } },
  };
  const res = await call('POST', '/api/pipelines', { name: uniqueId('bad').replace(/^test-/, 'p'), definition: bad });
  expect(res).toEqual({
    status: 400,
    body: expect.objectContaining({
      code: 'SPILLWAY_PIPELINE_DEFINITION_INVALID',
      message: expect.stringContaining('State "A"'),
    }),
  });
  const checked = await call('POST', '/api/pipelines/validate', { definition: bad });
  expect(checked.status).toBe(200);
  expect(checked.body).toEqual({
    valid: false,
    problems: [expect.objectContaining({ state: 'A', field: expect.stringContaining('Retry[0]'), source: 'spillway' })],
  });
  expect(await call('POST', '/api/pipelines', { name: 'x', definition: bad, extra: 1 })).toEqual({
    status: 400,
    body: expect.objectContaining({ code: 'SPILLWAY_VALIDATION_FAILED' }),
  });
});

test('executions: start (idempotent by name), read with state views, history, stop, redrive', async () => {
  const name = uniqueId('exec').replace(/^test-/, 'p');
  expect((await call('POST', '/api/pipelines', { name, definition })).status).toBe(201);
  const started = await call('POST', `/api/pipelines/${name}/executions`, { name: 'e1', input: { wait: 0 } });
  const links = {
    self: `/api/pipelines/${name}/executions/e1`,
    history: `/api/pipelines/${name}/executions/e1/history`,
    stop: `/api/pipelines/${name}/executions/e1/stop`,
    redrive: `/api/pipelines/${name}/executions/e1/redrive`,
    temporalUi: expect.stringContaining(encodeURIComponent(`sfn-exec:${name}:e1`)),
  };
  expect(started).toEqual({
    status: 201,
    body: {
      name: 'e1',
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:${name}:e1`,
      startDate: expect.any(String),
      idempotentReplay: false,
      links,
    },
  });
  const done = await eventually(async () => {
    const e = await call('GET', links.self);
    // The execution's state says SUCCEEDED a moment before its workflow closes.
    return e.body?.status === 'SUCCEEDED' && e.body.temporalStatus === 'COMPLETED' ? e.body : undefined;
  });
  expect(done).toEqual(
    expect.objectContaining({
      status: 'SUCCEEDED',
      temporalStatus: 'COMPLETED',
      input: { wait: 0 },
      output: { ok: true },
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
      definition,
      states: {
        Wait: expect.objectContaining({ status: 'SUCCEEDED', type: 'Wait', entered: 1 }),
        Ping: expect.objectContaining({
          status: 'SUCCEEDED',
          attempts: 1,
          placements: { LOCAL: 1 },
          taskIds: [expect.any(String)],
        }),
      },
      mapRuns: [],
      links,
    }),
  );
  const task = await call('GET', `/api/tasks/${(done.states as { Ping: { taskIds: string[] } }).Ping.taskIds[0]}`);
  expect(task.body).toEqual(expect.objectContaining({ status: 'COMPLETED', type: 'noop', executionMode: 'LOCAL' }));
  const history = await call('GET', links.history);
  expect(history.status).toBe(200);
  expect((history.body?.events as Array<{ type: string }>).map((e) => e.type)).toEqual([
    'ExecutionStarted',
    'WaitStateEntered',
    'WaitStateExited',
    'TaskStateEntered',
    'TaskScheduled',
    'TaskStarted',
    'TaskSucceeded',
    'TaskStateExited',
    'ExecutionSucceeded',
  ]);
  expect(await call('POST', `/api/pipelines/${name}/executions`, { name: 'e1', input: { wait: 0 } })).toEqual({
    status: 409,
    body: expect.objectContaining({ code: 'SPILLWAY_PIPELINE_EXECUTION_ALREADY_EXISTS' }),
  });
  expect(await call('POST', links.redrive)).toEqual({
    status: 409,
    body: expect.objectContaining({ code: 'SPILLWAY_PIPELINE_EXECUTION_NOT_REDRIVABLE' }),
  });
  expect(await call('POST', links.stop, {})).toEqual({
    status: 409,
    body: expect.objectContaining({ code: 'SPILLWAY_PIPELINE_EXECUTION_NOT_RUNNING' }),
  });
  // A long wait: stop it, then it is ABORTED and redrivable.
  const long = await call('POST', `/api/pipelines/${name}/executions`, { name: 'e2', input: { wait: 120 } });
  expect(long.status).toBe(201);
  expect((await call('POST', `/api/pipelines/${name}/executions`, { name: 'e2', input: { wait: 120 } })).body).toEqual(
    expect.objectContaining({ idempotentReplay: true }),
  );
  const stopped = await call('POST', `/api/pipelines/${name}/executions/e2/stop`, { error: 'Halt', cause: 'test' });
  expect(stopped).toEqual({
    status: 202,
    body: expect.objectContaining({ name: 'e2', action: 'stop' }),
  });
  // The record says ABORTED a moment before the workflow is closed: wait for both.
  const aborted = await eventually(async () => {
    const e = await call('GET', `/api/pipelines/${name}/executions/e2`);
    return e.body?.status === 'ABORTED' && e.body.temporalStatus === 'CANCELLED' ? e.body : undefined;
  });
  expect(aborted).toEqual(
    expect.objectContaining({ error: 'Halt', cause: 'test', redriveStatus: 'REDRIVABLE', temporalStatus: 'CANCELLED' }),
  );
  const listed = await eventually(async () => {
    const page = await call('GET', `/api/pipelines/${name}/executions?status=ABORTED`);
    return (page.body?.executions as unknown[]).length === 1 ? page.body : undefined;
  });
  expect(listed).toEqual({
    executions: [expect.objectContaining({ name: 'e2', status: 'ABORTED' })],
    nextCursor: null,
  });
  expect(await call('GET', `/api/pipelines/${name}/executions/nope`)).toEqual({
    status: 404,
    body: expect.objectContaining({ code: 'SPILLWAY_PIPELINE_EXECUTION_NOT_FOUND' }),
  });
});
