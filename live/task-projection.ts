// The live projection of tasks in Redis: the status of each task, counts per status and placement, and a capped
// stream of transitions that the dashboard follows. Temporal holds the record; everything here can be rebuilt.
import type { Redis } from 'ioredis';
import type { Placement, TaskStatus } from '../domain/task-model';

export interface TransitionEvent {
  taskId: string;
  status: TaskStatus;
  type: string;
  name: string;
  executionMode: string;
  placement?: Placement;
  placementReason?: string;
  attempts?: number;
  durationMs?: number;
  costUsd?: number;
  error?: string;
  at: string;
}

const STREAM_MAX_LENGTH = 10_000;

// A transition moves one task from its last recorded status to the new one, atomically and idempotently:
// repeating a transition, or delivering an older one late, never moves a counter twice.
const TRANSITION_SCRIPT = `
local rank = { QUEUED = 1, RUNNING = 2, COMPLETED = 3, FAILED = 3, CANCELLED = 3 }
local previous = redis.call('HGET', KEYS[1], 'status')
local placement = redis.call('HGET', KEYS[1], 'placement')
local new = ARGV[1]
if previous == new then return 0 end
if previous and rank[previous] and rank[new] and rank[previous] >= rank[new] then return 0 end
if previous then
  redis.call('HINCRBY', KEYS[2], 'status:' .. previous, -1)
  if placement and placement ~= '' then redis.call('HINCRBY', KEYS[2], previous .. ':' .. placement, -1) end
else
  redis.call('HINCRBY', KEYS[2], 'created', 1)
end
redis.call('HINCRBY', KEYS[2], 'status:' .. new, 1)
if ARGV[2] ~= '' then placement = ARGV[2] end
if placement and placement ~= '' then
  redis.call('HINCRBY', KEYS[2], new .. ':' .. placement, 1)
  redis.call('HSET', KEYS[1], 'placement', placement)
end
redis.call('HSET', KEYS[1], 'status', new)
redis.call('EXPIRE', KEYS[1], 604800)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'event', ARGV[3])
return 1
`;

export interface TaskProjection {
  record(event: TransitionEvent): Promise<boolean>;
  counts(): Promise<Record<string, number>>;
  streamKey: string;
}

export function createTaskProjection(redis: Redis, prefix: string): TaskProjection {
  const countersKey = `${prefix}counters`;
  const streamKey = `${prefix}events`;
  return {
    streamKey,
    async record(event) {
      const changed = await redis.eval(
        TRANSITION_SCRIPT,
        3,
        `${prefix}task:${event.taskId}`,
        countersKey,
        streamKey,
        event.status,
        event.placement ?? '',
        JSON.stringify(event),
        String(STREAM_MAX_LENGTH),
      );
      return changed === 1;
    },
    async counts() {
      const raw = await redis.hgetall(countersKey);
      return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
    },
  };
}
