// With access keys configured every API request must carry a valid SigV4 signature; the answers are AWS's 403s.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { GetFunctionCommand, InvokeCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { UnguardedListenError } from '../../lambda/errors';
import { startLambdaService } from '../../lambda/lambda-service';
import type { Harness } from './helpers';
import { decodePayload, fixture, newClient, startHarness, tempDataDir } from './helpers';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    accessKeys: [
      { accessKeyId: 'test', secretAccessKey: 'test' },
      { accessKeyId: 'AKIDSECOND', secretAccessKey: 'second-secret' },
    ],
    functions: [fixture('echo', 'echo')],
  });
});

afterAll(async () => {
  await h.stop();
});

function failure(promise: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as Error & { $metadata: { httpStatusCode?: number } },
  );
}

test('a request signed with a configured key is served, whichever key, with a full ARN in the path', async () => {
  const second = newClient(h.service.url, { accessKeyId: 'AKIDSECOND', secretAccessKey: 'second-secret' });
  try {
    const out = await second.send(
      new InvokeCommand({
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:echo',
        Qualifier: '$LATEST',
        Payload: '{"signed":true}',
      }),
    );
    expect(decodePayload(out.Payload)).toMatchObject({ event: { signed: true } });
    const list = await second.send(new ListFunctionsCommand({ MaxItems: 5 }));
    expect(list.Functions?.map((f) => f.FunctionName)).toEqual(['echo']);
  } finally {
    second.destroy();
  }
});

test('an unknown access key is UnrecognizedClientException', async () => {
  const stranger = newClient(h.service.url, { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'whatever' });
  const err = await failure(stranger.send(new ListFunctionsCommand({})));
  stranger.destroy();
  expect(err.name).toBe('UnrecognizedClientException');
  expect(err.$metadata.httpStatusCode).toBe(403);
  expect(err.message).toBe('The security token included in the request is invalid.');
});

test('a wrong secret is InvalidSignatureException', async () => {
  const forger = newClient(h.service.url, { accessKeyId: 'test', secretAccessKey: 'not-the-secret' });
  const err = await failure(forger.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{}' })));
  forger.destroy();
  expect(err.name).toBe('InvalidSignatureException');
  expect(err.$metadata.httpStatusCode).toBe(403);
  expect(err.message).toContain('The request signature we calculated does not match the signature you provided.');
});

test('an unsigned request is 403 MissingAuthenticationTokenException; code URLs and status need no signature', async () => {
  const unsigned = await fetch(`${h.service.url}/2015-03-31/functions`);
  expect(unsigned.status).toBe(403);
  expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  expect(await unsigned.json()).toEqual({ Type: 'User', message: 'Missing Authentication Token' });

  const fn = await h.client.send(new GetFunctionCommand({ FunctionName: 'echo' }));
  const download = await fetch(fn.Code?.Location ?? '');
  expect(download.status).toBe(200);
  expect((await fetch(`${h.service.url}/_spillway/status`)).status).toBe(200);
});

test('a signature from a skewed clock is InvalidSignatureException', async () => {
  const skewed = await startHarness({
    accessKeys: [{ accessKeyId: 'test', secretAccessKey: 'test' }],
    now: () => Date.now() + 10 * 60_000,
  });
  try {
    const err = await failure(skewed.client.send(new ListFunctionsCommand({})));
    expect(err.name).toBe('InvalidSignatureException');
    expect(err.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  } finally {
    await skewed.stop();
  }
});

test('without keys the service refuses a non-loopback address, in process and as npm run lambda', async () => {
  await expect(
    startLambdaService({ host: '0.0.0.0', port: 0, dataDir: tempDataDir('unguarded') }),
  ).rejects.toBeInstanceOf(UnguardedListenError);
  const server = path.resolve(__dirname, '..', '..', 'dist', 'lambda', 'server.js');
  const run = spawnSync(process.execPath, [server], {
    env: { ...process.env, LAMBDA_HOST: '0.0.0.0', LAMBDA_PORT: '0', LAMBDA_DATA_DIR: tempDataDir('unguarded') },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(run.status).not.toBe(0);
  expect(run.stderr).toContain('Refusing to listen on 0.0.0.0 without access keys');
});

test('an oversized Invoke is 413 RequestEntityTooLargeException even when signed, not a signature error', async () => {
  const big = JSON.stringify({ blob: 'x'.repeat(6 * 1024 * 1024) });
  const err = await failure(h.client.send(new InvokeCommand({ FunctionName: 'echo', Payload: big })));
  expect(err.name).toBe('RequestEntityTooLargeException');
  expect(err.$metadata.httpStatusCode).toBe(413);
  expect(err.message).toBe('Request must be smaller than 6291456 bytes for the InvokeFunction operation');
});
