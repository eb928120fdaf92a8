// The deployed functions through the API: listing, detail, and how a submission resolves its function (by type,
// by name, pinned to a version or alias) with a clear 4xx for each way it can go wrong.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { deployFunction } from '../../cli/deploy-function';
import { LOCAL_ROLE_ARN } from '../../cli/deploy-folders';
import { packageFunction } from '../../cli/package-function';
import { eventually, readStack, startHarness, testConfig, uniqueId, type TestHarness } from '../support/test-stack';

const stack = readStack();
const suffix = uniqueId('fn').slice(-8);
const names = { a: `amb-a-${suffix}`, b: `amb-b-${suffix}` };
const sharedType = `shared-${suffix}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'spillway-fn-api-'));
let harness: TestHarness;
let app: FastifyInstance;
let lambda: LambdaClient;

async function deploy(name: string, answer: string, options: { publish?: boolean; alias?: string } = {}) {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.js'), `exports.handler = async () => ({ answer: '${answer}' });\n`);
  writeFileSync(path.join(dir, 'spillway.json'), JSON.stringify({ taskTypes: [sharedType, name] }));
  return deployFunction(lambda, await packageFunction(dir), { role: LOCAL_ROLE_ARN, ...options });
}

beforeAll(async () => {
  lambda = new LambdaClient({
    endpoint: stack.lambdaEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await deploy(names.a, 'one', { alias: 'prod' });
  await deploy(names.a, 'two');
  await deploy(names.b, 'b');
  harness = await startHarness();
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await harness?.close();
  lambda?.destroy();
  rmSync(work, { recursive: true, force: true });
});

const get = (url: string) => app.inject({ method: 'GET', url });
const post = (body: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/tasks', payload: body });
const task = (extra: Record<string, unknown>) => ({ name: uniqueId('fn-task'), executionMode: 'LOCAL', ...extra });

test('GET /api/functions lists every deployed function and which function serves each task type', async () => {
  const body = await eventually(async () => {
    const res = await get('/api/functions');
    const json = res.json();
    return res.statusCode === 200 && json.taskTypes[sharedType]?.length === 2 ? json : undefined;
  });
  expect(body.taskTypes).toEqual(
    expect.objectContaining({
      noop: ['noop'],
      flaky: ['flaky'],
      'image-processing': ['image-processor'],
      [sharedType]: [names.a, names.b],
    }),
  );
  const noop = body.functions.find((f: { name: string }) => f.name === 'noop');
  expect(noop).toEqual(
    expect.objectContaining({
      version: '$LATEST',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      codeSha256: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
      spillway: expect.objectContaining({ taskTypes: ['noop'], event: 'task', warmPoolSize: 1, source: 'manifest' }),
    }),
  );
});

test('GET /api/functions/:name shows versions, aliases and tags', async () => {
  const res = await get(`/api/functions/${names.a}`);
  expect(res.statusCode).toBe(200);
  const detail = res.json();
  expect(detail.aliases).toEqual([{ name: 'prod', functionVersion: '1', description: '' }]);
  expect(detail.versions.map((v: { version: string }) => v.version)).toEqual(expect.arrayContaining(['1']));
  expect(detail.tags).toEqual(expect.objectContaining({ 'spillway:task-types': `${sharedType},${names.a}` }));
});

test('an unknown function is 404 SPILLWAY_FUNCTION_NOT_FOUND; a bad name is 400', async () => {
  const missing = await get('/api/functions/no-such-function');
  expect(missing.statusCode).toBe(404);
  expect(missing.json()).toEqual({
    statusCode: 404,
    code: 'SPILLWAY_FUNCTION_NOT_FOUND',
    error: 'Not Found',
    message: 'no function named "no-such-function" is deployed',
  });
  expect((await get('/api/functions/bad%20name')).statusCode).toBe(400);
});

test.each([
  [
    'an unknown task type',
    { type: 'no-such-type' },
    'SPILLWAY_UNKNOWN_TASK_TYPE',
    /no deployed function serves task type "no-such-type"; known types: .*noop/,
  ],
  [
    'a type two functions serve, without functionName',
    { type: sharedType },
    'SPILLWAY_AMBIGUOUS_TASK_TYPE',
    /served by .*name one as functionName/,
  ],
  [
    'a function that does not serve the type',
    { type: 'noop', functionName: names.b },
    'SPILLWAY_FUNCTION_TYPE_MISMATCH',
    /serves .* not "noop"/,
  ],
  [
    'an unknown function',
    { type: 'noop', functionName: 'no-such-function' },
    'SPILLWAY_UNKNOWN_FUNCTION',
    /no function named "no-such-function"/,
  ],
  [
    'an unknown alias',
    { type: sharedType, functionName: `${names.a}:staging` },
    'SPILLWAY_UNKNOWN_FUNCTION',
    /has no version or alias "staging"/,
  ],
])('%s is 400 %s and starts no task', async (_label, extra, code, message) => {
  const body = task(extra);
  const res = await post(body);
  expect(res.statusCode).toBe(400);
  expect(res.json()).toEqual({ statusCode: 400, code, error: 'Bad Request', message: expect.stringMatching(message) });
  expect((await harness.client.workflow.count(`TaskName = '${body.name}'`)).count).toBe(0);
});

async function finished(id: string) {
  return eventually(async () => {
    const view = (await get(`/api/tasks/${id}`)).json();
    return view.status === 'COMPLETED' || view.status === 'FAILED' ? view : undefined;
  });
}

test('a task pinned to an alias runs that version; an unpinned one runs $LATEST', async () => {
  const pinned = await post(task({ type: sharedType, functionName: `${names.a}:prod` }));
  expect(pinned.statusCode).toBe(201);
  expect(pinned.json()).toEqual(expect.objectContaining({ functionName: names.a, functionQualifier: 'prod' }));
  const latest = await post(task({ type: sharedType, functionName: names.a }));
  const [p, l] = await Promise.all([finished(pinned.json().id), finished(latest.json().id)]);
  expect({ result: p.result, version: p.attempts[0].functionVersion }).toEqual({
    result: { answer: 'one' },
    version: '1',
  });
  expect({ result: l.result, version: l.attempts[0].functionVersion }).toEqual({
    result: { answer: 'two' },
    version: '$LATEST',
  });
});

test('when the Lambda endpoint that holds the functions is down, a submission is 503 SPILLWAY_LAMBDA_UNAVAILABLE', async () => {
  const config = testConfig({ LAMBDA_ENDPOINT: 'http://127.0.0.1:9' });
  const down = await buildApp({ config, client: harness.client });
  try {
    const res = await down.inject({ method: 'POST', url: '/api/tasks', payload: task({ type: 'noop' }) });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      statusCode: 503,
      code: 'SPILLWAY_LAMBDA_UNAVAILABLE',
      error: 'Service Unavailable',
      message: 'the Lambda endpoint, which holds the deployed functions, is not reachable',
    });
  } finally {
    await down.close();
  }
});
