// The embeddable pool, as the worker will use it: a descriptor of an unpacked version, warm reuse, cancellation
// through an AbortSignal and a bound on the number of environments.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FunctionVersionDescriptor, RuntimeHost } from '../../lambda/runtime-host';
import {
  CANCELLED_ERROR_TYPE,
  createRuntimeHost,
  EnvironmentCapacityError,
  unpackZip,
  zipEntries,
} from '../../lambda/runtime-host';

let dir: string;
let host: RuntimeHost;
let taskRoot: string;

const HANDLERS = `
exports.echo = async (event, context) => ({ event, pid: process.pid, version: context.functionVersion });
exports.hang = async (event) => {
  if (event.pidFile) require('node:fs').writeFileSync(event.pidFile, String(process.pid));
  await new Promise(() => setInterval(() => {}, 1000));
};
`;

/** Gone, or a zombie nobody has reaped yet: either way it runs nothing. */
function isGone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not in time`);
}

function descriptor(overrides: Partial<FunctionVersionDescriptor> = {}): FunctionVersionDescriptor {
  return {
    functionName: 'hosted',
    version: '3',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:hosted',
    codeSha256: 'test-sha',
    taskRoot,
    handler: 'index.echo',
    runtime: 'nodejs20.x',
    memoryMB: 128,
    timeoutSeconds: 5,
    environment: {},
    architecture: 'x86_64',
    ...overrides,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'spillway-runtime-host-'));
  taskRoot = path.join(dir, 'root');
  const manifest = await unpackZip(await zipEntries([{ name: 'index.js', data: HANDLERS }]), taskRoot);
  expect(manifest.entries.map((e) => e.name)).toEqual(['index.js']);
  host = createRuntimeHost({ maxEnvironments: 1, idleReclaimMs: 60_000 });
});

afterAll(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

test('runs a version cold, then warm in the same environment, with an AWS-shaped log', async () => {
  const first = await host.invoke(descriptor(), { payload: '{"n":1}' });
  expect(first.coldStart).toBe(true);
  expect(first.initDurationMs).toEqual(expect.any(Number));
  expect(first.outcome.kind).toBe('success');
  const result = first.outcome.kind === 'success' ? (JSON.parse(first.outcome.result) as { pid: number }) : undefined;
  expect(result).toMatchObject({ event: { n: 1 }, version: '3' });
  expect(first.log).toContain(`START RequestId: ${first.requestId} Version: 3`);
  expect(first.log).toMatch(/REPORT RequestId: .*\tInit Duration: /);

  const second = await host.invoke(descriptor(), { requestId: 'req-2', payload: '{}' });
  expect(second).toMatchObject({ requestId: 'req-2', coldStart: false, aborted: false });
  expect(second.initDurationMs).toBeUndefined();
  const pid = second.outcome.kind === 'success' ? (JSON.parse(second.outcome.result) as { pid: number }).pid : 0;
  expect(pid).toBe(result?.pid);
  expect(host.counts('hosted')).toEqual({ total: 1, idle: 1, busy: 0 });
});

// Regression: the worker put each attempt's deadline in the descriptor, so AUTO tasks (timeout capped at the
// function's) and LOCAL ones (300 s) each cold-started their own environments and retired the other's.
test('invocations with their own deadlines share one warm environment, and each deadline bounds its invocation', async () => {
  const first = await host.invoke(descriptor(), { payload: '{}', timeoutMs: 40_000 });
  const second = await host.invoke(descriptor(), { payload: '{}', timeoutMs: 300_000 });
  expect(second.coldStart).toBe(false);
  const pidOf = (r: typeof first) =>
    r.outcome.kind === 'success' ? (JSON.parse(r.outcome.result) as { pid: number }).pid : 0;
  expect(pidOf(second)).toBe(pidOf(first));

  const hung = await host.invoke(descriptor({ handler: 'index.hang' }), { payload: '{}', timeoutMs: 300 });
  expect(hung.outcome).toMatchObject({ kind: 'error', error: { errorType: 'Sandbox.Timedout' } });
});

test('aborting the signal kills the environment running the handler and reports the invocation cancelled', async () => {
  const controller = new AbortController();
  const pidFile = path.join(dir, 'hang.pid');
  const running = host.invoke(descriptor({ handler: 'index.hang', timeoutSeconds: 60 }), {
    payload: JSON.stringify({ pidFile }),
    signal: controller.signal,
  });
  // Abort once the handler runs.
  const pid = await until(
    () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined),
    'the handler starts',
  );
  controller.abort();
  const run = await running;
  await until(() => (isGone(pid) ? true : undefined), 'the environment dies');
  expect(run.aborted).toBe(true);
  expect(run.outcome).toEqual({
    kind: 'error',
    unhandled: true,
    error: { errorType: CANCELLED_ERROR_TYPE, errorMessage: expect.stringContaining('cancelled') },
  });
  expect(host.counts('hosted').busy).toBe(0);
});

test('at maxEnvironments with every environment busy, another function gets EnvironmentCapacityError', async () => {
  const controller = new AbortController();
  const busy = host.invoke(descriptor({ handler: 'index.hang', timeoutSeconds: 60 }), {
    payload: '{}',
    signal: controller.signal,
  });
  for (let i = 0; i < 200 && host.counts('hosted').busy === 0; i++) await new Promise((r) => setTimeout(r, 25));
  await expect(host.invoke(descriptor({ functionName: 'other' }), { payload: '{}' })).rejects.toBeInstanceOf(
    EnvironmentCapacityError,
  );
  controller.abort();
  expect((await busy).aborted).toBe(true);
});
