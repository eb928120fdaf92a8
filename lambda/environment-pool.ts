// Owns every execution environment: hands out warm ones (most recently used first, as Lambda does, so the rest go
// idle and get reclaimed), starts cold ones, reclaims idle ones and enforces concurrency. Concurrency counts
// invocations in flight, as AWS does: a function with reserved concurrency is bounded by it, the others share
// what the account limit leaves unreserved.
import path from 'node:path';
import type { ThrottleReason } from './errors';
import { ServiceError } from './errors';
import type { InvocationRun } from './execution-environment';
import { ExecutionEnvironment } from './execution-environment';
import type { FunctionRegistry, FunctionState } from './function-registry';
import { HANDLER_ENV, TASK_ROOT_ENV } from './runtime/protocol';

export interface PoolOptions {
  bootstrapPath: string;
  functionsDir: string;
  idleReclaimMs: number;
  region: string;
  /** Variables every environment gets before the function's own (callback secret, credentials...). */
  baseEnvironment: Record<string, string>;
}

export interface PoolRun extends InvocationRun {
  /** Set on cold starts only. */
  initDurationMs?: number;
}

export class EnvironmentPool {
  private readonly idle = new Map<string, ExecutionEnvironment[]>();
  private readonly live = new Map<string, Set<ExecutionEnvironment>>();
  private closed = false;

  constructor(
    private readonly registry: FunctionRegistry,
    private readonly options: PoolOptions,
    /** Called whenever a slot frees up, so queued async events can move. */
    private readonly onSlotFreed: () => void,
  ) {}

  /** Takes a concurrency slot for one invocation, or says why it cannot. */
  tryAcquireSlot(state: FunctionState): ThrottleReason | undefined {
    if (state.reservedConcurrency !== undefined) {
      if (state.inFlight >= state.reservedConcurrency) return 'ReservedFunctionConcurrentInvocationLimitExceeded';
    } else {
      let unreservedInFlight = 0;
      for (const f of this.registry.all()) if (f.reservedConcurrency === undefined) unreservedInFlight += f.inFlight;
      if (unreservedInFlight >= this.registry.unreservedConcurrency()) return 'ConcurrentInvocationLimitExceeded';
    }
    state.inFlight++;
    return undefined;
  }

  releaseSlot(state: FunctionState): void {
    state.inFlight--;
    this.onSlotFreed();
  }

  /** Runs one invocation in a warm or new environment. The caller must hold a slot. */
  async run(state: FunctionState, requestId: string, payload: string): Promise<PoolRun> {
    // A request that slipped in while shutting down must not start a process nobody will kill.
    if (this.closed) throw new ServiceError('The Lambda service is shutting down.');
    const { spec } = state;
    let env = this.idleStack(spec.name).pop();
    let initDurationMs: number | undefined;
    if (env) {
      clearTimeout(env.idleTimer);
      state.stats.warmStarts++;
    } else {
      state.stats.coldStarts++;
      this.makeRoom();
      env = this.spawn(state);
      const init = await env.init();
      if (!init.ok) {
        this.discard(spec.name, env);
        return {
          outcome: { kind: 'error', unhandled: true, error: init.error },
          log: init.log,
          durationMs: 0,
          maxMemoryUsedMB: 0,
        };
      }
      initDurationMs = init.initDurationMs;
    }
    const run = await env.invoke(requestId, payload, spec.timeoutSeconds * 1000);
    if (env.state === 'idle' && !this.closed) this.parkIdle(spec.name, env);
    else this.discard(spec.name, env);
    return { ...run, initDurationMs };
  }

  counts(name: string): { total: number; idle: number; busy: number } {
    const total = this.live.get(name)?.size ?? 0;
    const idle = this.idle.get(name)?.length ?? 0;
    return { total, idle, busy: total - idle };
  }

  /** After a reserved concurrency cut, idle environments beyond the new limit are killed at once. */
  trimIdle(state: FunctionState): void {
    const limit = state.reservedConcurrency;
    if (limit === undefined) return;
    const stack = this.idleStack(state.spec.name);
    // The oldest idle environments sit at the bottom of the LIFO stack.
    while (this.counts(state.spec.name).total > limit && stack.length > 0) {
      const env = stack.shift();
      if (env) this.discard(state.spec.name, env);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.live.values()].flatMap((set) => [...set]);
    for (const env of all) env.kill();
    await Promise.all(all.map((env) => env.exited));
    this.live.clear();
    this.idle.clear();
  }

  private idleStack(name: string): ExecutionEnvironment[] {
    let stack = this.idle.get(name);
    if (!stack) this.idle.set(name, (stack = []));
    return stack;
  }

  private spawn(state: FunctionState): ExecutionEnvironment {
    const { spec } = state;
    const env = new ExecutionEnvironment({
      bootstrapPath: this.options.bootstrapPath,
      memoryMB: spec.memoryMB,
      env: {
        ...this.options.baseEnvironment,
        ...spec.environment,
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMB),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
        AWS_REGION: this.options.region,
        AWS_DEFAULT_REGION: this.options.region,
        [TASK_ROOT_ENV]: path.resolve(this.options.functionsDir),
        [HANDLER_ENV]: spec.handler,
      },
    });
    let set = this.live.get(spec.name);
    if (!set) this.live.set(spec.name, (set = new Set()));
    set.add(env);
    // An environment that dies while idle (killed from outside, crashed in a timer) must not be handed out.
    void env.exited.then(() => this.discard(spec.name, env));
    return env;
  }

  private parkIdle(name: string, env: ExecutionEnvironment): void {
    this.idleStack(name).push(env);
    env.idleTimer = setTimeout(() => this.discard(name, env), this.options.idleReclaimMs);
    env.idleTimer.unref();
  }

  private discard(name: string, env: ExecutionEnvironment): void {
    env.kill();
    this.live.get(name)?.delete(env);
    const stack = this.idle.get(name);
    const i = stack?.indexOf(env) ?? -1;
    if (stack && i >= 0) stack.splice(i, 1);
  }

  /** Keeps the number of processes within the account limit by reclaiming the least recently used idle one. */
  private makeRoom(): void {
    let total = 0;
    for (const set of this.live.values()) total += set.size;
    if (total < this.registry.accountConcurrencyLimit) return;
    let oldest: { name: string; env: ExecutionEnvironment } | undefined;
    for (const [name, stack] of this.idle) {
      const candidate = stack[0];
      if (candidate && (!oldest || candidate.lastUsedAt < oldest.env.lastUsedAt)) oldest = { name, env: candidate };
    }
    if (oldest) this.discard(oldest.name, oldest.env);
  }
}
