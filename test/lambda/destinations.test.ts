// DestinationConfig of asynchronous invocation: OnSuccess and OnFailure records, in AWS's invocation-record format,
// delivered to another Lambda function; records that cannot be delivered, and dropped events, in the status. Also
// the event invoke config rules that go with it (Update needs an existing config) and the unreserved floor.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  InvalidParameterValueException,
  InvokeCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  ResourceNotFoundException,
  UpdateFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import type { Harness } from './helpers';
import { fetchStatus, fixture, functionStatus, startHarness, waitFor } from './helpers';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:';
let dir: string;
const harnesses: Harness[] = [];

async function start(...args: Parameters<typeof startHarness>): Promise<Harness> {
  const h = await startHarness(...args);
  harnesses.push(h);
  return h;
}

function records(file: string): Array<Record<string, unknown>> {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
    : [];
}

const recorder = (file: string) => fixture('recorder', 'record', { environment: { RECORD_FILE: file } });

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'spillway-destinations-'));
});

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.stop()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('OnSuccess: the record of a successful event reaches the destination function in AWS format', async () => {
  const file = path.join(dir, 'success.jsonl');
  const h = await start({ functions: [fixture('worker', 'sleep'), recorder(file)] });
  await h.client.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: 'worker',
      DestinationConfig: { OnSuccess: { Destination: `${ARN}recorder` } },
    }),
  );
  const out = await h.client.send(
    new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event', Payload: JSON.stringify({ ms: 1 }) }),
  );
  const [record] = await waitFor(() => (records(file).length > 0 ? records(file) : undefined));
  expect(record).toEqual({
    version: '1.0',
    timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    requestContext: {
      requestId: out.$metadata.requestId,
      functionArn: `${ARN}worker:$LATEST`,
      condition: 'Success',
      approximateInvokeCount: 1,
    },
    requestPayload: { ms: 1 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST' },
    responsePayload: { slept: 1, pid: expect.any(Number) },
  });
  await waitFor(async () =>
    functionStatus(await fetchStatus(h.service), 'worker').destinations.delivered === 1 ? true : undefined,
  );
});

test('OnFailure: after the last retry the record carries the function error and the attempt count', async () => {
  const file = path.join(dir, 'failure.jsonl');
  const h = await start({ asyncRetryBaseMs: 50, functions: [fixture('worker', 'fail'), recorder(file)] });
  await h.client.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: 'worker',
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: `${ARN}recorder` } },
    }),
  );
  const out = await h.client.send(
    new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event', Payload: JSON.stringify({ message: 'no' }) }),
  );
  const [record] = await waitFor(() => (records(file).length > 0 ? records(file) : undefined));
  expect(record).toMatchObject({
    version: '1.0',
    requestContext: {
      requestId: out.$metadata.requestId,
      functionArn: `${ARN}worker:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 2,
    },
    requestPayload: { message: 'no' },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'TypeError', errorMessage: 'no', trace: expect.any(Array) },
  });
  const status = functionStatus(await fetchStatus(h.service), 'worker');
  expect(status.droppedEvents).toEqual([
    { requestId: out.$metadata.requestId, reason: 'RetriesExhausted', at: expect.any(String) },
  ]);
});

test('OnFailure: an event that grew too old in the queue is recorded as EventAgeExceeded, never having run', async () => {
  const file = path.join(dir, 'too-old.jsonl');
  let skew = 0;
  const h = await start({ now: () => Date.now() + skew, functions: [fixture('worker', 'sleep'), recorder(file)] });
  await h.client.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: 'worker',
      MaximumEventAgeInSeconds: 60,
      DestinationConfig: { OnFailure: { Destination: `${ARN}recorder` } },
    }),
  );
  await h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'worker', ReservedConcurrentExecutions: 0 }));
  const out = await h.client.send(
    new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event', Payload: '{}' }),
  );
  skew = 61_000;
  const [record] = await waitFor(() => (records(file).length > 0 ? records(file) : undefined));
  expect(record).toEqual({
    version: '1.0',
    timestamp: expect.any(String),
    requestContext: {
      requestId: out.$metadata.requestId,
      functionArn: `${ARN}worker:$LATEST`,
      condition: 'EventAgeExceeded',
      approximateInvokeCount: 0,
    },
    requestPayload: {},
  });
});

test('a record that cannot be delivered is in the status with the reason, beside the dropped event', async () => {
  const h = await start({ asyncRetryBaseMs: 10, functions: [fixture('worker', 'fail')] });
  const queue = 'arn:aws:sqs:us-east-1:000000000000:failed-events';
  await h.client.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: 'worker',
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: queue } },
    }),
  );
  const out = await h.client.send(
    new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event', Payload: '{}' }),
  );
  const status = await waitFor(async () => {
    const s = functionStatus(await fetchStatus(h.service), 'worker');
    return s.destinations.undeliverable.length > 0 ? s : undefined;
  });
  expect(status.destinations.undeliverable).toEqual([
    {
      requestId: out.$metadata.requestId,
      condition: 'RetriesExhausted',
      destination: queue,
      reason: 'only Lambda function destinations can be delivered by the local Lambda service',
      at: expect.any(String),
    },
  ]);
  expect(status.droppedEvents).toEqual([
    { requestId: out.$metadata.requestId, reason: 'RetriesExhausted', at: expect.any(String) },
  ]);
  expect((await fetchStatus(h.service)).totals).toMatchObject({ droppedEvents: 1, undeliverableRecords: 1 });
});

test('a destination that is not an ARN is InvalidParameterValueException', async () => {
  const h = await start({ functions: [fixture('worker', 'sleep')] });
  const err = await h.client
    .send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: 'worker',
        DestinationConfig: { OnSuccess: { Destination: 'recorder' } },
      }),
    )
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidParameterValueException);
  expect((err as Error).message).toContain("Value 'recorder' at 'destinationConfig.onSuccess.destination'");
});

test('UpdateFunctionEventInvokeConfig on a function without one is ResourceNotFoundException; after a Put it merges', async () => {
  const h = await start({ functions: [fixture('worker', 'sleep')] });
  const err = await h.client
    .send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'worker', MaximumRetryAttempts: 1 }))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ResourceNotFoundException);
  expect((err as Error).message).toBe(`The function ${ARN}worker:$LATEST doesn't have an EventInvokeConfig`);

  await h.client.send(
    new PutFunctionEventInvokeConfigCommand({ FunctionName: 'worker', MaximumEventAgeInSeconds: 120 }),
  );
  const merged = await h.client.send(
    new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'worker', MaximumRetryAttempts: 1 }),
  );
  expect(merged).toMatchObject({ MaximumEventAgeInSeconds: 120, MaximumRetryAttempts: 1 });
});

test('reservations cannot push unreserved concurrency below its floor: a tenth of the account limit', async () => {
  const h = await start({ accountConcurrencyLimit: 50, functions: [fixture('worker', 'sleep')] });
  const err = await h.client
    .send(new PutFunctionConcurrencyCommand({ FunctionName: 'worker', ReservedConcurrentExecutions: 46 }))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidParameterValueException);
  expect((err as Error).message).toBe(
    "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [5].",
  );
  const ok = await h.client.send(
    new PutFunctionConcurrencyCommand({ FunctionName: 'worker', ReservedConcurrentExecutions: 45 }),
  );
  expect(ok.ReservedConcurrentExecutions).toBe(45);
  expect(await fetchStatus(h.service)).toMatchObject({ unreservedConcurrency: 5, unreservedConcurrencyMinimum: 5 });
});
