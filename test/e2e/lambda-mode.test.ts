// LAMBDA mode end to end: the API, an in-process worker, the local Lambda service (a separate process speaking the
// AWS Lambda API) and signed callbacks back to the API, all real.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { signCallbackBody, SIGNATURE_HEADER, signCompletionToken } from '../../domain/callback-signature';
import { eventually, readStack, startHarness, type TestHarness } from '../support/test-stack';

let harness: TestHarness;
let app: FastifyInstance;
const stack = readStack();
/** Every callback the functions sent, as received, so tests can replay them. */
const received: Array<{ body: string; signature: string; workflowId: string }> = [];

beforeAll(async () => {
  harness = await startHarness();
  app = await buildApp({
    config: harness.config,
    client: harness.client,
    redis: harness.redis,
  });
  app.addHook('preHandler', async (request) => {
    if (request.url === '/api/callbacks/lambda' && request.rawBody) {
      const token = JSON.parse(request.rawBody).token as string;
      const claims = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
      received.push({
        body: request.rawBody,
        signature: String(request.headers[SIGNATURE_HEADER]),
        workflowId: claims.workflowId,
      });
    }
  });
  await app.listen({ host: '127.0.0.1', port: stack.apiPort });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

const create = async (body: Record<string, unknown>) => {
  const res = await app.inject({ method: 'POST', url: '/api/tasks', payload: body });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
};

const get = async (id: string) => (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();

const waitFor = (id: string, statuses: string[], timeoutMs = 60_000) =>
  eventually(async () => {
    const task = await get(id);
    return statuses.includes(task.status) ? task : undefined;
  }, timeoutMs);

test('the seed LAMBDA task with a sample image completes with the processed image facts', async () => {
  const id = await create({
    name: 'Process Image',
    type: 'image-processing',
    executionMode: 'LAMBDA',
    functionName: 'image-processor',
    payload: { imageUrl: `http://127.0.0.1:${stack.apiPort}/samples/landscape.jpg`, width: 300 },
  });
  const task = await waitFor(id, ['COMPLETED', 'FAILED']);
  expect(task.status).toBe('COMPLETED');
  expect(task.result.output).toEqual(expect.objectContaining({ format: 'jpeg', width: 300, height: 200 }));
  expect(task.attempts).toHaveLength(1);
  expect(task.attempts[0]).toEqual(
    expect.objectContaining({
      attempt: 1,
      placement: 'LAMBDA',
      outcome: 'succeeded',
      memoryMB: 1024,
      billedDurationMs: expect.any(Number),
      costUsd: expect.any(Number),
      coldStart: expect.any(Boolean),
    }),
  );
  expect(task.attempts[0].costUsd).toBeGreaterThan(0);
  expect(task.costUsd).toBe(task.attempts[0].costUsd);
});

test('a function that fails twice then succeeds completes after 3 attempts with growing intervals', async () => {
  const id = await create({
    name: 'flaky on lambda',
    type: 'flaky',
    executionMode: 'LAMBDA',
    payload: { failAttempts: 2 },
    retry: { initialIntervalMs: 1000, backoffCoefficient: 2, maximumAttempts: 5 },
  });
  const task = await waitFor(id, ['COMPLETED', 'FAILED']);
  expect(task.status).toBe('COMPLETED');
  expect(task.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'failed', 'succeeded']);
  expect(task.attempts[0].error).toEqual({ type: 'FlakyError', message: expect.any(String), nonRetryable: false });
  // Temporal never retries before the interval: 1 s, then 2 s (less a little for the clocks' resolution).
  expect(task.attempts[1].backoffMs).toBeGreaterThanOrEqual(900);
  expect(task.attempts[2].backoffMs).toBeGreaterThanOrEqual(1900);
  expect(task.result).toEqual(expect.objectContaining({ attempt: 3 }));
});

test('a function that always times out ends FAILED after the configured attempts with a clear error', async () => {
  const id = await create({
    name: 'hangs on lambda',
    type: 'flaky',
    executionMode: 'LAMBDA',
    payload: { hang: true },
    timeoutSeconds: 3,
    retry: { initialIntervalMs: 500, maximumAttempts: 2 },
  });
  const task = await waitFor(id, ['FAILED', 'COMPLETED']);
  expect(task.status).toBe('FAILED');
  expect(task.attempts).toHaveLength(2);
  expect(task.error).toEqual({
    type: 'AttemptTimedOut',
    message: 'no result within 3 s: the handler timed out, crashed, or its callback was lost',
    nonRetryable: false,
  });
});

test('a synchronous invocation records the REPORT facts', async () => {
  const id = await create({ name: 'sync noop', type: 'noop', executionMode: 'LAMBDA', invocation: 'sync' });
  const task = await waitFor(id, ['COMPLETED', 'FAILED']);
  expect(task.status).toBe('COMPLETED');
  expect(task.result).toEqual({ ok: true, taskId: id, attempt: 1 });
  expect(task.attempts[0]).toEqual(
    expect.objectContaining({
      placement: 'LAMBDA',
      outcome: 'succeeded',
      memoryMB: 128,
      billedDurationMs: expect.any(Number),
    }),
  );
});

describe('callbacks', () => {
  const post = (body: string, signature?: string) =>
    app.inject({
      method: 'POST',
      url: '/api/callbacks/lambda',
      headers: { 'content-type': 'application/json', ...(signature ? { [SIGNATURE_HEADER]: signature } : {}) },
      payload: body,
    });
  const report = { coldStart: false, durationMs: 5, memoryMB: 128, maxMemoryUsedMB: 40 };
  const now = () => Math.floor(Date.now() / 1000);

  test('a forged callback is rejected and the task is unaffected', async () => {
    const id = await create({ name: 'slow', type: 'flaky', executionMode: 'LAMBDA', payload: { sleepMs: 4000 } });
    await waitFor(id, ['RUNNING']);
    const forgedToken = signCompletionToken('not-the-secret-at-all', {
      taskToken: Buffer.from('x').toString('base64'),
      workflowId: id,
      activityId: '1',
      attempt: 1,
      iat: now(),
      exp: now() + 60,
    });
    const body = JSON.stringify({ token: forgedToken, outcome: 'succeeded', result: { forged: true }, report });
    const wrongKey = await post(body, signCallbackBody('not-the-secret-at-all', body, now()));
    expect(wrongKey.statusCode).toBe(401);
    expect(wrongKey.json()).toEqual({
      statusCode: 401,
      code: 'SPILLWAY_CALLBACK_UNAUTHORIZED',
      error: 'Unauthorized',
      message: 'callback signature rejected: bad-signature',
    });
    const signedForgedToken = await post(body, signCallbackBody(stack.callbackSecret, body, now()));
    expect(signedForgedToken.statusCode).toBe(401);
    expect(signedForgedToken.json().message).toBe('completion token rejected: bad-signature');
    const stale = await post(body, signCallbackBody(stack.callbackSecret, body, now() - 3600));
    expect(stale.statusCode).toBe(401);
    expect(stale.json().message).toBe('callback signature rejected: stale');
    const unsigned = await post(body);
    expect(unsigned.statusCode).toBe(401);
    const truncated = await post(body.slice(0, -5), signCallbackBody(stack.callbackSecret, body.slice(0, -5), now()));
    expect(truncated.statusCode).toBe(400);
    const task = await waitFor(id, ['COMPLETED', 'FAILED']);
    expect(task.status).toBe('COMPLETED');
    expect(task.result).toEqual(expect.objectContaining({ sleptMs: expect.any(Number) }));
    expect(task.result.forged).toBeUndefined();
  });

  test('duplicate and superseded callbacks leave one result', async () => {
    const id = await create({
      name: 'dup',
      type: 'flaky',
      executionMode: 'LAMBDA',
      payload: { failAttempts: 1 },
      retry: { initialIntervalMs: 500 },
    });
    const task = await waitFor(id, ['COMPLETED']);
    const callbacks = received.filter((c) => c.workflowId === id);
    expect(callbacks).toHaveLength(2);
    for (const callback of callbacks) {
      // The exact bytes again, freshly signed as a retrying sender would: one for the settled attempt, one for
      // the superseded first attempt.
      const res = await post(callback.body, signCallbackBody(stack.callbackSecret, callback.body, now()));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        accepted: false,
        reason: 'already-settled',
        workflowId: id,
        attempt: expect.any(Number),
      });
    }
    const after = await get(id);
    expect(after.result).toEqual(task.result);
    expect(after.attempts).toHaveLength(2);
  });

  test('an expired completion token is rejected even with a fresh body signature', async () => {
    const token = signCompletionToken(stack.callbackSecret, {
      taskToken: Buffer.from('x').toString('base64'),
      workflowId: 'task-old',
      activityId: '1',
      attempt: 1,
      iat: now() - 7200,
      exp: now() - 3600,
    });
    const body = JSON.stringify({ token, outcome: 'succeeded', result: {}, report });
    const res = await post(body, signCallbackBody(stack.callbackSecret, body, now()));
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      statusCode: 401,
      code: 'SPILLWAY_CALLBACK_UNAUTHORIZED',
      error: 'Unauthorized',
      message: 'completion token rejected: expired',
    });
  });

  test('a signed token for an attempt Temporal never issued → 400', async () => {
    const token = signCompletionToken(stack.callbackSecret, {
      taskToken: Buffer.from('not-a-task-token').toString('base64'),
      workflowId: 'task-none',
      activityId: '1',
      attempt: 1,
      iat: now(),
      exp: now() + 60,
    });
    const body = JSON.stringify({ token, outcome: 'succeeded', result: {}, report });
    const res = await post(body, signCallbackBody(stack.callbackSecret, body, now()));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      statusCode: 400,
      code: 'SPILLWAY_INVALID_CALLBACK',
      error: 'Bad Request',
      message: 'the completion token names no attempt this cluster knows',
    });
  });
});
