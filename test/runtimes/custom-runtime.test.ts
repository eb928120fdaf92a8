// The Lambda Runtime API contract, through a custom runtime (provided.al2023) written in POSIX sh with curl
// (fixtures/bootstrap.sh), deployed with CreateFunction and invoked with the AWS SDK: what /next hands the runtime,
// how /response, /error and /init/error end an invocation or an init, the response size limit, and what a timeout
// and a crash look like to the caller.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CreateAliasCommand,
  InvokeCommand,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import type { Harness } from '../lambda/helpers';
import { decodeLog, decodePayload, deploy, startHarness, waitUpdated, zipOf } from '../lambda/helpers';

const CURL = '/usr/bin/curl';
const BOOTSTRAP = readFileSync(path.join(__dirname, 'fixtures', 'bootstrap.sh'));
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:';

let h: Harness;

function shellPackage(): Promise<Buffer> {
  return zipOf([{ name: 'bootstrap', data: BOOTSTRAP, mode: 0o755 }]);
}

async function deployShell(name: string, handler: string, timeoutSeconds = 3): Promise<void> {
  await deploy(h.client, { name, handler, runtime: 'provided.al2023', timeoutSeconds, zip: await shellPackage() });
}

const invoke = (name: string, payload: unknown, extra: Partial<ConstructorParameters<typeof InvokeCommand>[0]> = {}) =>
  h.client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(payload), LogType: 'Tail', ...extra }));

beforeAll(async () => {
  expect(readFileSync(CURL).length).toBeGreaterThan(0);
  h = await startHarness();
  await deployShell('shell', 'function.handler');
});

afterAll(async () => {
  await h?.stop();
});

describe('a custom runtime in sh and curl', () => {
  test('/next hands over the event with the request id, deadline, invoked ARN and trace id; /response answers', async () => {
    const before = Date.now();
    const out = await invoke('shell', { hello: 'sh' });
    const after = Date.now();
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    const body = decodePayload(out.Payload) as Record<string, unknown>;
    expect(body).toMatchObject({
      event: { hello: 'sh' },
      requestId: out.$metadata.requestId,
      invokedFunctionArn: `${ARN}shell`,
      clientContext: null,
      functionName: 'shell',
      memory: '128',
      version: '$LATEST',
    });
    // The deadline is the invocation's start plus the function's 3 s timeout, in epoch milliseconds.
    expect(body.deadlineMs).toBeGreaterThanOrEqual(before + 3000);
    expect(body.deadlineMs).toBeLessThanOrEqual(after + 3000);
    expect(body.traceId).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  });

  test('the first invocation is cold with the init output and Init Duration; the next is warm', async () => {
    await deployShell('shell-cold', 'function.handler');
    const first = await invoke('shell-cold', {});
    const second = await invoke('shell-cold', {});
    const firstLog = decodeLog(first.LogResult);
    expect(firstLog).toContain('bootstrap init: handler=function.handler');
    expect(firstLog).toMatch(/\tInit Duration: \d+\.\d\d ms\n$/);
    expect(decodeLog(second.LogResult)).not.toContain('Init Duration');
    expect(decodeLog(second.LogResult)).not.toContain('bootstrap init');
    expect(decodeLog(second.LogResult)).toContain(`event ${second.$metadata.requestId ?? ''}: {}`);
  });

  test('an alias invocation names the alias in the invoked ARN; a client context arrives as JSON', async () => {
    await h.client.send(new PublishVersionCommand({ FunctionName: 'shell' }));
    await h.client.send(new CreateAliasCommand({ FunctionName: 'shell', Name: 'live', FunctionVersion: '1' }));
    const context = { custom: { tenant: 'acme' }, client: { app_title: 'tests' } };
    const out = await invoke(
      'shell',
      { via: 'alias' },
      {
        Qualifier: 'live',
        ClientContext: Buffer.from(JSON.stringify(context)).toString('base64'),
      },
    );
    expect(out.ExecutedVersion).toBe('1');
    expect(decodePayload(out.Payload)).toMatchObject({
      invokedFunctionArn: `${ARN}shell:live`,
      clientContext: context,
      version: '1',
    });
  });

  test('/error is a function error: X-Amz-Function-Error Unhandled and the posted body as the payload', async () => {
    const out = await invoke('shell', { action: 'fail' });
    expect(out.FunctionError).toBe('Unhandled');
    expect(Buffer.from(out.Payload ?? new Uint8Array()).toString()).toBe(
      '{"errorType":"Function.Failed","errorMessage":"the event asked to fail"}',
    );
    // The runtime is still there for the next event.
    const next = await invoke('shell', { after: 'fail' });
    expect(next.FunctionError).toBeUndefined();
    expect(decodeLog(next.LogResult)).not.toContain('Init Duration');
  });

  test('/init/error fails the invocation with the error the runtime posted, and every call retries the init', async () => {
    await deployShell('shell-init-error', 'init-error.handler');
    for (let i = 0; i < 2; i++) {
      const out = await invoke('shell-init-error', {});
      expect(out.FunctionError).toBe('Unhandled');
      expect(decodePayload(out.Payload)).toEqual({
        errorType: 'Runtime.InitFailed',
        errorMessage: 'the bootstrap could not start',
      });
      expect(decodeLog(out.LogResult)).toContain('bootstrap init: handler=init-error.handler');
    }
  });

  test('a runtime that exits during init is Runtime.ExitError with its output in the log', async () => {
    await deployShell('shell-init-crash', 'init-crash.handler');
    const out = await invoke('shell-init-crash', {});
    expect(out.FunctionError).toBe('Unhandled');
    expect(decodePayload(out.Payload)).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: 'Runtime exited with error: exit status 3',
    });
    expect(decodeLog(out.LogResult)).toContain('crashing during init');
  });

  test('a runtime that overruns the timeout is killed: Sandbox.Timedout, and the next call starts cold', async () => {
    await deployShell('shell-timeout', 'function.handler', 1);
    const out = await invoke('shell-timeout', { action: 'sleep' });
    expect(out.FunctionError).toBe('Unhandled');
    expect(decodePayload(out.Payload)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${out.$metadata.requestId ?? ''} Error: Task timed out after 1.00 seconds`,
    });
    expect(decodeLog(out.LogResult)).toContain('sleeping past the timeout');
    const next = await invoke('shell-timeout', {});
    expect(next.FunctionError).toBeUndefined();
    expect(decodeLog(next.LogResult)).toContain('Init Duration');
  });

  test('a runtime that exits mid-invocation is Runtime.ExitError; the next call starts cold', async () => {
    const out = await invoke('shell', { action: 'crash' });
    expect(out.FunctionError).toBe('Unhandled');
    expect(decodePayload(out.Payload)).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${out.$metadata.requestId ?? ''} Error: Runtime exited with error: exit status 7`,
    });
    expect(decodeLog(out.LogResult)).toContain('about to crash');
    const next = await invoke('shell', {});
    expect(decodeLog(next.LogResult)).toContain('Init Duration');
  });

  test('a response of 6291556 bytes passes; one byte more is Function.ResponseSizeTooLarge, and the runtime gets 413', async () => {
    const atLimit = await invoke('shell', { action: 'limit' });
    expect(atLimit.FunctionError).toBeUndefined();
    expect(atLimit.Payload?.length).toBe(6291556);

    const over = await invoke('shell', { action: 'big' });
    expect(over.FunctionError).toBe('Unhandled');
    expect(decodePayload(over.Payload)).toEqual({
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
    });
    const next = await invoke('shell', {});
    expect(decodePayload(next.Payload)).toMatchObject({ lastStatus: '413' });
  });

  test('an answer for a request id that is not running is 400 InvalidRequestID; so is a second answer', async () => {
    const probe = await invoke('shell', { action: 'probe' });
    expect(decodePayload(probe.Payload)).toBe('first');
    // The probe's findings are printed after its answer, so they open the next invocation's log.
    const next = await invoke('shell', {});
    expect(decodeLog(next.LogResult)).toContain(
      'probe wrong={"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"} 400 ' +
        'first={"status":"OK"} 202 second={"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"} 400',
    );
  });

  test('a package without a bootstrap is Runtime.InvalidEntrypoint, as on AWS', async () => {
    const zip = await zipOf([{ name: 'main.sh', data: 'echo hi', mode: 0o755 }]);
    await deploy(h.client, { name: 'no-bootstrap', handler: 'x.handler', runtime: 'provided.al2', zip });
    const out = await invoke('no-bootstrap', {});
    expect(out.FunctionError).toBe('Unhandled');
    const body = decodePayload(out.Payload) as { errorType: string; errorMessage: string };
    expect(body.errorType).toBe('Runtime.InvalidEntrypoint');
    expect(body.errorMessage).toMatch(
      /^RequestId: \S+ Error: Couldn't find valid bootstrap\(s\): \[\S+\/bootstrap \/opt\/bootstrap\]$/,
    );
  });

  test('the memory size is the runtime process data limit, as far as the OS enforces one', async () => {
    await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'shell', MemorySize: 256 }));
    await waitUpdated(h.client, 'shell');
    const out = await invoke('shell', {});
    expect(decodePayload(out.Payload)).toMatchObject({ memory: '256', dataLimitKB: String(256 * 1024) });
    expect(decodeLog(out.LogResult)).toMatch(/Memory Size: 256 MB\tMax Memory Used: \d+ MB/);
  });
});
