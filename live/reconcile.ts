// Rebuilds the Redis projection from Temporal visibility, the record. Every task's status, placement and facts
// (cost, duration, attempts, cold starts) are search attributes, and so are each warm-pool run's totals, so a flushed
// Redis loses nothing that matters.
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { TASK_WORKFLOW_TYPE, WARM_POOL_WORKFLOW_TYPE } from '../domain/constants';
import {
  TASK_LABELS_KEY,
  EXECUTION_MODE_KEY,
  REQUESTED_MODE_KEY,
  TASK_ATTEMPTS_KEY,
  TASK_COLD_STARTS_KEY,
  TASK_COST_KEY,
  TASK_DURATION_KEY,
  TASK_STATUS_KEY,
  TASK_WARM_STARTS_KEY,
} from '../domain/search-attributes';
import { taskStatusOf } from '../domain/task-status';
import { addCounters, transitionEffect, warmupEffect } from './projection-rules';
import { DURATION_SAMPLES, projectionKeys, SERIES_BUCKET_MS } from './task-projection';

const SERIES_WINDOW_MS = 5 * 60_000;

export interface ReconcileResult {
  tasks: number;
  warmPoolRuns: number;
  durationMs: number;
  counters: Record<string, number>;
}

export async function reconcile(deps: {
  client: Client;
  namespace: string;
  redis: Redis;
  prefix: string;
}): Promise<ReconcileResult> {
  const started = performance.now();
  const now = Date.now();
  const keys = projectionKeys(deps.prefix);
  const counters: Record<string, number> = {};
  const durations: Record<string, number[]> = { LOCAL: [], LAMBDA: [] };
  const completions: Array<[number, string]> = [];
  const series = new Map<number, Record<string, number>>();
  const seriesDurations = new Map<string, number[]>();
  const tasks: Array<[string, string, string]> = [];
  let warmPoolRuns = 0;

  for await (const info of listAll(deps.client, `WorkflowType = '${TASK_WORKFLOW_TYPE}'`)) {
    const sa = info.typedSearchAttributes;
    const mode = sa.get(EXECUTION_MODE_KEY);
    // Each task is folded in as one transition into the state visibility records, by the live path's own rules.
    const effect = transitionEffect(undefined, {
      status: taskStatusOf(info.status.name, sa.get(TASK_STATUS_KEY)),
      placement: mode === 'LOCAL' || mode === 'LAMBDA' ? mode : undefined,
      executionMode: sa.get(REQUESTED_MODE_KEY) ?? mode ?? '',
      tenant: sa
        .get(TASK_LABELS_KEY)
        ?.find((l) => l.startsWith('tenant:'))
        ?.slice('tenant:'.length),
      attempts: sa.get(TASK_ATTEMPTS_KEY),
      durationMs: sa.get(TASK_DURATION_KEY),
      costUsd: sa.get(TASK_COST_KEY),
      coldStarts: sa.get(TASK_COLD_STARTS_KEY),
      warmStarts: sa.get(TASK_WARM_STARTS_KEY),
    });
    addCounters(counters, effect.counters);
    const { status, placement } = effect.next;
    tasks.push([info.workflowId, status, placement ?? '']);
    if (Object.keys(effect.series).length === 0) continue;
    const closedAt = info.closeTime?.getTime() ?? now;
    const bucket = Math.floor(closedAt / SERIES_BUCKET_MS) * SERIES_BUCKET_MS;
    const sample = effect.durationSample;
    // Visibility lists the most recently closed first, so the first samples are the newest, as LPUSH keeps them.
    if (sample && (durations[sample.placement] ??= []).length < DURATION_SAMPLES) {
      durations[sample.placement]?.push(sample.ms);
    }
    if (effect.completed && now - closedAt <= 3_600_000) completions.push([closedAt, keys.task(info.workflowId)]);
    if (now - closedAt <= SERIES_WINDOW_MS) {
      const fields = series.get(bucket) ?? {};
      addCounters(fields, effect.series);
      series.set(bucket, fields);
      if (sample) {
        const key = keys.seriesDurations(bucket, sample.placement);
        seriesDurations.set(key, [...(seriesDurations.get(key) ?? []), sample.ms]);
      }
    }
  }
  for await (const info of listAll(deps.client, `WorkflowType = '${WARM_POOL_WORKFLOW_TYPE}'`)) {
    warmPoolRuns++;
    // A run records its totals as search attributes (workflows/warm-pool.ts): warmed as attempts, cold starts as such.
    const sa = info.typedSearchAttributes;
    addCounters(
      counters,
      warmupEffect({
        warmed: sa.get(TASK_ATTEMPTS_KEY) ?? 0,
        coldStarts: sa.get(TASK_COLD_STARTS_KEY) ?? 0,
        costUsd: sa.get(TASK_COST_KEY) ?? 0,
      }),
    );
  }

  const write = deps.redis.multi();
  write.del(keys.counters, keys.durations('LOCAL'), keys.durations('LAMBDA'), keys.durations('NONE'), keys.completions);
  if (Object.keys(counters).length) write.hset(keys.counters, counters);
  for (const [placement, values] of Object.entries(durations)) {
    if (values.length) write.rpush(keys.durations(placement), ...values.map(String));
  }
  if (completions.length) write.zadd(keys.completions, ...completions.flatMap(([score, member]) => [score, member]));
  for (
    let b = Math.floor((now - SERIES_WINDOW_MS) / SERIES_BUCKET_MS) * SERIES_BUCKET_MS;
    b <= now;
    b += SERIES_BUCKET_MS
  ) {
    write.del(
      keys.series(b),
      keys.seriesDurations(b, 'LOCAL'),
      keys.seriesDurations(b, 'LAMBDA'),
      keys.seriesDurations(b, 'NONE'),
    );
  }
  for (const [bucket, fields] of series) write.hset(keys.series(bucket), fields).expire(keys.series(bucket), 3600);
  for (const [key, values] of seriesDurations) write.rpush(key, ...values.slice(0, 200).map(String)).expire(key, 3600);
  await write.exec();

  // Per-task status keys make later transitions idempotent again; written in chunks to keep each round trip small.
  for (let i = 0; i < tasks.length; i += 1000) {
    const chunk = deps.redis.pipeline();
    for (const [id, status, placement] of tasks.slice(i, i + 1000)) {
      chunk.hset(keys.task(id), placement ? { status, placement } : { status }).expire(keys.task(id), 1209600);
    }
    await chunk.exec();
  }
  return { tasks: tasks.length, warmPoolRuns, durationMs: Math.round(performance.now() - started), counters };
}

/** Every execution that matches, page by page (the client's own list, 1000 to a page). */
function listAll(client: Client, query: string) {
  return client.workflow.list({ query, pageSize: 1000 });
}
