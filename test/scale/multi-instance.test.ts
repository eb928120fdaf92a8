// Stateless processes, proven with real ones: two API instances behind the balancer of scripts/lib and two workers,
// all separate OS processes against the test stack's Temporal, Redis and Lambda service. Any instance answers any
// request: rate limits and local-slot leases are shared through Redis, the live feed of one instance carries what
// another produced, and a Lambda callback completes a task that an instance which has since gone away started.
import { Client, Connection } from '@temporalio/client';
import { TASK_WORKFLOW_TYPE } from '../../domain/constants';
import type { TaskState } from '../../domain/task-model';
import { startHoldGate, type HoldGate } from '../support/hold-gate';
import { readStack } from '../support/test-stack';
import {
  freePort,
  openEventStream,
  requestJson,
  SpillwayProcesses,
  startBalancer,
  waitFor,
  type Balancer,
} from './processes';

const RATE_LIMIT = 12;
const THRESHOLD = 2;
const processes = new SpillwayProcesses({
  SPILLWAY_RATE_LIMIT_MAX: String(RATE_LIMIT),
  SPILLWAY_RATE_LIMIT_WINDOW_MS: '600000',
  SCHEDULER_LOCAL_WORKER_POOL_SIZE: '2',
  SCHEDULER_LAMBDA_TASK_THRESHOLD: String(THRESHOLD),
});
let balancer: Balancer;
let gate: HoldGate;
let api1: string;
let api2: string;
let connection: Connection;
let client: Client;
let tokenSeq = 0;
/** Every test gets a rate-limit bucket of its own: the limiter keys by bearer token when one is presented. */
const token = () => `multi-instance-${process.pid}-${Date.now()}-${tokenSeq++}`;

beforeAll(async () => {
  gate = await startHoldGate();
  const [port1, port2] = [await freePort(), await freePort()];
  balancer = await startBalancer({ backends: [`127.0.0.1:${port1}`, `127.0.0.1:${port2}`], retryAfterMs: 500 });
  const shared = { SPILLWAY_CALLBACK_URL: `${balancer.url}/api/callbacks/lambda`, SPILLWAY_PUBLIC_URL: balancer.url };
  [api1, api2] = await Promise.all([
    processes.startApi('api-1', shared, port1),
    processes.startApi('api-2', shared, port2),
  ]);
  await Promise.all([processes.startWorker('worker-1', shared), processes.startWorker('worker-2', shared)]);
  connection = await Connection.connect({ address: readStack().temporalAddress });
  client = new Client({ connection });
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

test('AUTO placement shares local-slot leases across workers and instances', async () => {
  const body = (i: number) => ({
    name: `multi-instance auto ${i}`,
    type: 'flaky',
    executionMode: 'AUTO',
    // Held, so every placed task keeps its local slot until the test has read all placements; under flaky's 10 s
    // Lambda timeout, so the LAMBDA ones never time out.
    payload: { holdUntil: gate.url, holdMaxMs: 8_000 },
    retry: { maximumAttempts: 2, initialIntervalMs: 200 },
  });
  const ids = await Promise.all([0, 1, 2, 3].map((i) => submit(i % 2 === 0 ? api1 : api2, body(i))));
  const placements = await waitFor('all four placed', async () => {
    const states = await Promise.all(ids.map(status));
    const placed = states.map((s) => s.placement?.placement);
    return placed.every(Boolean) ? placed : undefined;
  });
  // Two workers, two API instances, one count of local work in flight: exactly THRESHOLD stay local.
  expect([...placements].sort()).toEqual(['LAMBDA', 'LAMBDA', 'LOCAL', 'LOCAL']);
  gate.release();
  const finals = await Promise.all(ids.map((id) => client.workflow.getHandle(id).result() as Promise<TaskState>));
  expect(finals.map((s) => s.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
});

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
});

async function callbackCase(held: HoldGate) {
  const id = await submit(api1, {
    name: 'multi-instance callback',
    type: 'flaky',
    executionMode: 'LAMBDA',
    // Held in its Lambda environment while the instance that started it goes away; under flaky's 10 s timeout.
    payload: { holdUntil: held.url, holdMaxMs: 8_000 },
    retry: { maximumAttempts: 1 },
  });
  await waitFor('the attempt holding in its Lambda environment', () => (held.closedPolls() > 0 ? true : undefined));
  // The starting instance drains and exits; the balancer now has only api-2 to send the callback to.
  expect(await processes.signal('api-1', 'SIGTERM')).toBe(0);
  held.release();
  const state = (await client.workflow.getHandle(id).result()) as TaskState;
  expect(state.status).toBe('COMPLETED');
  expect(state.attempts.map((a) => [a.attempt, a.placement, a.outcome])).toEqual([[1, 'LAMBDA', 'succeeded']]);
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
