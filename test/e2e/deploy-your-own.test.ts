// Bring your own function, end to end: a function written in a folder outside the repository, deployed with the
// `spillway deploy` command, runs as tasks of its type in LOCAL, LAMBDA and AUTO; its manifest's payload schema
// refuses a bad payload at submission; an update is seen by the next task (a new CodeSha256), and an update between
// two attempts shows in what each attempt records; and after the stack restarts (the Lambda service on its data
// directory, a new worker and a new API) the function is still there and still runs.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { startLambdaService, type LambdaService } from '../../lambda/lambda-service';
import { zipEntries } from '../../lambda/zip-package';
import { eventually, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'spillway-byof-'));
const fnDir = path.join(work, 'greeter');
const dataDir = path.join(work, 'lambda-data');
let lambda: LambdaService;
let harness: TestHarness;
let app: FastifyInstance;

function writeFunction(greeting: string) {
  mkdirSync(fnDir, { recursive: true });
  // TypeScript, bundled by spillway deploy; a plain Lambda handler that knows nothing of Spillway.
  writeFileSync(
    path.join(fnDir, 'index.ts'),
    `interface Event { name: string; times?: number }\n` +
      `export const handler = async (event: Event) => ({ message: '${greeting}, ' + event.name, times: event.times ?? 1 });\n`,
  );
  writeFileSync(
    path.join(fnDir, 'spillway.json'),
    JSON.stringify({
      taskTypes: ['greeting'],
      payloadSchema: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string', minLength: 1 }, times: { type: 'integer', minimum: 1 } },
        additionalProperties: false,
      },
      expectedDurationMs: 5,
      lambda: { memoryMB: 256, timeoutSeconds: 10 },
    }),
  );
}

async function deploy(): Promise<{ action: string; codeSha256: string }> {
  const { stdout } = await run(process.execPath, [CLI, 'deploy', fnDir, '--json'], {
    env: { ...process.env, LAMBDA_ENDPOINT: lambda.url, AWS_REGION: 'us-east-1' },
  });
  return JSON.parse(stdout) as { action: string; codeSha256: string };
}

async function startLambda(port = 0) {
  lambda = await startLambdaService({ port, dataDir, log: () => undefined });
}

beforeAll(async () => {
  await startLambda();
  writeFunction('Hello');
  harness = await startHarness({ env: { LAMBDA_ENDPOINT: lambda.url, SPILLWAY_FUNCTIONS_REFRESH_MS: '500' } });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await harness?.close();
  await lambda?.close();
  rmSync(work, { recursive: true, force: true });
});

const submit = (body: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/tasks', payload: body });

async function finished(id: string) {
  return eventually(async () => {
    const task = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
    return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(task.status) && task.temporalStatus !== 'RUNNING'
      ? task
      : undefined;
  }, 60_000);
}

let firstSha = '';

test('spillway deploy creates the function from a folder outside the repository', async () => {
  const result = await deploy();
  expect(result).toEqual(expect.objectContaining({ action: 'created', codeSha256: expect.any(String) }));
  firstSha = result.codeSha256;
  const listed = await eventually(async () => {
    const body = (await app.inject({ method: 'GET', url: '/api/functions' })).json();
    return body.taskTypes?.greeting ? body : undefined;
  });
  expect(listed.taskTypes.greeting).toEqual(['greeter']);
  const detail = (await app.inject({ method: 'GET', url: '/api/functions/greeter' })).json();
  expect(detail).toEqual(
    expect.objectContaining({
      name: 'greeter',
      version: '$LATEST',
      codeSha256: firstSha,
      runtime: 'nodejs22.x',
      memoryMB: 256,
      spillway: expect.objectContaining({ taskTypes: ['greeting'], event: 'payload', source: 'manifest' }),
    }),
  );
  expect(detail.spillway.payloadSchema).toEqual(expect.objectContaining({ required: ['name'] }));
});

test.each(['LOCAL', 'LAMBDA', 'AUTO'])(
  'a %s task of its type completes with its result and the code it ran',
  async (mode) => {
    const res = await submit({
      name: uniqueId('greet'),
      type: 'greeting',
      executionMode: mode,
      payload: { name: 'Ada' },
    });
    expect(res.statusCode).toBe(201);
    const task = await finished(res.json().id);
    expect(task.status).toBe('COMPLETED');
    expect(task.result).toEqual({ message: 'Hello, Ada', times: 1 });
    expect(task.functionName).toBe('greeter');
    expect(task.attempts).toEqual([
      expect.objectContaining({ outcome: 'succeeded', functionVersion: '$LATEST', codeSha256: firstSha }),
    ]);
  },
);

test('a payload that breaks its schema is refused with 400 SPILLWAY_PAYLOAD_INVALID and starts no task', async () => {
  const name = uniqueId('bad-greet');
  const res = await submit({ name, type: 'greeting', executionMode: 'LOCAL', payload: { times: 0 } });
  expect(res.statusCode).toBe(400);
  expect(res.json()).toEqual({
    statusCode: 400,
    code: 'SPILLWAY_PAYLOAD_INVALID',
    error: 'Bad Request',
    message:
      "the payload does not match the schema of greeter:$LATEST: payload must have required property 'name'; " +
      'payload/times must be >= 1',
  });
  expect((await harness.client.workflow.count(`TaskName = '${name}'`)).count).toBe(0);
});

test('after an update the next task runs the new code, and records its new CodeSha256', async () => {
  writeFunction('Bonjour');
  const result = await deploy();
  expect(result.action).toBe('updated');
  expect(result.codeSha256).not.toBe(firstSha);
  // LAMBDA reads $LATEST's configuration right before it invokes: the very next task runs and records the new code,
  // although the worker's function listing may still be the one from before the update.
  const res = await submit({
    name: uniqueId('greet-l'),
    type: 'greeting',
    executionMode: 'LAMBDA',
    payload: { name: 'Lin' },
  });
  expect(res.statusCode).toBe(201);
  const onLambda = await finished(res.json().id);
  expect({ status: onLambda.status, result: onLambda.result }).toEqual({
    status: 'COMPLETED',
    result: { message: 'Bonjour, Lin', times: 1 },
  });
  expect(onLambda.attempts).toEqual([
    expect.objectContaining({ outcome: 'succeeded', functionVersion: '$LATEST', codeSha256: result.codeSha256 }),
  ]);
  // The local pool resolves the version from a listing at most SPILLWAY_FUNCTIONS_REFRESH_MS (500 ms here) old: once
  // that has passed since the update, the next LOCAL task runs the new package.
  await new Promise((resolve) => setTimeout(resolve, 600));
  const res2 = await submit({
    name: uniqueId('greet2'),
    type: 'greeting',
    executionMode: 'LOCAL',
    payload: { name: 'Ada' },
  });
  expect(res2.statusCode).toBe(201);
  const task = await finished(res2.json().id);
  expect({ status: task.status, result: task.result }).toEqual({
    status: 'COMPLETED',
    result: { message: 'Bonjour, Ada', times: 1 },
  });
  expect(task.attempts[0]).toEqual(expect.objectContaining({ codeSha256: result.codeSha256 }));
  // Deploying the same folder again changes nothing.
  expect((await deploy()).action).toBe('unchanged');
});

test('an update during a retry backoff is recorded: each attempt names the CodeSha256 it really ran', async () => {
  const client = new LambdaClient({
    endpoint: lambda.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const name = `retried-${uniqueId('fn').slice(-8)}`;
  const version = (n: number, body: string) =>
    zipEntries([{ name: 'index.js', data: `exports.handler = async () => { ${body} }; // v${n}` }]);
  try {
    const created = await client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Role: 'arn:aws:iam::000000000000:role/retried',
        Handler: 'index.handler',
        Code: { ZipFile: await version(1, "throw new Error('the first package always fails');") },
      }),
    );
    await waitUntilFunctionActiveV2({ client, maxWaitTime: 60, minDelay: 1 }, { FunctionName: name });
    await eventually(async () => {
      const res = await app.inject({ method: 'GET', url: `/api/functions/${name}` });
      return res.statusCode === 200 ? true : undefined;
    });
    const res = await submit({
      name: uniqueId('retried'),
      type: name,
      functionName: name,
      executionMode: 'LAMBDA',
      // A long backoff, so the update lands between the attempts (the assertions hold whichever attempt sees it).
      retry: { maximumAttempts: 6, initialIntervalMs: 5_000, backoffCoefficient: 1, maximumIntervalMs: 5_000 },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;
    await eventually(async () => {
      const task = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
      return task.attempts?.[0]?.outcome === 'failed' ? task : undefined;
    }, 60_000);
    const updated = await client.send(
      new UpdateFunctionCodeCommand({
        FunctionName: name,
        ZipFile: await version(2, "return 'the second one works';"),
      }),
    );
    const task = await finished(id);
    expect({ status: task.status, result: task.result }).toEqual({
      status: 'COMPLETED',
      result: 'the second one works',
    });
    const attempts = task.attempts as Array<{ outcome: string; codeSha256: string; functionVersion: string }>;
    expect(attempts[0]).toEqual(
      expect.objectContaining({ outcome: 'failed', functionVersion: '$LATEST', codeSha256: created.CodeSha256 }),
    );
    const last = attempts[attempts.length - 1];
    expect(last).toEqual(expect.objectContaining({ outcome: 'succeeded', codeSha256: updated.CodeSha256 }));
    expect(attempts[0]?.codeSha256).not.toBe(last?.codeSha256);
    // Every failure ran the first package, and only the second package succeeded: the records match the code.
    for (const attempt of attempts) {
      expect(attempt.codeSha256).toBe(attempt.outcome === 'failed' ? created.CodeSha256 : updated.CodeSha256);
    }
  } finally {
    await client.send(new DeleteFunctionCommand({ FunctionName: name })).catch(() => undefined);
    client.destroy();
  }
});

test('after the whole stack restarts (Lambda service, worker and API), the function is still there and runs', async () => {
  const port = lambda.port;
  await app.close();
  await harness.close();
  await lambda.close();
  await startLambda(port);
  harness = await startHarness({ env: { LAMBDA_ENDPOINT: lambda.url, SPILLWAY_FUNCTIONS_REFRESH_MS: '500' } });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  const listed = (await app.inject({ method: 'GET', url: '/api/functions/greeter' })).json();
  expect(listed).toEqual(
    expect.objectContaining({ name: 'greeter', spillway: expect.objectContaining({ taskTypes: ['greeting'] }) }),
  );
  const res = await submit({
    name: uniqueId('greet3'),
    type: 'greeting',
    executionMode: 'LAMBDA',
    payload: { name: 'Grace' },
  });
  expect(res.statusCode).toBe(201);
  const task = await finished(res.json().id);
  expect({ status: task.status, result: task.result }).toEqual({
    status: 'COMPLETED',
    result: { message: 'Bonjour, Grace', times: 1 },
  });
});
