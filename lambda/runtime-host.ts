// Runs invocations of function versions in execution environments, reusing warm ones: the one code path behind
// the local Lambda service's Invoke and the worker's local pool. It knows nothing about the Lambda API, queues or
// concurrency limits; callers decide when to invoke, it decides which environment runs it.
//
// Environments are keyed by everything that shapes them (version, package, handler, memory, variables...), so a
// changed $LATEST never reuses an environment of its old configuration. Warm ones are handed out most recently
// used first, as Lambda does, so the rest go idle and are reclaimed after idleReclaimMs.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BootstrapNotBuiltError } from './errors';
import type { InvocationOutcome, InvocationRun } from './execution-environment';
import { CANCELLED_ERROR_TYPE, ExecutionEnvironment, LOST } from './execution-environment';
import type { Architecture } from './function-store';
import { composeInvocationLog } from './invocation-log';
import { processReaper } from './process-reaper';
import { nodeRuntimeClientPath, pythonRuntimeClientPath } from './repo-paths';
import { MAX_RESPONSE_BYTES, MAX_STREAMED_RESPONSE_BYTES } from './runtime-api-limits';
import type { LaunchCommand, RuntimeSpec } from './runtimes';
import { executionEnv, InvalidEntrypointError, launchCommand, runtimeSpec } from './runtimes';
import type { EnvironmentCounts } from '../domain/lambda-status';

export type { InvocationOutcome } from './execution-environment';
export type { FunctionErrorBody } from './runtime-api-server';
export { CANCELLED_ERROR_TYPE } from './execution-environment';

/** Variables the environment sets to tell the runtime what to load, named as in AWS. */
export const HANDLER_ENV = '_HANDLER';
export const TASK_ROOT_ENV = 'LAMBDA_TASK_ROOT';

/** Everything needed to run one version of a function from its unpacked package. */
export interface FunctionVersionDescriptor {
  functionName: string;
  /** `$LATEST` or a published version number; AWS_LAMBDA_FUNCTION_VERSION and the START line show it. */
  version: string;
  /** The unqualified function ARN. */
  functionArn: string;
  codeSha256: string;
  /** The unpacked package (see unpackZip): working directory, LAMBDA_TASK_ROOT and the only module root. */
  taskRoot: string;
  /** `<module path>.<export>`, relative to the task root: `index.handler`, `src/app.handler`. */
  handler: string;
  /** One of SUPPORTED_RUNTIMES (lambda/runtimes.ts). */
  runtime: string;
  memoryMB: number;
  timeoutSeconds: number;
  environment: Readonly<Record<string, string>>;
  architecture: Architecture;
}

export interface InvokeOptions {
  /** Default: a new UUID. */
  requestId?: string;
  /** The event as JSON text; '' is an empty event ({}). */
  payload: string;
  /** Aborting kills the environment running the invocation; the result's outcome is then CANCELLED_ERROR_TYPE. */
  signal?: AbortSignal;
  /** The ARN the caller invoked (qualified with the alias or version it named); default the descriptor's ARN. */
  invokedFunctionArn?: string;
  /**
   * This invocation's own limit, ms; default the descriptor's timeout. Not part of the environment's configuration:
   * the worker's local pool bounds each attempt by its task's deadline, and attempts with different deadlines must
   * share warm environments rather than each start (and retire) their own.
   */
  timeoutMs?: number;
  /** The X-Ray trace header; default a new, unsampled root. */
  traceId?: string;
  /** The client context as JSON text (Invoke's X-Amz-Client-Context, base64-decoded). */
  clientContext?: string;
  /** The Cognito identity as JSON text ({"cognitoIdentityId","cognitoIdentityPoolId"}). */
  cognitoIdentity?: string;
  /** Receives a streamed response (awslambda.streamifyResponse) chunk by chunk; without it the stream is buffered. */
  onChunk?: (chunk: Buffer) => void;
  /** Told when the response starts: its content type, and whether the function streams it. */
  onResponseStart?: (info: { contentType: string | undefined; streaming: boolean }) => void;
}

export interface InvocationResult {
  requestId: string;
  outcome: InvocationOutcome;
  /** START, the function's output (and init output on a cold start), END and REPORT, as AWS logs them. */
  log: string;
  durationMs: number;
  /** Set on cold starts only. */
  initDurationMs?: number;
  maxMemoryUsedMB: number;
  /** CPU the environment used during the invocation (Linux: from /proc), for local cost. */
  cpuTimeMs?: number;
  coldStart: boolean;
  aborted: boolean;
}

export interface RuntimeHostOptions {
  /** Live environments across all functions; at the limit the least recently used idle one is reclaimed. Default 50. */
  maxEnvironments?: number;
  /** Idle environments are killed after this long. Default 5 minutes. */
  idleReclaimMs?: number;
  /** AWS_REGION and AWS_DEFAULT_REGION inside environments. Default us-east-1. */
  region?: string;
  /** Variables every environment gets before the function's own (PATH, TZ, callback secret...). */
  baseEnvironment?: Readonly<Record<string, string>>;
  /** The Node.js runtime client. Default <repo>/dist/runtimes/node/bootstrap.js. */
  bootstrapPath?: string;
  /** The Python runtime client. Default <repo>/runtimes/python/bootstrap.py. */
  pythonBootstrapPath?: string;
  /** A buffered response larger than this fails with Function.ResponseSizeTooLarge. Default 6291556 (AWS's). */
  maxResponseBytes?: number;
  /** The same for a streamed response. Default 200 MB (AWS's). */
  maxStreamedResponseBytes?: number;
  /** How long a runtime may take to ask for its first event. Default 10 s, AWS's init limit. */
  initTimeoutMs?: number;
}

// Reported on GET /_spillway/status, declared with the report in domain/lambda-status.ts.
export type { EnvironmentCounts };

/** Every environment is busy and the host is at maxEnvironments; the caller should throttle or wait. */
export class EnvironmentCapacityError extends Error {
  override readonly name = 'EnvironmentCapacityError';
}

/** invoke() after close(). */
export class RuntimeHostClosedError extends Error {
  override readonly name = 'RuntimeHostClosedError';
}

export const DEFAULT_MAX_ENVIRONMENTS = 50;
export const DEFAULT_IDLE_RECLAIM_MS = 5 * 60_000;

interface Slot {
  env: ExecutionEnvironment;
  key: string;
  functionName: string;
  version: string;
  /** The function's generation when the environment started; retire() bumps it. */
  generation: number;
}

function environmentKey(fn: FunctionVersionDescriptor): string {
  const env = Object.keys(fn.environment)
    .sort()
    .map((k) => [k, fn.environment[k]]);
  return createHash('sha256')
    .update(JSON.stringify({ ...fn, environment: env }))
    .digest('hex');
}

export class RuntimeHost {
  private readonly idle = new Map<string, Slot[]>();
  private readonly live = new Set<Slot>();
  private readonly generations = new Map<string, number>();
  private readonly maxEnvironments: number;
  private readonly idleReclaimMs: number;
  private readonly region: string;
  private readonly clients: { node: string; python: string };
  private readonly baseEnvironment: Readonly<Record<string, string>>;
  private readonly limits: { maxResponseBytes: number; maxStreamedResponseBytes: number };
  private readonly initTimeoutMs: number | undefined;
  private closed = false;

  constructor(options: RuntimeHostOptions = {}) {
    this.maxEnvironments = options.maxEnvironments ?? DEFAULT_MAX_ENVIRONMENTS;
    this.idleReclaimMs = options.idleReclaimMs ?? DEFAULT_IDLE_RECLAIM_MS;
    this.region = options.region ?? 'us-east-1';
    this.baseEnvironment = options.baseEnvironment ?? { TZ: 'UTC', PATH: process.env.PATH ?? '/usr/bin:/bin' };
    this.clients = {
      node: options.bootstrapPath ?? nodeRuntimeClientPath(),
      python: options.pythonBootstrapPath ?? pythonRuntimeClientPath(),
    };
    this.limits = {
      maxResponseBytes: options.maxResponseBytes ?? MAX_RESPONSE_BYTES,
      maxStreamedResponseBytes: options.maxStreamedResponseBytes ?? MAX_STREAMED_RESPONSE_BYTES,
    };
    this.initTimeoutMs = options.initTimeoutMs;
    if (!existsSync(this.clients.node)) {
      throw new BootstrapNotBuiltError(`${this.clients.node} is missing; run npm run build first`);
    }
  }

  /** Runs one invocation in a warm environment of this exact configuration, or in a new one. */
  async invoke(fn: FunctionVersionDescriptor, options: InvokeOptions): Promise<InvocationResult> {
    if (this.closed) throw new RuntimeHostClosedError('The runtime host is closed.');
    const requestId = options.requestId ?? randomUUID();
    const { signal } = options;
    const key = environmentKey(fn);
    this.retireOtherConfigurations(fn, key);
    const report = (
      run: Omit<InvocationResult, 'requestId' | 'log' | 'coldStart' | 'aborted'>,
      output: string,
      coldStart: boolean,
    ): InvocationResult => ({
      ...run,
      requestId,
      coldStart,
      aborted: signal?.aborted ?? false,
      log: composeInvocationLog(output, {
        requestId,
        version: fn.version,
        durationMs: run.durationMs,
        memoryMB: fn.memoryMB,
        maxMemoryUsedMB: run.maxMemoryUsedMB,
        initDurationMs: run.initDurationMs,
      }),
    });
    // An environment that died between two invocations never took the event; it goes to a new one, once.
    for (let attempt = 0; ; attempt++) {
      let slot = attempt === 0 ? this.takeIdle(key) : undefined;
      const coldStart = !slot;
      if (signal?.aborted) {
        if (slot) this.park(slot);
        return report({ outcome: cancelledOutcome(requestId), durationMs: 0, maxMemoryUsedMB: 0 }, '', coldStart);
      }
      let initDurationMs: number | undefined;
      if (slot) {
        clearTimeout(slot.env.idleTimer);
      } else {
        this.makeRoom();
        const spawned = this.spawn(fn, key, requestId);
        if (!spawned.ok) {
          return report({ outcome: spawned.outcome, durationMs: 0, maxMemoryUsedMB: 0 }, '', true);
        }
        slot = spawned.slot;
        const starting = slot;
        const onAbortInit = () => starting.env.kill();
        signal?.addEventListener('abort', onAbortInit, { once: true });
        const init = await slot.env.init();
        signal?.removeEventListener('abort', onAbortInit);
        if (!init.ok) {
          this.discard(slot);
          const outcome: InvocationOutcome = signal?.aborted
            ? cancelledOutcome(requestId)
            : { kind: 'error', unhandled: true, error: init.error, payload: init.payload };
          return report({ outcome, durationMs: 0, maxMemoryUsedMB: 0 }, init.log, true);
        }
        initDurationMs = init.initDurationMs;
      }
      const running = slot;
      const onAbort = () => running.env.cancel('The invocation was cancelled by its caller');
      signal?.addEventListener('abort', onAbort, { once: true });
      let run: InvocationRun | typeof LOST;
      try {
        run = await running.env.invoke({
          requestId,
          payload: options.payload,
          timeoutMs: options.timeoutMs ?? fn.timeoutSeconds * 1000,
          invokedFunctionArn: options.invokedFunctionArn ?? fn.functionArn,
          traceId: options.traceId ?? newTraceId(),
          clientContext: options.clientContext,
          cognitoIdentity: options.cognitoIdentity,
          onChunk: options.onChunk,
          onResponseStart: options.onResponseStart,
        });
      } finally {
        signal?.removeEventListener('abort', onAbort);
        if (running.env.state === 'idle' && !this.closed) this.park(running);
        else this.discard(running);
      }
      if (run === LOST && attempt === 0 && !this.closed) continue;
      if (run === LOST) {
        const errorMessage = `RequestId: ${requestId} Error: Runtime exited before it took the event`;
        const outcome: InvocationOutcome = {
          kind: 'error',
          unhandled: true,
          error: { errorType: 'Runtime.ExitError', errorMessage },
        };
        return report({ outcome, durationMs: 0, maxMemoryUsedMB: 0 }, '', coldStart);
      }
      return report({ ...run, initDurationMs }, run.log, coldStart);
    }
  }

  /** Environments of one function (all versions), or of one version of it. */
  counts(functionName: string, version?: string): EnvironmentCounts {
    let total = 0;
    let idle = 0;
    for (const slot of this.live) {
      if (slot.functionName !== functionName || (version !== undefined && slot.version !== version)) continue;
      total++;
      if (slot.env.state === 'idle' && this.isParked(slot)) idle++;
    }
    return { total, idle, busy: total - idle };
  }

  /** Versions of a function that have live environments. */
  versions(functionName: string): string[] {
    const versions = new Set<string>();
    for (const slot of this.live) if (slot.functionName === functionName) versions.add(slot.version);
    return [...versions];
  }

  /**
   * Kills a function's idle environments and lets busy ones finish without reuse: after a delete or an update.
   * With a version, only that version's.
   */
  retire(functionName: string, version?: string): void {
    if (version === undefined) this.generations.set(functionName, this.generation(functionName) + 1);
    for (const slot of [...this.live]) {
      if (slot.functionName !== functionName || (version !== undefined && slot.version !== version)) continue;
      if (this.isParked(slot)) this.discard(slot);
      else if (version !== undefined) slot.generation = -1;
    }
  }

  /** Kills idle environments of a function, oldest first, until at most `keep` are left in total. */
  trim(functionName: string, keep: number): void {
    const parked = [...this.live]
      .filter((s) => s.functionName === functionName && this.isParked(s))
      .sort((a, b) => a.env.lastUsedAt - b.env.lastUsedAt);
    let total = this.counts(functionName).total;
    for (const slot of parked) {
      if (total <= keep) break;
      this.discard(slot);
      total--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.live];
    for (const slot of all) slot.env.kill();
    await Promise.all(all.map((slot) => slot.env.exited));
    this.live.clear();
    this.idle.clear();
  }

  private generation(functionName: string): number {
    return this.generations.get(functionName) ?? 0;
  }

  private isParked(slot: Slot): boolean {
    return this.idle.get(slot.key)?.includes(slot) ?? false;
  }

  private retireOtherConfigurations(fn: FunctionVersionDescriptor, key: string): void {
    for (const [otherKey, stack] of this.idle) {
      if (otherKey === key) continue;
      for (const slot of [...stack]) {
        if (slot.functionName === fn.functionName && slot.version === fn.version) this.discard(slot);
      }
    }
  }

  /** A parked environment of this configuration that is still alive, most recently used first. */
  private takeIdle(key: string): Slot | undefined {
    let slot = this.idle.get(key)?.pop();
    // One that died a moment ago may still be parked until its exit is processed.
    while (slot && slot.env.state !== 'idle') {
      this.discard(slot);
      slot = this.idle.get(key)?.pop();
    }
    return slot;
  }

  private spawn(
    fn: FunctionVersionDescriptor,
    key: string,
    requestId: string,
  ): { ok: true; slot: Slot } | { ok: false; outcome: InvocationOutcome } {
    const runtime = runtimeSpec(fn.runtime);
    let launch: LaunchCommand;
    try {
      launch = launchCommand(runtime, { taskRoot: fn.taskRoot, memoryMB: fn.memoryMB, clients: this.clients });
    } catch (err) {
      if (!(err instanceof InvalidEntrypointError)) throw err;
      const error = {
        errorType: 'Runtime.InvalidEntrypoint',
        errorMessage: `RequestId: ${requestId} Error: ${err.message}`,
      };
      return { ok: false, outcome: { kind: 'error', unhandled: true, error } };
    }
    const env = new ExecutionEnvironment({
      launch,
      cwd: fn.taskRoot,
      limits: this.limits,
      reaper: processReaper(),
      initTimeoutMs: this.initTimeoutMs,
      env: this.environmentOf(fn, runtime, launch),
    });
    const slot: Slot = {
      env,
      key,
      functionName: fn.functionName,
      version: fn.version,
      generation: this.generation(fn.functionName),
    };
    this.live.add(slot);
    // An environment that dies while idle (killed from outside, crashed in a timer) must not be handed out.
    void env.exited.then(() => this.discard(slot));
    return { ok: true, slot };
  }

  /** The variables an environment gets, as AWS sets them; the function's own may override the runtime's paths. */
  private environmentOf(
    fn: FunctionVersionDescriptor,
    runtime: RuntimeSpec,
    launch: LaunchCommand,
  ): Record<string, string> {
    const env: Record<string, string> = {
      ...this.baseEnvironment,
      ...launch.runtimeEnvironment,
      ...fn.environment,
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMB),
      AWS_LAMBDA_FUNCTION_VERSION: fn.version,
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(fn.version),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      LAMBDA_RUNTIME_DIR: path.dirname(runtime.launcher === 'python' ? this.clients.python : this.clients.node),
      [TASK_ROOT_ENV]: fn.taskRoot,
      [HANDLER_ENV]: fn.handler,
    };
    const executionEnvironment = executionEnv(runtime);
    if (executionEnvironment) env.AWS_EXECUTION_ENV = executionEnvironment;
    else delete env.AWS_EXECUTION_ENV;
    return env;
  }

  private park(slot: Slot): void {
    if (slot.generation !== this.generation(slot.functionName)) {
      this.discard(slot);
      return;
    }
    let stack = this.idle.get(slot.key);
    if (!stack) this.idle.set(slot.key, (stack = []));
    stack.push(slot);
    slot.env.idleTimer = setTimeout(() => this.discard(slot), this.idleReclaimMs);
    slot.env.idleTimer.unref();
  }

  private discard(slot: Slot): void {
    slot.env.kill();
    this.live.delete(slot);
    const stack = this.idle.get(slot.key);
    const i = stack?.indexOf(slot) ?? -1;
    if (stack && i >= 0) stack.splice(i, 1);
    if (stack && stack.length === 0) this.idle.delete(slot.key);
  }

  /** Keeps the number of processes within maxEnvironments by reclaiming the least recently used idle one. */
  private makeRoom(): void {
    if (this.live.size < this.maxEnvironments) return;
    let oldest: Slot | undefined;
    for (const stack of this.idle.values()) {
      const candidate = stack[0];
      if (candidate && (!oldest || candidate.env.lastUsedAt < oldest.env.lastUsedAt)) oldest = candidate;
    }
    if (!oldest) throw new EnvironmentCapacityError(`All ${this.maxEnvironments} execution environments are busy.`);
    this.discard(oldest);
  }
}

/** AWS's log stream name: the date and the version that runs, then an id of the environment. */
function logStreamName(version: string): string {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[${version}]${randomBytes(16).toString('hex')}`;
}

/** An X-Ray trace header for an invocation nobody traced: a new root, not sampled. */
export function newTraceId(): string {
  const seconds = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  // randomUUID draws from a pooled buffer: far cheaper per call than randomBytes.
  const id = randomUUID().replace(/-/g, '');
  const parent = randomUUID().replace(/-/g, '');
  return `Root=1-${seconds}-${id.slice(0, 24)};Parent=${parent.slice(0, 16)};Sampled=0`;
}

function cancelledOutcome(requestId: string): InvocationOutcome {
  return {
    kind: 'error',
    unhandled: true,
    error: {
      errorType: CANCELLED_ERROR_TYPE,
      errorMessage: `RequestId: ${requestId} Error: The invocation was cancelled by its caller`,
    },
  };
}

/** The embeddable pool: `createRuntimeHost({ maxEnvironments: 4 }).invoke(descriptor, { payload })`. */
export function createRuntimeHost(options: RuntimeHostOptions = {}): RuntimeHost {
  return new RuntimeHost(options);
}

export { unpackZip, inspectZip, zipDirectory, zipEntries, MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES } from './zip-package';
export type { PackageManifest, PackageEntry, ZipInput } from './zip-package';
