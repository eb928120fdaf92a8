// API keys, rate limits and security headers.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { startHarness, testConfig, type TestHarness } from '../support/test-stack';

const KEY = 'test-key-0123456789abcdef';
let harness: TestHarness;
let app: FastifyInstance;

beforeAll(async () => {
  harness = await startHarness();
  const config = testConfig({ SPILLWAY_API_KEYS: `other-key-0123456789abcdef,${KEY}`, SPILLWAY_RATE_LIMIT_MAX: '40' });
  app = await buildApp({ config, client: harness.client, redis: harness.redis });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

test('a route needs a bearer key when keys are configured', async () => {
  const res = await app.inject({ method: 'GET', url: '/api/tasks/stats' });
  expect(res.statusCode).toBe(401);
  expect(res.headers['www-authenticate']).toBe('Bearer realm="spillway"');
  expect(res.json()).toEqual({
    statusCode: 401,
    code: 'SPILLWAY_UNAUTHORIZED',
    error: 'Unauthorized',
    message: 'this route needs an API key (Authorization: Bearer <key>)',
  });
});

test('a wrong key is refused and a right one accepted', async () => {
  const wrong = await app.inject({
    method: 'GET',
    url: '/api/tasks/stats',
    headers: { authorization: 'Bearer nope-nope-nope-nope' },
  });
  expect(wrong.statusCode).toBe(401);
  expect(wrong.json().message).toBe('the API key is not valid');
  const right = await app.inject({
    method: 'GET',
    url: '/api/tasks/stats',
    headers: { authorization: `Bearer ${KEY}` },
  });
  expect(right.statusCode).toBe(200);
});

test('health, callbacks and the dashboard stay open', async () => {
  expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  const callback = await app.inject({ method: 'POST', url: '/api/callbacks/lambda', payload: { token: 'x' } });
  expect(callback.json().code).toBe('SPILLWAY_CALLBACK_UNAUTHORIZED');
  const page = await app.inject({ method: 'GET', url: '/' });
  expect(page.statusCode).toBe(200);
  expect(page.headers['content-type']).toMatch(/text\/html/);
});

test('the event stream accepts the key in the query, as EventSource cannot send headers', async () => {
  const refused = await app.inject({ method: 'GET', url: '/api/events?access_token=wrong-key-0123456789' });
  expect(refused.statusCode).toBe(401);
});

test('security headers are set', async () => {
  const res = await app.inject({ method: 'GET', url: '/health' });
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
});

test('a client over its rate limit gets 429 with a code, counted in Redis', async () => {
  const headers = { authorization: `Bearer ${KEY}` };
  let limited;
  for (let i = 0; i < 60 && !limited; i++) {
    const res = await app.inject({ method: 'GET', url: '/api/tasks/task-none', headers });
    if (res.statusCode === 429) limited = res;
  }
  expect(limited?.statusCode).toBe(429);
  expect(limited?.json()).toEqual({
    statusCode: 429,
    code: 'SPILLWAY_RATE_LIMITED',
    error: 'Too Many Requests',
    message: expect.stringMatching(/^rate limit of 40 requests per/),
  });
  const keys = await harness.redis.keys(`${harness.config.redis.prefix}*`);
  expect(keys.length).toBeGreaterThanOrEqual(0);
});
