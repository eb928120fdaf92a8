// Warming that proves it pays, per function, in Redis: what the warm pool spent (warm-ups and their cost), what real
// Lambda attempts met (warm hits and cold starts), and the cold starts warming saved: a warm hit while a warm-up's
// environments are still alive, up to the number warmed, each worth the function's learned Init Duration
// (live/lua/warming-attempt.lua). The warm pool also leaves its last decision (size, reason, what a saved cold start
// is worth). A projection like the rest of Redis: losing it only restarts the ledger.
import type { Redis } from 'ioredis';
import type { WarmingDecision } from '../domain/warm-pool-sizing';
import { placementStatsKeys } from './placement-stats';
import { scriptCommand } from './redis-scripts';

const TTL_SECONDS = 30 * 86_400;
/** A task's end is published again within minutes (a retried activity), never days later. */
const MARK_TTL_SECONDS = 86_400;

/** One function's ledger, as GET /api/tasks/stats and /metrics show it. */
export interface WarmingLedger {
  functionName: string;
  /** Warm-pool runs that warmed the function, warm-ups sent, and those that met a cold environment. */
  runs: number;
  warmups: number;
  warmupColdStarts: number;
  warmingUsd: number;
  /** Real Lambda attempts of tasks, and how they started. */
  lambdaAttempts: number;
  warmHits: number;
  coldStarts: number;
  /** warmHits / lambdaAttempts; null before any attempt. */
  warmHitRatio: number | null;
  /** Cold starts the warm pool saved, and their Init Duration: the latency it bought. */
  savedColdStarts: number;
  savedMs: number;
  /** What the saved cold starts are worth under the objective (latency and billed init), at the last decision's rate. */
  savedValueUsd: number;
  /** savedValueUsd − warmingUsd: positive when warming pays. */
  netUsd: number;
  last?: { size: number; mode: string; reason: string; at: string };
}

export interface WarmingStats {
  /**
   * A real Lambda attempt of the function started cold or warm. Counted once per `attemptId` (task id and attempt
   * number) however often it is told; answers whether this call counted it.
   */
  recordAttempt(functionName: string, attemptId: string, coldStart: boolean, defaultInitMs: number): Promise<boolean>;
  /** A warm-pool run warmed `warmed` environments, alive for `lifetimeMs`; the credit of the last run is replaced. */
  recordWarmups(
    functionName: string,
    facts: { warmed: number; coldStarts: number; costUsd: number; lifetimeMs: number },
  ): Promise<void>;
  /** The warm pool's decision for the next interval, and the attempts seen so far (for the next one's count). */
  recordDecision(functionName: string, decision: WarmingDecision & { mode: string }): Promise<void>;
  /** Lambda attempts since the last decision was recorded. */
  attemptsSinceDecision(functionName: string): Promise<number>;
  read(): Promise<WarmingLedger[]>;
}

export function warmingKeys(prefix: string) {
  return {
    fn: (name: string) => `${prefix}warming:fn:${name}`,
    credit: (name: string) => `${prefix}warming:credit:${name}`,
    names: `${prefix}warming:functions`,
    /** An attempt already counted. */
    attempt: (attemptId: string) => `${prefix}warming:attempt:${attemptId}`,
  };
}

/** Pure: the ledger from a function's stored hash. */
export function ledgerOf(functionName: string, h: Record<string, string>): WarmingLedger {
  const n = (field: string) => {
    const v = Number(h[field] ?? 0);
    return Number.isFinite(v) ? v : 0;
  };
  const attempts = n('attempts');
  const savedColdStarts = n('savedColdStarts');
  const savedValueUsd = savedColdStarts * n('valuePerColdStartUsd');
  const warmingUsd = n('warmingUsd');
  return {
    functionName,
    runs: n('runs'),
    warmups: n('warmups'),
    warmupColdStarts: n('warmupColdStarts'),
    warmingUsd,
    lambdaAttempts: attempts,
    warmHits: n('warmHits'),
    coldStarts: n('coldStarts'),
    warmHitRatio: attempts > 0 ? n('warmHits') / attempts : null,
    savedColdStarts,
    savedMs: Math.round(n('savedMs')),
    savedValueUsd,
    netUsd: savedValueUsd - warmingUsd,
    ...(h.lastAt
      ? { last: { size: n('lastSize'), mode: h.lastMode ?? 'fixed', reason: h.lastReason ?? '', at: h.lastAt } }
      : {}),
  };
}

export function createWarmingStats(redis: Redis, prefix: string): WarmingStats {
  const keys = warmingKeys(prefix);
  const pstats = placementStatsKeys(prefix);
  const attempt = scriptCommand(redis, 'warming-attempt', 5);
  return {
    async recordAttempt(functionName, attemptId, coldStart, defaultInitMs) {
      const counted = await attempt(
        keys.fn(functionName),
        keys.credit(functionName),
        pstats.fn(functionName),
        keys.names,
        keys.attempt(attemptId),
        functionName,
        coldStart ? '1' : '0',
        defaultInitMs,
        TTL_SECONDS,
        MARK_TTL_SECONDS,
      );
      return counted === 1;
    },
    async recordWarmups(functionName, facts) {
      const multi = redis
        .multi()
        .sadd(keys.names, functionName)
        .hincrby(keys.fn(functionName), 'runs', 1)
        .hincrby(keys.fn(functionName), 'warmups', facts.warmed)
        .hincrby(keys.fn(functionName), 'warmupColdStarts', facts.coldStarts)
        .hincrbyfloat(keys.fn(functionName), 'warmingUsd', facts.costUsd)
        .expire(keys.fn(functionName), TTL_SECONDS)
        .expire(keys.names, TTL_SECONDS);
      // The environments of this run replace the last run's: what they can save expires with them.
      if (facts.warmed > 0) multi.set(keys.credit(functionName), facts.warmed, 'PX', Math.max(1, facts.lifetimeMs));
      else multi.del(keys.credit(functionName));
      await multi.exec();
    },
    async recordDecision(functionName, d) {
      const attempts = Number((await redis.hget(keys.fn(functionName), 'attempts')) ?? 0);
      await redis
        .multi()
        .sadd(keys.names, functionName)
        .hset(keys.fn(functionName), {
          lastSize: d.size,
          lastMode: d.mode,
          lastReason: d.reason,
          lastAt: new Date().toISOString(),
          valuePerColdStartUsd: d.valuePerColdStartUsd,
          attemptsAtDecision: attempts,
        })
        .expire(keys.fn(functionName), TTL_SECONDS)
        .exec();
    },
    async attemptsSinceDecision(functionName) {
      const [attempts, at] = await redis.hmget(keys.fn(functionName), 'attempts', 'attemptsAtDecision');
      return Math.max(0, Number(attempts ?? 0) - Number(at ?? 0));
    },
    async read() {
      const names = (await redis.smembers(keys.names)).sort();
      if (names.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const name of names) pipeline.hgetall(keys.fn(name));
      const results = (await pipeline.exec()) ?? [];
      return names.map((name, i) => {
        const [err, value] = results[i] ?? [null, {}];
        if (err) throw err;
        return ledgerOf(name, (value ?? {}) as Record<string, string>);
      });
    },
  };
}
