// The live projection against a real Redis (a key prefix of its own): transitions through the Lua command, run by
// hash; repeats, late and concurrent transitions; warm-ups through the projection's API.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../live/redis-client';
import { readStats } from '../../live/stats-reader';
import { createTaskProjection, type TaskProjection, type TransitionEvent } from '../../live/task-projection';
import { testConfig, uniqueId } from '../support/test-stack';

const LUA = path.resolve(__dirname, '..', '..', 'live', 'lua', 'apply-transition.lua');

describe('task projection', () => {
  const config = testConfig();
  const prefix = config.redis.prefix;
  let redis: Redis;
  let projection: TaskProjection;

  beforeAll(async () => {
    redis = connectRedis(config.redis.url, 'spillway-test-projection');
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    projection = createTaskProjection(redis, prefix);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const event = (taskId: string, e: Partial<TransitionEvent> & Pick<TransitionEvent, 'status'>): TransitionEvent => ({
    taskId,
    type: 'noop',
    name: 'projection test',
    executionMode: 'LOCAL',
    at: new Date().toISOString(),
    ...e,
  });

  const counters = async () => projection.counts();
  const delta = (after: Record<string, number>, before: Record<string, number>) =>
    Object.fromEntries(
      [...new Set([...Object.keys(after), ...Object.keys(before)])]
        .map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)] as const)
        .filter(([, v]) => Math.abs(v) > 1e-12),
    );

  test('a task life moves the counters once, and repeats and late events change nothing', async () => {
    const id = uniqueId('life');
    const before = await counters();
    const streamBefore = await redis.xlen(projection.streamKey);
    await expect(projection.record(event(id, { status: 'QUEUED' }))).resolves.toBe(true);
    await expect(projection.record(event(id, { status: 'RUNNING', placement: 'LAMBDA' }))).resolves.toBe(true);
    await expect(projection.record(event(id, { status: 'RUNNING', placement: 'LAMBDA' }))).resolves.toBe(false);
    await expect(projection.record(event(id, { status: 'QUEUED' }))).resolves.toBe(false);
    const done = event(id, {
      status: 'COMPLETED',
      placement: 'LAMBDA',
      attempts: 2,
      durationMs: 42.5,
      costUsd: 0.000012,
      coldStarts: 1,
      warmStarts: 1,
    });
    await expect(projection.record(done)).resolves.toBe(true);
    await expect(projection.record(done)).resolves.toBe(false);
    await expect(projection.record(event(id, { status: 'RUNNING', placement: 'LAMBDA' }))).resolves.toBe(false);

    const moved = delta(await counters(), before);
    expect(moved).toEqual({
      created: 1,
      'status:COMPLETED': 1,
      'COMPLETED:LAMBDA': 1,
      'attempts:2': 1,
      retried: 1,
      'cost:LAMBDA': expect.closeTo(0.000012, 12),
      cold: 1,
      warm: 1,
    });
    await expect(redis.hgetall(projection.keys.task(id))).resolves.toEqual({
      status: 'COMPLETED',
      placement: 'LAMBDA',
    });
    await expect(redis.xlen(projection.streamKey)).resolves.toBe(streamBefore + 3);
    await expect(redis.lrange(projection.keys.durations('LAMBDA'), 0, 0)).resolves.toEqual(['42.5']);
    await expect(redis.zscore(projection.keys.completions, projection.keys.task(id))).resolves.toMatch(/^\d+$/);
    const stats = await readStats(redis, prefix);
    expect(stats.executionTimeMs.LAMBDA.count).toBeGreaterThanOrEqual(1);
  });

  test('a final event that meets an unexpected state is worked out again from the real one', async () => {
    // Cancelled while still queued: the guess (RUNNING) is wrong, the script answers QUEUED, and the second try
    // applies QUEUED → CANCELLED.
    const id = uniqueId('cancel-queued');
    const before = await counters();
    await projection.record(event(id, { status: 'QUEUED' }));
    await expect(projection.record(event(id, { status: 'CANCELLED' }))).resolves.toBe(true);
    expect(delta(await counters(), before)).toEqual({ created: 1, 'status:CANCELLED': 1 });
  });

  test('concurrent transitions of one task leave it counted once, in its final status', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => uniqueId(`race-${i}`));
    const before = await counters();
    await Promise.all(
      ids.map(async (id) => {
        await projection.record(event(id, { status: 'QUEUED' }));
        // RUNNING and COMPLETED race each other, as a slow RUNNING write and a fast task can.
        await Promise.all([
          projection.record(event(id, { status: 'RUNNING', placement: 'LOCAL' })),
          projection.record(event(id, { status: 'COMPLETED', placement: 'LOCAL', attempts: 1 })),
        ]);
      }),
    );
    expect(delta(await counters(), before)).toEqual({
      created: 20,
      'status:COMPLETED': 20,
      'COMPLETED:LOCAL': 20,
      'attempts:1': 20,
    });
  });

  test('Redis runs the transition script by its hash, not from a resent source', async () => {
    const sha = createHash('sha1').update(readFileSync(LUA, 'utf8')).digest('hex');
    const monitor = await redis.duplicate().monitor();
    const seen: string[] = [];
    const id = uniqueId('by-hash');
    // MONITOR sees every client of this Redis (other tests and processes too): only this task's commands count.
    monitor.on('monitor', (_time: string, args: string[]) => {
      const name = args[0]?.toLowerCase();
      if (!args.some((arg) => arg.includes(id))) return;
      if (name === 'evalsha' || name === 'eval') seen.push(name === 'evalsha' ? `evalsha ${args[1]}` : 'eval');
    });
    try {
      await projection.record(event(id, { status: 'QUEUED' }));
      await projection.record(event(id, { status: 'RUNNING', placement: 'LOCAL' }));
      await projection.record(event(id, { status: 'COMPLETED', placement: 'LOCAL' }));
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      monitor.disconnect();
    }
    expect(seen).toEqual([`evalsha ${sha}`, `evalsha ${sha}`, `evalsha ${sha}`]);
    await expect(redis.script('EXISTS', sha)).resolves.toEqual([1]);
  });

  test('warm-ups are counted through the projection, apart from tasks', async () => {
    const before = await counters();
    await projection.recordWarmups({ warmed: 3, coldStarts: 1, costUsd: 0.0000021 });
    expect(delta(await counters(), before)).toEqual({
      warmups: 3,
      warmupColdStarts: 1,
      'cost:warming': expect.closeTo(0.0000021, 12),
    });
    const stats = await readStats(redis, prefix);
    expect(stats.warmPool.warmups).toBeGreaterThanOrEqual(3);
  });
});
