// A 5 MB payload goes through the object store (a real SeaweedFS, scripts/lib/s3-server.js): the API keeps it there
// before the task starts, so neither Temporal's history nor the Lambda event carries it; the function downloads it
// through a pre-signed URL (sdk/wrap-handler.ts) and computes on all of it, LOCAL and on Lambda alike. The task's
// state shows the object's key and size, never the URL. A result too large to return goes the other way: the function
// puts it through the attempt's pre-signed PUT URL and returns the reference; GET /api/tasks/:id/result downloads it.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { transferCost } from '../../domain/region-model';
import { loadTransferPrices } from '../../domain/transfer-price-table';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

/* eslint-disable @typescript-eslint/no-require-imports */
const { startS3Server } = require('../../scripts/lib/s3-server.js') as {
  startS3Server(o: { dataDir: string; accessKeyId: string; secretAccessKey: string; logFile?: string }): Promise<{
    endpoint: string;
    stop(): Promise<void>;
  }>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

let dir: string;
let s3: { endpoint: string; stop(): Promise<void> };
let harness: TestHarness;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'spillway-large-payload-'));
  const secretAccessKey = randomBytes(16).toString('hex');
  s3 = await startS3Server({
    dataDir: path.join(dir, 'data'),
    accessKeyId: 'spillway-test',
    secretAccessKey,
    logFile: path.join(dir, 'weed.log'),
  });
  harness = await startHarness({
    env: {
      SPILLWAY_S3_ENDPOINT: s3.endpoint,
      SPILLWAY_S3_ACCESS_KEY_ID: 'spillway-test',
      SPILLWAY_S3_SECRET_ACCESS_KEY: secretAccessKey,
      SPILLWAY_S3_BUCKET_PREFIX: `spillway-t${randomBytes(3).toString('hex')}-`,
    },
  });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  // Asynchronous Lambda attempts post their outcome to the stack's API port.
  await app.listen({ host: '127.0.0.1', port: readStack().apiPort });
}, 15 * 60_000);

afterAll(async () => {
  await app?.close();
  await harness?.close();
  await s3?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** About 5 MB of records in 4 groups, whose per-group counts and sums the function must get right. */
function bigPayload() {
  const pad = 'x'.repeat(40);
  const records = Array.from({ length: 80_000 }, (_, i) => ({ g: `g${i % 4}`, value: i, pad }));
  return { records, groupBy: 'g' };
}

type Stats = { count: number; sum: number };

async function submitAndFinish(body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/api/tasks', payload: body });
  expect([res.statusCode, res.json().code]).toEqual([201, undefined]);
  const id = res.json<{ id: string }>().id;
  const task = await eventually(async () => {
    const got = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
    return ['COMPLETED', 'FAILED'].includes(got.status) ? got : undefined;
  }, 120_000);
  return { id, task };
}

async function runBig(executionMode: 'LOCAL' | 'LAMBDA', extra: Record<string, unknown> = {}) {
  const payload = bigPayload();
  const bytes = Buffer.byteLength(JSON.stringify(payload));
  expect(bytes).toBeGreaterThan(5 * 1024 * 1024);
  const { id, task } = await submitAndFinish({
    name: uniqueId(`big-${executionMode}`),
    type: 'data-aggregation',
    executionMode,
    ...extra,
    payload,
  });
  return { id, task, bytes };
}

function expectAggregated(result: { groups: Record<string, Stats> }) {
  // Records i = 0..79,999 with group i % 4: each group has 20,000 of them; group k sums k + 4j over j < 20,000.
  for (let k = 0; k < 4; k++) {
    const group = result.groups[`g${k}`];
    expect({ k, count: group?.count, sum: group?.sum }).toEqual({
      k,
      count: 20_000,
      sum: 20_000 * k + 4 * ((19_999 * 20_000) / 2),
    });
  }
}

test.each([
  ['LOCAL', 'in the pool', {}],
  ['LAMBDA', 'with a callback, the default', {}],
  ['LAMBDA', 'invoked synchronously', { invocation: 'sync' }],
] as const)(
  'a 5 MB payload on %s (%s) goes through the object store and the function reads all of it',
  async (mode, _how, extra) => {
    const { id, task, bytes } = await runBig(mode, extra);
    expect([task.status, task.error]).toEqual(['COMPLETED', undefined]);
    expectAggregated(task.result);
    // The state shows where the payload is and how big, and no pre-signed URL.
    expect(task.payloadObject).toEqual(
      expect.objectContaining({ key: expect.stringMatching(/^tasks\//), sizeBytes: bytes, region: expect.any(String) }),
    );
    expect(task.payloadObject.getUrl).toBeUndefined();
    // Temporal's history holds the reference, not the 5 MB.
    const history = await harness.client.workflow.getHandle(id).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    expect(started?.byteLength ?? 0).toBeLessThan(64 * 1024);
  },
  180_000,
);

describe("a task's data region", () => {
  const local = () => harness.config.placement.localRegion;

  test("keeps its payload in that region's bucket and charges the move to the region that ran it", async () => {
    const { task, bytes } = await runBig('LOCAL', { dataRegion: 'eu-west-1' });
    expect([task.status, task.error]).toEqual(['COMPLETED', undefined]);
    expect(task.payloadObject).toEqual(
      expect.objectContaining({ region: 'eu-west-1', bucket: expect.stringMatching(/eu-west-1$/), sizeBytes: bytes }),
    );
    const moved = transferCost(loadTransferPrices(), {
      dataRegion: 'eu-west-1',
      runRegion: local(),
      bytesIn: bytes,
      bytesOut: 0,
    });
    expect(moved).toBeGreaterThan(0);
    const [attempt] = task.attempts;
    expect(attempt.transferUsd).toBeCloseTo(moved, 12);
    // The task's cost is its attempts' costs, the transfer included.
    expect(attempt.costUsd).toBeGreaterThan(moved);
    expect(task.costUsd).toBeCloseTo(attempt.costUsd, 12);
  }, 180_000);

  test.each(['LOCAL', 'LAMBDA'] as const)(
    'keeps a large result of %s in that region and charges its move there',
    async (executionMode) => {
      const { task } = await submitAndFinish({
        name: uniqueId(`wide-region-${executionMode}`),
        type: 'data-aggregation',
        executionMode,
        dataRegion: 'eu-west-1',
        payload: wideAggregation,
      });
      expect([task.status, task.error]).toEqual(['COMPLETED', undefined]);
      expect(task.resultObject).toEqual(expect.objectContaining({ region: 'eu-west-1' }));
      const ranIn = executionMode === 'LOCAL' ? local() : harness.config.placement.lambdaTargets[0]?.region;
      const moved = transferCost(loadTransferPrices(), {
        dataRegion: 'eu-west-1',
        runRegion: ranIn ?? 'missing',
        bytesIn: 0,
        bytesOut: task.resultObject.sizeBytes,
      });
      expect(task.attempts[0].transferUsd).toBeCloseTo(moved, 12);
    },
    180_000,
  );
});

test('a payload under the threshold stays inline', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/tasks',
    payload: { name: 'small', type: 'data-aggregation', executionMode: 'LOCAL', payload: { generate: { count: 10 } } },
  });
  expect(res.statusCode).toBe(201);
  const id = res.json<{ id: string }>().id;
  const task = await eventually(async () => {
    const body = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
    return body.status === 'COMPLETED' ? body : undefined;
  });
  expect(task.payloadObject).toBeUndefined();
});

test('a redrive of a task whose payload is in the object store runs it with that payload, checked like a new submission', async () => {
  // The image processor requires imageUrl: the stored payload's reference alone would fail its schema.
  const payload = { imageUrl: 'http://127.0.0.1:1/redrive.jpg', note: 'y'.repeat(1_200_000) };
  const { id, task } = await submitAndFinish({
    name: 'stored payload, then redrive',
    type: 'image-processing',
    executionMode: 'LOCAL',
    payload,
    retry: { maximumAttempts: 1 },
  });
  expect([task.status, task.payloadObject?.sizeBytes]).toEqual(['FAILED', JSON.stringify(payload).length]);
  const redriven = await app.inject({ method: 'POST', url: `/api/tasks/${id}/redrive`, payload: {} });
  expect([redriven.statusCode, redriven.json().code]).toEqual([201, undefined]);
  const newId = redriven.json<{ id: string }>().id;
  const again = await eventually(async () => {
    const got = (await app.inject({ method: 'GET', url: `/api/tasks/${newId}` })).json();
    return ['COMPLETED', 'FAILED'].includes(got.status) ? got : undefined;
  }, 120_000);
  // The function got the whole payload back: it fetched the very URL the first submission gave.
  expect({
    status: again.status,
    redriveOf: again.redriveOf,
    size: again.payloadObject?.sizeBytes,
    error: again.error?.message,
  }).toEqual({
    status: 'FAILED',
    redriveOf: id,
    size: JSON.stringify(payload).length,
    error: expect.stringContaining('http://127.0.0.1:1/redrive.jpg'),
  });
}, 180_000);

/** 1,000 groups with 20 percentiles each: a result of several hundred KB, over the 256 KB default threshold. */
const wideAggregation = {
  generate: { count: 20_000, groups: 1000, seed: 7 },
  percentiles: Array.from({ length: 20 }, (_, i) => (i + 1) * 5),
};

test.each([
  ['LOCAL', 'in the pool', undefined],
  ['LAMBDA', 'with a callback', 'async'],
  ['LAMBDA', 'invoked synchronously', 'sync'],
] as const)(
  'a large result on %s (%s) goes to the object store; the state shows where, and /result downloads it',
  async (executionMode, _how, invocation) => {
    const { id, task } = await submitAndFinish({
      name: uniqueId(`wide-${executionMode}`),
      type: 'data-aggregation',
      executionMode,
      ...(invocation ? { invocation } : {}),
      payload: wideAggregation,
    });
    expect([task.status, task.error]).toEqual(['COMPLETED', undefined]);
    expect(task.resultObject).toEqual(
      expect.objectContaining({
        key: expect.stringMatching(/^tasks\/.+\/result-1$/),
        sizeBytes: expect.any(Number),
        region: expect.any(String),
      }),
    );
    expect(task.resultObject.sizeBytes).toBeGreaterThan(256 * 1024);
    expect(task.resultObject.putUrl).toBeUndefined();
    expect(task.result).toEqual({ $spillwayObject: expect.objectContaining({ key: task.resultObject.key }) });
    // Temporal's history holds the reference, not the result.
    const history = await harness.client.workflow.getHandle(id).fetchHistory();
    const completed = history.events?.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data;
    expect(completed?.byteLength ?? Infinity).toBeLessThan(64 * 1024);
    const download = await app.inject({ method: 'GET', url: `/api/tasks/${id}/result` });
    expect([download.statusCode, download.headers['content-type']]).toEqual([200, 'application/json']);
    expect(Buffer.byteLength(download.body)).toBe(task.resultObject.sizeBytes);
    const result = download.json<{ recordCount: number; groups: Record<string, { count: number }> }>();
    expect(result.recordCount).toBe(20_000);
    expect(Object.keys(result.groups)).toHaveLength(1000);
    expect(Object.values(result.groups).reduce((n, g) => n + g.count, 0)).toBe(20_000);
  },
  180_000,
);

test('a small result stays inline, and /result answers it as it is', async () => {
  const { id, task } = await submitAndFinish({
    name: 'small-result',
    type: 'data-aggregation',
    executionMode: 'LOCAL',
    payload: { generate: { count: 10 } },
  });
  expect([task.status, task.resultObject]).toEqual(['COMPLETED', undefined]);
  const download = await app.inject({ method: 'GET', url: `/api/tasks/${id}/result` });
  expect(download.statusCode).toBe(200);
  expect(download.json()).toEqual(task.result);
});

test('a task that has not completed has no result yet: 409 SPILLWAY_TASK_RESULT_NOT_READY', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/tasks',
    payload: { name: 'later', type: 'noop', executionMode: 'LOCAL', delaySeconds: 600 },
  });
  expect(res.statusCode).toBe(201);
  const id = res.json<{ id: string }>().id;
  const download = await app.inject({ method: 'GET', url: `/api/tasks/${id}/result` });
  expect([download.statusCode, download.json().code]).toEqual([409, 'SPILLWAY_TASK_RESULT_NOT_READY']);
  await harness.client.workflow.getHandle(id).terminate('test over');
});
