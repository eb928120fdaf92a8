// In-flight work per placement, shared by every worker and API instance. Each slot is a lease with an expiry, so a
// worker that dies without cleaning up cannot leave the count inflated: its leases simply run out.
import type { Redis } from 'ioredis';
import { scriptCommand } from './redis-scripts';

export interface PlacementLeases {
  /** Reserves a local slot if in-flight is below threshold; returns the in-flight count seen before reserving. */
  reserveLocal(taskId: string, threshold: number, ttlMs: number): Promise<{ inFlight: number; reserved: boolean }>;
  holdLocal(taskId: string, ttlMs: number): Promise<void>;
  releaseLocal(taskId: string): Promise<void>;
  localInFlight(): Promise<number>;
  /**
   * `target`: the Lambda target (LAMBDA_TARGETS name) the task was placed on, kept until the lease is released.
   * Answers the function's Lambda leases in flight, this one included: the load its invocation meets.
   */
  holdLambda(functionName: string, taskId: string, ttlMs: number, target?: string): Promise<number>;
  releaseLambda(functionName: string, taskId: string): Promise<void>;
  lambdaInFlight(functionName: string): Promise<number>;
  /** The function's Lambda leases by the target they were placed on; '' counts those held without one. */
  lambdaInFlightByTarget(functionName: string): Promise<Map<string, number>>;
  recordThrottle(functionName: string): Promise<void>;
  recentThrottles(functionName: string, windowMs: number): Promise<number>;
  /** Highest concurrent Lambda invocations of the function seen per minute over the window. */
  peakConcurrency(functionName: string, windowMs: number): Promise<number>;
}

export function createPlacementLeases(redis: Redis, prefix: string, now: () => number = Date.now): PlacementLeases {
  const localKey = `${prefix}inflight:LOCAL`;
  const lambdaKey = (fn: string) => `${prefix}inflight:LAMBDA:${fn}`;
  const lambdaTargetsKey = (fn: string) => `${prefix}inflight:LAMBDA-target:${fn}`;
  const throttlesKey = (fn: string) => `${prefix}throttles:${fn}`;
  const peaksKey = (fn: string) => `${prefix}peaks:${fn}`;
  const minute = (ms: number) => String(Math.floor(ms / 60_000));
  const reserveSlot = scriptCommand(redis, 'reserve-local-slot', 1);
  const holdSlot = scriptCommand(redis, 'hold-slot', 2);

  return {
    async reserveLocal(taskId, threshold, ttlMs) {
      const t = now();
      const [count, reserved] = (await reserveSlot(localKey, t, threshold, taskId, t + ttlMs)) as [number, number];
      return { inFlight: count, reserved: reserved === 1 };
    },
    async holdLocal(taskId, ttlMs) {
      const t = now();
      await holdSlot(localKey, peaksKey('LOCAL'), t, t + ttlMs, taskId, minute(t));
    },
    async releaseLocal(taskId) {
      await redis.zrem(localKey, taskId);
    },
    async localInFlight() {
      return redis.zcount(localKey, `(${now()}`, '+inf');
    },
    async holdLambda(fn, taskId, ttlMs, target) {
      const t = now();
      const [count] = await Promise.all([
        holdSlot(lambdaKey(fn), peaksKey(fn), t, t + ttlMs, taskId, minute(t)),
        // A lease that lapses without a release leaves its entry behind until the key's day is up.
        target
          ? redis.multi().hset(lambdaTargetsKey(fn), taskId, target).expire(lambdaTargetsKey(fn), 86_400).exec()
          : null,
      ]);
      return Number(count);
    },
    async releaseLambda(fn, taskId) {
      await redis.multi().zrem(lambdaKey(fn), taskId).hdel(lambdaTargetsKey(fn), taskId).exec();
    },
    async lambdaInFlight(fn) {
      return redis.zcount(lambdaKey(fn), `(${now()}`, '+inf');
    },
    async lambdaInFlightByTarget(fn) {
      const ids = await redis.zrangebyscore(lambdaKey(fn), `(${now()}`, '+inf');
      const counts = new Map<string, number>();
      if (ids.length === 0) return counts;
      const targets = await redis.hmget(lambdaTargetsKey(fn), ...ids);
      for (const target of targets) counts.set(target ?? '', (counts.get(target ?? '') ?? 0) + 1);
      return counts;
    },
    async recordThrottle(fn) {
      const t = now();
      await redis
        .multi()
        .zadd(throttlesKey(fn), t, `${t}-${Math.random().toString(36).slice(2, 8)}`)
        .zremrangebyscore(throttlesKey(fn), '-inf', t - 3_600_000)
        .expire(throttlesKey(fn), 3600)
        .exec();
    },
    async recentThrottles(fn, windowMs) {
      return redis.zcount(throttlesKey(fn), now() - windowMs, '+inf');
    },
    async peakConcurrency(fn, windowMs) {
      const peaks = await redis.hgetall(peaksKey(fn));
      const since = Number(minute(now() - windowMs));
      return Object.entries(peaks)
        .filter(([m]) => Number(m) >= since)
        .reduce((max, [, v]) => Math.max(max, Number(v)), 0);
    },
  };
}
