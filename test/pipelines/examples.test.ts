// The example pipelines in examples/pipelines/ are valid, and two of them run end to end through /api/pipelines:
// the regional reports with their caught region, and the retry-then-redrive one.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validateDefinition } from '../../pipelines/validate';
import { eventually, uniqueId } from '../support/test-stack';
import { startSfnStack, type SfnStack } from './sfn-api';

const dir = path.resolve(__dirname, '..', '..', 'examples', 'pipelines');
const read = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;

let stack: SfnStack;
beforeAll(async () => {
  stack = await startSfnStack();
});
afterAll(async () => {
  await stack?.close();
});

const inject = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
  const res = await stack.app.inject({ method, url, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
};

async function runExample(file: string, input: unknown) {
  const name = uniqueId(file.replace('.asl.json', '')).replace(/^test-/, 'ex-');
  const created = await inject('POST', '/api/pipelines', { name, definition: read(file) });
  expect(created.status).toBe(201);
  const started = await inject('POST', `/api/pipelines/${name}/executions`, { input });
  expect(started.status).toBe(201);
  const self = (started.body.links as { self: string }).self;
  const ended = await eventually(
    async () => {
      const e = await inject('GET', self);
      return e.body.status === 'RUNNING' ? undefined : e.body;
    },
    120_000,
    500,
  );
  return { name, self, ended };
}

test.each(['regional-reports.asl.json', 'thumbnails.asl.json', 'flaky-redrive.asl.json'])(
  '%s is a valid definition',
  (file) => {
    expect(validateDefinition(read(file))).toEqual({ valid: true, problems: [] });
  },
);

test('regional reports: a report per region, the failing region caught, one aggregate', async () => {
  const { ended } = await runExample('regional-reports.asl.json', {
    regions: [
      { name: 'emea', rows: 200 },
      { name: 'apac', rows: 100 },
      { name: 'atlantis', rows: 0 },
    ],
  });
  expect(ended.status).toBe('SUCCEEDED');
  const output = ended.output as { regions: Array<{ region: string; ok: string; error?: string }>; summary: unknown };
  expect(output.regions.map((r) => [r.region, r.ok])).toEqual([
    ['emea', 'reported'],
    ['apac', 'reported'],
    ['atlantis', 'failed'],
  ]);
  expect(output.regions[2]!.error).toBe('InvalidPayloadError');
  expect(output.summary).toEqual(expect.objectContaining({ totalRevenue: expect.any(Number), skipped: 0 }));
  const states = ended.states as Record<string, { status: string; attempts: number }>;
  expect(states.Report).toEqual(expect.objectContaining({ attempts: 3 }));
  expect(states.Aggregate).toEqual(expect.objectContaining({ status: 'SUCCEEDED', attempts: 1 }));
});

test('flaky redrive: Fetch is retried, Publish fails, a redrive reruns Publish only and the run succeeds', async () => {
  const { self, ended } = await runExample('flaky-redrive.asl.json', read('flaky-redrive.input.json'));
  expect(ended).toEqual(
    expect.objectContaining({ status: 'FAILED', error: 'PublishRejected', redriveStatus: 'REDRIVABLE' }),
  );
  const states = ended.states as Record<string, { status: string; attempts: number; retries: number }>;
  expect(states.Fetch).toEqual(expect.objectContaining({ status: 'SUCCEEDED', attempts: 3, retries: 2 }));
  expect(states.Publish).toEqual(expect.objectContaining({ status: 'FAILED', attempts: 1 }));
  const redrive = await inject('POST', `${self}/redrive`);
  expect(redrive.status).toBe(202);
  const done = await eventually(
    async () => {
      const e = await inject('GET', self);
      return e.body.status === 'SUCCEEDED' ? e.body : undefined;
    },
    60_000,
    500,
  );
  const after = done.states as Record<string, { attempts: number }>;
  expect(after['Warm up']!.attempts).toBe(1);
  expect(after.Fetch!.attempts).toBe(3);
  expect(after.Publish!.attempts).toBe(2);
  expect(done.redriveCount).toBe(1);
  const again = await inject('POST', `${self}/redrive`);
  expect(again).toEqual({
    status: 409,
    body: expect.objectContaining({ code: 'SPILLWAY_PIPELINE_EXECUTION_NOT_REDRIVABLE' }),
  });
}, 120_000);
