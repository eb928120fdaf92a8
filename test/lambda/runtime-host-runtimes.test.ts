// The embeddable pool with every kind of runtime, as the worker's local pool uses it: Python and a shell custom
// runtime run through the same host as Node.js, with warm reuse, parallel environments and timeouts, and every
// environment, with everything it started, dies with its host, even when the host is killed with SIGKILL. The
// invocation's Cognito identity and client context reach every runtime (the /next headers) and each one's context.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FunctionVersionDescriptor, RuntimeHost } from '../../lambda/runtime-host';
import { INIT_TIMEOUT_MS } from '../../lambda/execution-environment';
import { createRuntimeHost, unpackZip, zipEntries } from '../../lambda/runtime-host';
import { waitFor } from './helpers';

const SHELL = `#!/bin/sh
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
H=$(mktemp)
while true; do
  EVENT=$(curl -sS -D "$H" "$API/invocation/next")
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$H" | cut -d' ' -f2 | tr -d '\\r')
  case "$EVENT" in
    *pidFile*)
      FILE=$(printf '%s' "$EVENT" | sed 's/.*"pidFile":"\\([^"]*\\)".*/\\1/')
      sleep 300 &
      echo "$$ $!" > "$FILE"
      wait ;;
  esac
  curl -sS -o /dev/null -X POST -d "{\\"shell\\":$$,\\"event\\":$EVENT}" "$API/invocation/$ID/response"
done
`;

const PYTHON = `import os, time
def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {"python": os.getpid(), "event": event}
`;

/** A runtime that answers with the two optional /next headers exactly as it received them. */
const HEADERS_SHELL = `#!/bin/sh
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
H=$(mktemp)
while true; do
  curl -sS -D "$H" -o /dev/null "$API/invocation/next"
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$H" | cut -d' ' -f2 | tr -d '\\r')
  grep -i '^Lambda-Runtime-Cognito-Identity:\\|^Lambda-Runtime-Client-Context:' "$H" | tr -d '\\r' > "$H.body"
  curl -sS -o /dev/null -X POST --data-binary @"$H.body" "$API/invocation/$ID/response"
done
`;

const CONTEXT_NODE = `exports.handler = async (event, context) => ({
  identity: context.identity === undefined ? 'undefined' : context.identity,
  clientContext: context.clientContext === undefined ? 'undefined' : context.clientContext,
});`;

const CONTEXT_PYTHON = `def handler(event, context):
    cc = context.client_context
    return {
        "identityId": context.identity.cognito_identity_id,
        "identityPoolId": context.identity.cognito_identity_pool_id,
        "custom": cc.custom if cc else None,
        "env": cc.env if cc else None,
        "installationId": cc.client.installation_id if cc and cc.client else None,
    }
`;

let dir: string;
let host: RuntimeHost;
const roots: Record<string, string> = {};

function descriptor(
  kind: 'shell' | 'python',
  overrides: Partial<FunctionVersionDescriptor> = {},
): FunctionVersionDescriptor {
  return {
    functionName: `hosted-${kind}`,
    version: '$LATEST',
    functionArn: `arn:aws:lambda:us-east-1:000000000000:function:hosted-${kind}`,
    codeSha256: kind,
    taskRoot: roots[kind] ?? '',
    handler: kind === 'python' ? 'app.handler' : 'function.handler',
    runtime: kind === 'python' ? 'python3.13' : 'provided.al2023',
    memoryMB: 128,
    timeoutSeconds: 5,
    environment: {},
    architecture: 'x86_64',
    ...overrides,
  };
}

function result(run: Awaited<ReturnType<RuntimeHost['invoke']>>): Record<string, unknown> {
  if (run.outcome.kind !== 'success') throw new Error(`the invocation failed: ${JSON.stringify(run.outcome)}`);
  return JSON.parse(run.outcome.result) as Record<string, unknown>;
}

function isGone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'spillway-host-runtimes-'));
  roots.shell = path.join(dir, 'shell');
  roots.python = path.join(dir, 'python');
  roots.node = path.join(dir, 'node');
  await unpackZip(await zipEntries([{ name: 'bootstrap', data: SHELL, mode: 0o755 }]), roots.shell);
  await unpackZip(await zipEntries([{ name: 'app.py', data: PYTHON }]), roots.python);
  await unpackZip(
    await zipEntries([
      {
        name: 'index.js',
        data: `exports.hang = async (event) => { require('node:fs').writeFileSync(event.pidFile, process.pid + ' ' + process.pid); await new Promise(() => setInterval(() => {}, 1000)); };`,
      },
    ]),
    roots.node,
  );
  roots.headersShell = path.join(dir, 'headers-shell');
  roots.contextNode = path.join(dir, 'context-node');
  roots.contextPython = path.join(dir, 'context-python');
  await unpackZip(await zipEntries([{ name: 'bootstrap', data: HEADERS_SHELL, mode: 0o755 }]), roots.headersShell);
  await unpackZip(await zipEntries([{ name: 'index.js', data: CONTEXT_NODE }]), roots.contextNode);
  await unpackZip(await zipEntries([{ name: 'app.py', data: CONTEXT_PYTHON }]), roots.contextPython);
  host = createRuntimeHost({ maxEnvironments: 6, idleReclaimMs: 60_000 });
});

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

test.each(['shell', 'python'] as const)('a %s function runs cold, then warm in the same environment', async (kind) => {
  const first = await host.invoke(descriptor(kind), { payload: '{"n":1}' });
  const second = await host.invoke(descriptor(kind), { payload: '{"n":2}' });
  expect(first.coldStart).toBe(true);
  expect(first.initDurationMs).toEqual(expect.any(Number));
  expect(second.coldStart).toBe(false);
  expect(result(second)).toMatchObject({ event: { n: 2 } });
  expect(result(second)[kind]).toBe(result(first)[kind]);
  expect(second.maxMemoryUsedMB).toBeGreaterThan(0);
  expect(second.log).toMatch(/^START RequestId: \S+ Version: \$LATEST\n/);
});

test('two invocations at once get two environments; both are reused afterwards', async () => {
  const d = descriptor('python', { functionName: 'parallel-python' });
  const [a, b] = await Promise.all([
    host.invoke(d, { payload: '{"sleep":0.2}' }),
    host.invoke(d, { payload: '{"sleep":0.2}' }),
  ]);
  expect(result(a).python).not.toBe(result(b).python);
  expect(host.counts('parallel-python')).toEqual({ total: 2, idle: 2, busy: 0 });
});

test('a python function that overruns its timeout is killed and the next invocation is cold', async () => {
  const d = descriptor('python', { functionName: 'slow-python', timeoutSeconds: 1 });
  const slow = await host.invoke(d, { payload: '{"sleep":10}' });
  expect(slow.outcome).toMatchObject({ kind: 'error', error: { errorType: 'Sandbox.Timedout' } });
  expect((await host.invoke(d, { payload: '{}' })).coldStart).toBe(true);
});

test.each(['node', 'shell'] as const)(
  'a %s environment and everything it started die with a host killed by SIGKILL',
  async (kind) => {
    const pidFile = path.join(dir, `${kind}-pids`);
    const d =
      kind === 'node'
        ? {
            ...descriptor('shell'),
            functionName: 'orphan-node',
            taskRoot: roots.node ?? '',
            handler: 'index.hang',
            runtime: 'nodejs20.x',
          }
        : { ...descriptor('shell'), functionName: 'orphan-shell', timeoutSeconds: 120 };
    const script = `const { createRuntimeHost } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'dist', 'lambda', 'runtime-host.js'))});
createRuntimeHost().invoke(${JSON.stringify({ ...d, timeoutSeconds: 120 })}, { payload: ${JSON.stringify(JSON.stringify({ pidFile }))} });`;
    const hostProcess = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const pids = await waitFor(
      () =>
        existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' ') ? readFileSync(pidFile, 'utf8') : undefined,
      30_000,
    );
    const [runtimePid, childPid] = pids.trim().split(' ').map(Number);
    expect(isGone(runtimePid ?? 0)).toBe(false);
    hostProcess.kill('SIGKILL');
    await waitFor(() => (isGone(runtimePid ?? 0) && isGone(childPid ?? 0) ? true : undefined), 30_000);
  },
);

test('a runtime that does not ask for its first event within the init limit is Runtime.InitTimeout', async () => {
  expect(INIT_TIMEOUT_MS).toBe(10_000);
  const slowRoot = path.join(dir, 'slow-init');
  await unpackZip(
    await zipEntries([{ name: 'bootstrap', data: '#!/bin/sh\necho "initializing slowly"\nsleep 30\n', mode: 0o755 }]),
    slowRoot,
  );
  // The limit is AWS's 10 s; a host of its own with a shorter one shows the behaviour with less of a wait. It is
  // still ample for sh to start and print on a loaded machine: the log must hold the init output.
  const quick = createRuntimeHost({ initTimeoutMs: 4_000 });
  try {
    const run = await quick.invoke(
      { ...descriptor('shell'), functionName: 'slow-init', taskRoot: slowRoot },
      { payload: '{}' },
    );
    expect(run.outcome).toEqual({
      kind: 'error',
      unhandled: true,
      error: { errorType: 'Runtime.InitTimeout', errorMessage: 'INIT phase timed out' },
    });
    expect(run.log).toContain('initializing slowly');
    expect(quick.counts('slow-init').total).toBe(0);
  } finally {
    await quick.close();
  }
});

describe('a Cognito identity and a client context given to the host', () => {
  const identity = { cognitoIdentityId: 'us-east-1:4f1c-identity', cognitoIdentityPoolId: 'us-east-1:pool-7' };
  const clientContext = {
    client: { installation_id: 'install-1', app_title: 'Spillway tests' },
    custom: { tenant: 'acme' },
    env: { locale: 'en-GB' },
  };
  const options = {
    payload: '{}',
    cognitoIdentity: JSON.stringify(identity),
    clientContext: JSON.stringify(clientContext),
  };

  test('reach a custom runtime as Lambda-Runtime-Cognito-Identity and Lambda-Runtime-Client-Context', async () => {
    const run = await host.invoke(
      { ...descriptor('shell'), functionName: 'headers-shell', taskRoot: roots.headersShell ?? '' },
      options,
    );
    if (run.outcome.kind !== 'success') throw new Error(`the invocation failed: ${JSON.stringify(run.outcome)}`);
    const headers = Object.fromEntries(
      run.outcome.result
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    expect(headers).toEqual({
      'lambda-runtime-cognito-identity': JSON.stringify(identity),
      'lambda-runtime-client-context': JSON.stringify(clientContext),
    });
  });

  test("reach a Node handler as context.identity and context.clientContext, parsed as AWS's runtime parses them", async () => {
    const node = {
      ...descriptor('shell'),
      functionName: 'context-node',
      taskRoot: roots.contextNode ?? '',
      handler: 'index.handler',
      runtime: 'nodejs22.x',
    };
    expect(result(await host.invoke(node, options))).toEqual({ identity, clientContext });
    // Without them, both are undefined, as on AWS for an invocation that carries neither.
    expect(result(await host.invoke(node, { payload: '{}' }))).toEqual({
      identity: 'undefined',
      clientContext: 'undefined',
    });
  });

  test("reach a Python handler as context.identity and context.client_context, with AWS's attribute names", async () => {
    const python = { ...descriptor('python'), functionName: 'context-python', taskRoot: roots.contextPython ?? '' };
    expect(result(await host.invoke(python, options))).toEqual({
      identityId: identity.cognitoIdentityId,
      identityPoolId: identity.cognitoIdentityPoolId,
      custom: clientContext.custom,
      env: clientContext.env,
      installationId: 'install-1',
    });
  });
});
