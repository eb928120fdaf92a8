// Rebuilds the Redis projection from Temporal visibility, the record. Every task's status, placement and facts
// (cost, duration, attempts, cold starts) are search attributes, so a flushed Redis loses nothing that matters.
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { TASK_WORKFLOW_TYPE, WARM_POOL_WORKFLOW_TYPE } from '../domain/constants';
import {
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
import { DURATION_SAMPLES, projectionKeys, SERIES_BUCKET_MS } from './task-projection';

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
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
  const add = (field: string, by = 1) => (counters[field] = (counters[field] ?? 0) + by);
  const durations: Record<string, number[]> = { LOCAL: [], LAMBDA: [] };
  const completions: Array<[number, string]> = [];
  const series = new Map<number, Record<string, number>>();
  const seriesDurations = new Map<string, number[]>();
  const tasks: Array<[string, string, string]> = [];
  let warmPoolRuns = 0;

  for await (const info of listAll(deps.client, `WorkflowType = '${TASK_WORKFLOW_TYPE}'`)) {
    const sa = info.typedSearchAttributes;
    const status = taskStatusOf(info.status.name, sa.get(TASK_STATUS_KEY));
    const mode = sa.get(EXECUTION_MODE_KEY);
    const placement = mode === 'LOCAL' || mode === 'LAMBDA' ? mode : undefined;
    add('created');
    add(`status:${status}`);
    if (placement) add(`${status}:${placement}`);
    tasks.push([info.workflowId, status, placement ?? '']);
    if (!TERMINAL.has(status)) continue;
    const attempts = sa.get(TASK_ATTEMPTS_KEY) ?? 0;
    if (attempts > 0) add(`attempts:${attempts}`);
    if (attempts > 1) add('retried');
    const cost = sa.get(TASK_COST_KEY) ?? 0;
    if (cost > 0) add(`cost:${placement ?? 'NONE'}`, cost);
    add('cold', sa.get(TASK_COLD_STARTS_KEY) ?? 0);
    add('warm', sa.get(TASK_WARM_STARTS_KEY) ?? 0);
    if (sa.get(REQUESTED_MODE_KEY) === 'AUTO' && placement) add(`auto:${placement}`);
    const closedAt = info.closeTime?.getTime() ?? now;
    const bucket = Math.floor(closedAt / SERIES_BUCKET_MS) * SERIES_BUCKET_MS;
    const inWindow = now - closedAt <= SERIES_WINDOW_MS;
    const duration = sa.get(TASK_DURATION_KEY);
    if (status === 'COMPLETED') {
      // Visibility lists the most recently closed first, so the first samples are the newest, as LPUSH keeps them.
      if (placement && duration !== undefined && (durations[placement]?.length ?? 0) < DURATION_SAMPLES) {
        durations[placement]?.push(duration);
      }
      if (now - closedAt <= 3_600_000) completions.push([closedAt, keys.task(info.workflowId)]);
      if (inWindow) {
        const fields = series.get(bucket) ?? {};
        fields[`completed:${placement ?? 'NONE'}`] = (fields[`completed:${placement ?? 'NONE'}`] ?? 0) + 1;
        series.set(bucket, fields);
        if (placement && duration !== undefined) {
          const key = keys.seriesDurations(bucket, placement);
          seriesDurations.set(key, [...(seriesDurations.get(key) ?? []), duration]);
        }
      }
    } else if (inWindow) {
      const fields = series.get(bucket) ?? {};
      fields[status.toLowerCase()] = (fields[status.toLowerCase()] ?? 0) + 1;
      series.set(bucket, fields);
    }
  }
  for await (const info of listAll(deps.client, `WorkflowType = '${WARM_POOL_WORKFLOW_TYPE}'`)) {
    warmPoolRuns++;
    add('cost:warming', info.typedSearchAttributes.get(TASK_COST_KEY) ?? 0);
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
    write.del(keys.series(b), keys.seriesDurations(b, 'LOCAL'), keys.seriesDurations(b, 'LAMBDA'));
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
