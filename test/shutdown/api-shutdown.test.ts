// Graceful shutdown of a real API process: on SIGTERM it stops accepting connections, ends its live streams, answers
// the request in flight and exits 0; past its grace period it cuts what is still in flight and exits 2. Behind the
// balancer, a live feed that the drain ended resumes on the other instance from its last event id. The request in
// flight is one the test holds open: its headers are in (the server said 100 Continue), its body is not.
import { connect, type Socket } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { readStack } from '../support/test-stack';
import {
  freePort,
  openEventStream,
  requestJson,
  SpillwayProcesses,
  startBalancer,
  waitFor,
  type Balancer,
} from '../scale/processes';

interface HeldRequest {
  /** Sends the rest of the body; resolves the raw response. */
  finish(): Promise<string>;
  /** Resolves what the server sent before it closed the connection. */
  closed: Promise<string>;
  socket: Socket;
}

/**
 * Opens POST /api/tasks with `Expect: 100-continue` and sends the body only when told: once the server answers 100
 * Continue it has parsed the headers and the request is in flight.
 */
async function holdRequest(port: number, body: object): Promise<HeldRequest> {
  const text = JSON.stringify(body);
  const socket = connect({ host: '127.0.0.1', port });
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    'POST /api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
  );
  await waitFor('100 Continue', () => (/^HTTP\/1\.1 100 Continue\r\n\r\n/.test(received) ? true : undefined), 10_000);
  return {
    socket,
    closed,
    finish: async () => {
      socket.write(text);
      return closed;
    },
  };
}

const refused = async (url: string) => {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return undefined;
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    return code === 'ECONNREFUSED' ? true : undefined;
  }
};

const task = (name: string) => ({ name, type: 'noop', executionMode: 'LOCAL', idempotencyKey: `${name}-${Date.now()}` });

describe('an API instance on SIGTERM', () => {
  let processes: SpillwayProcesses;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    connection = await Connection.connect({ address: readStack().temporalAddress });
    client = new Client({ connection });
  });

  afterEach(async () => {
    await processes?.stopAll();
  }, 60_000);

  afterAll(async () => {
    await connection?.close();
  });

  test('stops accepting, ends its live streams, answers the request in flight and exits 0', async () => {
    // The grace period is far longer than anything the test waits for, so the machine's speed cannot turn the drain
    // into a cut-off: the request in flight ends when the test sends its body, not when a timer fires.
    processes = new SpillwayProcesses({ LOG_LEVEL: 'info', SPILLWAY_API_SHUTDOWN_GRACE_MS: '50000' });
    const port = await freePort();
    const url = await processes.startApi('api-a', {}, port);
    const stream = await openEventStream(`${url}/api/events`);
    const held = await holdRequest(port, task('api-drain'));
    const exit = processes.signal('api-a', 'SIGTERM');

    await stream.ended;
    await waitFor('new connections refused', () => refused(`${url}/actuator/health`), 10_000);
    expect(processes.isRunning('api-a')).toBe(true);
    const response = await held.finish();
    if (!/\r\nHTTP\/1\.1 201 Created\r\n/.test(response)) {
      throw new Error(`the request in flight got no 201: ${JSON.stringify(response)}\n${processes.log('api-a')}`);
    }
    const id = /"id":"(task-idem-[0-9a-f]+)"/.exec(response)?.[1];
    expect(id).toEqual(expect.stringMatching(/^task-idem-/));
    expect(await exit).toBe(0);
    expect(processes.log('api-a')).toMatch(/drained: every request in flight was answered/);
    // The task the drained instance accepted exists.
    expect((await client.workflow.getHandle(id as string).describe()).workflowId).toBe(id);
  }, 90_000);

  test('past its grace period cuts off the request still in flight and exits 2', async () => {
    processes = new SpillwayProcesses({ SPILLWAY_API_SHUTDOWN_GRACE_MS: '1000' });
    const port = await freePort();
    await processes.startApi('api-a', {}, port);
    const held = await holdRequest(port, task('api-cut'));
    expect(await processes.signal('api-a', 'SIGTERM')).toBe(2);
    // Only the 100 Continue ever came back: the connection was closed without an answer.
    expect(await held.closed).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    expect(processes.log('api-a')).toMatch(/grace period of 1000 ms over: cutting off/);
  }, 60_000);

  test('behind the balancer, a live feed it ended resumes on the other instance from its last event id', async () => {
    processes = new SpillwayProcesses();
    const ports = [await freePort(), await freePort()];
    let balancer: Balancer | undefined;
    try {
      balancer = await startBalancer({ backends: ports.map((p) => `127.0.0.1:${p}`), retryAfterMs: 500 });
      await Promise.all([processes.startApi('api-1', {}, ports[0]), processes.startApi('api-2', {}, ports[1])]);
      await processes.startWorker('worker');
      const first = await openEventStream(`${balancer.url}/api/events`);
      const submitted = await requestJson(`${balancer.url}/api/tasks`, { body: task('resume-a') });
      const idA = submitted.body.id as string;
      const lastSeen = await first.next((e) => e.event === 'task' && JSON.parse(e.data).taskId === idA);
      // Drain whichever instance holds the stream.
      const holder = balancer.stats().findIndex((b) => b.active > 0);
      expect([0, 1]).toContain(holder);
      const exit = processes.signal(holder === 0 ? 'api-1' : 'api-2', 'SIGTERM');
      await first.ended;
      expect(await exit).toBe(0);

      // While no stream is open, task B runs through the remaining instance.
      const b = await requestJson(`${balancer.url}/api/tasks`, { body: task('resume-b') });
      const idB = b.body.id as string;
      expect(b.status).toBe(201);
      await client.workflow.getHandle(idB).result();
      // A browser reconnects with Last-Event-ID; the balancer takes it to the remaining instance, which catches up.
      const resumed = await openEventStream(`${balancer.url}/api/events?lastEventId=${lastSeen.id}`);
      try {
        await resumed.next((e) => e.event === 'task' && JSON.parse(e.data).taskId === idB && /COMPLETED/.test(e.data));
        const replayed = resumed.events.filter((e) => e.event === 'task');
        // Nothing at or before the last event seen comes again, and task B's whole history arrives.
        const before = (id: string) => {
          const [ms, seq] = id.split('-').map(Number);
          const [lastMs, lastSeq] = (lastSeen.id ?? '0-0').split('-').map(Number);
          return ms! < lastMs! || (ms === lastMs && seq! <= lastSeq!);
        };
        expect(replayed.filter((e) => before(e.id ?? '0-0'))).toEqual([]);
        const statusesOfB = replayed.map((e) => JSON.parse(e.data)).filter((d) => d.taskId === idB);
        expect(statusesOfB.map((d) => d.status)).toEqual(expect.arrayContaining(['QUEUED', 'COMPLETED']));
      } finally {
        resumed.close();
      }
    } finally {
      await balancer?.close();
    }
  }, 120_000);
});
