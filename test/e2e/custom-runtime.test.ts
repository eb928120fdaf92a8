// A custom runtime end to end: a function whose bootstrap is a POSIX sh script with curl (provided.al2023), deployed
// with CreateFunction to the test stack's Lambda service like any user's function, then run as a Spillway task in
// LOCAL (the worker's own execution environments), LAMBDA (the Lambda service) and AUTO. The same package runs in
// both placements, through the same Runtime API.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CreateFunctionCommand, LambdaClient, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { zipEntries } from '../../lambda/zip-package';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

const stack = readStack();
const BOOTSTRAP = readFileSync(path.join(__dirname, '..', 'runtimes', 'fixtures', 'bootstrap.sh'));
const FUNCTION = `sh-${uniqueId('custom').slice(-12)}`;

let harness: TestHarness;
let app: FastifyInstance;
let lambda: LambdaClient;

beforeAll(async () => {
  if (!stack.lambdaEndpoint) throw new Error('the test stack has no Lambda service; run npm run build first');
  lambda = new LambdaClient({
    endpoint: stack.lambdaEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: FUNCTION,
      Runtime: 'provided.al2023',
      Handler: 'function.handler',
      Role: 'arn:aws:iam::000000000000:role/custom-runtime',
      Timeout: 10,
      Code: { ZipFile: await zipEntries([{ name: 'bootstrap', data: BOOTSTRAP, mode: 0o755 }]) },
    }),
  );
  const active = await waitUntilFunctionActiveV2(
    { client: lambda, maxWaitTime: 60, minDelay: 1 },
    { FunctionName: FUNCTION },
  );
  expect(active.state).toBe('SUCCESS');
  harness = await startHarness();
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  // The API learns deployed functions within a few seconds.
  await eventually(async () => {
    const res = await app.inject({ method: 'GET', url: '/api/functions' });
    const listed = (res.json().functions as Array<{ name: string }> | undefined)?.some((f) => f.name === FUNCTION);
    return listed ? true : undefined;
  }, 30_000);
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
  lambda?.destroy();
});

async function runTask(executionMode: 'LOCAL' | 'LAMBDA' | 'AUTO', payload: Record<string, unknown>) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/tasks',
    payload: {
      name: `custom runtime ${executionMode}`,
      type: FUNCTION,
      functionName: FUNCTION,
      executionMode,
      payload,
    },
  });
  expect(res.statusCode).toBe(201);
  const id = res.json().id as string;
  return eventually(async () => {
    const task = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
    return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(task.status) ? task : undefined;
  }, 90_000);
}

test.each(['LOCAL', 'LAMBDA', 'AUTO'] as const)(
  'a shell custom runtime runs as a %s task and completes with its result',
  async (mode) => {
    const payload = { mode, words: ['from', 'a', 'shell', 'bootstrap'] };
    const task = await runTask(mode, payload);
    expect(task.status).toBe('COMPLETED');
    // The plain function got the task's payload as its event, and its answer is the task's result.
    expect(task.result).toMatchObject({
      event: payload,
      functionName: FUNCTION,
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${FUNCTION}`,
    });
    expect(task.result.requestId).toEqual(expect.any(String));
    expect(task.attempts).toHaveLength(1);
    expect(task.attempts[0]).toEqual(expect.objectContaining({ outcome: 'succeeded', functionVersion: '$LATEST' }));
    if (mode !== 'AUTO') expect(task.attempts[0].placement).toBe(mode);
    else expect(['LOCAL', 'LAMBDA']).toContain(task.attempts[0].placement);
  },
);
