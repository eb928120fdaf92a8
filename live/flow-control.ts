// What Temporal does not have, shared by every worker and API instance through Redis: concurrency slots per key
// (leased, so a lost holder cannot keep one forever; waiters served in arrival order), rate permits per key (an
// exact sliding window) and debounce windows. Each rule is one Lua script under live/lua/ (acquire-slot,
// release-slot, take-permit, replace-debounce), so no two instances can both see a free slot. Redis holds only these
// leases; the tasks and their outcome are Temporal's.
import type { Redis } from 'ioredis';
import { scriptCommand } from './redis-scripts';

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
  /**
   * One permit of the key's rate, or how long to wait for one. `replaces`: a permit taken ahead for the same
   * attempt, given back in the same step (see live/lua/take-permit.lua).
   */
  permit(
    key: string,
    limit: number,
    periodMs: number,
    member: string,
    at?: number,
    replaces?: string,
  ): Promise<{ granted: boolean; waitMs: number }>;
  /** The task that owns the key's open debounce window, if one is open. */
  debounceOwner(key: string): Promise<string | undefined>;
  /** Opens the key's window for the task unless one is open; answers the owner of the open window. */
  openDebounce(key: string, taskId: string, periodMs: number): Promise<{ opened: boolean; owner: string }>;
  closeDebounce(key: string, taskId: string): Promise<void>;
  /** Points the key at a new task if it still points at `previous` (whose window has closed). */
  replaceDebounce(key: string, previous: string, taskId: string, periodMs: number): Promise<boolean>;
}

/** How long a waiter stays in line without asking again; it asks at least every 30 s. */
const WAITER_TTL_MS = 90_000;

export function createFlowControl(redis: Redis, prefix: string, now: () => number = Date.now): FlowControl {
  const acquire = scriptCommand(redis, 'acquire-slot', 3);
  const release = scriptCommand(redis, 'release-slot', 2);
  const takePermit = scriptCommand(redis, 'take-permit', 1);
  const replace = scriptCommand(redis, 'replace-debounce', 1);
  const k = {
    holders: (key: string) => `${prefix}cc:${key}:holders`,
    waiters: (key: string) => `${prefix}cc:${key}:waiters`,
    seen: (key: string) => `${prefix}cc:${key}:seen`,
    rate: (key: string) => `${prefix}rate:${key}`,
    debounce: (key: string) => `${prefix}debounce:${key}`,
  };
  return {
    async acquireSlot(key, taskId, limit, leaseMs, enqueuedAt) {
      const [granted, position, holders] = (await acquire(
        k.holders(key),
        k.waiters(key),
        k.seen(key),
        taskId,
        limit,
        now(),
        leaseMs,
        enqueuedAt,
        WAITER_TTL_MS,
      )) as [number, number, number?];
      return { granted: granted === 1, position, holders: holders ?? 0 };
    },
    releaseSlot: async (key, taskId, limit) =>
      (await release(k.holders(key), k.waiters(key), taskId, limit)) as string[],
    async holders(key) {
      return redis.zrangebyscore(k.holders(key), now(), '+inf');
    },
    async evict(key, taskId) {
      await redis.zrem(k.holders(key), taskId);
    },
    async permit(key, limit, periodMs, member, at = now(), replaces = '') {
      const [granted, waitMs] = (await takePermit(k.rate(key), limit, periodMs, at, member, replaces)) as [
        number,
        number,
      ];
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
      return (await replace(k.debounce(key), previous, taskId, periodMs)) === 1;
    },
  };
}
