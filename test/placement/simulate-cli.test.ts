// `spillway simulate` against the real Temporal of the test stack: tasks recorded in visibility with our search
// attributes are gathered through client.workflow.list and replayed beside what happened.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import {
  actualResult,
  gatherRecorded,
  parseSimulateArgs,
  runSimulate,
  SimulateUsageError,
  traceFromRecorded,
  visibilityQuery,
} from '../../cli/simulate';
import { TASK_WORKFLOW_TYPE } from '../../domain/constants';
import { loadPriceTable } from '../../domain/price-table';
import {
  EXECUTION_MODE_KEY,
  REQUESTED_MODE_KEY,
  TASK_COST_KEY,
  TASK_DURATION_KEY,
  TASK_TYPE_KEY,
} from '../../domain/search-attributes';
import { eventually, testConfig } from '../support/test-stack';

const config = testConfig();
let connection: Connection;
let client: Client;
const type = `sim-${randomBytes(4).toString('hex')}`;
const since = new Date(Date.now() - 60_000);

beforeAll(async () => {
  connection = await Connection.connect({ address: config.temporal.address });
  client = new Client({ connection, namespace: config.temporal.namespace });
  // Three finished tasks as visibility records them; nobody polls this queue, so they are closed by terminating.
  const queue = `sim-nobody-${randomBytes(4).toString('hex')}`;
  const tasks = [
    { placement: 'LOCAL', durationMs: 400, cost: 0.000005 },
    { placement: 'LOCAL', durationMs: 600, cost: 0.000007 },
    { placement: 'LAMBDA', durationMs: 500, cost: 0.00001 },
  ];
  for (const [i, t] of tasks.entries()) {
    const handle = await client.workflow.start(TASK_WORKFLOW_TYPE, {
      taskQueue: queue,
      workflowId: `${type}-${i}`,
      args: [],
      typedSearchAttributes: [
        { key: TASK_TYPE_KEY, value: type },
        { key: EXECUTION_MODE_KEY, value: t.placement },
        { key: REQUESTED_MODE_KEY, value: 'AUTO' },
        { key: TASK_DURATION_KEY, value: t.durationMs },
        { key: TASK_COST_KEY, value: t.cost },
      ],
    });
    await handle.terminate('recorded for the simulator test');
  }
  await eventually(
    async () => ((await gatherRecorded(client, since, 100, type)).length === 3 ? true : undefined),
    20_000,
  );
});

afterAll(async () => {
  await connection?.close();
});

test('the recorded tasks come from visibility with their placement, duration and cost', async () => {
  const recorded = await gatherRecorded(client, since, 100, type);
  expect(recorded.map((r) => [r.id, r.type, r.placement, r.requestedMode, r.durationMs, r.costUsd])).toEqual([
    [`${type}-0`, type, 'LOCAL', 'AUTO', 400, 0.000005],
    [`${type}-1`, type, 'LOCAL', 'AUTO', 600, 0.000007],
    [`${type}-2`, type, 'LAMBDA', 'AUTO', 500, 0.00001],
  ]);
  expect(traceFromRecorded(recorded).map((t) => t.durations)).toEqual([
    { LOCAL: 400 },
    { LOCAL: 600 },
    { LAMBDA: 500 },
  ]);
  expect(actualResult(recorded)).toMatchObject({ tasks: 3, placed: { LOCAL: 2, LAMBDA: 1 }, costUsd: 0.000022 });
});

test('simulate prints every policy beside what happened', async () => {
  let out = '';
  const code = await runSimulate(['--since', '1h', '--type', type], {
    client,
    config,
    prices: loadPriceTable(),
    now: () => Date.now(),
    write: (s) => (out += s),
  });
  expect(code).toBe(0);
  const lines = out.trim().split('\n');
  expect(lines[0]).toMatch(new RegExp(`^3 tasks since .*, pool ${config.scheduler.localWorkerPoolSize}, Lambda init`));
  expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[0])).toEqual([
    'policy',
    'what happened',
    'all LOCAL',
    'all LAMBDA',
    `threshold ${config.scheduler.lambdaTaskThreshold}`,
    'predictive balanced',
  ]);
});

test('--json gives the figures for the dashboard', async () => {
  let out = '';
  await runSimulate(['--since', '1h', '--type', type, '--policy', 'predictive', '--objective', 'latency', '--json'], {
    client,
    config,
    prices: loadPriceTable(),
    now: () => Date.now(),
    write: (s) => (out += s),
  });
  const parsed = JSON.parse(out) as { actual: { tasks: number }; results: Array<{ policy: string; tasks: number }> };
  expect(parsed.actual.tasks).toBe(3);
  expect(parsed.results).toEqual([expect.objectContaining({ policy: 'predictive latency', tasks: 3 })]);
});

test('bad arguments are usage errors', () => {
  expect(() => parseSimulateArgs(['--since', 'yesterday'], config)).toThrow(SimulateUsageError);
  expect(() => parseSimulateArgs(['--policy', 'random'], config)).toThrow(/--policy must be/);
  expect(() => parseSimulateArgs(['--objective', 'speed'], config)).toThrow(/--objective must be/);
  expect(() => visibilityQuery(new Date(0), "x' OR 1=1")).toThrow(/--type must be a task type/);
  expect(parseSimulateArgs(['--policy', 'threshold', '--threshold', '3'], config).policies).toEqual([
    { kind: 'threshold', threshold: 3 },
  ]);
});
