// Spillway's Node.js runtime client (runtimes/node) against what AWS's Node.js runtime gives a handler: ES module and
// CommonJS handlers, async and callback handlers with callbackWaitsForEmptyEventLoop, the context object, AWS's
// Runtime.* errors, Node.js 24's refusal of callbacks, and response streaming through InvokeWithResponseStream.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InvokeWithResponseStreamResponseEvent } from '@aws-sdk/client-lambda';
import { InvokeCommand, InvokeWithResponseStreamCommand } from '@aws-sdk/client-lambda';
import type { Harness } from '../lambda/helpers';
import { decodeLog, decodePayload, deploy, startHarness, waitFor, zipOf } from '../lambda/helpers';

let h: Harness;
let dir: string;

const invoke = (
  name: string,
  payload: unknown = {},
  extra: Partial<ConstructorParameters<typeof InvokeCommand>[0]> = {},
) =>
  h.client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(payload), LogType: 'Tail', ...extra }));

async function deployCode(
  name: string,
  files: Record<string, string>,
  options: { handler?: string; runtime?: string; timeoutSeconds?: number } = {},
): Promise<void> {
  const zip = await zipOf(Object.entries(files).map(([file, data]) => ({ name: file, data })));
  await deploy(h.client, {
    name,
    handler: options.handler ?? 'index.handler',
    runtime: options.runtime ?? 'nodejs22.x',
    timeoutSeconds: options.timeoutSeconds ?? 5,
    zip,
  });
}

/** The PayloadChunk bytes and the InvokeComplete event of a response stream. */
async function readStream(events: AsyncIterable<InvokeWithResponseStreamResponseEvent> | undefined) {
  const chunks: string[] = [];
  let complete: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string } | undefined;
  for await (const event of events ?? []) {
    if (event.PayloadChunk?.Payload) chunks.push(Buffer.from(event.PayloadChunk.Payload).toString('utf8'));
    if (event.InvokeComplete) complete = event.InvokeComplete;
  }
  return { body: chunks.join(''), chunks, complete };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'spillway-node-runtime-'));
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('handler modules', () => {
  test('an ES module handler (.mjs) with top-level await and imports of its own files', async () => {
    await deployCode('esm-mjs', {
      'index.mjs': `import { double } from './lib/math.mjs';
import { createHash } from 'node:crypto';
const ready = await Promise.resolve('ready');
export const handler = async (event) => ({ ready, doubled: double(event.n), hash: createHash('sha1').update('x').digest('hex').length });`,
      'lib/math.mjs': 'export const double = (n) => n * 2;',
    });
    const out = await invoke('esm-mjs', { n: 21 });
    expect(out.FunctionError).toBeUndefined();
    expect(decodePayload(out.Payload)).toEqual({ ready: 'ready', doubled: 42, hash: 40 });
  });

  test('a .js handler is an ES module when package.json says "type": "module"', async () => {
    await deployCode(
      'esm-type-module',
      {
        'package.json': '{"type":"module"}',
        'src/app.js': 'export const run = async () => ({ esm: typeof require === "undefined" });',
      },
      { handler: 'src/app.run' },
    );
    const out = await invoke('esm-type-module');
    expect(decodePayload(out.Payload)).toEqual({ esm: true });
  });

  test('a CommonJS handler may export its handler from a nested object', async () => {
    await deployCode(
      'cjs-nested',
      { 'index.js': 'exports.api = { v1: { handler: async () => "nested" } };' },
      {
        handler: 'index.api.v1.handler',
      },
    );
    expect(decodePayload((await invoke('cjs-nested')).Payload)).toBe('nested');
  });

  test.each([
    [
      'a missing export',
      'Runtime.HandlerNotFound',
      { 'index.js': 'exports.other = async () => 1;' },
      'index.handler',
      'index.handler is undefined or not exported',
    ],
    [
      'an export that is not a function',
      'Runtime.HandlerNotFound',
      { 'index.js': 'exports.handler = 42;' },
      'index.handler',
      'index.handler is not a function',
    ],
    ['a handler name without a function', 'Runtime.MalformedHandlerName', { 'index.js': '' }, 'index', 'Bad handler'],
    [
      'a syntax error',
      'Runtime.UserCodeSyntaxError',
      { 'index.js': 'exports.handler = async () => {' },
      'index.handler',
      'SyntaxError: Unexpected end of input',
    ],
    [
      'a missing module',
      'Runtime.ImportModuleError',
      { 'other.js': '' },
      'index.handler',
      "Error: Cannot find module 'index'",
    ],
  ])('%s is %s', async (label, errorType, files, handler, message) => {
    const name = `bad-${label.replace(/[^a-z]+/g, '-')}`.slice(0, 60);
    await deployCode(name, files, { handler });
    const out = await invoke(name);
    expect(out.FunctionError).toBe('Unhandled');
    const body = decodePayload(out.Payload) as { errorType: string; errorMessage: string; trace: string[] };
    expect(body.errorType).toBe(errorType);
    expect(body.errorMessage.startsWith(message)).toBe(true);
    expect(body.trace[0]).toBe(`${errorType}: ${body.errorMessage.split('\n')[0]}`);
    expect(decodeLog(out.LogResult)).toContain(`\tundefined\tERROR\tInit Error \t{"errorType":"${errorType}"`);
  });
});

describe('the context object', () => {
  test('has what AWS puts in it: ARN, log group and stream, request id, remaining time, client context', async () => {
    await deployCode('context', {
      'index.js': `exports.handler = async (event, context) => ({
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  memoryLimitInMB: context.memoryLimitInMB,
  invokedFunctionArn: context.invokedFunctionArn,
  awsRequestId: context.awsRequestId,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
  remaining: context.getRemainingTimeInMillis(),
  clientContext: context.clientContext,
  identity: context.identity === undefined ? 'undefined' : context.identity,
  traceEnv: process.env._X_AMZN_TRACE_ID,
  runtimeApi: process.env.AWS_LAMBDA_RUNTIME_API,
});`,
    });
    const clientContext = { custom: { k: 'v' }, env: { locale: 'en' } };
    const out = await invoke(
      'context',
      {},
      { ClientContext: Buffer.from(JSON.stringify(clientContext)).toString('base64') },
    );
    const body = decodePayload(out.Payload) as Record<string, unknown>;
    expect(body).toMatchObject({
      functionName: 'context',
      functionVersion: '$LATEST',
      memoryLimitInMB: '128',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:context',
      awsRequestId: out.$metadata.requestId,
      logGroupName: '/aws/lambda/context',
      callbackWaitsForEmptyEventLoop: true,
      clientContext,
      identity: 'undefined',
    });
    expect(body.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(body.remaining).toBeLessThanOrEqual(5000);
    expect(body.traceEnv).toMatch(/^Root=1-/);
    expect(body.runtimeApi).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe('callback handlers', () => {
  test('the callback answers once the event loop is empty, when callbackWaitsForEmptyEventLoop is true', async () => {
    await deployCode('callback-waits', {
      'index.js': `exports.handler = (event, context, callback) => {
  setTimeout(() => console.log('timer ran before the answer'), 50);
  callback(null, { waited: context.callbackWaitsForEmptyEventLoop });
};`,
    });
    const out = await invoke('callback-waits');
    expect(decodePayload(out.Payload)).toEqual({ waited: true });
    // The answer left after the timer: its output belongs to this invocation.
    expect(decodeLog(out.LogResult)).toContain('timer ran before the answer');
  });

  test('with callbackWaitsForEmptyEventLoop false it answers at once, whatever is still scheduled', async () => {
    await deployCode('callback-now', {
      'index.js': `exports.handler = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  if (!global.ticker) global.ticker = setInterval(() => {}, 1000);
  callback(null, 'answered');
};`,
    });
    expect(decodePayload((await invoke('callback-now')).Payload)).toBe('answered');
    expect(decodePayload((await invoke('callback-now')).Payload)).toBe('answered');
  });

  test('callback(error) is a function error; context.succeed and context.done still work', async () => {
    await deployCode('callback-error', {
      'index.js': `exports.handler = (event, context, callback) => {
  if (event.mode === 'error') return callback(new RangeError('out of range'));
  if (event.mode === 'succeed') return context.succeed({ via: 'succeed' });
  return context.done(null, { via: 'done' });
};`,
    });
    const failed = await invoke('callback-error', { mode: 'error' });
    expect(failed.FunctionError).toBe('Unhandled');
    expect(decodePayload(failed.Payload)).toMatchObject({ errorType: 'RangeError', errorMessage: 'out of range' });
    expect(decodeLog(failed.LogResult)).toContain(
      '\tERROR\tInvoke Error \t{"errorType":"RangeError","errorMessage":"out of range"',
    );
    expect(decodePayload((await invoke('callback-error', { mode: 'succeed' })).Payload)).toEqual({ via: 'succeed' });
    expect(decodePayload((await invoke('callback-error', { mode: 'done' })).Payload)).toEqual({ via: 'done' });
  });

  test('a synchronous handler that never calls back answers null once the event loop is empty', async () => {
    await deployCode('sync-null', {
      'index.js': 'exports.handler = (event, context, callback) => { console.log("no callback"); };',
    });
    const out = await invoke('sync-null');
    expect(out.FunctionError).toBeUndefined();
    expect(decodePayload(out.Payload)).toBeNull();
  });

  test('Node.js 24 refuses a callback handler at init (Runtime.CallbackHandlerDeprecated); async handlers run', async () => {
    await deployCode(
      'node24-callback',
      { 'index.js': 'exports.handler = (event, context, callback) => callback(null, 1);' },
      {
        runtime: 'nodejs24.x',
      },
    );
    const out = await invoke('node24-callback');
    expect(out.FunctionError).toBe('Unhandled');
    expect(decodePayload(out.Payload)).toMatchObject({
      errorType: 'Runtime.CallbackHandlerDeprecated',
      errorMessage: expect.stringContaining(
        'AWS Lambda has removed support for callback-based function handlers starting with Node.js 24',
      ),
    });
    await deployCode(
      'node24-async',
      { 'index.js': 'exports.handler = async () => process.env.AWS_EXECUTION_ENV;' },
      {
        runtime: 'nodejs24.x',
      },
    );
    expect(decodePayload((await invoke('node24-async')).Payload)).toBe('AWS_Lambda_nodejs24.x');
  });
});

describe('errors the runtime reports', () => {
  test('an unhandled rejection is Runtime.UnhandledPromiseRejection and ends the environment', async () => {
    await deployCode('rejection', {
      'index.js': `exports.handler = async (event) => {
  if (event.reject) Promise.reject(new Error('nobody caught this'));
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { pid: process.pid };
};`,
    });
    const first = await invoke('rejection', {});
    const out = await invoke('rejection', { reject: true });
    expect(out.FunctionError).toBe('Unhandled');
    expect(decodePayload(out.Payload)).toMatchObject({
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: 'Error: nobody caught this',
    });
    expect(decodeLog(out.LogResult)).toContain(
      '\tERROR\tUnhandled Promise Rejection \t{"errorType":"Runtime.UnhandledPromiseRejection"',
    );
    const after = await invoke('rejection', {});
    expect(decodeLog(after.LogResult)).toContain('Init Duration');
    expect((decodePayload(after.Payload) as { pid: number }).pid).not.toBe(
      (decodePayload(first.Payload) as { pid: number }).pid,
    );
  });

  test('a thrown non-Error is reported with its type, as AWS does', async () => {
    await deployCode('throw-string', { 'index.js': 'exports.handler = async () => { throw "plain words"; };' });
    const out = await invoke('throw-string');
    expect(decodePayload(out.Payload)).toEqual({ errorType: 'string', errorMessage: 'plain words', trace: [] });
  });
});

describe('response streaming', () => {
  const STREAMING = `const fs = require('node:fs');
const { pipeline } = require('node:stream/promises');
const { Readable } = require('node:stream');
const until = async (file) => { while (!fs.existsSync(file)) await new Promise((r) => setTimeout(r, 20)); };
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  if (event.mode === 'pipeline') return pipeline(Readable.from(['one ', 'two ', 'three']), responseStream);
  responseStream.setContentType('text/plain');
  responseStream.write('first part|');
  if (event.gate) await until(event.gate);
  if (event.mode === 'fail') throw new TypeError('broke after the first part');
  responseStream.write({ second: 'part' });
  responseStream.end();
});`;

  beforeAll(async () => {
    await deployCode('streamer', { 'index.js': STREAMING });
  });

  test('InvokeWithResponseStream delivers the stream as it is written, then InvokeComplete', async () => {
    const gate = path.join(dir, 'gate-open');
    const out = await h.client.send(
      new InvokeWithResponseStreamCommand({
        FunctionName: 'streamer',
        Payload: JSON.stringify({ gate }),
        LogType: 'Tail',
      }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.ExecutedVersion).toBe('$LATEST');
    const iterator = (out.EventStream as AsyncIterable<InvokeWithResponseStreamResponseEvent>)[Symbol.asyncIterator]();
    // The first part arrives while the handler still waits at its gate.
    const first = await iterator.next();
    expect(Buffer.from(first.value?.PayloadChunk?.Payload ?? []).toString()).toBe('first part|');
    expect(existsSync(gate)).toBe(false);
    writeFileSync(gate, 'open');
    const rest = await readStream({ [Symbol.asyncIterator]: () => iterator });
    expect(rest.body).toBe('{"second":"part"}');
    expect(rest.complete?.ErrorCode).toBeUndefined();
    expect(Buffer.from(rest.complete?.LogResult ?? '', 'base64').toString()).toContain('REPORT RequestId');
  });

  test('an error after part of the stream ends it with InvokeComplete ErrorCode and ErrorDetails', async () => {
    const out = await h.client.send(
      new InvokeWithResponseStreamCommand({ FunctionName: 'streamer', Payload: JSON.stringify({ mode: 'fail' }) }),
    );
    const { body, complete } = await readStream(out.EventStream);
    expect(body).toBe('first part|');
    expect(complete).toMatchObject({ ErrorCode: 'TypeError', ErrorDetails: 'broke after the first part' });
  });

  test('stream.pipeline into the response stream works; a plain Invoke gets the stream buffered', async () => {
    const streamed = await h.client.send(
      new InvokeWithResponseStreamCommand({ FunctionName: 'streamer', Payload: JSON.stringify({ mode: 'pipeline' }) }),
    );
    expect((await readStream(streamed.EventStream)).body).toBe('one two three');
    const buffered = await invoke('streamer', { mode: 'pipeline' });
    expect(buffered.FunctionError).toBeUndefined();
    expect(Buffer.from(buffered.Payload ?? new Uint8Array()).toString()).toBe('one two three');
  });

  test('a function that does not stream answers InvokeWithResponseStream in one chunk', async () => {
    await deployCode('not-streaming', { 'index.js': 'exports.handler = async (event) => ({ echo: event });' });
    const out = await h.client.send(
      new InvokeWithResponseStreamCommand({ FunctionName: 'not-streaming', Payload: JSON.stringify({ a: 1 }) }),
    );
    const { chunks, complete } = await readStream(out.EventStream);
    expect(chunks).toEqual(['{"echo":{"a":1}}']);
    expect(complete).toEqual({});
  });
});

describe('the fault suite can see inside', () => {
  test('NODE_OPTIONS from the environment reaches the runtime, and the handler module is required through Module._load', async () => {
    const probe = path.join(dir, 'probe.js');
    const seen = path.join(dir, 'seen.txt');
    writeFileSync(
      probe,
      `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const exports = load.apply(this, arguments);
  if (String(request).endsWith('probed.js')) {
    require('node:fs').appendFileSync(${JSON.stringify(seen)}, JSON.stringify({ request, fn: process.env.AWS_LAMBDA_FUNCTION_NAME, root: process.env.LAMBDA_TASK_ROOT, handler: process.env._HANDLER }) + '\\n');
  }
  return exports;
};`,
    );
    const probed = await startHarness({ environment: { NODE_OPTIONS: `--require ${probe}` } });
    try {
      const zip = await zipOf([{ name: 'probed.js', data: 'exports.handler = async () => "probed";' }]);
      await deploy(probed.client, { name: 'probed', handler: 'probed.handler', runtime: 'nodejs20.x', zip });
      const out = await probed.client.send(new InvokeCommand({ FunctionName: 'probed' }));
      expect(decodePayload(out.Payload)).toBe('probed');
      const lines = await waitFor(() => (existsSync(seen) ? readFileSync(seen, 'utf8').trim().split('\n') : undefined));
      const entry = JSON.parse(lines[0] ?? '{}') as Record<string, string>;
      expect(entry).toMatchObject({ fn: 'probed', handler: 'probed.handler' });
      expect(entry.request).toBe(path.join(entry.root ?? '', 'probed.js'));
    } finally {
      await probed.stop();
    }
  });
});
