// Runs the real noop example function, packaged as `spillway deploy` packages it (one bundled CommonJS index.js),
// including the signed callback its wrapper posts with the secret the service passes through from its own
// environment.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { packageFunction } from '../../cli/package-function';
import { SIGNATURE_HEADER, verifyCallbackBody } from '../../domain/callback-signature';
import type { Harness } from './helpers';
import { decodeLog, decodePayload, startHarness } from './helpers';

const NOOP = path.resolve(__dirname, '..', '..', 'examples', 'functions', 'noop');

async function noopPackage(): Promise<Buffer> {
  return (await packageFunction(NOOP)).zip;
}

const SECRET = 'noop-test-secret';
let h: Harness;
let previousSecret: string | undefined;

beforeAll(async () => {
  previousSecret = process.env.SPILLWAY_CALLBACK_SECRET;
  process.env.SPILLWAY_CALLBACK_SECRET = SECRET;
  h = await startHarness({
    functions: [{ name: 'noop', handler: 'index.handler', timeoutSeconds: 10, zip: await noopPackage() }],
  });
});

afterAll(async () => {
  await h?.stop();
  if (previousSecret === undefined) delete process.env.SPILLWAY_CALLBACK_SECRET;
  else process.env.SPILLWAY_CALLBACK_SECRET = previousSecret;
});

test('the noop function answers a warm-up and then a task event', async () => {
  const warmup = await h.client.send(
    new InvokeCommand({
      FunctionName: 'noop',
      Payload: JSON.stringify({ spillway: { warmup: true } }),
      LogType: 'Tail',
    }),
  );
  expect(decodePayload(warmup.Payload)).toEqual({ warmed: true, coldStart: true });
  expect(decodeLog(warmup.LogResult)).toMatch(/Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration/);

  const event = { taskId: 't-1', taskType: 'noop', attempt: 1, payload: {} };
  const out = await h.client.send(new InvokeCommand({ FunctionName: 'noop', Payload: JSON.stringify(event) }));
  expect(out.FunctionError).toBeUndefined();
  expect(decodePayload(out.Payload)).toEqual({ ok: true, taskId: 't-1', attempt: 1 });
});

test('the callback is signed with SPILLWAY_CALLBACK_SECRET passed through to the environment', async () => {
  const received: { body: string; signature: string | undefined }[] = [];
  const callbackServer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const signature = req.headers[SIGNATURE_HEADER];
      received.push({ body, signature: Array.isArray(signature) ? signature[0] : signature });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
    const event = { taskId: 't-2', taskType: 'noop', attempt: 1, payload: {}, callback: { url, token: 'tok' } };
    const out = await h.client.send(new InvokeCommand({ FunctionName: 'noop', Payload: JSON.stringify(event) }));
    expect(out.FunctionError).toBeUndefined();
    expect(received).toHaveLength(1);
    const [callback] = received;
    expect(JSON.parse(callback?.body ?? '{}')).toMatchObject({ token: 'tok', outcome: 'succeeded' });
    const check = verifyCallbackBody(
      SECRET,
      callback?.body ?? '',
      callback?.signature,
      Math.floor(Date.now() / 1000),
      60,
    );
    expect(check).toEqual({ ok: true });
  } finally {
    callbackServer.closeAllConnections();
    await new Promise<void>((resolve) => callbackServer.close(() => resolve()));
  }
});
