// Proves the pipelines library runs inside a real Temporal workflow sandbox: a worker bundles a test-only workflow
// that imports it (through pipelines/index.ts), runs it on the dev server the global setup started, and the
// recorded history then replays deterministically.
import { createHash } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { readStack, uniqueId } from '../support/test-stack';
import type { AslSandboxInput } from './fixtures/asl-sandbox-workflow';

const workflowsPath = require.resolve('./fixtures/asl-sandbox-workflow');
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let connection: Connection;
let nativeConnection: NativeConnection;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by another test file in this process.
  }
  const { temporalAddress } = readStack();
  connection = await Connection.connect({ address: temporalAddress });
  nativeConnection = await NativeConnection.connect({ address: temporalAddress });
});

afterAll(async () => {
  await nativeConnection?.close();
  await connection?.close();
});

test('paths, intrinsics, Choice, JSONata and a whole machine run in the workflow sandbox, and replay', async () => {
  const client = new Client({ connection });
  const taskQueue = uniqueId('asl-sandbox');
  const workflowId = uniqueId('asl-sandbox');
  const input: AslSandboxInput = {
    order: {
      id: 'o-42',
      lines: [
        { sku: 'apple', qty: 2, price: 1.5 },
        { sku: 'melon', qty: 1, price: 4 },
      ],
      note: 'Grüße 🍎',
    },
  };
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath });
  const result = await worker.runUntil(client.workflow.execute('aslSandbox', { taskQueue, workflowId, args: [input] }));

  const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
  expect(result).toEqual({
    firstSku: 'apple',
    expensiveSkus: ['melon'],
    withResult: { a: 1, b: { c: 'x' } },
    sha1: 'aaff4a450a104cd177d28d18d74485e8cae074b7',
    md5: createHash('md5').update('Grüße 🍎').digest('hex'),
    base64: Buffer.from('Grüße 🍎').toString('base64'),
    roundTrip: 'Grüße 🍎',
    uuid: expect.stringMatching(UUID_V4),
    random: expect.any(Number),
    seeded: expect.any(Number),
    formatted: 'o-42 has 2 lines',
    choice: true,
    choiceEntry: 'fail',
    jsonata: {
      total: 7,
      currency: 'EUR',
      hash: createHash('sha1').update('o-42').digest('hex'),
      uuid: expect.stringMatching(UUID_V4),
      now: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    },
    run: {
      status: 'succeeded',
      output: { id: 'o-42', final: 14, digest: sha256('o-42') },
      transitions: 4,
      taskCalls: 2,
    },
  });
  expect([result.random, result.seeded].every((n) => Number.isInteger(n) && n >= 1 && n < 1000)).toBe(true);

  // The same workflow code replays its own history without a nondeterminism error.
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  await expect(Worker.runReplayHistory({ workflowsPath }, history, workflowId)).resolves.toBeUndefined();
});
