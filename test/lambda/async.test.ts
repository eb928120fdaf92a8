import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DeleteFunctionConcurrencyCommand,
  InvokeCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import type { Harness } from './helpers';
import { fetchStatus, fixture, functionStatus, startHarness, waitFor } from './helpers';

let dir: string;
const harnesses: Harness[] = [];

async function start(...args: Parameters<typeof startHarness>): Promise<Harness> {
  const h = await startHarness(...args);
  harnesses.push(h);
  return h;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'spillway-lambda-async-'));
});

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.stop()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('Event answers 202 at once and delivers the event in the background', async () => {
  const h = await start({ functions: [fixture('append', 'append')] });
  const file = path.join(dir, 'delivered.txt');
  const out = await h.client.send(
    new InvokeCommand({
      FunctionName: 'append',
      InvocationType: 'Event',
      Payload: JSON.stringify({ file, line: 'hi' }),
    }),
  );
  expect(out.StatusCode).toBe(202);
  expect(out.Payload?.length ?? 0).toBe(0);
  await waitFor(() => (lines(file).length > 0 ? true : undefined));
  expect(lines(file)).toEqual(['"hi"']);
});

test('events of one function are delivered in arrival order', async () => {
  const h = await start({ functions: [fixture('append', 'append', { reservedConcurrency: 1 })] });
  const file = path.join(dir, 'ordered.txt');
  for (let i = 0; i < 5; i++) {
    await h.client.send(
      new InvokeCommand({
        FunctionName: 'append',
        InvocationType: 'Event',
        Payload: JSON.stringify({ file, line: i }),
      }),
    );
  }
  await waitFor(() => (lines(file).length === 5 ? true : undefined));
  expect(lines(file)).toEqual(['0', '1', '2', '3', '4']);
});

test('a failing event is retried MaximumRetryAttempts times with back-off', async () => {
  const h = await start({ asyncRetryBaseMs: 100, functions: [fixture('flaky', 'flakyFile')] });
  const file = path.join(dir, 'attempts.txt');
  await h.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'flaky', MaximumRetryAttempts: 2 }));
  const started = Date.now();
  await h.client.send(
    new InvokeCommand({
      FunctionName: 'flaky',
      InvocationType: 'Event',
      Payload: JSON.stringify({ file, failTimes: 2 }),
    }),
  );
  await waitFor(async () => {
    const status = functionStatus(await fetchStatus(h.service), 'flaky');
    return status.invocations === 3 && status.inFlight === 0 && status.queuedEvents === 0 ? status : undefined;
  });
  expect(lines(file)).toHaveLength(3);
  // 100 ms before the first retry and 200 ms before the second.
  expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  expect(functionStatus(await fetchStatus(h.service), 'flaky').droppedEvents).toEqual([]);
});

test('an event that keeps failing is dropped with RetriesExhausted', async () => {
  const h = await start({ asyncRetryBaseMs: 50, functions: [fixture('flaky', 'flakyFile')] });
  const file = path.join(dir, 'exhausted.txt');
  await h.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'flaky', MaximumRetryAttempts: 1 }));
  const out = await h.client.send(
    new InvokeCommand({
      FunctionName: 'flaky',
      InvocationType: 'Event',
      Payload: JSON.stringify({ file, failTimes: 5 }),
    }),
  );
  const dropped = await waitFor(async () => {
    const status = functionStatus(await fetchStatus(h.service), 'flaky');
    return status.droppedEvents.length > 0 ? status.droppedEvents : undefined;
  });
  expect(dropped).toEqual([{ requestId: out.$metadata.requestId, reason: 'RetriesExhausted', at: expect.any(String) }]);
  expect(lines(file)).toHaveLength(2);
});

test('an event older than MaximumEventAgeInSeconds is dropped and reported in the status', async () => {
  let skew = 0;
  const h = await start({ now: () => Date.now() + skew, functions: [fixture('append', 'append')] });
  const file = path.join(dir, 'too-old.txt');
  await h.client.send(
    new PutFunctionEventInvokeConfigCommand({ FunctionName: 'append', MaximumEventAgeInSeconds: 60 }),
  );
  // Throttled to zero, the event waits in the queue; then the clock jumps past its maximum age.
  await h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'append', ReservedConcurrentExecutions: 0 }));
  const out = await h.client.send(
    new InvokeCommand({
      FunctionName: 'append',
      InvocationType: 'Event',
      Payload: JSON.stringify({ file, line: 'x' }),
    }),
  );
  expect(functionStatus(await fetchStatus(h.service), 'append').queuedEvents).toBe(1);
  skew = 61_000;
  await h.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'append' }));

  const status = await waitFor(async () => {
    const s = functionStatus(await fetchStatus(h.service), 'append');
    return s.droppedEvents.length > 0 ? s : undefined;
  });
  expect(status.droppedEvents[0]).toMatchObject({
    requestId: out.$metadata.requestId,
    reason: 'MaximumEventAgeExceeded',
  });
  expect(status.queuedEvents).toBe(0);
  expect(status.invocations).toBe(0);
  expect(lines(file)).toEqual([]);
});

test('events queued when the service stops are delivered after a restart with the same queue file', async () => {
  const queueFile = path.join(dir, 'queue.json');
  const dataDir = path.join(dir, 'restart-data');
  const file = path.join(dir, 'after-restart.txt');
  // With reserved concurrency 0 nothing is delivered before the stop.
  const first = await start({
    queueFile,
    dataDir,
    functions: [fixture('append', 'append', { reservedConcurrency: 0 })],
  });
  for (const line of ['a', 'b']) {
    const out = await first.client.send(
      new InvokeCommand({ FunctionName: 'append', InvocationType: 'Event', Payload: JSON.stringify({ file, line }) }),
    );
    expect(out.StatusCode).toBe(202);
  }
  expect(functionStatus(await fetchStatus(first.service), 'append').queuedEvents).toBe(2);
  await first.stop();
  harnesses.splice(harnesses.indexOf(first), 1);
  expect(lines(file)).toEqual([]);

  // The function is still deployed in the data directory; one at a time, so the file also shows that arrival
  // order survives the restart.
  const second = await start({ queueFile, dataDir });
  expect(functionStatus(await fetchStatus(second.service), 'append').queuedEvents).toBe(2);
  await second.client.send(
    new PutFunctionConcurrencyCommand({ FunctionName: 'append', ReservedConcurrentExecutions: 1 }),
  );
  await waitFor(() => (lines(file).length === 2 ? true : undefined));
  expect(lines(file)).toEqual(['"a"', '"b"']);
  await waitFor(async () => ((await fetchStatus(second.service)).totals.queuedEvents === 0 ? true : undefined));
  expect(JSON.parse(readFileSync(queueFile, 'utf8'))).toEqual({ version: 1, events: [] });
});

test('without LAMBDA_QUEUE_FILE the journal lives in the data directory', async () => {
  const h = await start({ functions: [fixture('append', 'append', { reservedConcurrency: 0 })] });
  const file = path.join(dir, 'default-journal.txt');
  await h.client.send(
    new InvokeCommand({ FunctionName: 'append', InvocationType: 'Event', Payload: JSON.stringify({ file, line: 1 }) }),
  );
  const journal = JSON.parse(readFileSync(path.join(h.dataDir, 'queue.json'), 'utf8')) as { events: unknown[] };
  expect(journal.events).toEqual([expect.objectContaining({ functionName: 'append', qualifier: '$LATEST' })]);
});

test('a retry keeps its request id, runs in the warm environment and its answer is taken (regression: refused as a second answer)', async () => {
  const h = await start({ asyncRetryBaseMs: 50, functions: [fixture('flaky', 'flakyFile')] });
  const file = path.join(dir, 'same-id.txt');
  await h.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'flaky', MaximumRetryAttempts: 2 }));
  const out = await h.client.send(
    new InvokeCommand({
      FunctionName: 'flaky',
      InvocationType: 'Event',
      Payload: JSON.stringify({ file, failTimes: 1 }),
    }),
  );
  await waitFor(async () => {
    const status = functionStatus(await fetchStatus(h.service), 'flaky');
    return status.invocations === 2 && status.inFlight === 0 && status.queuedEvents === 0 ? status : undefined;
  });
  const log = h.logs.join('');
  const id = out.$metadata.requestId ?? '';
  expect(log.match(new RegExp(`REPORT RequestId: ${id}`, 'g'))).toHaveLength(2);
  expect(log).not.toContain('Task timed out');
  const status = functionStatus(await fetchStatus(h.service), 'flaky');
  expect(status).toMatchObject({ coldStarts: 1, warmStarts: 1, droppedEvents: [] });
});
