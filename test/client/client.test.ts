// The typed client, end to end: a real API (listening, over the test stack's Temporal, Redis, an in-process worker
// and the local Lambda service), driven only through client/index.ts, as a user of the SDK would.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import {
  createSpillwayClient,
  readEventStream,
  SpillwayApiError,
  type LiveEvent,
  type SpillwayClient,
} from '../../client';
import { startHoldGate } from '../support/hold-gate';
import { eventually, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

jest.setTimeout(120_000);

let harness: TestHarness;
let app: FastifyInstance;
let client: SpillwayClient;

beforeAll(async () => {
  harness = await startHarness();
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the API is not listening on a port');
  client = createSpillwayClient({ baseUrl: `http://127.0.0.1:${address.port}` });
});

afterAll(async () => {
  const force = setTimeout(() => app?.server.closeAllConnections(), 2_000);
  await app?.close();
  clearTimeout(force);
  await harness?.close();
});

test('submit, follow the events, wait for completion, get, list; a finished task cannot be cancelled', async () => {
  const abort = new AbortController();
  const seen: LiveEvent[] = [];
  const events = client.events({ signal: abort.signal });
  // The first message (a stats snapshot) says the stream is open, so no transition is missed.
  const first = await events.next();
  expect(first.value).toEqual(expect.objectContaining({ event: 'stats' }));
  let createdId = '';
  const following = (async () => {
    for await (const event of events) {
      seen.push(event);
      if (event.event === 'task' && event.data.status === 'COMPLETED' && event.data.taskId === createdId) break;
    }
  })();

  const created = await client.submit({ name: 'through the client', type: 'noop', executionMode: 'LOCAL' });
  createdId = created.id;
  expect(created).toEqual(
    expect.objectContaining({ status: 'QUEUED', type: 'noop', executionMode: 'LOCAL', idempotentReplay: false }),
  );

  const done = await client.waitForCompletion(created.id, { timeoutMs: 60_000, intervalMs: 200 });
  expect(done.status).toBe('COMPLETED');
  expect(done.attempts).toEqual([expect.objectContaining({ attempt: 1, placement: 'LOCAL', outcome: 'succeeded' })]);
  await expect(client.get(created.id)).resolves.toEqual(
    expect.objectContaining({ id: created.id, status: 'COMPLETED' }),
  );
  await expect(client.result(created.id)).resolves.toEqual(done.result);

  await following;
  abort.abort();
  const statuses = seen.flatMap((e) => (e.event === 'task' && e.data.taskId === created.id ? [e.data.status] : []));
  expect(statuses).toEqual(['QUEUED', 'RUNNING', 'COMPLETED']);

  const page = await client.list({ type: 'noop', limit: '50' });
  expect(page.tasks.map((t) => t.id)).toContain(created.id);

  const refused = await client.cancel(created.id).catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(SpillwayApiError);
  expect(refused).toEqual(expect.objectContaining({ statusCode: 409, code: 'SPILLWAY_TASK_NOT_CANCELLABLE' }));
});

// Regression: the client's own list of final statuses lacked EXPIRED, so waiting on an expired task polled until
// the timeout.
test('waitForCompletion returns a task that EXPIRED, as it does any other final status', async () => {
  const gate = await startHoldGate();
  try {
    // A concurrency key of 1 held by a task at the gate keeps the second from starting before its expiresAt.
    const key = uniqueId('client-expire');
    const holder = await client.submit({
      name: key,
      type: 'flaky',
      executionMode: 'LOCAL',
      payload: { holdUntil: gate.url },
      concurrency: { key, limit: 1 },
    });
    await eventually(async () => ((await client.get(holder.id)).status === 'RUNNING' ? true : undefined));
    const late = await client.submit({
      name: key,
      type: 'noop',
      executionMode: 'LOCAL',
      concurrency: { key, limit: 1 },
      expiresAt: new Date(Date.now() + 2_000).toISOString(),
    });
    const expired = await client.waitForCompletion(late.id, { timeoutMs: 90_000, intervalMs: 200 });
    expect(expired).toEqual(expect.objectContaining({ id: late.id, status: 'EXPIRED', attempts: [] }));
    gate.release();
    await expect(client.waitForCompletion(holder.id, { timeoutMs: 60_000 })).resolves.toEqual(
      expect.objectContaining({ id: holder.id, status: 'COMPLETED' }),
    );
  } finally {
    gate.release();
    await gate.close();
  }
});

test('an invalid submission is a SpillwayApiError with its stable code', async () => {
  const err = await client
    .submit({ name: 'bad', type: 'no-such-type', executionMode: 'LOCAL' })
    .catch((e: unknown) => e);
  expect(err).toEqual(expect.objectContaining({ statusCode: 400, code: 'SPILLWAY_UNKNOWN_TASK_TYPE' }));
});

test('the event stream reader splits messages as EventSource does', async () => {
  const text =
    'retry: 1000\n\n: keep-alive\n\nid: 1-0\nevent: task\ndata: {"a":\ndata: 1}\n\r\nevent: stats\r\ndata: {}\r\n\r\n';
  const bytes = new TextEncoder().encode(text);
  // Delivered in awkward pieces, split inside lines and inside a CRLF.
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
      controller.close();
    },
  });
  const messages = [];
  for await (const m of readEventStream(body)) messages.push(m);
  expect(messages).toEqual([
    { event: 'task', id: '1-0', data: '{"a":\n1}' },
    { event: 'stats', id: undefined, data: '{}' },
  ]);
});
