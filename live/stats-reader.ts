// Reads the task statistics out of the Redis projection: a handful of reads, no visibility queries, so the stats
// route stays cheap however many tasks Temporal holds.
import { Type, type Static } from '@sinclair/typebox';
import { parseTenantField } from './projection-rules';
import { projectionKeys, SERIES_BUCKET_MS } from './task-projection';
import type { Redis } from 'ioredis';
import { createWarmingStats } from './warming-stats';

const PLACEMENTS = ['LOCAL', 'LAMBDA'] as const;
const SERIES_BUCKETS = 30;

export interface Percentiles {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: null, p95: null, p99: null };
  const sorted = Float64Array.from(values).sort();
  // Nearest rank: the value below which p% of the samples fall.
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
  return { count: sorted.length, p50: at(50), p95: at(95), p99: at(99) };
}

/** One tenant's tasks by status, and what they cost: the shape GET /api/tasks/stats answers under byTenant. */
export const TenantStatsSchema = Type.Object({
  created: Type.Integer(),
  queued: Type.Integer(),
  running: Type.Integer(),
  completed: Type.Integer(),
  failed: Type.Integer(),
  cancelled: Type.Integer(),
  expired: Type.Integer(),
  costUsd: Type.Number(),
});
export type TenantStats = Static<typeof TenantStatsSchema>;

/** The per-tenant breakdown out of the counters hash (projection-rules.ts names the fields). */
export function tenantStats(counters: Record<string, string>): Record<string, TenantStats> {
  const byTenant: Record<string, TenantStats> = {};
  for (const [field, raw] of Object.entries(counters)) {
    const parsed = parseTenantField(field);
    if (!parsed) continue;
    const t = (byTenant[parsed.tenant] ??= {
      created: 0,
      queued: 0,
      running: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      expired: 0,
      costUsd: 0,
    });
    const value = Number(raw);
    if (parsed.what === 'cost') t.costUsd = value;
    else if (parsed.what === 'created') t.created = value;
    else t[parsed.what.toLowerCase() as Exclude<keyof TenantStats, 'created' | 'costUsd'>] = value;
  }
  return byTenant;
}

export async function readStats(redis: Redis, prefix: string, nowMs = Date.now()) {
  const keys = projectionKeys(prefix);
  const currentBucket = Math.floor(nowMs / SERIES_BUCKET_MS) * SERIES_BUCKET_MS;
  const buckets = Array.from(
    { length: SERIES_BUCKETS },
    (_, i) => currentBucket - (SERIES_BUCKETS - 1 - i) * SERIES_BUCKET_MS,
  );
  const pipeline = redis.pipeline();
  pipeline.hgetall(keys.counters);
  for (const p of PLACEMENTS) pipeline.lrange(keys.durations(p), 0, -1);
  pipeline.zcount(keys.completions, nowMs - 60_000, '+inf');
  for (const bucket of buckets) {
    pipeline.hgetall(keys.series(bucket));
    for (const p of PLACEMENTS) pipeline.lrange(keys.seriesDurations(bucket, p), 0, -1);
  }
  const [results, warming] = await Promise.all([
    pipeline.exec().then((r) => r ?? []),
    // Per function: what warming spent and what it saved (live/warming-stats.ts).
    createWarmingStats(redis, prefix).read(),
  ]);
  const value = <T>(i: number) => {
    const [err, v] = results[i] ?? [new Error('missing reply'), undefined];
    if (err) throw err;
    return v as T;
  };
  const raw = value<Record<string, string>>(0);
  const n = (field: string) => Number(raw[field] ?? 0);
  const durations = { LOCAL: value<string[]>(1).map(Number), LAMBDA: value<string[]>(2).map(Number) };
  const lastMinute = value<number>(3);

  const attemptsHistogram: Record<string, number> = {};
  for (const [field, v] of Object.entries(raw)) {
    if (field.startsWith('attempts:')) attemptsHistogram[field.slice('attempts:'.length)] = Number(v);
  }
  const byPlacement = Object.fromEntries(
    PLACEMENTS.map((p) => [
      p,
      {
        running: n(`RUNNING:${p}`),
        completed: n(`COMPLETED:${p}`),
        failed: n(`FAILED:${p}`),
        cancelled: n(`CANCELLED:${p}`),
      },
    ]),
  );
  const cold = n('cold');
  const warm = n('warm');
  const lambdaExecutionUsd = n('cost:LAMBDA');
  const localUsd = n('cost:LOCAL');
  const warmingUsd = n('cost:warming');
  let index = 4;
  const series = buckets.map((t) => {
    const bucket = value<Record<string, string>>(index++);
    const local = value<string[]>(index++).map(Number);
    const lambda = value<string[]>(index++).map(Number);
    return {
      t,
      completed: { LOCAL: Number(bucket['completed:LOCAL'] ?? 0), LAMBDA: Number(bucket['completed:LAMBDA'] ?? 0) },
      failed: Number(bucket.failed ?? 0),
      p95Ms: { LOCAL: percentiles(local).p95, LAMBDA: percentiles(lambda).p95 },
    };
  });
  return {
    source: 'redis' as const,
    generatedAt: new Date(nowMs).toISOString(),
    totals: {
      created: n('created'),
      queued: n('status:QUEUED'),
      running: n('status:RUNNING'),
      completed: n('status:COMPLETED'),
      failed: n('status:FAILED'),
      cancelled: n('status:CANCELLED'),
      expired: n('status:EXPIRED'),
    },
    byPlacement,
    byTenant: tenantStats(raw),
    cost: {
      lambdaExecutionUsd,
      warmingUsd,
      localUsd,
      totalUsd: lambdaExecutionUsd + warmingUsd + localUsd,
    },
    executionTimeMs: { LOCAL: percentiles(durations.LOCAL), LAMBDA: percentiles(durations.LAMBDA) },
    retries: { tasksRetried: n('retried'), attemptsHistogram },
    coldStarts: { cold, warm, ratio: cold + warm > 0 ? cold / (cold + warm) : null },
    warmPool: { warmups: n('warmups'), coldStartsMet: n('warmupColdStarts') },
    warming: { functions: warming },
    throughput: { lastMinute, perSecond: lastMinute / 60 },
    autoPlacement: { LOCAL: n('auto:LOCAL'), LAMBDA: n('auto:LAMBDA') },
    series: { bucketSeconds: SERIES_BUCKET_MS / 1000, buckets: series },
  };
}

export type TaskStats = Awaited<ReturnType<typeof readStats>>;
