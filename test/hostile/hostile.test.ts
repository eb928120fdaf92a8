// Every request in corpus.json is malformed or hostile. Each must get its 4xx with its stable code, never a 5xx,
// the server must stay up, and no task may be created.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import corpus from './corpus.json';
import { startHarness, type TestHarness } from '../support/test-stack';

interface Case {
  name: string;
  method: string;
  url: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

/** Expands the templates that keep huge values out of the data file. */
function expand(value: unknown): unknown {
  if (typeof value === 'string') {
    const repeat = /^\$REPEAT:(.):(\d+)$/.exec(value);
    if (repeat) return (repeat[1] as string).repeat(Number(repeat[2]));
    const range = /^\$RANGE:(\d+)$/.exec(value);
    if (range) return Array.from({ length: Number(range[1]) }, (_, i) => i);
    const copies = /^\$COPIES:(\d+):(.*)$/.exec(value);
    if (copies) return Array.from({ length: Number(copies[1]) }, () => JSON.parse(copies[2] as string));
    return value;
  }
  if (Array.isArray(value)) return value.map(expand);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
  return value;
}

let harness: TestHarness;
let app: FastifyInstance;
let tasksBefore: number;

beforeAll(async () => {
  harness = await startHarness();
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  tasksBefore = (await harness.client.workflow.count(`WorkflowType = 'runTask'`)).count;
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

const cases = corpus as Case[];

test('the corpus holds at least 150 requests across every route', () => {
  expect(cases.length).toBeGreaterThanOrEqual(150);
  const routes = new Set(
    cases.map((c) => `${c.method} ${c.url.split('?')[0]?.replace(/\/tasks\/[^/]+\/cancel$/, '/tasks/:id/cancel')}`),
  );
  for (const route of [
    'POST /api/tasks',
    'POST /api/tasks/bulk',
    'GET /api/tasks',
    'POST /api/callbacks/lambda',
    'GET /api/events',
  ]) {
    expect(routes).toContain(route);
  }
});

test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
  const headers: Record<string, string> = { ...c.headers };
  let payload: string | undefined;
  if (c.raw !== undefined) {
    payload = c.raw;
    headers['content-type'] = c.contentType ?? 'application/json';
  } else if (c.body !== undefined) {
    payload = JSON.stringify(expand(c.body));
    headers['content-type'] = 'application/json';
  }
  const res = await app.inject({ method: c.method as 'GET', url: c.url, headers, payload });
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: c.status, code: c.code });
  expect(res.json()).toEqual({
    statusCode: c.status,
    code: c.code,
    error: expect.any(String),
    message: expect.any(String),
  });
});

test('after the corpus the server is up and no task was created', async () => {
  const health = await app.inject({ method: 'GET', url: '/health' });
  expect(health.statusCode).toBe(200);
  const after = (await harness.client.workflow.count(`WorkflowType = 'runTask'`)).count;
  expect(after).toBe(tasksBefore);
});
