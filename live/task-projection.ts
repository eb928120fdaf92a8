// The live projection of tasks in Redis: the status of each task, counts per status and placement, costs, durations,
// retries, cold starts, throughput buckets, and a capped stream of transitions that the dashboard follows.
// Temporal holds the record; everything here is rebuilt from it by the reconcile step. What a transition changes is
// decided by transitionEffect() (projection-rules.ts); live/lua/apply-transition.lua writes it atomically.
import type { Redis } from 'ioredis';
import type { Placement, TaskStatus } from '../domain/task-model';
import type { TransitionEvent } from '../domain/transition-event';
import {
  isFractionalCounter,
  likelyPrevious,
  transitionEffect,
  warmupEffect,
  type ProjectedTask,
  type TransitionEffect,
  type WarmupFacts,
} from './projection-rules';
import { scriptCommand } from './redis-scripts';

// Declared once, as a schema, in domain/transition-event.ts.
export type { TransitionEvent };

export type { WarmupFacts };

export const STREAM_MAX_LENGTH = 10_000;
/** Percentiles are over the most recent samples: enough for p99, few enough to read on every stats call. */
export const DURATION_SAMPLES = 2_000;
/** A 10-second bucket keeps at most this many samples for its p95. */
const BUCKET_SAMPLES = 200;
export const SERIES_BUCKET_MS = 10_000;
const SERIES_TTL_SECONDS = 3_600;

/** Key names under one prefix, shared by the writer, the stats reader and the reconciler. */
export function projectionKeys(prefix: string) {
  return {
    counters: `${prefix}counters`,
    events: `${prefix}events`,
    task: (id: string) => `${prefix}task:${id}`,
    durations: (placement: string) => `${prefix}durations:${placement}`,
    completions: `${prefix}completions`,
    series: (bucket: number) => `${prefix}series:${bucket}`,
    seriesDurations: (bucket: number, placement: string) => `${prefix}series:${bucket}:d:${placement}`,
  };
}

/** Per-task state is kept two weeks, long past any retry, so a late duplicate is still recognised. */
const TASK_TTL_SECONDS = 1_209_600;
/** A transition that keeps meeting a different state than it expected is given up after this many tries. */
const MAX_ROUNDS = 5;

export interface TaskProjection {
  /** Applies a transition; false when it changed nothing (a repeat, or older than what is recorded). */
  record(event: TransitionEvent, nowMs?: number): Promise<boolean>;
  /** Counts a warm-pool run's warm-ups and their cost, apart from tasks. */
  recordWarmups(facts: WarmupFacts): Promise<void>;
  counts(): Promise<Record<string, number>>;
  streamKey: string;
  keys: ReturnType<typeof projectionKeys>;
  redis: Redis;
}

const asState = (status: string, placement: string): ProjectedTask | undefined =>
  status ? { status: status as TaskStatus, ...(placement ? { placement: placement as Placement } : {}) } : undefined;

export function createTaskProjection(redis: Redis, prefix: string): TaskProjection {
  const keys = projectionKeys(prefix);
  const applyTransition = scriptCommand(redis, 'apply-transition', 7);

  /** Writes the effect if the task is still in `previous`; otherwise answers the state it is really in. */
  async function apply(
    event: TransitionEvent,
    previous: ProjectedTask | undefined,
    effect: TransitionEffect,
    nowMs: number,
  ) {
    const bucket = Math.floor(nowMs / SERIES_BUCKET_MS) * SERIES_BUCKET_MS;
    const where = effect.next.placement ?? 'NONE';
    const counters = Object.entries(effect.counters).flatMap(([field, by]) => [
      field,
      isFractionalCounter(field) ? 'f' : 'i',
      String(by),
    ]);
    const reply = (await applyTransition(
      keys.task(event.taskId),
      keys.counters,
      keys.events,
      keys.series(bucket),
      keys.durations(where),
      keys.seriesDurations(bucket, where),
      keys.completions,
      previous?.status ?? '',
      previous?.placement ?? '',
      effect.next.status,
      effect.next.placement ?? '',
      JSON.stringify(event),
      STREAM_MAX_LENGTH,
      nowMs,
      TASK_TTL_SECONDS,
      SERIES_TTL_SECONDS,
      effect.durationSample ? String(effect.durationSample.ms) : '',
      DURATION_SAMPLES,
      BUCKET_SAMPLES,
      effect.completed ? '1' : '0',
      counters.length / 3,
      ...counters,
      ...Object.entries(effect.series).flatMap(([field, by]) => [field, String(by)]),
    )) as [number, string, string];
    return { applied: reply[0] === 1, actual: asState(reply[1], reply[2]) };
  }

  return {
    streamKey: keys.events,
    keys,
    redis,
    async record(event, nowMs = Date.now()) {
      // Usually one round trip: the transition is worked out from the state it most likely finds.
      let previous = likelyPrevious(event);
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const effect = transitionEffect(previous, event);
        if (!effect.changed) {
          if (round > 0) return false;
          // Only a guess said "no change"; learn the real state.
          previous = asState(
            ...((await redis.hmget(keys.task(event.taskId), 'status', 'placement')).map((v) => v ?? '') as [
              string,
              string,
            ]),
          );
          continue;
        }
        const { applied, actual } = await apply(event, previous, effect, nowMs);
        if (applied) return true;
        previous = actual;
      }
      throw new Error(`the projection of ${event.taskId} kept changing under a ${event.status} transition`);
    },
    async recordWarmups(facts) {
      const write = redis.multi();
      for (const [field, by] of Object.entries(warmupEffect(facts))) {
        if (isFractionalCounter(field)) write.hincrbyfloat(keys.counters, field, by);
        else write.hincrby(keys.counters, field, by);
      }
      await write.exec();
    },
    async counts() {
      const raw = await redis.hgetall(keys.counters);
      return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
    },
  };
}
