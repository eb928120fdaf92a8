// One execution environment: a forked Node.js process that loads a function's handler once and then runs one
// invocation at a time. It knows nothing about queues or limits; the pool decides when to create, reuse and kill.
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ChildMessage, FunctionErrorBody, ParentMessage } from './runtime/protocol';
import { endOfOutputMarker } from './runtime/protocol';

/** AWS gives a function's init phase 10 seconds regardless of its own timeout. */
const INIT_TIMEOUT_MS = 10_000;
const MiB = 1024 * 1024;

export type InvocationOutcome =
  { kind: 'success'; result: string } | { kind: 'error'; unhandled: boolean; error: FunctionErrorBody };

export interface InvocationRun {
  outcome: InvocationOutcome;
  /** The function's own output during the invocation (and during init, on a cold start). */
  log: string;
  durationMs: number;
  maxMemoryUsedMB: number;
  /** CPU time the environment's process used during the invocation, when the OS tells (Linux). */
  cpuTimeMs?: number;
}

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

export type InitResult = { ok: true; initDurationMs: number } | { ok: false; error: FunctionErrorBody; log: string };

export interface EnvironmentSpawnOptions {
  bootstrapPath: string;
  env: NodeJS.ProcessEnv;
  memoryMB: number;
  /** The task root: the function's working directory, as /var/task is on AWS. */
  cwd: string;
}

/** The errorType of an invocation cut short by its caller's AbortSignal; not an AWS type, AWS cannot cancel. */
export const CANCELLED_ERROR_TYPE = 'Spillway.Cancelled';

interface PendingInvocation {
  requestId: string;
  started: number;
  cpuAtStart: number | undefined;
  /** The child's answer, held until its output has been read up to the end marker. */
  outcome?: InvocationOutcome;
  durationMs?: number;
  resolve: (run: InvocationRun) => void;
  timer: NodeJS.Timeout;
}

export function formatTimeoutSeconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

export class ExecutionEnvironment {
  readonly id = randomUUID();
  state: 'initializing' | 'idle' | 'busy' | 'dead' = 'initializing';
  lastUsedAt = Date.now();
  idleTimer: NodeJS.Timeout | undefined;
  private readonly child: ChildProcess;
  private readonly spawnedAt = performance.now();
  private log = '';
  private lastRss = 0;
  private pending: PendingInvocation | undefined;
  private readonly initResult: Promise<InitResult>;
  private exitDescription: string | undefined;
  /** Settles once the process is gone, so shutdown can wait for it and leave no orphans. */
  readonly exited: Promise<void>;

  constructor(options: EnvironmentSpawnOptions) {
    this.child = fork(options.bootstrapPath, [], {
      env: options.env,
      cwd: options.cwd,
      // The old-space cap stands in for the function's memory limit; jest's or the service's flags must not leak in.
      execArgv: [`--max-old-space-size=${Math.max(64, options.memoryMB)}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
    // Output that bypasses console (process.stdout.write, native crashes) still belongs in the invocation log.
    this.child.stdout?.setEncoding('utf8');
    this.child.stderr?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      this.log += chunk;
      this.completeIfOutputDone();
    });
    this.child.stderr?.on('data', (chunk: string) => (this.log += chunk));
    this.initResult = new Promise<InitResult>((resolve) => {
      let settled = false;
      const settle = (result: InitResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => {
        this.kill();
        settle({
          ok: false,
          error: { errorType: 'Runtime.InitTimeout', errorMessage: 'INIT phase timed out' },
          log: this.takeLog(),
        });
      }, INIT_TIMEOUT_MS);
      this.child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') {
          this.lastRss = message.rss;
          this.state = 'idle';
          settle({ ok: true, initDurationMs: performance.now() - this.spawnedAt });
        } else if (message.type === 'init-error') {
          this.kill();
          settle({ ok: false, error: message.error, log: this.takeLog() });
        } else {
          this.onMessage(message);
        }
      });
      this.child.on('error', (err) => {
        this.exitDescription = err.message;
        this.kill();
        settle({
          ok: false,
          error: { errorType: 'Runtime.ExitError', errorMessage: err.message },
          log: this.takeLog(),
        });
      });
      // 'close' rather than 'exit': it comes after stdout/stderr are drained, so a crash's output is in the log.
      this.child.on('close', (code, signal) => {
        this.exitDescription ??= signal ? `signal: ${signal === 'SIGKILL' ? 'killed' : signal}` : `exit status ${code}`;
        const errorMessage = `Runtime exited with error: ${this.exitDescription}`;
        // After a successful init the output belongs to the running invocation, which onExit() reports.
        if (!settled)
          settle({ ok: false, error: { errorType: 'Runtime.ExitError', errorMessage }, log: this.takeLog() });
        this.state = 'dead';
        this.onExit();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  init(): Promise<InitResult> {
    return this.initResult;
  }

  invoke(requestId: string, payload: string, timeoutMs: number): Promise<InvocationRun> {
    if (this.state !== 'idle') throw new Error(`environment ${this.id} is ${this.state}, not idle`);
    this.state = 'busy';
    const deadline = Date.now() + timeoutMs;
    return new Promise<InvocationRun>((resolve) => {
      const timer = setTimeout(() => this.onTimeout(timeoutMs), timeoutMs);
      this.pending = {
        requestId,
        started: performance.now(),
        cpuAtStart: processCpuNs(this.child.pid),
        resolve,
        timer,
      };
      const message: ParentMessage = { type: 'invoke', requestId, payload, deadline };
      this.child.send(message, (err) => {
        if (err) this.kill();
      });
    });
  }

  /** Ends the running invocation now (its caller gave up) and kills the process, which is never reused. */
  cancel(reason: string): void {
    const requestId = this.pending?.requestId;
    if (!requestId) {
      this.kill();
      return;
    }
    this.kill();
    this.finish(
      {
        kind: 'error',
        unhandled: true,
        error: { errorType: CANCELLED_ERROR_TYPE, errorMessage: `RequestId: ${requestId} Error: ${reason}` },
      },
      `${new Date().toISOString()} ${requestId} ${reason}\n`,
    );
  }

  kill(): void {
    if (this.state === 'dead' && this.child.exitCode !== null) return;
    this.state = 'dead';
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
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
    const cpuNow = processCpuNs(this.child.pid);
    pending.resolve({
      outcome,
      log: this.takeLog() + extraLog,
      durationMs: durationMs ?? performance.now() - pending.started,
      maxMemoryUsedMB: Math.ceil(this.lastRss / MiB),
      cpuTimeMs:
        cpuNow !== undefined && pending.cpuAtStart !== undefined ? (cpuNow - pending.cpuAtStart) / 1e6 : undefined,
    });
  }

  private onMessage(message: ChildMessage): void {
    const pending = this.pending;
    if (
      !pending ||
      message.type === 'ready' ||
      message.type === 'init-error' ||
      message.requestId !== pending.requestId
    ) {
      return;
    }
    this.lastRss = message.rss;
    pending.durationMs = performance.now() - pending.started;
    pending.outcome =
      message.type === 'result'
        ? { kind: 'success', result: message.result }
        : { kind: 'error', unhandled: false, error: message.error };
    this.completeIfOutputDone();
  }

  private completeIfOutputDone(): void {
    const pending = this.pending;
    if (!pending?.outcome) return;
    const marker = endOfOutputMarker(pending.requestId);
    const at = this.log.indexOf(marker);
    if (at < 0) return;
    // Whatever follows the marker already belongs to the environment's next phase, not to this invocation.
    const rest = this.log.slice(at + marker.length);
    this.log = this.log.slice(0, at);
    this.finish(pending.outcome, '', pending.durationMs);
    this.log = rest;
  }

  private onTimeout(timeoutMs: number): void {
    const requestId = this.pending?.requestId ?? '';
    const text = `Task timed out after ${formatTimeoutSeconds(timeoutMs)} seconds`;
    // Killed before finish() so the pool sees a dead environment and never hands it out again.
    this.kill();
    this.finish(
      {
        kind: 'error',
        unhandled: true,
        error: { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: ${text}` },
      },
      `${new Date().toISOString()} ${requestId} ${text}\n`,
    );
  }

  private onExit(): void {
    const requestId = this.pending?.requestId;
    if (!requestId) return;
    const errorMessage = `RequestId: ${requestId} Error: Runtime exited with error: ${this.exitDescription ?? 'unknown'}`;
    this.finish(
      { kind: 'error', unhandled: true, error: { errorType: 'Runtime.ExitError', errorMessage } },
      `${errorMessage}\nRuntime.ExitError\n`,
    );
  }
}
