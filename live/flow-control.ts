// What Temporal does not have, shared by every worker and API instance through Redis: concurrency slots per key
// (leased, so a lost holder cannot keep one forever; waiters served in arrival order), rate permits per key (an
// exact sliding window) and debounce windows. Each rule is one Lua script, so no two instances can both see a
// free slot. Redis holds only these leases; the tasks and their outcome are Temporal's.
import type { Redis } from 'ioredis';

// KEYS: holders, waiters, seen. ARGV: taskId, limit, now, leaseMs, enqueueScore, waiterTtlMs.
// Holders are a sorted set by lease expiry; waiters a sorted set by arrival, with a liveness expiry in `seen`, so
// a waiter whose workflow stopped asking does not block the queue.
const ACQUIRE = `
local holders, waiters, seen = KEYS[1], KEYS[2], KEYS[3]
local id, limit, now, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)
local gone = redis.call('ZRANGEBYSCORE', seen, '-inf', now)
for _, w in ipairs(gone) do redis.call('ZREM', waiters, w) end
redis.call('ZREMRANGEBYSCORE', seen, '-inf', now)
if redis.call('ZSCORE', holders, id) then
  redis.call('ZADD', holders, now + lease, id)
  redis.call('ZREM', waiters, id)
  redis.call('ZREM', seen, id)
  return { 1, 0, redis.call('ZCARD', holders) }
end
redis.call('ZADD', waiters, 'NX', ARGV[5], id)
redis.call('ZADD', seen, now + tonumber(ARGV[6]), id)
local free = limit - redis.call('ZCARD', holders)
local rank = redis.call('ZRANK', waiters, id)
if free > 0 and rank < free then
  redis.call('ZREM', waiters, id)
  redis.call('ZREM', seen, id)
  redis.call('ZADD', holders, now + lease, id)
  redis.call('PEXPIRE', holders, lease * 2)
  return { 1, 0, redis.call('ZCARD', holders) }
end
redis.call('PEXPIRE', waiters, 86400000)
redis.call('PEXPIRE', seen, 86400000)
return { 0, rank + 1, redis.call('ZCARD', holders) }
`;

// KEYS: holders, waiters. ARGV: taskId, limit. Returns the waiters next in line for the freed slots.
const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local free = tonumber(ARGV[2]) - redis.call('ZCARD', KEYS[1])
if free <= 0 then return {} end
return redis.call('ZRANGE', KEYS[2], 0, free - 1)
`;

// KEYS: window. ARGV: limit, periodMs, now, member. An exact sliding window: a permit is granted when fewer than
// `limit` were granted in the last period; otherwise the wait until the oldest one leaves it.
const PERMIT = `
local key, limit, period, now = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, period * 2)
  return { 1, 0 }
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return { 0, tonumber(oldest[2]) + period - now }
`;

type Reply = [number, number, number?];

interface FlowCommands {
  spillwayAcquireSlot(...args: Array<string | number>): Promise<Reply>;
  spillwayReleaseSlot(...args: Array<string | number>): Promise<string[]>;
  spillwayPermit(...args: Array<string | number>): Promise<[number, number]>;
  spillwayReplaceDebounce(...args: Array<string | number>): Promise<number>;
}

export interface SlotAnswer {
  granted: boolean;
  /** 1 = next in line; 0 when granted. */
  position: number;
  holders: number;
}

export interface FlowControl {
  /** Takes (or renews) a slot of the key for the task, or queues it in arrival order. */
  acquireSlot(key: string, taskId: string, limit: number, leaseMs: number, enqueuedAt: number): Promise<SlotAnswer>;
  /** Gives the slot back; answers the task ids next in line, to be woken. */
  releaseSlot(key: string, taskId: string, limit: number): Promise<string[]>;
  /** Task ids holding a slot of the key now. */
  holders(key: string): Promise<string[]>;
  /** Removes a holder that is known to be gone (its workflow closed), freeing its slot at once. */
  evict(key: string, taskId: string): Promise<void>;
  /** One permit of the key's rate, or how long to wait for one. */
  permit(
    key: string,
    limit: number,
    periodMs: number,
    member: string,
    at?: number,
  ): Promise<{ granted: boolean; waitMs: number }>;
  /** The task that owns the key's open debounce window, if one is open. */
  debounceOwner(key: string): Promise<string | undefined>;
  /** Opens the key's window for the task unless one is open; answers the owner of the open window. */
  openDebounce(key: string, taskId: string, periodMs: number): Promise<{ opened: boolean; owner: string }>;
  closeDebounce(key: string, taskId: string): Promise<void>;
  /** Points the key at a new task if it still points at `previous` (whose window has closed). */
  replaceDebounce(key: string, previous: string, taskId: string, periodMs: number): Promise<boolean>;
}

// KEYS: window. ARGV: previous owner, new owner, periodMs.
const REPLACE_DEBOUNCE = `
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

/** How long a waiter stays in line without asking again; it asks at least every 30 s. */
const WAITER_TTL_MS = 90_000;

export function createFlowControl(redis: Redis, prefix: string, now: () => number = Date.now): FlowControl {
  const commands = redis as unknown as Redis & FlowCommands;
  if (!('spillwayAcquireSlot' in redis)) {
    redis.defineCommand('spillwayAcquireSlot', { numberOfKeys: 3, lua: ACQUIRE });
    redis.defineCommand('spillwayReleaseSlot', { numberOfKeys: 2, lua: RELEASE });
    redis.defineCommand('spillwayPermit', { numberOfKeys: 1, lua: PERMIT });
    redis.defineCommand('spillwayReplaceDebounce', { numberOfKeys: 1, lua: REPLACE_DEBOUNCE });
  }
  const k = {
    holders: (key: string) => `${prefix}cc:${key}:holders`,
    waiters: (key: string) => `${prefix}cc:${key}:waiters`,
    seen: (key: string) => `${prefix}cc:${key}:seen`,
    rate: (key: string) => `${prefix}rate:${key}`,
    debounce: (key: string) => `${prefix}debounce:${key}`,
  };
  return {
    async acquireSlot(key, taskId, limit, leaseMs, enqueuedAt) {
      const [granted, position, holders] = await commands.spillwayAcquireSlot(
        k.holders(key),
        k.waiters(key),
        k.seen(key),
        taskId,
        limit,
        now(),
        leaseMs,
        enqueuedAt,
        WAITER_TTL_MS,
      );
      return { granted: granted === 1, position, holders: holders ?? 0 };
    },
    releaseSlot: (key, taskId, limit) => commands.spillwayReleaseSlot(k.holders(key), k.waiters(key), taskId, limit),
    async holders(key) {
      return redis.zrangebyscore(k.holders(key), now(), '+inf');
    },
    async evict(key, taskId) {
      await redis.zrem(k.holders(key), taskId);
    },
    async permit(key, limit, periodMs, member, at = now()) {
      const [granted, waitMs] = await commands.spillwayPermit(k.rate(key), limit, periodMs, at, member);
      return { granted: granted === 1, waitMs: Math.max(1, Math.ceil(waitMs)) };
    },
    async debounceOwner(key) {
      return (await redis.get(k.debounce(key))) ?? undefined;
    },
    async openDebounce(key, taskId, periodMs) {
      const set = await redis.set(k.debounce(key), taskId, 'PX', periodMs, 'NX');
      if (set === 'OK') return { opened: true, owner: taskId };
      const owner = await redis.get(k.debounce(key));
      // The window closed between the two calls: try once more to open a new one.
      if (owner === null) return this.openDebounce(key, taskId, periodMs);
      return { opened: false, owner };
    },
    async closeDebounce(key, taskId) {
      if ((await redis.get(k.debounce(key))) === taskId) await redis.del(k.debounce(key));
    },
    async replaceDebounce(key, previous, taskId, periodMs) {
      return (await commands.spillwayReplaceDebounce(k.debounce(key), previous, taskId, periodMs)) === 1;
    },
  };
}
