// Stateless processes, proven with real ones: two API instances behind the balancer of scripts/lib and two workers,
// all separate OS processes against the test stack's Temporal, Redis and Lambda service. Any instance answers any
// request: rate limits and local-slot leases are shared through Redis, the live feed of one instance carries what
// another produced, and a Lambda callback completes a task that an instance which has since gone away started.
// Nothing here waits for a time to pass: attempts hold at a gate the test opens (LOCAL attempts, which have no
// Lambda timeout), and the balancer's access log says which instance served a request.
import { Client, Connection } from '@temporalio/client';
import { TASK_WORKFLOW_TYPE } from '../../domain/constants';
import type { TaskState } from '../../domain/task-model';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { endLeftoverWorkflows, readStack } from '../support/test-stack';
import {
  freePort,
  openEventStream,
  requestJson,
  SpillwayProcesses,
  startBalancer,
  waitFor,
  type Balancer,
  type Forwarded,
} from './processes';

const RATE_LIMIT = 12;
const THRESHOLD = 2;
/** One local slot per worker: two LOCAL attempts in flight are one in each worker. */
const POOL_SIZE = 1;
/** Long enough never to end a hold before the test opens the gate; only LOCAL attempts hold for long. */
const HOLD_MAX_MS = 300_000;
const processes = new SpillwayProcesses({
  SPILLWAY_RATE_LIMIT_MAX: String(RATE_LIMIT),
  SPILLWAY_RATE_LIMIT_WINDOW_MS: '600000',
  SCHEDULER_LOCAL_WORKER_POOL_SIZE: String(POOL_SIZE),
  // The threshold rule: AUTO counts the local slots of both workers against one threshold.
  SCHEDULER_AUTO_POLICY: 'threshold',
  SCHEDULER_LAMBDA_TASK_THRESHOLD: String(THRESHOLD),
});
let balancer: Balancer;
/** Every answer the balancer passed on, in order. */
const served: Forwarded[] = [];
let gate: HoldGate;
let api1: string;
let api2: string;
let backend2 = '';
let connection: Connection;
let client: Client;
let tokenSeq = 0;
/** Every test gets a rate-limit bucket of its own: the limiter keys by bearer token when one is presented. */
const token = () => `multi-instance-${process.pid}-${Date.now()}-${tokenSeq++}`;

beforeAll(async () => {
  connection = await Connection.connect({ address: readStack().temporalAddress });
  client = new Client({ connection });
  // The task queues are the test stack's: a task an earlier file left running would take this file's local slots.
  await endLeftoverWorkflows(client);
  gate = await startHoldGate();
  const [port1, port2] = [await freePort(), await freePort()];
  backend2 = `127.0.0.1:${port2}`;
  balancer = await startBalancer({
    backends: [`127.0.0.1:${port1}`, backend2],
    retryAfterMs: 500,
    onResponse: (forwarded) => served.push(forwarded),
  });
  const shared = { SPILLWAY_CALLBACK_URL: `${balancer.url}/api/callbacks/lambda`, SPILLWAY_PUBLIC_URL: balancer.url };
  [api1, api2] = await Promise.all([
    processes.startApi('api-1', shared, port1),
    processes.startApi('api-2', shared, port2),
  ]);
  await Promise.all([processes.startWorker('worker-1', shared), processes.startWorker('worker-2', shared)]);
}, 180_000);

afterAll(async () => {
  gate?.release();
  await processes.stopAll();
  await balancer?.close();
  await gate?.close();
  await connection?.close();
}, 60_000);

async function submit(apiUrl: string, body: Record<string, unknown>, bearer = token()): Promise<string> {
  const answer = await requestJson(`${apiUrl}/api/tasks`, { body, token: bearer });
  expect([answer.status, answer.body.code]).toEqual([201, undefined]);
  return answer.body.id as string;
}

const status = (id: string) => client.workflow.getHandle(id).query<TaskState>('status');

test('the balancer spreads requests over both instances, which answer the same statistics', async () => {
  const before = balancer.stats().map((b) => b.served);
  const bearer = token();
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await requestJson(`${balancer.url}/api/tasks/stats`, { token: bearer }));
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
  const served = balancer.stats().map((b, i) => b.served - (before[i] ?? 0));
  expect(served).toEqual([2, 2]);
  // One projection in Redis: both instances report the same totals.
  const [one, two] = await Promise.all([
    requestJson(`${api1}/api/tasks/stats`, { token: bearer }),
    requestJson(`${api2}/api/tasks/stats`, { token: bearer }),
  ]);
  expect(one.body.totals).toEqual(two.body.totals);
});

test('a rate limit is one budget across instances, counted in Redis', async () => {
  const bearer = token();
  const statuses: number[] = [];
  // Alternating instances: each alone would allow RATE_LIMIT requests, together they allow RATE_LIMIT.
  for (let i = 0; i < RATE_LIMIT + 2; i++) {
    const answer = await requestJson(`${i % 2 === 0 ? api1 : api2}/api/tasks/stats`, { token: bearer });
    statuses.push(answer.status);
  }
  expect(statuses).toEqual([...Array<number>(RATE_LIMIT).fill(200), 429, 429]);
});

test('AUTO placement counts the local slots of both workers, whichever instance and worker decide', async () => {
  const started = (id: string) => processes.ledger().find((l) => l.taskId === id && l.phase === 'start');
  const held: string[] = [];
  // One AUTO task through each instance, one after the other: each finds fewer than THRESHOLD local tasks in flight,
  // stays LOCAL and holds its slot at the gate until the test opens it. With one slot per worker, the second runs
  // in the other worker.
  for (const [i, api] of [api1, api2].entries()) {
    const id = await submit(api, {
      name: `multi-instance auto held ${i}`,
      type: 'flaky',
      executionMode: 'AUTO',
      payload: { holdUntil: gate.url, holdMaxMs: HOLD_MAX_MS },
      retry: { maximumAttempts: 1 },
    });
    const placement = await waitFor(`held task ${i} placed and running`, async () => {
      const placed = (await status(id)).placement?.placement;
      return placed && (placed !== 'LOCAL' || started(id)) ? placed : undefined;
    });
    expect([i, placement]).toEqual([i, 'LOCAL']);
    held.push(id);
  }
  // The two held attempts run in the two workers: each worker alone has fewer than THRESHOLD in flight.
  expect(new Set(held.map((id) => started(id)?.pid))).toEqual(
    new Set([processes.pid('worker-1'), processes.pid('worker-2')]),
  );
  // THRESHOLD local tasks are in flight across the fleet: the next AUTO tasks, through either instance and decided by
  // either worker, go to Lambda. They do not hold, so they finish whatever the placement.
  const next = await Promise.all(
    [api1, api2].map((api, i) =>
      submit(api, {
        name: `multi-instance auto next ${i}`,
        type: 'flaky',
        executionMode: 'AUTO',
        payload: {},
        retry: { maximumAttempts: 1 },
      }),
    ),
  );
  const finals = await Promise.all(next.map((id) => client.workflow.getHandle(id).result() as Promise<TaskState>));
  expect(finals.map((s) => [s.placement?.placement, s.status])).toEqual([
    ['LAMBDA', 'COMPLETED'],
    ['LAMBDA', 'COMPLETED'],
  ]);
  gate.release();
  const releasedFinals = await Promise.all(
    held.map((id) => client.workflow.getHandle(id).result() as Promise<TaskState>),
  );
  expect(releasedFinals.map((s) => [s.placement?.placement, s.status])).toEqual([
    ['LOCAL', 'COMPLETED'],
    ['LOCAL', 'COMPLETED'],
  ]);
}, 180_000);

test('the live feed of one instance carries the transitions of a task submitted through the other', async () => {
  const bearer = token();
  const stream = await openEventStream(`${api2}/api/events`, bearer);
  try {
    const id = await submit(api1, { name: 'multi-instance sse', type: 'noop', executionMode: 'LOCAL' }, bearer);
    const completed = await stream.next((e) => {
      if (e.event !== 'task') return false;
      const data = JSON.parse(e.data) as { taskId?: string; status?: string };
      return data.taskId === id && data.status === 'COMPLETED';
    });
    expect(completed.id).toMatch(/^\d+-\d+$/);
    const seen = stream.events
      .filter((e) => e.event === 'task')
      .map((e) => JSON.parse(e.data) as { taskId: string; status: string })
      .filter((d) => d.taskId === id)
      .map((d) => d.status);
    expect(seen).toEqual(expect.arrayContaining(['QUEUED', 'COMPLETED']));
  } finally {
    stream.close();
  }
});

test('a Lambda callback reaches the other instance and completes a task that an instance now gone started', async () => {
  const held = await startHoldGate();
  try {
    await callbackCase(held);
  } finally {
    held.release();
    await held.close();
  }
}, 180_000);

async function callbackCase(held: HoldGate) {
  // One slot for a concurrency key of this test's own. A LOCAL task takes it and holds it at the gate for as long as
  // the test wants, so the LAMBDA task that api-1 starts waits before its attempt: no callback can exist until the
  // test opens the gate, and by then api-1 is gone.
  const concurrency = { key: `multi-instance-callback-${process.pid}-${Date.now()}`, limit: 1 };
  const blocker = await submit(api2, {
    name: 'multi-instance callback blocker',
    type: 'flaky',
    executionMode: 'LOCAL',
    payload: { holdUntil: held.url, holdMaxMs: HOLD_MAX_MS },
    concurrency,
    retry: { maximumAttempts: 1 },
  });
  await waitFor('the blocker holding the slot at the gate', () => (held.closedPolls() > 0 ? true : undefined));
  const id = await submit(api1, {
    name: 'multi-instance callback',
    type: 'flaky',
    executionMode: 'LAMBDA',
    payload: {},
    concurrency,
    retry: { maximumAttempts: 1 },
  });
  await waitFor('the LAMBDA task waiting for the slot', async () =>
    (await status(id)).waiting?.reason === 'concurrency' ? true : undefined,
  );
  // The starting instance drains and exits; the balancer now has only api-2 to send the callback to.
  expect(await processes.signal('api-1', 'SIGTERM')).toBe(0);
  const from = served.length;
  held.release();
  const state = (await client.workflow.getHandle(id).result()) as TaskState;
  expect(state.status).toBe('COMPLETED');
  expect(state.attempts.map((a) => [a.attempt, a.placement, a.outcome])).toEqual([[1, 'LAMBDA', 'succeeded']]);
  // The attempt's one callback went through the balancer and api-2 answered it.
  const callbacks = served.slice(from).filter((f) => f.method === 'POST' && f.url === '/api/callbacks/lambda');
  expect(callbacks.map((f) => [f.backend, f.statusCode])).toEqual([[backend2, 200]]);
  expect(((await client.workflow.getHandle(blocker).result()) as TaskState).status).toBe('COMPLETED');
  // Every request through the balancer is still answered, by api-2: a refused connect goes to the next instance.
  const bearer = token();
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await requestJson(`${balancer.url}/api/tasks/${id}`, { token: bearer }));
  expect(answers.map((a) => [a.status, a.body.status])).toEqual(Array(4).fill([200, 'COMPLETED']));
  expect(balancer.stats()[0]?.failures).toBeGreaterThanOrEqual(1);
  expect(await client.workflow.count(`WorkflowId = '${id}' AND WorkflowType = '${TASK_WORKFLOW_TYPE}'`)).toEqual(
    expect.objectContaining({ count: 1 }),
  );
}
