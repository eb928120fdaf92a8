import {
  DeleteFunctionConcurrencyCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionEventInvokeConfigCommand,
  InvalidParameterValueException,
  InvokeCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import type { Harness } from './helpers';
import { decodePayload, fetchStatus, fixture, functionStatus, startHarness } from './helpers';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    accountConcurrencyLimit: 10,
    functions: [fixture('slow', 'sleep', { reservedConcurrency: 1 }), fixture('echo', 'echo')],
  });
});

afterAll(async () => {
  await h.stop();
});

test('a second concurrent call beyond reserved concurrency 1 is throttled with 429', async () => {
  const slow = () => h.client.send(new InvokeCommand({ FunctionName: 'slow', Payload: '{"ms":700}' }));
  const results = await Promise.allSettled([slow(), slow()]);
  const fulfilled = results.filter((r) => r.status === 'fulfilled');
  const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(fulfilled).toHaveLength(1);
  expect(rejected).toHaveLength(1);
  const err = rejected[0]?.reason as TooManyRequestsException;
  expect(err).toBeInstanceOf(TooManyRequestsException);
  expect(err.name).toBe('TooManyRequestsException');
  expect(err.$metadata.httpStatusCode).toBe(429);
  expect(err.Reason).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');

  const status = functionStatus(await fetchStatus(h.service), 'slow');
  expect(status.throttles.count).toBe(1);
  expect(status.throttles.lastAt).toEqual(expect.any(String));
  expect(status.environments.total).toBe(1);
  expect(status.reservedConcurrency).toBe(1);
});

test('PutFunctionConcurrency, GetFunctionConcurrency and DeleteFunctionConcurrency round-trip', async () => {
  const put = await h.client.send(
    new PutFunctionConcurrencyCommand({ FunctionName: 'echo', ReservedConcurrentExecutions: 3 }),
  );
  expect(put.ReservedConcurrentExecutions).toBe(3);
  const got = await h.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'echo' }));
  expect(got.ReservedConcurrentExecutions).toBe(3);
  expect((await fetchStatus(h.service)).unreservedConcurrency).toBe(10 - 3 - 1);

  await h.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'echo' }));
  const after = await h.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'echo' }));
  expect(after.ReservedConcurrentExecutions).toBeUndefined();
});

test('reserved concurrency 0 throttles every synchronous call at once', async () => {
  await h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'echo', ReservedConcurrentExecutions: 0 }));
  const err = await h.client.send(new InvokeCommand({ FunctionName: 'echo' })).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TooManyRequestsException);
  await h.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'echo' }));
  const ok = await h.client.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{"back":true}' }));
  expect(decodePayload(ok.Payload)).toMatchObject({ event: { back: true } });
});

test('reserving more than the account limit is InvalidParameterValueException', async () => {
  const err = await h.client
    .send(new PutFunctionConcurrencyCommand({ FunctionName: 'echo', ReservedConcurrentExecutions: 50 }))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidParameterValueException);
});

test('the event invoke config round-trips and is validated', async () => {
  const missing = await h.client
    .send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'echo' }))
    .catch((e: unknown) => e);
  expect(missing).toBeInstanceOf(ResourceNotFoundException);

  const put = await h.client.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: 'echo',
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 120,
    }),
  );
  expect(put).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 120 });
  expect(put.FunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:echo:$LATEST');
  expect(put.LastModified).toBeInstanceOf(Date);

  const got = await h.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'echo' }));
  expect(got).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 120 });

  const tooManyRetries = await h.client
    .send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'echo', MaximumRetryAttempts: 3 }))
    .catch((e: unknown) => e);
  expect(tooManyRetries).toBeInstanceOf(InvalidParameterValueException);
  expect((tooManyRetries as InvalidParameterValueException).$metadata.httpStatusCode).toBe(400);

  const tooYoung = await h.client
    .send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'echo', MaximumEventAgeInSeconds: 59 }))
    .catch((e: unknown) => e);
  expect(tooYoung).toBeInstanceOf(InvalidParameterValueException);

  // A rejected update leaves the previous config in force.
  const still = await h.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'echo' }));
  expect(still.MaximumRetryAttempts).toBe(1);
});
