// How the LAMBDA activity classifies an Invoke that Lambda refused (activities/lambda-invoke.ts invokeFailure). A
// payload over Lambda's limit is permanent whichever name the 413 carries: `RequestEntityTooLargeException` is what
// Lambda sends on the wire today (and the local service too), `RequestTooLargeException` the older name the SDK
// still models as a class. Both come from real sources here: the SDK's own exception class, and an oversized Invoke
// answered by the local Lambda service.
import { InvokeCommand, RequestTooLargeException } from '@aws-sdk/client-lambda';
import { invokeFailure } from '../../activities/lambda-invoke';
import type { Harness } from './helpers';
import { fixture, startHarness } from './helpers';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ functions: [fixture('echo-413', 'echo')] });
});

afterAll(async () => {
  await h.stop();
});

test('the 413 Lambda sends today, RequestEntityTooLargeException, is a permanent PayloadTooLargeError', async () => {
  // 1 MB is the asynchronous limit; a little more is refused before anything runs.
  const err = await h.client
    .send(
      new InvokeCommand({
        FunctionName: 'echo-413',
        InvocationType: 'Event',
        Payload: JSON.stringify({ blob: 'x'.repeat(1_100_000) }),
      }),
    )
    .then(
      () => undefined,
      (e: unknown) => e as Error & { $metadata: { httpStatusCode?: number } },
    );
  expect(err?.name).toBe('RequestEntityTooLargeException');
  expect(err?.$metadata.httpStatusCode).toBe(413);
  const failure = invokeFailure(err, 'echo-413');
  expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({
    type: 'PayloadTooLargeError',
    nonRetryable: true,
  });
  expect(failure.message).toBe(`the task payload is too large for Lambda: ${err?.message ?? ''}`);
});

test('the older name the SDK models, RequestTooLargeException, is the same permanent PayloadTooLargeError', () => {
  const err = new RequestTooLargeException({
    message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
    $metadata: { httpStatusCode: 413 },
  });
  expect(err.name).toBe('RequestTooLargeException');
  const failure = invokeFailure(err, 'any-function');
  expect({ type: failure.type, nonRetryable: failure.nonRetryable, message: failure.message }).toEqual({
    type: 'PayloadTooLargeError',
    nonRetryable: true,
    message:
      'the task payload is too large for Lambda: Request must be smaller than 6291456 bytes for the InvokeFunction operation',
  });
});

test('a refusal that is not about size stays retryable (the mapping is by name, not by status alone)', () => {
  const failure = invokeFailure(Object.assign(new Error('slow down'), { name: 'ServiceException' }), 'any-function');
  expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({
    type: 'LambdaServiceError',
    nonRetryable: false,
  });
});
