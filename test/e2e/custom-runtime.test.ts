// Runtimes other than Node end to end: a function whose bootstrap is a POSIX sh script with curl (provided.al2023)
// and a Python handler (python3.12, run by our runtime client on the machine's python3), each deployed with
// CreateFunction to the test stack's Lambda service like any user's function, then run as a Spillway task in LOCAL
// (the worker's own execution environments), LAMBDA (the Lambda service) and AUTO. The same package runs in both
// placements, through the same Runtime API.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  LambdaClient,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { zipEntries } from '../../lambda/zip-package';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

const stack = readStack();
const BOOTSTRAP = readFileSync(path.join(__dirname, '..', 'runtimes', 'fixtures', 'bootstrap.sh'));
const FUNCTION = `sh-${uniqueId('custom').slice(-12)}`;
const PYTHON_FUNCTION = `py-${uniqueId('python').slice(-12)}`;
/** A plain Python handler: the task's payload is its event, its answer the task's result. */
const PYTHON_HANDLER = [
  'import sys',
  '',
  'def handler(event, context):',
  '    return {',
  "        'event': event,",
  "        'functionName': context.function_name,",
  "        'invokedFunctionArn': context.invoked_function_arn,",
  "        'requestId': context.aws_request_id,",
  "        'python': list(sys.version_info[:2]),",
  '    }',
  '',
].join('\n');

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
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: PYTHON_FUNCTION,
      Runtime: 'python3.12',
      Handler: 'app.handler',
      Role: 'arn:aws:iam::000000000000:role/python-runtime',
      Timeout: 10,
      Code: { ZipFile: await zipEntries([{ name: 'app.py', data: PYTHON_HANDLER }]) },
    }),
  );
  for (const name of [FUNCTION, PYTHON_FUNCTION]) {
    const active = await waitUntilFunctionActiveV2(
      { client: lambda, maxWaitTime: 60, minDelay: 1 },
      { FunctionName: name },
    );
    expect(active.state).toBe('SUCCESS');
  }
  harness = await startHarness();
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  // The API learns deployed functions within a few seconds.
  await eventually(async () => {
    const res = await app.inject({ method: 'GET', url: '/api/functions' });
    const names = (res.json().functions as Array<{ name: string }> | undefined)?.map((f) => f.name) ?? [];
    return names.includes(FUNCTION) && names.includes(PYTHON_FUNCTION) ? true : undefined;
  }, 30_000);
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
  for (const name of [FUNCTION, PYTHON_FUNCTION]) {
    await lambda?.send(new DeleteFunctionCommand({ FunctionName: name })).catch(() => undefined);
  }
  lambda?.destroy();
});

async function runTask(
  executionMode: 'LOCAL' | 'LAMBDA' | 'AUTO',
  payload: Record<string, unknown>,
  functionName = FUNCTION,
) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/tasks',
    payload: {
      name: `${functionName} ${executionMode}`,
      type: functionName,
      functionName,
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

test.each(['LOCAL', 'LAMBDA', 'AUTO'] as const)(
  'a python3.12 handler runs as a %s task and completes with its result',
  async (mode) => {
    const payload = { mode, numbers: [1, 2, 3], nested: { ok: true } };
    const task = await runTask(mode, payload, PYTHON_FUNCTION);
    expect(task.status).toBe('COMPLETED');
    expect(task.result).toEqual({
      event: payload,
      functionName: PYTHON_FUNCTION,
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${PYTHON_FUNCTION}`,
      requestId: expect.any(String),
      python: [3, expect.any(Number)],
    });
    expect(task.attempts).toHaveLength(1);
    expect(task.attempts[0]).toEqual(
      expect.objectContaining({ outcome: 'succeeded', functionVersion: '$LATEST', codeSha256: expect.any(String) }),
    );
    if (mode !== 'AUTO') expect(task.attempts[0].placement).toBe(mode);
    else expect(['LOCAL', 'LAMBDA']).toContain(task.attempts[0].placement);
  },
);
