// Each Lambda target's latency as every process sees it, in Redis. The API measures the callback delay where the
// callbacks arrive: from the Invoke the completion token says was sent (its `iam`, `tgt`) to the callback, less the
// function's own run and init, i.e. the event's delivery and the callback's trip. The worker that invokes measures
// the dispatch delay before it: from the attempt's scheduling to the Invoke. Workers publish their monitor of each
// target (invoke round trips, health, throttles, clients/lambda-targets.ts) so the API can show it. Placement reads
// the callback and dispatch series back. A projection: losing it means measuring again.
import type { Redis } from 'ioredis';
import { latencySeries, type LatencySeries, type LatencySnapshot } from '../clients/lambda-targets';

/** Callback delays kept per target for the EWMA and the p95. */
const WINDOW = 200;
const TTL_SECONDS = 7 * 86_400;
/** A worker's snapshot older than this is from a worker that stopped. */
export const MONITOR_STALE_MS = 60_000;

export interface PublishedMonitor {
  worker: string;
  at: number;
  snapshot: LatencySnapshot;
}

/** One invocation's delay (callback or dispatch) and the load it met (the function's invocations in flight, itself included). */
export interface LoadSample {
  ms: number;
  /** Undefined for a sample recorded before loads were. */
  load?: number;
}

export interface TargetLatencyStore {
  recordCallbackDelay(target: string, ms: number, load?: number): Promise<void>;
  /**
   * The dispatch delay of one invocation, measured by the worker that sends it: from the attempt's scheduling to
   * the Invoke (the activity's pickup, the function's lookup, the lease), with the load it met.
   */
  recordDispatchDelay(target: string, ms: number, load?: number): Promise<void>;
  /** Each target's dispatch samples, oldest first, with their loads; targets with none measured are left out. */
  dispatchSamples(targets: readonly string[]): Promise<Map<string, LoadSample[]>>;
  /** The callback series of each target named, at every load; targets with none measured are left out. */
  callbackSeries(targets: readonly string[]): Promise<Map<string, LatencySeries>>;
  /** Each target's callback samples, oldest first, with their loads; targets with none measured are left out. */
  callbackSamples(targets: readonly string[]): Promise<Map<string, LoadSample[]>>;
  publishMonitor(target: string, worker: string, snapshot: LatencySnapshot, now: number): Promise<void>;
  /** Each target's monitors as the workers published them, fresh ones only, newest first. */
  monitors(targets: readonly string[], now: number): Promise<Map<string, PublishedMonitor[]>>;
}

export function targetLatencyKeys(prefix: string) {
  return {
    callback: (target: string) => `${prefix}target:${target}:callback`,
    dispatch: (target: string) => `${prefix}target:${target}:dispatch`,
    monitors: (target: string) => `${prefix}target:${target}:monitors`,
  };
}

/**
 * The delay of one callback: arrival − invoke − run − init, never below 0. Undefined when the token does not say
 * when it was invoked (one issued before the claim existed).
 */
export function callbackDelayMs(
  arrivedAt: number,
  claims: { iam?: number },
  report: { durationMs: number; initDurationMs?: number },
): number | undefined {
  if (claims.iam === undefined) return undefined;
  return Math.max(0, arrivedAt - claims.iam - report.durationMs - (report.initDurationMs ?? 0));
}

/**
 * The delay (callback or dispatch) an invocation meeting `load` can expect: the series of the samples measured at no more load
 * (a sample of unknown load counts at every load), or, when none was, of those at the lowest load measured. A burst
 * queues its events behind each other's cold starts, and the predictor adds that wait itself; one series of every
 * sample would carry a burst's queueing into the first task of the next, quiet one.
 */
export function seriesAtLoad(oldestFirst: readonly LoadSample[], load: number): LatencySeries {
  const within = oldestFirst.filter((s) => s.load === undefined || s.load <= load);
  if (within.length > 0) return latencySeries(within.map((s) => s.ms));
  const lowest = Math.min(...oldestFirst.map((s) => s.load ?? 0));
  return latencySeries(oldestFirst.filter((s) => s.load === lowest).map((s) => s.ms));
}

/** `ms` or `ms@load`, as the list keeps them. */
function parseSample(text: string): LoadSample | undefined {
  const [ms, load] = text.split('@').map(Number);
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  return load !== undefined && Number.isFinite(load) && load > 0 ? { ms, load } : { ms };
}

export function createTargetLatencyStore(redis: Redis, prefix: string): TargetLatencyStore {
  const keys = targetLatencyKeys(prefix);
  async function record(key: string, ms: number, load?: number): Promise<void> {
    const value = String(Math.round(ms * 10) / 10) + (load !== undefined && load > 0 ? `@${load}` : '');
    await redis
      .multi()
      .lpush(key, value)
      .ltrim(key, 0, WINDOW - 1)
      .expire(key, TTL_SECONDS)
      .exec();
  }
  async function samplesOf(
    keyOf: (target: string) => string,
    targets: readonly string[],
  ): Promise<Map<string, LoadSample[]>> {
    const out = new Map<string, LoadSample[]>();
    if (targets.length === 0) return out;
    const pipeline = redis.pipeline();
    for (const t of targets) pipeline.lrange(keyOf(t), 0, WINDOW - 1);
    const results = (await pipeline.exec()) ?? [];
    targets.forEach((t, i) => {
      const [err, values] = results[i] ?? [null, []];
      if (err) throw err;
      // Newest first in the list; the EWMA folds them oldest first.
      const samples = ((values ?? []) as string[])
        .map(parseSample)
        .filter((x): x is LoadSample => x !== undefined)
        .reverse();
      if (samples.length > 0) out.set(t, samples);
    });
    return out;
  }
  const store: TargetLatencyStore = {
    recordCallbackDelay: (target, ms, load) => record(keys.callback(target), ms, load),
    recordDispatchDelay: (target, ms, load) => record(keys.dispatch(target), ms, load),
    async callbackSeries(targets) {
      const samples = await store.callbackSamples(targets);
      return new Map([...samples].map(([t, list]) => [t, latencySeries(list.map((x) => x.ms))]));
    },
    callbackSamples: (targets) => samplesOf(keys.callback, targets),
    dispatchSamples: (targets) => samplesOf(keys.dispatch, targets),
    async publishMonitor(target, worker, snapshot, now) {
      await redis
        .multi()
        .hset(keys.monitors(target), worker, JSON.stringify({ worker, at: now, snapshot }))
        .expire(keys.monitors(target), TTL_SECONDS)
        .exec();
    },
    async monitors(targets, now) {
      const out = new Map<string, PublishedMonitor[]>();
      if (targets.length === 0) return out;
      const pipeline = redis.pipeline();
      for (const t of targets) pipeline.hgetall(keys.monitors(t));
      const results = (await pipeline.exec()) ?? [];
      targets.forEach((t, i) => {
        const [err, hash] = results[i] ?? [null, {}];
        if (err) throw err;
        const fresh: PublishedMonitor[] = [];
        for (const text of Object.values((hash ?? {}) as Record<string, string>)) {
          try {
            const m = JSON.parse(text) as PublishedMonitor;
            if (now - m.at <= MONITOR_STALE_MS) fresh.push(m);
          } catch {
            // A value that is not ours is skipped.
          }
        }
        out.set(
          t,
          fresh.sort((a, b) => b.at - a.at),
        );
      });
      return out;
    },
  };
  return store;
}

/**
 * Publishes a worker's monitor of a target at most once per `minIntervalMs` per target (and always the first time),
 * without waiting: a lost publish only leaves the API a moment behind.
 */
export function monitorPublisher(
  store: TargetLatencyStore,
  worker: string,
  minIntervalMs = 1_000,
): (target: string, snapshot: LatencySnapshot) => void {
  const last = new Map<string, number>();
  return (target, snapshot) => {
    const now = Date.now();
    if (now - (last.get(target) ?? -Infinity) < minIntervalMs) return;
    last.set(target, now);
    void store.publishMonitor(target, worker, snapshot, now).catch(() => undefined);
  };
}
