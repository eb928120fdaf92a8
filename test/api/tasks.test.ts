// The task routes through app.inject, against the real Temporal dev server, Redis and an in-process worker.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { eventually, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

let harness: TestHarness;
let app: FastifyInstance;

beforeAll(async () => {
  harness = await startHarness();
  app = await buildApp({
    config: harness.config,
    client: harness.client,
    redis: harness.redis,
  });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

const seedBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Process Image',
  type: 'image-processing',
  executionMode: 'LOCAL',
  functionName: 'image-processor',
  payload: { imageUrl: 'data:,not-an-image', width: 100 },
  ...overrides,
});

const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'];

/**
 * Waits for the task's status; for an end status also for Temporal's, since the task's state says it ended a
 * moment before its workflow closes (a LOCAL attempt publishes the task's end itself).
 */
async function waitForStatus(id: string, statuses: string[]) {
  return eventually(async () => {
    const res = await app.inject({ method: 'GET', url: `/api/tasks/${id}` });
    const body = res.json();
    if (!statuses.includes(body.status)) return undefined;
    return TERMINAL.includes(body.status) && body.temporalStatus === 'RUNNING' ? undefined : body;
  });
}

const links = (id: string) => ({
  self: `/api/tasks/${id}`,
  cancel: `/api/tasks/${id}/cancel`,
  temporalUi: `${harness.config.temporal.uiUrl}/namespaces/default/workflows/${id}`,
});

describe('POST /api/tasks', () => {
  test('creates a LOCAL task that completes with the handler result', async () => {
    const res = await post(
      '/api/tasks',
      seedBody({ type: 'noop', functionName: 'noop', payload: {}, name: 'noop one' }),
    );
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toEqual({
      id: expect.stringMatching(/^task-[0-9a-f-]{36}$/),
      status: 'QUEUED',
      name: 'noop one',
      type: 'noop',
      executionMode: 'LOCAL',
      functionName: 'noop',
      submittedAt: expect.any(String),
      idempotentReplay: false,
      links: links(created.id),
    });
    expect(res.headers.location).toBe(`/api/tasks/${created.id}`);
    const done = await waitForStatus(created.id, ['COMPLETED']);
    expect(done).toEqual(
      expect.objectContaining({
        id: created.id,
        status: 'COMPLETED',
        temporalStatus: 'COMPLETED',
        attemptCount: 1,
        result: { ok: true, taskId: created.id, attempt: 1 },
        placement: { placement: 'LOCAL', reason: 'requested LOCAL' },
      }),
    );
    expect(done.attempts).toEqual([expect.objectContaining({ attempt: 1, placement: 'LOCAL', outcome: 'succeeded' })]);
  });

  test('the functionName defaults to the function registered for the type', async () => {
    const res = await post('/api/tasks', {
      name: 'agg',
      type: 'data-aggregation',
      executionMode: 'LOCAL',
      payload: {},
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().functionName).toBe('data-aggregator');
    const done = await waitForStatus(res.json().id, ['COMPLETED']);
    expect(done.result.recordCount).toBe(1000);
  });

  test('an image that cannot be decoded fails permanently after one attempt', async () => {
    const res = await post('/api/tasks', seedBody());
    const failed = await waitForStatus(res.json().id, ['FAILED']);
    expect(failed.attemptCount).toBe(1);
    expect(failed.error).toEqual({ type: 'InvalidPayloadError', message: expect.any(String), nonRetryable: true });
  });

  test('a repeated idempotencyKey returns the existing task', async () => {
    const key = uniqueId('idem');
    const body = seedBody({ type: 'noop', functionName: 'noop', payload: {}, idempotencyKey: key });
    const first = await post('/api/tasks', body);
    const second = await post('/api/tasks', body);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(
      expect.objectContaining({ id: first.json().id, idempotentReplay: true, idempotencyKey: key }),
    );
    const conflict = await post('/api/tasks', { ...body, name: 'something else' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toEqual({
      statusCode: 409,
      code: 'SPILLWAY_IDEMPOTENCY_CONFLICT',
      error: 'Conflict',
      message: `idempotencyKey "${key}" was already used for a different request`,
    });
  });

  test('a mode this deployment does not offer is refused clearly', async () => {
    const localOnly = await buildApp({
      config: harness.config,
      client: harness.client,
      availableModes: new Set(['LOCAL']),
    });
    const res = await localOnly.inject({
      method: 'POST',
      url: '/api/tasks',
      payload: seedBody({ executionMode: 'AUTO' }),
    });
    await localOnly.close();
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      statusCode: 400,
      code: 'SPILLWAY_MODE_NOT_AVAILABLE',
      error: 'Bad Request',
      message: 'executionMode AUTO is not available yet; available: LOCAL',
    });
  });
});

describe('validation', () => {
  const cases: Array<[string, unknown, string]> = [
    ['empty object', {}, 'SPILLWAY_VALIDATION_FAILED'],
    ['missing name', { ...seedBody(), name: undefined }, 'SPILLWAY_VALIDATION_FAILED'],
    ['empty name', seedBody({ name: '' }), 'SPILLWAY_VALIDATION_FAILED'],
    ['name too long', seedBody({ name: 'x'.repeat(201) }), 'SPILLWAY_VALIDATION_FAILED'],
    ['name is a number', seedBody({ name: 42 }), 'SPILLWAY_VALIDATION_FAILED'],
    ['missing type', { ...seedBody(), type: undefined }, 'SPILLWAY_VALIDATION_FAILED'],
    ['type with spaces', seedBody({ type: 'image processing' }), 'SPILLWAY_VALIDATION_FAILED'],
    ['unknown type', seedBody({ type: 'mining-bitcoin', functionName: undefined }), 'SPILLWAY_UNKNOWN_TASK_TYPE'],
    ['missing executionMode', { ...seedBody(), executionMode: undefined }, 'SPILLWAY_VALIDATION_FAILED'],
    ['unknown executionMode', seedBody({ executionMode: 'GPU' }), 'SPILLWAY_VALIDATION_FAILED'],
    ['lowercase executionMode', seedBody({ executionMode: 'local' }), 'SPILLWAY_VALIDATION_FAILED'],
    ['unknown function', seedBody({ functionName: 'no-such-function' }), 'SPILLWAY_UNKNOWN_FUNCTION'],
    ['function of another type', seedBody({ functionName: 'noop' }), 'SPILLWAY_FUNCTION_TYPE_MISMATCH'],
    ['payload is an array', seedBody({ payload: [1, 2] }), 'SPILLWAY_VALIDATION_FAILED'],
    ['payload is a string', seedBody({ payload: 'x' }), 'SPILLWAY_VALIDATION_FAILED'],
    ['extra field', seedBody({ priority: 'high' }), 'SPILLWAY_VALIDATION_FAILED'],
    ['retry attempts zero', seedBody({ retry: { maximumAttempts: 0 } }), 'SPILLWAY_VALIDATION_FAILED'],
    ['retry attempts negative', seedBody({ retry: { maximumAttempts: -3 } }), 'SPILLWAY_VALIDATION_FAILED'],
    ['retry attempts absurd', seedBody({ retry: { maximumAttempts: 1e9 } }), 'SPILLWAY_VALIDATION_FAILED'],
    ['retry attempts as string', seedBody({ retry: { maximumAttempts: '5' } }), 'SPILLWAY_VALIDATION_FAILED'],
    ['retry coefficient below 1', seedBody({ retry: { backoffCoefficient: 0.5 } }), 'SPILLWAY_VALIDATION_FAILED'],
    ['retry unknown field', seedBody({ retry: { jitter: true } }), 'SPILLWAY_VALIDATION_FAILED'],
    [
      'retry maximum below initial',
      seedBody({ retry: { initialIntervalMs: 5000, maximumIntervalMs: 1000 } }),
      'SPILLWAY_INVALID_RETRY',
    ],
    ['timeout zero', seedBody({ timeoutSeconds: 0 }), 'SPILLWAY_VALIDATION_FAILED'],
    ['timeout fractional', seedBody({ timeoutSeconds: 1.5 }), 'SPILLWAY_VALIDATION_FAILED'],
    ['idempotencyKey empty', seedBody({ idempotencyKey: '' }), 'SPILLWAY_VALIDATION_FAILED'],
    ['idempotencyKey with spaces', seedBody({ idempotencyKey: 'a b' }), 'SPILLWAY_VALIDATION_FAILED'],
    ['invocation unknown', seedBody({ invocation: 'later' }), 'SPILLWAY_VALIDATION_FAILED'],
    ['body is an array', [seedBody()], 'SPILLWAY_VALIDATION_FAILED'],
    ['body is null', null, 'SPILLWAY_VALIDATION_FAILED'],
    [
      'payload nested too deep',
      seedBody({ payload: JSON.parse('{"a":'.repeat(40) + '1' + '}'.repeat(40)) }),
      'SPILLWAY_PAYLOAD_TOO_DEEP',
    ],
  ];

  test.each(cases)('%s → 400', async (_label, body, code) => {
    const before = await harness.client.workflow.count(`WorkflowType = 'runTask'`);
    const res = await app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ statusCode: 400, code, error: 'Bad Request', message: expect.any(String) });
    const after = await harness.client.workflow.count(`WorkflowType = 'runTask'`);
    expect(after.count).toBeLessThanOrEqual(before.count);
  });

  test('malformed JSON → 400 SPILLWAY_INVALID_JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      statusCode: 400,
      code: 'SPILLWAY_INVALID_JSON',
      error: 'Bad Request',
      message: expect.any(String),
    });
  });

  test('a body that is not JSON → 415', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers: { 'content-type': 'text/xml' },
      payload: '<task/>',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({
      statusCode: 415,
      code: 'SPILLWAY_UNSUPPORTED_MEDIA_TYPE',
      error: 'Unsupported Media Type',
      message: expect.any(String),
    });
  });

  test('a body over 1 MB → 413', async () => {
    const res = await post('/api/tasks', seedBody({ payload: { blob: 'x'.repeat(1024 * 1024 + 10) } }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      statusCode: 413,
      code: 'SPILLWAY_BODY_TOO_LARGE',
      error: 'Payload Too Large',
      message: expect.any(String),
    });
  });
});

describe('GET /api/tasks/:id', () => {
  test('an unknown id → 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/tasks/task-does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      statusCode: 404,
      code: 'SPILLWAY_TASK_NOT_FOUND',
      error: 'Not Found',
      message: expect.any(String),
    });
  });

  test('a malformed id → 400', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/tasks/${encodeURIComponent("'; DROP TABLE x")}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      statusCode: 400,
      code: 'SPILLWAY_INVALID_TASK_ID',
      error: 'Bad Request',
      message: expect.any(String),
    });
  });
});

describe('GET /api/tasks', () => {
  test('lists newest first, filters by status, mode and type, and pages with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post('/api/tasks', { name: `list ${i}`, type: 'report-generation', executionMode: 'LOCAL' });
      ids.push(res.json().id);
    }
    for (const id of ids) await waitForStatus(id, ['COMPLETED']);
    const listed = await eventually(async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/api/tasks?type=report-generation&status=COMPLETED&mode=LOCAL',
      });
      const body = res.json();
      return ids.every((id) => body.tasks.some((t: { id: string }) => t.id === id)) ? body : undefined;
    });
    const ours = listed.tasks.filter((t: { id: string }) => ids.includes(t.id));
    // Visibility order: open tasks first, then finished ones, most recently finished first.
    const byFinish = [...ours].sort((a, b) => Date.parse(b.finishedAt) - Date.parse(a.finishedAt));
    expect(ours.map((t: { id: string }) => t.id)).toEqual(byFinish.map((t: { id: string }) => t.id));
    expect(ours).toHaveLength(3);
    const newest = ours.find((t: { id: string }) => t.id === ids[2]);
    expect(newest).toEqual({
      id: ids[2],
      name: 'list 2',
      type: 'report-generation',
      executionMode: 'LOCAL',
      placement: 'LOCAL',
      placementReason: 'requested LOCAL',
      status: 'COMPLETED',
      temporalStatus: 'COMPLETED',
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      durationMs: expect.any(Number),
    });

    const page1 = (await app.inject({ method: 'GET', url: '/api/tasks?type=report-generation&limit=2' })).json();
    expect(page1.tasks).toHaveLength(2);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = (
      await app.inject({ method: 'GET', url: `/api/tasks?type=report-generation&limit=2&cursor=${page1.nextCursor}` })
    ).json();
    expect(page2.tasks.length).toBeGreaterThanOrEqual(1);
    expect(page2.tasks.map((t: { id: string }) => t.id)).not.toContain(page1.tasks[0].id);

    const failedOnly = (
      await app.inject({ method: 'GET', url: '/api/tasks?type=report-generation&status=FAILED' })
    ).json();
    expect(failedOnly.tasks.filter((t: { id: string }) => ids.includes(t.id))).toEqual([]);
  });

  test.each([
    ['status=DONE', 'SPILLWAY_VALIDATION_FAILED'],
    ['limit=0', 'SPILLWAY_VALIDATION_FAILED'],
    ['limit=abc', 'SPILLWAY_VALIDATION_FAILED'],
    ['mode=GPU', 'SPILLWAY_VALIDATION_FAILED'],
    ["type=x'%20OR%201=1", 'SPILLWAY_VALIDATION_FAILED'],
    ['cursor=!!!', 'SPILLWAY_VALIDATION_FAILED'],
    ['cursor=bm90LWEtdG9rZW4', 'SPILLWAY_INVALID_CURSOR'],
  ])('bad query %s → 400', async (query, code) => {
    const res = await app.inject({ method: 'GET', url: `/api/tasks?${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ statusCode: 400, code, error: 'Bad Request', message: expect.any(String) });
  });
});

describe('POST /api/tasks/:id/cancel', () => {
  test('cancels a running task, which ends CANCELLED', async () => {
    const res = await post('/api/tasks', {
      name: 'sleepy',
      type: 'flaky',
      executionMode: 'LOCAL',
      payload: { sleepMs: 60000 },
    });
    const id = res.json().id;
    await waitForStatus(id, ['RUNNING']);
    const cancel = await post(`/api/tasks/${id}/cancel`, {});
    expect(cancel.statusCode).toBe(202);
    expect(cancel.json()).toEqual({ id, cancelRequested: true, status: 'RUNNING', links: links(id) });
    const cancelled = await waitForStatus(id, ['CANCELLED']);
    expect(cancelled.error).toEqual({ type: 'CancelledError', message: 'the task was cancelled', nonRetryable: true });
    const again = await post(`/api/tasks/${id}/cancel`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({
      statusCode: 409,
      code: 'SPILLWAY_TASK_NOT_CANCELLABLE',
      error: 'Conflict',
      message: `task "${id}" has already ended (CANCELLED)`,
    });
  });

  test('cancelling an unknown task → 404', async () => {
    const res = await post('/api/tasks/task-nope/cancel', {});
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('SPILLWAY_TASK_NOT_FOUND');
  });
});

describe('POST /api/tasks/bulk', () => {
  test('one bad item does not sink the others', async () => {
    const res = await post('/api/tasks/bulk', {
      tasks: [
        { name: 'bulk ok 1', type: 'noop', executionMode: 'LOCAL' },
        { name: 'bulk bad', type: 'noop', executionMode: 'TELEPORT' },
        { name: 'bulk ok 2', type: 'noop', executionMode: 'LOCAL' },
        { name: 'bulk unknown', type: 'nope', executionMode: 'LOCAL' },
      ],
    });
    expect(res.statusCode).toBe(207);
    const body = res.json();
    expect(body.accepted).toBe(2);
    expect(body.rejected).toBe(2);
    expect(
      body.results.map((r: { index: number; ok: boolean; statusCode: number }) => [r.index, r.ok, r.statusCode]),
    ).toEqual([
      [0, true, 201],
      [1, false, 400],
      [2, true, 201],
      [3, false, 400],
    ]);
    expect(body.results[1].error.code).toBe('SPILLWAY_VALIDATION_FAILED');
    expect(body.results[3].error.code).toBe('SPILLWAY_UNKNOWN_TASK_TYPE');
    for (const r of [body.results[0], body.results[2]]) await waitForStatus(r.task.id, ['COMPLETED']);
  });

  test('more than 1,000 tasks → 400', async () => {
    const tasks = Array.from({ length: 1001 }, (_, i) => ({ name: `n${i}`, type: 'noop', executionMode: 'LOCAL' }));
    const res = await post('/api/tasks/bulk', { tasks });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('SPILLWAY_VALIDATION_FAILED');
  });
});

describe('stats, health and docs', () => {
  test('stats count tasks by status from Temporal', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/tasks/stats' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.totals.created).toBeGreaterThanOrEqual(body.totals.completed + body.totals.failed);
    expect(body.totals.completed).toBeGreaterThan(0);
  });

  test('health reports Temporal and Redis UP', async () => {
    const res = await app.inject({ method: 'GET', url: '/actuator/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'UP',
      components: { temporal: { status: 'UP', details: harness.config.temporal.address }, redis: { status: 'UP' } },
    });
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  test('OpenAPI lists every task route', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/tasks',
        '/api/tasks/bulk',
        '/api/tasks/stats',
        '/api/tasks/{id}',
        '/api/tasks/{id}/cancel',
      ]),
    );
  });

  test('an unknown route → 404 with a code', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      statusCode: 404,
      code: 'SPILLWAY_ROUTE_NOT_FOUND',
      error: 'Not Found',
      message: 'no route GET /api/nothing-here',
    });
  });

  test('sample images are served for offline examples', async () => {
    const res = await app.inject({ method: 'GET', url: '/samples/landscape.jpg' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
  });
});
