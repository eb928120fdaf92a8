// The real-AWS adapter, tested against the Step Functions endpoint of a second Spillway API, which speaks the same
// protocol: an execution started there through @aws-sdk/client-sfn is followed by polling DescribeExecution.
import { CreateStateMachineCommand, GetExecutionHistoryCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { FastifyInstance } from 'fastify';
import { eventually, uniqueId } from '../support/test-stack';
import { ROLE, startRemoteSfnStack, type RemoteSfnStack } from './sfn-api';

let stack: RemoteSfnStack;
let remoteApp: FastifyInstance;
beforeAll(async () => {
  stack = await startRemoteSfnStack('test');
  remoteApp = stack.remoteApp;
});
afterAll(async () => {
  await stack?.close();
});

test('a pipeline started on the remote Step Functions is followed to its end and listed', async () => {
  const name = uniqueId('remote').replace(/^test-/, 'r');
  const { stateMachineArn } = await stack.sfn.send(
    new CreateStateMachineCommand({
      name,
      roleArn: ROLE,
      // The execution waits for the test to hand its token back, so the follower sees it running before it ends.
      definition: JSON.stringify({
        StartAt: 'Hold',
        States: {
          Hold: {
            Type: 'Task',
            Resource: 'noop.waitForTaskToken',
            Parameters: { 'token.$': '$$.Task.Token' },
            ResultPath: null,
            Next: 'Say',
          },
          Say: { Type: 'Pass', Result: { hi: 'aws' }, End: true },
        },
      }),
    }),
  );
  const started = await remoteApp.inject({
    method: 'POST',
    url: '/api/pipelines/remote/executions',
    payload: { stateMachineArn, name: 'remote-1', input: { a: 1 } },
  });
  expect(started.statusCode).toBe(201);
  const body = started.json();
  expect(body).toEqual({
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:${name}:remote-1`,
    workflowId: expect.stringMatching(/^sfn-remote:/),
    status: 'RUNNING',
    startDate: expect.any(String),
  });
  const follow = async () =>
    (await remoteApp.inject({ method: 'GET', url: `/api/pipelines/remote/executions/${body.workflowId}` })).json();
  // A poll that found it RUNNING, then the token back: the poll that finds it SUCCEEDED is a later one.
  const running = await eventually(async () => {
    const r = await follow();
    return r.status === 'RUNNING' && r.polls >= 1 ? r : undefined;
  });
  expect(running).toEqual(expect.objectContaining({ status: 'RUNNING', endpoint: stack.endpoint }));
  const token = await eventually(async () => {
    const h = await stack.sfn.send(new GetExecutionHistoryCommand({ executionArn: body.executionArn }));
    const scheduled = h.events?.find((e) => e.type === 'TaskScheduled');
    const started = h.events?.some((e) => e.type === 'TaskStarted');
    return scheduled && started
      ? (JSON.parse(scheduled.taskScheduledEventDetails!.parameters!) as { token: string }).token
      : undefined;
  });
  await stack.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
  const done = await eventually(
    async () => {
      const res = await remoteApp.inject({ method: 'GET', url: `/api/pipelines/remote/executions/${body.workflowId}` });
      const r = res.json();
      return r.status === 'SUCCEEDED' ? r : undefined;
    },
    30_000,
    200,
  );
  expect(done).toEqual(
    expect.objectContaining({
      status: 'SUCCEEDED',
      output: { hi: 'aws' },
      polls: expect.any(Number),
      endpoint: stack.endpoint,
    }),
  );
  expect(done.polls).toBeGreaterThan(running.polls as number);
  const listed = await eventually(async () => {
    const res = await remoteApp.inject({ method: 'GET', url: '/api/pipelines/remote/executions' });
    return (res.json().executions as Array<{ workflowId: string; status: string }>).find(
      (e) => e.workflowId === body.workflowId && e.status === 'SUCCEEDED',
    );
  });
  expect(listed).toEqual(expect.objectContaining({ executionArn: body.executionArn }));
});

test('without a remote configured the route answers 503 SPILLWAY_PIPELINE_REMOTE_UNAVAILABLE', async () => {
  const res = await stack.app.inject({
    method: 'POST',
    url: '/api/pipelines/remote/executions',
    payload: { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:x' },
  });
  expect(res.statusCode).toBe(503);
  expect(res.json()).toEqual({
    statusCode: 503,
    code: 'SPILLWAY_PIPELINE_REMOTE_UNAVAILABLE',
    error: 'Service Unavailable',
    message: 'no remote Step Functions is configured (set SFN_ENDPOINT or SFN_REMOTE=aws)',
  });
});
