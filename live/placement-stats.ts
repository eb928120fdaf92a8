// What placement learns from finished attempts, in Redis: per function version and per function, decayed means of
// the run time on each placement, of cold-start Init Durations, of the cold-start ratio and of the local CPU share;
// for the local pool, its service time and its completions in the last minute. One Lua script
// (live/lua/placement-stats.lua, registered with defineCommand) writes them atomically; the reader gives the predictor
// its figures in one round trip, blended with the manifest's expectedDurationMs while little has been measured. A
// projection like the rest of Redis: losing it only means starting again from the manifest.
import type { Redis } from 'ioredis';
import { estimate, ratio, type DecayedMean, type DecayedRatio } from '../domain/duration-model';
import type { LearnedFigures } from '../domain/placement-predictor';
import type { AttemptRecord, Placement } from '../domain/task-model';
import { scriptCommand } from './redis-scripts';

/** One finished attempt, as placement learns from it. */
export interface AttemptSample {
  functionName: string;
  /** statsVersionKey(version, codeSha256). */
  versionKey: string;
  placement: Placement;
  durationMs: number;
  coldStart?: boolean;
  initDurationMs?: number;
  cpuTimeMs?: number;
  /** LOCAL: how long the attempt held its slot, from the activity's start to its end (the run and its overhead). */
  heldMs?: number;
  finishedAt: number;
  /** Unique per attempt (task id and attempt number), so a repeated report counts once in the completions. */
  attemptId: string;
}

/** What the reader is asked. */
export interface LearnedQuery {
  functionName: string;
  versionKey: string;
  /** The manifest's expectation (DeployedFunction.spillway.expectedDurationMs): the prior of both durations. */
  expectedDurationMs: number;
  /** The prior of the Init Duration until a cold start is measured. */
  defaultInitMs: number;
  /** The local pool size, to turn the measured service time into a throughput. */
  poolSize: number;
  now: number;
}

export interface LearnedFiguresWithRatios extends LearnedFigures {
  /** Expected time left of each local attempt running now (across workers), ascending; for the slot-by-slot wait. */
  runningRemainingMs: number[];
  /** Decayed share of Lambda attempts that met a cold environment (undefined: none measured). */
  lambdaColdRatio?: number;
  /** Local completions in the last minute, per second. */
  localObservedPerSec: number;
}

export interface PlacementStats {
  record(sample: AttemptSample): Promise<void>;
  /** A local attempt took a slot and is expected to hold it this long (the learned local duration). */
  localStarted(taskId: string, expectedMs: number, now: number): Promise<void>;
  /**
   * As localStarted, expecting the function's learned local run time (its per-function mean), or `fallbackMs` before
   * one is measured.
   */
  localStartedFor(taskId: string, functionName: string, fallbackMs: number, now: number): Promise<void>;
  /** The local attempt left its slot (finished, failed or was cancelled). */
  localFinished(taskId: string): Promise<void>;
  read(query: LearnedQuery): Promise<LearnedFiguresWithRatios>;
  keys: ReturnType<typeof placementStatsKeys>;
}

/** `$LATEST` changes code without changing its name: its figures are kept per package. */
export function statsVersionKey(version: string | undefined, codeSha256: string | undefined): string {
  if (!version || version === '$LATEST') return `$LATEST:${(codeSha256 ?? 'unknown').slice(0, 12)}`;
  return version;
}

/** The sample of a finished attempt record, or undefined when the attempt did not succeed or has no duration. */
export function attemptSample(
  task: { id: string; functionName: string },
  attempt: AttemptRecord,
): AttemptSample | undefined {
  if (attempt.outcome !== 'succeeded' || attempt.durationMs === undefined || !attempt.finishedAt) return undefined;
  const held =
    attempt.placement === 'LOCAL' && attempt.startedAt
      ? Date.parse(attempt.finishedAt) - Date.parse(attempt.startedAt)
      : undefined;
  return {
    functionName: task.functionName,
    versionKey: statsVersionKey(attempt.functionVersion, attempt.codeSha256),
    placement: attempt.placement,
    durationMs: attempt.durationMs,
    coldStart: attempt.coldStart,
    // The init alone: a burst's cold starts on shared cores stretch each other's, and the predictor adds that wait
    // itself (placement-predictor.ts coldStart), so learned as measured it would count twice.
    initDurationMs:
      attempt.initDurationMs === undefined
        ? undefined
        : attempt.initDurationMs / Math.max(1, attempt.initContention ?? 1),
    cpuTimeMs: attempt.cpuTimeMs,
    ...(held !== undefined && held >= attempt.durationMs ? { heldMs: held } : {}),
    finishedAt: Date.parse(attempt.finishedAt),
    attemptId: `${task.id}#${attempt.attempt}`,
  };
}

export function placementStatsKeys(prefix: string) {
  return {
    version: (fn: string, version: string) => `${prefix}pstats:fn:${fn}@${version}`,
    fn: (fn: string) => `${prefix}pstats:fn:${fn}`,
    pool: `${prefix}pstats:pool`,
    poolDone: `${prefix}pstats:pool:done`,
    /** Local attempts running now, scored by their expected end (epoch ms). */
    localRunning: `${prefix}pstats:pool:running`,
  };
}

const TTL_SECONDS = 30 * 86_400;
const RUNNING_FORGET_MS = 3_600_000;

export function createPlacementStats(redis: Redis, prefix: string, halfLifeMs: number, priorWeight: number) {
  const keys = placementStatsKeys(prefix);
  const recordSample = scriptCommand(redis, 'placement-stats', 4);

  const stats: PlacementStats = {
    keys,
    async record(s) {
      const cpuShare =
        s.placement === 'LOCAL' && s.cpuTimeMs !== undefined && s.durationMs > 0
          ? Math.min(1, s.cpuTimeMs / s.durationMs)
          : undefined;
      await recordSample(
        keys.version(s.functionName, s.versionKey),
        keys.fn(s.functionName),
        keys.pool,
        keys.poolDone,
        String(s.finishedAt),
        String(halfLifeMs),
        s.placement === 'LOCAL' ? 'L' : 'A',
        String(s.durationMs),
        s.initDurationMs === undefined ? '' : String(s.initDurationMs),
        s.placement === 'LAMBDA' && s.coldStart !== undefined ? (s.coldStart ? '1' : '0') : '',
        cpuShare === undefined ? '' : String(cpuShare),
        s.attemptId,
        String(TTL_SECONDS),
        s.placement === 'LOCAL' && s.heldMs !== undefined ? String(s.heldMs) : '',
      );
    },
    async localStarted(taskId, expectedMs, now) {
      await redis
        .multi()
        .zadd(keys.localRunning, now + expectedMs, taskId)
        // An attempt whose worker died never says it finished: forget it an hour after it should have.
        .zremrangebyscore(keys.localRunning, '-inf', now - RUNNING_FORGET_MS)
        .expire(keys.localRunning, TTL_SECONDS)
        .exec();
    },
    async localStartedFor(taskId, functionName, fallbackMs, now) {
      // The time it holds the slot when measured, else its run time.
      const [hm, hw, dm, dw] = await redis.hmget(keys.fn(functionName), 'L:h:m', 'L:h:w', 'L:d:m', 'L:d:w');
      const mean = (m: string | null | undefined, w: string | null | undefined) =>
        Number(w) > 0 && Number.isFinite(Number(m)) ? Number(m) : undefined;
      await stats.localStarted(taskId, mean(hm, hw) ?? mean(dm, dw) ?? fallbackMs, now);
    },
    async localFinished(taskId) {
      await redis.zrem(keys.localRunning, taskId);
    },
    async read(q) {
      const results =
        (await redis
          .pipeline()
          .hgetall(keys.version(q.functionName, q.versionKey))
          .hgetall(keys.fn(q.functionName))
          .hgetall(keys.pool)
          .zcount(keys.poolDone, q.now - 60_000, '+inf')
          .zrangebyscore(keys.localRunning, q.now - RUNNING_FORGET_MS, '+inf', 'WITHSCORES', 'LIMIT', 0, 10_000)
          .exec()) ?? [];
      const hash = (i: number) => {
        const [err, value] = results[i] ?? [null, {}];
        if (err) throw err;
        return (value ?? {}) as Record<string, string>;
      };
      const [versionHash, fnHash, poolHash] = [hash(0), hash(1), hash(2)];
      const done = Number(results[3]?.[1] ?? 0);
      const running = (results[4]?.[1] ?? []) as string[];
      const remaining: number[] = [];
      for (let i = 1; i < running.length; i += 2) remaining.push(Math.max(0, Number(running[i]) - q.now));
      return {
        ...learnedFigures(versionHash, fnHash, poolHash, done, q, halfLifeMs, priorWeight),
        runningRemainingMs: remaining,
      };
    },
  };
  return stats;
}

function meanOf(h: Record<string, string>, field: string): DecayedMean | undefined {
  const w = Number(h[`${field}:w`]);
  if (!Number.isFinite(w) || w <= 0) return undefined;
  return { mean: Number(h[`${field}:m`]), weight: w, at: Number(h[`${field}:t`]) };
}

function ratioOf(h: Record<string, string>, field: string): DecayedRatio | undefined {
  const n = Number(h[`${field}:n`]);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return { hits: Number(h[`${field}:h`]), total: n, at: Number(h[`${field}:t`]) };
}

/**
 * Pure: the figures from the stored hashes. A version's own figure once it has a sample's weight, else the
 * function's (a new version runs like the last one until measured), blended with the prior.
 */
export function learnedFigures(
  versionHash: Record<string, string>,
  fnHash: Record<string, string>,
  poolHash: Record<string, string>,
  completionsLastMinute: number,
  q: LearnedQuery,
  halfLifeMs: number,
  priorWeight: number,
): Omit<LearnedFiguresWithRatios, 'runningRemainingMs'> {
  const pick = (field: string) => {
    const own = meanOf(versionHash, field);
    return own && own.weight >= 1 ? own : (meanOf(fnHash, field) ?? own);
  };
  const local = estimate(pick('L:d'), q.expectedDurationMs, priorWeight, q.now, halfLifeMs);
  // The slot's hold time: the run and its overhead; until measured, the run time alone.
  const heldMean = pick('L:h');
  const held = heldMean ? estimate(heldMean, local.value, priorWeight, q.now, halfLifeMs) : undefined;
  const lambda = estimate(pick('A:d'), q.expectedDurationMs, priorWeight, q.now, halfLifeMs);
  const init = estimate(pick('A:i'), q.defaultInitMs, priorWeight, q.now, halfLifeMs);
  const cpu = estimate(pick('L:u'), 1, 1, q.now, halfLifeMs);
  const cold = ratioOf(versionHash, 'A:c') ?? ratioOf(fnHash, 'A:c');
  const svc = meanOf(poolHash, 'svc');
  const observed = completionsLastMinute / 60;
  const capacity = svc && svc.mean > 0 ? (q.poolSize * 1000) / svc.mean : undefined;
  return {
    localDurationMs: local.value,
    ...(held ? { localSlotMs: Math.max(local.value, held.value) } : {}),
    lambdaDurationMs: lambda.value,
    initMs: init.value,
    localCpuShare: Math.max(0.001, Math.min(1, cpu.value)),
    localThroughputPerSec: capacity === undefined ? undefined : Math.max(capacity, observed),
    samples: { local: round(local.samples), lambda: round(lambda.samples), init: round(init.samples) },
    lambdaColdRatio: cold ? ratio(cold, 0) : undefined,
    localObservedPerSec: observed,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
