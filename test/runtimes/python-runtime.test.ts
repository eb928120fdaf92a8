// Spillway's Python runtime client (runtimes/python/bootstrap.py) against what AWS's Python runtime gives a handler:
// `module.function` imported from the task root, the context object with AWS's attribute names, logging in AWS's
// format, and exceptions, init failures and timeouts reported as AWS reports them. It runs on the machine's python3.
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Harness } from '../lambda/helpers';
import { decodeLog, decodePayload, deploy, startHarness, zipOf } from '../lambda/helpers';

let h: Harness;

const APP = `import json
import logging
import os
import sys
import time

logger = logging.getLogger()
logger.setLevel(logging.INFO)


class Unserializable:
    pass


def handler(event, context):
    print("print from the handler")
    logger.info("logged %s", event.get("note", "nothing"))
    action = event.get("action")
    if action == "raise":
        raise ValueError("the event asked for it")
    if action == "sleep":
        time.sleep(30)
    if action == "unserializable":
        return Unserializable()
    return {
        "event": event,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "client_custom": context.client_context.custom if context.client_context else None,
        "identity_id": context.identity.cognito_identity_id,
        "execution_env": os.environ.get("AWS_EXECUTION_ENV"),
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "python": "%d.%d" % sys.version_info[:2],
        "runtime_importable": _importable("bootstrap"),
        "sys_path_0": sys.path[0],
        "cwd": os.getcwd(),
    }


def _importable(name):
    try:
        __import__(name)
        return True
    except ImportError:
        return False
`;

const invoke = (
  name: string,
  payload: unknown = {},
  extra: Partial<ConstructorParameters<typeof InvokeCommand>[0]> = {},
) =>
  h.client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(payload), LogType: 'Tail', ...extra }));

async function deployPython(name: string, handler: string, files: Record<string, string>, timeoutSeconds = 3) {
  const zip = await zipOf(Object.entries(files).map(([file, data]) => ({ name: file, data })));
  await deploy(h.client, { name, handler, runtime: 'python3.12', timeoutSeconds, zip });
}

beforeAll(async () => {
  h = await startHarness();
  await deployPython('py', 'app.handler', { 'app.py': APP });
});

afterAll(async () => {
  await h?.stop();
});

test('a handler gets the event and a context with AWS attribute names; print and logging reach the log', async () => {
  const clientContext = { custom: { tenant: 'acme' } };
  const out = await invoke(
    'py',
    { note: 'hello' },
    { ClientContext: Buffer.from(JSON.stringify(clientContext)).toString('base64') },
  );
  expect(out.FunctionError).toBeUndefined();
  const body = decodePayload(out.Payload) as Record<string, unknown>;
  expect(body).toMatchObject({
    event: { note: 'hello' },
    function_name: 'py',
    function_version: '$LATEST',
    memory_limit_in_mb: '128',
    invoked_function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:py',
    aws_request_id: out.$metadata.requestId,
    log_group_name: '/aws/lambda/py',
    client_custom: { tenant: 'acme' },
    identity_id: null,
    execution_env: 'AWS_Lambda_python3.12',
    runtime_importable: false,
  });
  // AWS runs 3.12; this runs on the machine's python3.
  expect(body.python).toMatch(/^3\.\d+$/);
  expect(body.remaining).toBeLessThanOrEqual(3000);
  expect(body.sys_path_0).toBe(body.cwd);
  expect(body.trace).toMatch(/^Root=1-/);
  const log = decodeLog(out.LogResult);
  expect(log).toContain('print from the handler\n');
  expect(log).toMatch(
    new RegExp(
      `\\[INFO\\]\\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${out.$metadata.requestId ?? ''}\\tlogged hello\\n`,
    ),
  );
  expect(log).toContain('Init Duration');
  // AWS's marshaller: json.dumps with its default separators.
  expect(Buffer.from(out.Payload ?? new Uint8Array()).toString()).toContain('"event": {"note": "hello"}');
});

test('an exception is a function error in AWS format: errorMessage, errorType, requestId, stackTrace', async () => {
  const out = await invoke('py', { action: 'raise' });
  expect(out.FunctionError).toBe('Unhandled');
  const body = decodePayload(out.Payload) as {
    errorMessage: string;
    errorType: string;
    requestId: string;
    stackTrace: string[];
  };
  expect(Object.keys(body)).toEqual(['errorMessage', 'errorType', 'requestId', 'stackTrace']);
  expect(body).toMatchObject({
    errorMessage: 'the event asked for it',
    errorType: 'ValueError',
    requestId: out.$metadata.requestId,
  });
  expect(body.stackTrace).toHaveLength(1);
  expect(body.stackTrace[0]).toMatch(
    /^ {2}File ".*app\.py", line \d+, in handler\n {4}raise ValueError\("the event asked for it"\)\n$/,
  );
  expect(decodeLog(out.LogResult)).toContain(
    '[ERROR] ValueError: the event asked for it\nTraceback (most recent call last):\n',
  );
  // The environment lives on.
  const next = await invoke('py', {});
  expect(next.FunctionError).toBeUndefined();
  expect(decodeLog(next.LogResult)).not.toContain('Init Duration');
});

test('a result json cannot encode is Runtime.MarshalError', async () => {
  const out = await invoke('py', { action: 'unserializable' });
  expect(decodePayload(out.Payload)).toMatchObject({
    errorType: 'Runtime.MarshalError',
    errorMessage: 'Unable to marshal response: Object of type Unserializable is not JSON serializable',
  });
});

test('a handler that overruns its timeout is killed: Sandbox.Timedout, and the next call starts cold', async () => {
  await deployPython('py-slow', 'app.handler', { 'app.py': APP }, 1);
  const out = await invoke('py-slow', { action: 'sleep' });
  expect(out.FunctionError).toBe('Unhandled');
  expect(decodePayload(out.Payload)).toEqual({
    errorType: 'Sandbox.Timedout',
    errorMessage: `RequestId: ${out.$metadata.requestId ?? ''} Error: Task timed out after 1.00 seconds`,
  });
  const next = await invoke('py-slow', {});
  expect(next.FunctionError).toBeUndefined();
  expect(decodeLog(next.LogResult)).toContain('Init Duration');
});

test.each([
  [
    'a module that does not exist',
    'Runtime.ImportModuleError',
    'missing.handler',
    "Unable to import module 'missing': No module named 'missing'",
  ],
  ['a function the module lacks', 'Runtime.HandlerNotFound', 'app.nope', "Handler 'nope' missing on module 'app'"],
  [
    'a handler without a function',
    'Runtime.MalformedHandlerName',
    'app',
    "Bad handler 'app': not enough values to unpack (expected 2, got 1)",
  ],
])('%s is %s at init', async (label, errorType, handler, errorMessage) => {
  const name = `py-${label.replace(/[^a-z]+/g, '-')}`.slice(0, 60);
  await deployPython(name, handler, { 'app.py': APP });
  const out = await invoke(name);
  expect(out.FunctionError).toBe('Unhandled');
  expect(decodePayload(out.Payload)).toEqual({ errorMessage, errorType, requestId: '', stackTrace: [] });
  expect(decodeLog(out.LogResult)).toContain(`[ERROR] ${errorType}: ${errorMessage}`);
});

test('a handler in a package folder (pkg/module.function) imports its neighbours', async () => {
  await deployPython('py-pkg', 'pkg/main.handler', {
    'pkg/__init__.py': '',
    'pkg/helper.py': 'def shout(s):\n    return s.upper()\n',
    'pkg/main.py': 'from pkg.helper import shout\n\ndef handler(event, context):\n    return shout(event["word"])\n',
  });
  const out = await invoke('py-pkg', { word: 'quiet' });
  expect(decodePayload(out.Payload)).toBe('QUIET');
});
