// One execution environment: a runtime process (our Node.js or Python runtime client, or a package's own bootstrap)
// that talks to its own Runtime API server, initializes once, then runs one invocation at a time. It knows nothing
// about queues or limits; the pool (runtime-host.ts) decides when to create, reuse and kill.
//
// The phases, as Lambda has them: the process starts and initializes; its first GET /next ends the init phase (Init
// Duration). An invocation starts when its event goes out in a /next response and ends with the runtime's
// /response or /error. Output the runtime wrote before posting its answer belongs to that invocation: every runtime
// writes its output before it posts (pipes are synchronous), and the outcome is settled only after the output that
// is already readable has been read (one turn of the event loop).
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ProcessReaper } from './process-reaper';
import type {
  FunctionErrorBody,
  InvocationEvent,
  PostedError,
  RuntimeApiLimits,
  RuntimeOutcome,
} from './runtime-api-server';
import { RuntimeApiServer } from './runtime-api-server';
import type { LaunchCommand } from './runtimes';

export type { FunctionErrorBody } from './runtime-api-server';

/** AWS gives a function's init phase 10 seconds regardless of its own timeout. */
export const INIT_TIMEOUT_MS = 10_000;
const MiB = 1024 * 1024;

export type InvocationOutcome =
  | { kind: 'success'; result: string }
  | {
      kind: 'error';
      /** False when the function reported the error itself (POST /error); true when the platform ended the run. */
      unhandled: boolean;
      error: FunctionErrorBody;
      /** The error body exactly as the runtime posted it, for the Invoke response; absent for platform errors. */
      payload?: string;
    };

export interface InvocationRun {
  outcome: InvocationOutcome;
  /** The function's own output during the invocation (and during init, on a cold start). */
  log: string;
  durationMs: number;
  maxMemoryUsedMB: number;
  /** CPU time the environment's process used during the invocation, when the OS tells (Linux). */
  cpuTimeMs?: number;
}

/** The environment died before its runtime took the event: nothing ran, so the event can go to a new one. */
export const LOST = Symbol('environment-lost');

/**
 * Nanoseconds the process's main thread has spent on a CPU, from /proc/<pid>/schedstat (Linux); undefined elsewhere.
 * Read by the host, so it works for every runtime, whatever language runs inside.
 */
export function processCpuNs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const first = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0];
    const value = Number(first);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a /proc file of one process through a descriptor kept open: one pread per reading instead of an open, a
 * read and a close, on the path of every invocation.
 */
class ProcFile {
  private fd: number | undefined;
  private readonly buffer = Buffer.alloc(2048);

  constructor(private readonly file: string) {}

  read(): string | undefined {
    try {
      this.fd ??= openSync(this.file, 'r');
      const n = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
      return this.buffer.toString('latin1', 0, n);
    } catch {
      this.close();
      return undefined;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
    this.fd = undefined;
  }
}

export type InitResult =
  { ok: true; initDurationMs: number } | { ok: false; error: FunctionErrorBody; payload?: string; log: string };

export interface EnvironmentSpawnOptions {
  launch: LaunchCommand;
  /** Every variable of the environment except AWS_LAMBDA_RUNTIME_API, which the environment adds. */
  env: Record<string, string>;
  /** The task root: the function's working directory, as /var/task is on AWS. */
  cwd: string;
  limits: RuntimeApiLimits;
  reaper: ProcessReaper;
  /** Default INIT_TIMEOUT_MS, AWS's 10 seconds. */
  initTimeoutMs?: number;
}

export interface InvocationRequest extends Omit<InvocationEvent, 'payload' | 'deadlineMs'> {
  /** The event as JSON text; '' is an empty event ({}). */
  payload: string;
  timeoutMs: number;
}

/** The errorType of an invocation cut short by its caller's AbortSignal; not an AWS type, AWS cannot cancel. */
export const CANCELLED_ERROR_TYPE = 'Spillway.Cancelled';

interface PendingInvocation {
  requestId: string;
  timeoutMs: number;
  assignedAt: number;
  deliveredAt?: number;
  cpuAtStart?: number;
  settling: boolean;
  resolve: (run: InvocationRun | typeof LOST) => void;
  timer: NodeJS.Timeout;
}

export function formatTimeoutSeconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal)
    return `Runtime exited with error: signal: ${signal === 'SIGKILL' ? 'killed' : signal.slice(3).toLowerCase()}`;
  if (code === 0) return 'Runtime exited without providing a reason';
  return `Runtime exited with error: exit status ${code}`;
}

export class ExecutionEnvironment {
  readonly id = randomUUID();
  state: 'initializing' | 'idle' | 'busy' | 'dead' = 'initializing';
  lastUsedAt = Date.now();
  idleTimer: NodeJS.Timeout | undefined;
  /** Settles once the process is gone, so shutdown can wait for it and leave no orphans. */
  readonly exited: Promise<void>;
  private child: ChildProcess | undefined;
  private readonly api: RuntimeApiServer;
  private readonly createdAt = performance.now();
  private log = '';
  private pending: PendingInvocation | undefined;
  private readonly initResult: Promise<InitResult>;
  private settleInit: (result: InitResult) => void = () => undefined;
  private initSettled = false;
  private exitDescription: string | undefined;
  private markExited: () => void = () => undefined;
  private killed = false;
  /** The last peak read, for an invocation whose process is already gone when it is reported. */
  private peakBytes = 0;
  private schedstat: ProcFile | undefined;
  private status: ProcFile | undefined;

  constructor(private readonly options: EnvironmentSpawnOptions) {
    this.exited = new Promise((resolve) => (this.markExited = resolve));
    this.api = new RuntimeApiServer(
      {
        onReady: () => this.onReady(),
        onInitError: (error) => this.onInitError(error),
        onDelivered: (requestId) => this.onDelivered(requestId),
        onOutcome: (requestId, outcome) => this.onOutcome(requestId, outcome),
      },
      options.limits,
    );
    this.initResult = new Promise<InitResult>((resolve) => {
      this.settleInit = (result) => {
        if (this.initSettled) return;
        this.initSettled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => {
        this.kill();
        this.settleInit({
          ok: false,
          error: { errorType: 'Runtime.InitTimeout', errorMessage: 'INIT phase timed out' },
          log: this.takeLog(),
        });
      }, options.initTimeoutMs ?? INIT_TIMEOUT_MS);
    });
    void this.start();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  init(): Promise<InitResult> {
    return this.initResult;
  }

  /**
   * Runs one invocation. Resolves to LOST when the process died before its runtime took the event (between two
   * invocations, say after process.exit in a timer): nothing of it ran, and the host sends it to a new environment.
   */
  invoke(request: InvocationRequest): Promise<InvocationRun | typeof LOST> {
    if (this.state !== 'idle') throw new Error(`environment ${this.id} is ${this.state}, not idle`);
    this.state = 'busy';
    const { timeoutMs, payload, ...event } = request;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.onTimeout(), timeoutMs);
      this.pending = {
        requestId: request.requestId,
        timeoutMs,
        assignedAt: performance.now(),
        settling: false,
        resolve,
        timer,
      };
      this.api.deliver({
        ...event,
        payload: Buffer.from(payload === '' ? '{}' : payload),
        deadlineMs: Date.now() + timeoutMs,
      });
    });
  }

  /** Ends the running invocation now (its caller gave up) and kills the process, which is never reused. */
  cancel(reason: string): void {
    const requestId = this.pending?.requestId;
    this.kill();
    if (!requestId) return;
    this.finish(
      {
        kind: 'error',
        unhandled: true,
        error: { errorType: CANCELLED_ERROR_TYPE, errorMessage: `RequestId: ${requestId} Error: ${reason}` },
      },
      `${new Date().toISOString()} ${requestId} ${reason}\n`,
    );
  }

  /** Kills the whole process group: the runtime and anything it started. */
  kill(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.state = 'dead';
    this.api.abandon();
    this.api.close();
    if (this.killed) return;
    this.killed = true;
    const pid = this.child?.pid;
    if (pid !== undefined && this.child?.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
    if (!this.child) {
      // Killed before its process started: nothing will exit, so the init ends here.
      this.failInit('Runtime.ExitError', describeExit(null, 'SIGKILL'));
      this.markExited();
    }
  }

  private async start(): Promise<void> {
    let address: string;
    try {
      address = await this.api.listen();
    } catch (err) {
      this.failInit('Runtime.ExitError', `The Runtime API could not listen: ${(err as Error).message}`);
      this.kill();
      return;
    }
    if (this.killed) {
      this.failInit('Runtime.ExitError', describeExit(null, 'SIGKILL'));
      this.markExited();
      return;
    }
    const { launch } = this.options;
    let command = launch.command;
    let args = launch.args;
    if (launch.dataLimitMB !== undefined) {
      // exec keeps the pid, so CPU and memory are read from the runtime itself.
      command = '/bin/sh';
      args = ['-c', `ulimit -d ${Math.max(32, launch.dataLimitMB) * 1024} && exec "$0" "$@"`, launch.command, ...args];
    }
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        env: { ...this.options.env, AWS_LAMBDA_RUNTIME_API: address },
        cwd: this.options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        // A process group of its own: timeouts and the reaper kill everything the runtime started.
        detached: true,
      });
    } catch (err) {
      this.failInit('Runtime.InvalidEntrypoint', (err as Error).message);
      this.kill();
      this.markExited();
      return;
    }
    this.child = child;
    const pid = child.pid;
    if (pid !== undefined) {
      this.options.reaper.watch(pid);
      this.schedstat = new ProcFile(`/proc/${pid}/schedstat`);
      this.status = new ProcFile(`/proc/${pid}/status`);
    }
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    // Output that bypasses the runtime's logger (process.stdout.write, print, native crashes) belongs in the log too.
    child.stdout?.on('data', (chunk: string) => (this.log += chunk));
    child.stderr?.on('data', (chunk: string) => (this.log += chunk));
    child.on('error', (err) => {
      this.exitDescription ??= err.message;
      this.failInit('Runtime.InvalidEntrypoint', err.message);
      this.kill();
      // A process that never started emits no 'close' of its own.
      if (child.pid === undefined) this.markExited();
    });
    child.on('exit', (code, signal) => {
      this.exitDescription ??= describeExit(code, signal);
      // Whatever the runtime started goes with it.
      if (pid !== undefined) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // The group is already empty.
        }
      }
    });
    // 'close' rather than 'exit': it comes after stdout/stderr are drained, so a crash's output is in the log.
    child.on('close', (code, signal) => {
      this.exitDescription ??= describeExit(code, signal);
      if (pid !== undefined) this.options.reaper.release(pid);
      this.schedstat?.close();
      this.status?.close();
      this.failInit('Runtime.ExitError', this.exitDescription);
      this.state = 'dead';
      this.api.close();
      this.onExit();
      this.markExited();
    });
  }

  private failInit(errorType: string, errorMessage: string): void {
    if (this.initSettled) return;
    this.settleInit({ ok: false, error: { errorType, errorMessage }, log: this.takeLog() });
  }

  private onReady(): void {
    if (this.state !== 'initializing') return;
    this.state = 'idle';
    this.settleInit({ ok: true, initDurationMs: performance.now() - this.createdAt });
  }

  private onInitError(posted: PostedError): void {
    // AWS resets an environment whose runtime reported an init error; its output is read before the kill.
    setImmediate(() => {
      this.settleInit({ ok: false, error: posted.error, payload: posted.payload, log: this.takeLog() });
      this.kill();
    });
  }

  private onDelivered(requestId: string): void {
    const pending = this.pending;
    if (pending?.requestId !== requestId) return;
    pending.deliveredAt = performance.now();
    pending.cpuAtStart = this.cpuNs();
  }

  private onOutcome(requestId: string, outcome: RuntimeOutcome): void {
    const pending = this.pending;
    if (pending?.requestId !== requestId || pending.settling) return;
    pending.settling = true;
    const durationMs = performance.now() - (pending.deliveredAt ?? pending.assignedAt);
    const result: InvocationOutcome =
      outcome.kind === 'success'
        ? { kind: 'success', result: outcome.result }
        : { kind: 'error', unhandled: false, error: outcome.error, payload: outcome.payload };
    // One turn of the loop: output written before the answer was posted is readable now, and is read first.
    setImmediate(() => this.finish(result, '', durationMs));
  }

  private peakMB(): number {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(this.status?.read() ?? '');
    if (match?.[1]) this.peakBytes = Math.max(this.peakBytes, Number(match[1]) * 1024);
    return Math.ceil(this.peakBytes / MiB);
  }

  /** Nanoseconds of CPU the runtime's main thread has used (see processCpuNs). */
  private cpuNs(): number | undefined {
    const value = Number(this.schedstat?.read()?.split(' ')[0]);
    return Number.isFinite(value) ? value : undefined;
  }

  private takeLog(): string {
    const log = this.log;
    this.log = '';
    return log;
  }

  private finish(outcome: InvocationOutcome, extraLog = '', durationMs?: number): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    if (this.state === 'busy') this.state = 'idle';
    this.lastUsedAt = Date.now();
    const cpuNow = this.cpuNs();
    pending.resolve({
      outcome,
      log: this.takeLog() + extraLog,
      durationMs: durationMs ?? performance.now() - (pending.deliveredAt ?? pending.assignedAt),
      maxMemoryUsedMB: this.peakMB(),
      cpuTimeMs:
        cpuNow !== undefined && pending.cpuAtStart !== undefined ? (cpuNow - pending.cpuAtStart) / 1e6 : undefined,
    });
  }

  private onTimeout(): void {
    const pending = this.pending;
    if (!pending) return;
    const requestId = pending.requestId;
    const text = `Task timed out after ${formatTimeoutSeconds(pending.timeoutMs)} seconds`;
    // Read before the kill: the memory peak and the CPU of the process that is about to go.
    const maxMemoryUsedMB = this.peakMB();
    const cpuNow = this.cpuNs();
    // Killed before finish() so the pool sees a dead environment and never hands it out again.
    this.kill();
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve({
      outcome: {
        kind: 'error',
        unhandled: true,
        error: { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: ${text}` },
      },
      log: `${this.takeLog()}${new Date().toISOString()} ${requestId} ${text}\n`,
      durationMs: performance.now() - (pending.deliveredAt ?? pending.assignedAt),
      maxMemoryUsedMB,
      cpuTimeMs:
        cpuNow !== undefined && pending.cpuAtStart !== undefined ? (cpuNow - pending.cpuAtStart) / 1e6 : undefined,
    });
  }

  private onExit(): void {
    const pending = this.pending;
    if (!pending || pending.settling) return;
    if (pending.deliveredAt === undefined) {
      // The runtime never took the event: nothing ran.
      this.pending = undefined;
      clearTimeout(pending.timer);
      pending.resolve(LOST);
      return;
    }
    const errorMessage = `RequestId: ${pending.requestId} Error: ${this.exitDescription ?? 'Runtime exited'}`;
    this.finish(
      { kind: 'error', unhandled: true, error: { errorType: 'Runtime.ExitError', errorMessage } },
      `${errorMessage}\nRuntime.ExitError\n`,
    );
  }
}
