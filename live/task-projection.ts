// The live projection of tasks in Redis: the status of each task, counts per status and placement, costs, durations,
// retries, cold starts, throughput buckets, and a capped stream of transitions that the dashboard follows.
// Temporal holds the record; everything here is rebuilt from it by the reconcile step.
import type { Redis } from 'ioredis';
import type { Placement, TaskStatus } from '../domain/task-model';

export interface TransitionEvent {
  taskId: string;
  status: TaskStatus;
  type: string;
  name: string;
  executionMode: string;
  /** The task's fairness key. */
  tenant?: string;
  placement?: Placement;
  placementReason?: string;
  attempts?: number;
  durationMs?: number;
  costUsd?: number;
  coldStarts?: number;
  warmStarts?: number;
  error?: string;
  at: string;
}

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

// A transition moves one task from its last recorded status to the new one, atomically and idempotently: repeating
// a transition, or delivering an older one late, never moves a counter twice. Terminal transitions also record the
// task's facts (cost, duration, attempts, cold starts) once.
const TRANSITION_SCRIPT = `
local rank = { QUEUED = 1, RUNNING = 2, COMPLETED = 3, FAILED = 3, CANCELLED = 3 }
local taskKey, counters, stream = KEYS[1], KEYS[2], KEYS[3]
local new, placementArg, event, maxLen = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local previous = redis.call('HGET', taskKey, 'status')
local placement = redis.call('HGET', taskKey, 'placement')
if previous == new then
  if placementArg == '' or placement == placementArg then return 0 end
elseif previous and rank[previous] and rank[new] and rank[previous] >= rank[new] then
  return 0
end
if previous then
  redis.call('HINCRBY', counters, 'status:' .. previous, -1)
  if placement and placement ~= '' then redis.call('HINCRBY', counters, previous .. ':' .. placement, -1) end
else
  redis.call('HINCRBY', counters, 'created', 1)
end
redis.call('HINCRBY', counters, 'status:' .. new, 1)
if placementArg ~= '' then placement = placementArg end
if placement and placement ~= '' then
  redis.call('HINCRBY', counters, new .. ':' .. placement, 1)
  redis.call('HSET', taskKey, 'placement', placement)
end
redis.call('HSET', taskKey, 'status', new)
redis.call('EXPIRE', taskKey, 1209600)
redis.call('XADD', stream, 'MAXLEN', '~', maxLen, '*', 'event', event)
if rank[new] == 3 and previous ~= new then
  local p = placement or 'NONE'
  local attempts = tonumber(ARGV[5]) or 0
  local duration = tonumber(ARGV[6])
  local cost = tonumber(ARGV[7]) or 0
  local nowMs = tonumber(ARGV[10])
  local bucket = tonumber(ARGV[11])
  if attempts > 0 then redis.call('HINCRBY', counters, 'attempts:' .. attempts, 1) end
  if attempts > 1 then redis.call('HINCRBY', counters, 'retried', 1) end
  if cost > 0 then redis.call('HINCRBYFLOAT', counters, 'cost:' .. p, cost) end
  redis.call('HINCRBY', counters, 'cold', tonumber(ARGV[8]) or 0)
  redis.call('HINCRBY', counters, 'warm', tonumber(ARGV[9]) or 0)
  if ARGV[12] == 'AUTO' and placement then redis.call('HINCRBY', counters, 'auto:' .. placement, 1) end
  local seriesKey = KEYS[4]
  if new == 'COMPLETED' then
    if duration then
      redis.call('LPUSH', KEYS[5], duration)
      redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[13]) - 1)
      redis.call('LPUSH', KEYS[6], duration)
      redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[15]) - 1)
      redis.call('EXPIRE', KEYS[6], tonumber(ARGV[14]))
    end
    redis.call('ZADD', KEYS[7], nowMs, taskKey)
    redis.call('HINCRBY', seriesKey, 'completed:' .. p, 1)
  else
    redis.call('HINCRBY', seriesKey, string.lower(new), 1)
  end
  redis.call('EXPIRE', seriesKey, tonumber(ARGV[14]))
end
return 1
`;

export interface TaskProjection {
  record(event: TransitionEvent, nowMs?: number): Promise<boolean>;
  counts(): Promise<Record<string, number>>;
  streamKey: string;
  keys: ReturnType<typeof projectionKeys>;
  redis: Redis;
}

export function createTaskProjection(redis: Redis, prefix: string): TaskProjection {
  const keys = projectionKeys(prefix);
  return {
    streamKey: keys.events,
    keys,
    redis,
    async record(event, nowMs = Date.now()) {
      const bucket = Math.floor(nowMs / SERIES_BUCKET_MS) * SERIES_BUCKET_MS;
      const placement = event.placement ?? 'NONE';
      const changed = await redis.eval(
        TRANSITION_SCRIPT,
        7,
        keys.task(event.taskId),
        keys.counters,
        keys.events,
        keys.series(bucket),
        keys.durations(placement),
        keys.seriesDurations(bucket, placement),
        keys.completions,
        event.status,
        event.placement ?? '',
        JSON.stringify(event),
        String(STREAM_MAX_LENGTH),
        String(event.attempts ?? 0),
        event.durationMs === undefined ? '' : String(Math.round(event.durationMs * 1000) / 1000),
        String(event.costUsd ?? 0),
        String(event.coldStarts ?? 0),
        String(event.warmStarts ?? 0),
        String(nowMs),
        String(bucket),
        event.executionMode,
        String(DURATION_SAMPLES),
        String(SERIES_TTL_SECONDS),
        String(BUCKET_SAMPLES),
      );
      return changed === 1;
    },
    async counts() {
      const raw = await redis.hgetall(keys.counters);
      return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
    },
  };
}
