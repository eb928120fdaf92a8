// Several Lambda targets (regions), from LAMBDA_TARGETS: one @aws-sdk/client-lambda client per target, each with
// its own price table and a latency monitor. Callers feed the monitor what they measure (the round trip of an async
// Invoke's 202, the delay from a function's end to its callback, throttles and failures); placement reads EWMA, p95,
// health and throttle state from it. One code path to every Lambda: only endpoint, region and credentials differ.
import os from 'node:os';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { SpillwayConfig } from '../domain/config';
import type { PriceTable } from '../domain/cost-model';
import type { LambdaCandidate } from '../domain/placement-predictor';
import { targetPriceTable, type LambdaTarget } from '../domain/region-model';
import { isLoopbackEndpoint } from './lambda-client';

export interface LatencyMonitorOptions {
  /** Weight of the newest sample in the EWMA. @default 0.2 */
  alpha?: number;
  /** Samples kept for the p95. @default 200 */
  window?: number;
  /** Consecutive failures after which the target is unhealthy. @default 3 */
  unhealthyAfter?: number;
  /** A throttle makes the target "throttled" for this long. @default 60000 */
  throttleWindowMs?: number;
}

export interface LatencySeries {
  ewmaMs?: number;
  p95Ms?: number;
  samples: number;
}

export interface LatencySnapshot {
  invoke: LatencySeries;
  callback: LatencySeries;
  healthy: boolean;
  consecutiveFailures: number;
  throttled: boolean;
  lastThrottleAt?: number;
  lastSuccessAt?: number;
}

class Series {
  private ewma: number | undefined;
  private readonly ring: number[] = [];
  private count = 0;

  constructor(
    private readonly alpha: number,
    private readonly window: number,
  ) {}

  add(ms: number): void {
    this.ewma = this.ewma === undefined ? ms : this.alpha * ms + (1 - this.alpha) * this.ewma;
    this.ring.push(ms);
    if (this.ring.length > this.window) this.ring.shift();
    this.count++;
  }

  snapshot(): LatencySeries {
    if (this.ring.length === 0) return { samples: 0 };
    return { ewmaMs: this.ewma, p95Ms: p95Of(this.ring), samples: this.count };
  }
}

/** Nearest rank. */
function p95Of(values: readonly number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(0.95 * sorted.length) - 1))];
}

/**
 * The same figures from a stored window of samples, oldest first (a series kept in Redis, where several processes
 * add to it): EWMA with the monitor's weight, and the p95.
 */
export function latencySeries(oldestFirst: readonly number[], alpha = 0.2): LatencySeries {
  if (oldestFirst.length === 0) return { samples: 0 };
  let ewma: number | undefined;
  for (const ms of oldestFirst) ewma = ewma === undefined ? ms : alpha * ms + (1 - alpha) * ewma;
  return { ewmaMs: ewma, p95Ms: p95Of(oldestFirst), samples: oldestFirst.length };
}

/** What one process has seen of one target. Pure bookkeeping: every record takes its `now`. */
export class LatencyMonitor {
  private readonly invoke: Series;
  private readonly callback: Series;
  private failures = 0;
  private lastThrottleAt: number | undefined;
  private lastSuccessAt: number | undefined;
  private readonly unhealthyAfter: number;
  private readonly throttleWindowMs: number;

  constructor(options: LatencyMonitorOptions = {}) {
    const alpha = options.alpha ?? 0.2;
    const window = options.window ?? 200;
    this.invoke = new Series(alpha, window);
    this.callback = new Series(alpha, window);
    this.unhealthyAfter = options.unhealthyAfter ?? 3;
    this.throttleWindowMs = options.throttleWindowMs ?? 60_000;
  }

  /** A successful round trip to the target (an async Invoke's 202, or a probe), ms. */
  recordInvoke(ms: number, now: number): void {
    this.invoke.add(ms);
    this.failures = 0;
    this.lastSuccessAt = now;
  }

  /** From the function's end (its REPORT or its own clock) to its callback reaching the API, ms. */
  recordCallbackDelay(ms: number, now: number): void {
    this.callback.add(Math.max(0, ms));
    this.lastSuccessAt = now;
  }

  /** The target did not answer or answered 5xx. */
  recordFailure(_now: number): void {
    this.failures++;
  }

  recordThrottle(now: number): void {
    this.lastThrottleAt = now;
  }

  snapshot(now: number): LatencySnapshot {
    return {
      invoke: this.invoke.snapshot(),
      callback: this.callback.snapshot(),
      healthy: this.failures < this.unhealthyAfter,
      consecutiveFailures: this.failures,
      throttled: this.lastThrottleAt !== undefined && now - this.lastThrottleAt < this.throttleWindowMs,
      lastThrottleAt: this.lastThrottleAt,
      lastSuccessAt: this.lastSuccessAt,
    };
  }
}

export interface LambdaTargetHandle {
  target: LambdaTarget;
  client: LambdaClient;
  monitor: LatencyMonitor;
  /** config/prices.json with the target's own Lambda prices over it. */
  prices: PriceTable;
  /** True for an endpoint on this machine (the local Lambda service, LocalStack). */
  local: boolean;
  /**
   * Targets that start their environments on the same cores: a cold start on any of them waits for those placed on
   * all of them. Every target on this machine shares one group; a remote target is a group of its own.
   */
  coldStartGroup: string;
}

/** The group of the Lambda services on this machine (LambdaTargetHandle.coldStartGroup). */
export const THIS_MACHINE_GROUP = 'this machine';

/** Thrown by LambdaTargets.get when a task or a decision names a target LAMBDA_TARGETS does not list. */
export class UnknownLambdaTargetError extends Error {
  override readonly name = 'UnknownLambdaTargetError';
}

export interface LambdaTargets {
  list(): readonly LambdaTargetHandle[];
  get(name: string): LambdaTargetHandle;
  /** The targets in one region, in LAMBDA_TARGETS order. */
  inRegion(region: string): LambdaTargetHandle[];
  /**
   * Runs one request against a target and feeds the monitor: its duration as a round trip on success (measure
   * only requests whose answer does not wait for the function: async Invoke, probes), a throttle, or a failure.
   */
  timed<T>(name: string, send: (client: LambdaClient) => Promise<T>, clock?: () => number): Promise<T>;
  /** A cheap timed round trip (GetAccountSettings) to every target, e.g. every few seconds when idle. */
  probe(clock?: () => number): Promise<Array<{ name: string; ms?: number; error?: string }>>;
  destroy(): void;
}

const CLIENT_ERRORS_THAT_ARE_NOT_FAILURES = new Set([
  'ResourceNotFoundException',
  'InvalidParameterValueException',
  'InvalidRequestContentException',
  'RequestTooLargeException',
  'ResourceConflictException',
]);

export function createLambdaTargets(
  targets: readonly LambdaTarget[],
  base: SpillwayConfig['lambda'],
  prices: PriceTable,
  options: {
    maxAttempts?: number;
    monitor?: LatencyMonitorOptions;
    /** Told each target's monitor after every measurement (a worker publishes it for the API). */
    onMeasured?: (name: string, snapshot: LatencySnapshot) => void;
  } = {},
): LambdaTargets {
  const handles = targets.map((target): LambdaTargetHandle => {
    const local = target.endpoint !== undefined && isLoopbackEndpoint(target.endpoint);
    const credentials =
      target.credentials ??
      (target.endpoint === base.endpoint && base.accessKeyId && base.secretAccessKey
        ? { accessKeyId: base.accessKeyId, secretAccessKey: base.secretAccessKey }
        : local
          ? { accessKeyId: 'spillway-local', secretAccessKey: 'spillway-local' }
          : undefined);
    return {
      target,
      client: new LambdaClient({
        region: target.region,
        endpoint: target.endpoint,
        credentials,
        // As for the single client: Temporal owns the retries of task attempts.
        maxAttempts: options.maxAttempts ?? 1,
      }),
      monitor: new LatencyMonitor(options.monitor),
      prices: targetPriceTable(prices, target.prices),
      local,
      coldStartGroup: local ? THIS_MACHINE_GROUP : `target ${target.name}`,
    };
  });
  const byName = new Map(handles.map((h) => [h.target.name, h]));
  const get = (name: string) => {
    const h = byName.get(name);
    if (!h) throw new UnknownLambdaTargetError(`no Lambda target is named "${name}" (LAMBDA_TARGETS)`);
    return h;
  };
  const timed: LambdaTargets['timed'] = async (name, send, clock = () => performance.now()) => {
    const h = get(name);
    const started = clock();
    try {
      const result = await send(h.client);
      h.monitor.recordInvoke(clock() - started, Date.now());
      return result;
    } catch (err) {
      const errorName = (err as { name?: string }).name ?? '';
      if (errorName === 'TooManyRequestsException') h.monitor.recordThrottle(Date.now());
      else if (!CLIENT_ERRORS_THAT_ARE_NOT_FAILURES.has(errorName)) h.monitor.recordFailure(Date.now());
      throw err;
    } finally {
      options.onMeasured?.(name, h.monitor.snapshot(Date.now()));
    }
  };
  return {
    list: () => handles,
    get,
    inRegion: (region) => handles.filter((h) => h.target.region === region),
    timed,
    async probe(clock) {
      return Promise.all(
        handles.map(async (h) => {
          const started = (clock ?? (() => performance.now()))();
          try {
            await timed(h.target.name, (c) => c.send(new GetAccountSettingsCommand({})), clock);
            return { name: h.target.name, ms: (clock ?? (() => performance.now()))() - started };
          } catch (err) {
            return { name: h.target.name, error: (err as Error).message };
          }
        }),
      );
    },
    destroy() {
      for (const h of handles) h.client.destroy();
    },
  };
}

/** The live facts of one function on one target, as live/lambda-signals.ts reports them. */
export interface TargetFunctionSignals {
  reachable: boolean;
  concurrencyHeadroom: number;
  recentThrottles: number;
  warmIdle: number;
  inFlight: number;
}

/**
 * What the predictor needs of a target: its live signals, its monitor's figures (a target not measured yet gets
 * `defaultLatencyMs`) and its prices. `pending` are invocations placed there a moment ago and not yet running.
 */
export function lambdaCandidate(
  h: LambdaTargetHandle,
  signals: TargetFunctionSignals,
  now: number,
  pending = 0,
  defaultLatencyMs = 0,
  coldRatio?: number,
  /** The callback delay measured where callbacks arrive (live/target-latency.ts); the monitor's own otherwise. */
  callback?: LatencySeries,
  /** The target's monitor as a worker published it, for a process that does not invoke (the API); its own else. */
  published?: LatencySnapshot,
  /** The dispatch delay the invoking workers measured (live/target-latency.ts). */
  dispatch?: LatencySeries,
): LambdaCandidate {
  const m = published ?? h.monitor.snapshot(now);
  return {
    name: h.target.name,
    region: h.target.region,
    reachable: signals.reachable,
    healthy: m.healthy,
    concurrencyHeadroom: signals.concurrencyHeadroom,
    concurrencyLimit: h.target.concurrency,
    inFlight: signals.inFlight,
    pending,
    warmIdle: signals.warmIdle,
    coldStartConcurrency: coldStartConcurrencyOf(h),
    // The local Lambda service counts its warm environments; AWS does not say, so the learned share stands in.
    countsWarm: h.local,
    coldRatio,
    recentThrottles: Math.max(signals.recentThrottles, m.throttled ? 1 : 0),
    latencyMs: m.invoke.ewmaMs ?? defaultLatencyMs,
    // The measured delays' p95, not their mean: a burst ends with its slowest task, and a spilled task's path varies
    // far more than a local slot does, so the tail is what spilling it risks.
    callbackDelayMs: callback?.p95Ms ?? callback?.ewmaMs ?? m.callback.ewmaMs ?? 0,
    dispatchDelayMs: dispatch?.p95Ms ?? dispatch?.ewmaMs ?? 0,
    prices: h.prices,
  };
}

/**
 * How many cold starts the target brings up at once: its configured figure; for a Lambda service on this machine,
 * one per core (its environments start as processes on the same cores); for AWS, no limit.
 */
export function coldStartConcurrencyOf(h: Pick<LambdaTargetHandle, 'target' | 'local'>): number | undefined {
  return h.target.coldStartConcurrency ?? (h.local ? Math.max(1, os.availableParallelism()) : undefined);
}
