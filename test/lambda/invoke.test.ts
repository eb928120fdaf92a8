import type { LambdaServiceException } from '@aws-sdk/client-lambda';
import {
  GetFunctionCommand,
  InvokeCommand,
  ListFunctionsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import type { Harness } from './helpers';
import { decodeLog, decodePayload, fixture, startHarness } from './helpers';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    environment: { PASSED_THROUGH: 'yes' },
    functions: [
      fixture('echo', 'echo', { environment: { FIXTURE_SETTING: 'from-spec' }, memoryMB: 256 }),
      fixture('fail', 'fail'),
      fixture('hang', 'hang', { timeoutSeconds: 1 }),
      fixture('crash', 'crash'),
      fixture('missing', 'doesNotExist'),
    ],
  });
});

afterAll(async () => {
  await h.stop();
});

describe('Invoke', () => {
  test('RequestResponse returns the result with the Lambda context and environment', async () => {
    const out = await h.client.send(
      new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from(JSON.stringify({ hello: 'world' })) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    const body = decodePayload(out.Payload) as {
      event: unknown;
      context: Record<string, unknown>;
      env: Record<string, string | undefined>;
    };
    expect(body.event).toEqual({ hello: 'world' });
    expect(body.context).toMatchObject({ functionName: 'echo', functionVersion: '$LATEST', memoryLimitInMB: '256' });
    expect(body.context.awsRequestId).toBe(out.$metadata.requestId);
    // It counts down from the function's 2 s timeout.
    expect(body.context.remainingMs).toEqual(expect.any(Number));
    expect(body.context.remainingMs).toBeLessThanOrEqual(2000);
    expect(body.env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: 'echo',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_REGION: 'us-east-1',
      FIXTURE_SETTING: 'from-spec',
      PASSED_THROUGH: 'yes',
    });
  });

  test('accepts a full ARN as the function name', async () => {
    const out = await h.client.send(
      new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:echo', Payload: '{"n":1}' }),
    );
    expect(out.StatusCode).toBe(200);
    expect(decodePayload(out.Payload)).toMatchObject({ event: { n: 1 } });
  });

  test('DryRun answers 204 without running the function', async () => {
    const out = await h.client.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
    expect(out.StatusCode).toBe(204);
  });

  test('the log tail holds START, the function output, END and REPORT', async () => {
    const out = await h.client.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{"x":42}', LogType: 'Tail' }));
    const log = decodeLog(out.LogResult);
    const id = out.$metadata.requestId ?? '';
    expect(log).toContain(`START RequestId: ${id} Version: $LATEST`);
    expect(log).toMatch(new RegExp(`\\t${id}\\tINFO\\techo called with \\{"x":42\\}`));
    expect(log).toContain(`END RequestId: ${id}`);
    expect(log).toMatch(
      new RegExp(
        `REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB`,
      ),
    );
    expect(h.logs.join('')).toContain(`[echo] REPORT RequestId: ${id}`);
  });

  test('a handler that throws is a function error, Unhandled as AWS reports every function error now', async () => {
    const out = await h.client.send(new InvokeCommand({ FunctionName: 'fail', Payload: '{"message":"bad input"}' }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const body = decodePayload(out.Payload) as { errorType: string; errorMessage: string; trace: string[] };
    expect(body.errorType).toBe('TypeError');
    expect(body.errorMessage).toBe('bad input');
    expect(body.trace[0]).toBe('TypeError: bad input');
  });

  test('an unknown function is ResourceNotFoundException', async () => {
    const err = await h.client.send(new InvokeCommand({ FunctionName: 'nope' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect((err as ResourceNotFoundException).name).toBe('ResourceNotFoundException');
    expect((err as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    expect((err as Error).message).toContain('function:nope');
  });

  test('a payload over 6 MB (sync) or 1 MB (Event) is 413 RequestEntityTooLargeException, as AWS names it on the wire', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(6 * 1024 * 1024) });
    const syncErr = (await h.client
      .send(new InvokeCommand({ FunctionName: 'echo', Payload: big }))
      .catch((e: unknown) => e)) as LambdaServiceException;
    expect(syncErr.name).toBe('RequestEntityTooLargeException');
    expect(syncErr.$metadata.httpStatusCode).toBe(413);
    expect(syncErr.message).toBe('Request must be smaller than 6291456 bytes for the InvokeFunction operation');

    const medium = JSON.stringify({ blob: 'x'.repeat(1024 * 1024) });
    const eventErr = (await h.client
      .send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: medium }))
      .catch((e: unknown) => e)) as LambdaServiceException;
    expect(eventErr.name).toBe('RequestEntityTooLargeException');
    expect(eventErr.$metadata.httpStatusCode).toBe(413);
    // The same payload is fine synchronously.
    const ok = await h.client.send(new InvokeCommand({ FunctionName: 'echo', Payload: medium }));
    expect(ok.StatusCode).toBe(200);
  });

  test('a body that is not JSON is InvalidRequestContentException', async () => {
    const err = await h.client
      .send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{not json') }))
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('InvalidRequestContentException');
  });

  test('a function that overruns its timeout is killed and reported Unhandled; the next call starts cold', async () => {
    const out = await h.client.send(new InvokeCommand({ FunctionName: 'hang', LogType: 'Tail' }));
    expect(out.FunctionError).toBe('Unhandled');
    const body = decodePayload(out.Payload) as { errorType: string; errorMessage: string };
    expect(body.errorType).toBe('Sandbox.Timedout');
    expect(body.errorMessage).toBe(
      `RequestId: ${out.$metadata.requestId ?? ''} Error: Task timed out after 1.00 seconds`,
    );
    expect(decodeLog(out.LogResult)).toContain('Task timed out after 1.00 seconds');
    // The environment was killed: the next invocation initializes a new one.
    const again = await h.client.send(new InvokeCommand({ FunctionName: 'hang', LogType: 'Tail' }));
    expect(decodeLog(again.LogResult)).toContain('Init Duration');
  });

  test('a crash is Runtime.ExitError and the next call gets a new, cold environment', async () => {
    const crashed = await h.client.send(new InvokeCommand({ FunctionName: 'crash', LogType: 'Tail' }));
    expect(crashed.FunctionError).toBe('Unhandled');
    const body = decodePayload(crashed.Payload) as { errorType: string; errorMessage: string };
    expect(body.errorType).toBe('Runtime.ExitError');
    expect(body.errorMessage).toBe(
      `RequestId: ${crashed.$metadata.requestId ?? ''} Error: Runtime exited with error: exit status 1`,
    );
    expect(decodeLog(crashed.LogResult)).toContain('about to exit');

    const again = await h.client.send(
      new InvokeCommand({ FunctionName: 'crash', Payload: '{"crash":false}', LogType: 'Tail' }),
    );
    expect(again.FunctionError).toBeUndefined();
    expect(decodePayload(again.Payload)).toMatchObject({ survived: true });
    expect(decodeLog(again.LogResult)).toContain('Init Duration:');
  });

  test('a crash does not break the service for other functions', async () => {
    const out = await h.client.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{}' }));
    expect(out.FunctionError).toBeUndefined();
  });

  test('a handler that cannot be loaded is an Unhandled init error', async () => {
    const out = await h.client.send(new InvokeCommand({ FunctionName: 'missing' }));
    expect(out.FunctionError).toBe('Unhandled');
    expect(decodePayload(out.Payload)).toMatchObject({ errorType: 'Runtime.HandlerNotFound' });
  });

  test('the first invoke is cold, the next one reuses the warm environment', async () => {
    const fresh = await startHarness({ functions: [fixture('echo', 'echo')] });
    try {
      const first = await fresh.client.send(new InvokeCommand({ FunctionName: 'echo', LogType: 'Tail' }));
      const second = await fresh.client.send(new InvokeCommand({ FunctionName: 'echo', LogType: 'Tail' }));
      expect(decodeLog(first.LogResult)).toMatch(/\tInit Duration: \d+\.\d\d ms/);
      expect(decodeLog(second.LogResult)).toContain('REPORT RequestId');
      expect(decodeLog(second.LogResult)).not.toContain('Init Duration');
      const pid = (out: typeof first) => (decodePayload(out.Payload) as { pid: number }).pid;
      expect(pid(second)).toBe(pid(first));
    } finally {
      await fresh.stop();
    }
  });
});

describe('function metadata', () => {
  test('GetFunction and ListFunctions describe the deployed functions', async () => {
    const fn = await h.client.send(new GetFunctionCommand({ FunctionName: 'echo' }));
    expect(fn.Configuration).toMatchObject({
      FunctionName: 'echo',
      FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:echo',
      Handler: 'handlers.echo',
      MemorySize: 256,
      Timeout: 2,
      Runtime: 'nodejs20.x',
      Architectures: ['x86_64'],
      Environment: { Variables: { FIXTURE_SETTING: 'from-spec' } },
    });
    const list = await h.client.send(new ListFunctionsCommand({}));
    expect(list.Functions?.map((f) => f.FunctionName)).toEqual(['crash', 'echo', 'fail', 'hang', 'missing']);
  });
});
