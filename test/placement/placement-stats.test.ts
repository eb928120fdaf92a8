// Learned placement figures against the real Redis of the test stack, each test under its own key prefix.
import { Redis } from 'ioredis';
import {
  attemptSample,
  createPlacementStats,
  statsVersionKey,
  type AttemptSample,
  type LearnedQuery,
} from '../../live/placement-stats';
import { testConfig } from '../support/test-stack';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 9, 12);
let redis: Redis;
let prefix: string;

beforeEach(async () => {
  const config = testConfig();
  prefix = config.redis.prefix;
  redis = new Redis(config.redis.url, { connectionName: 'spillway-test-placement-stats', maxRetriesPerRequest: 1 });
});

afterEach(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

const query = (over: Partial<LearnedQuery> = {}): LearnedQuery => ({
  functionName: 'resize',
  versionKey: '3',
  expectedDurationMs: 1000,
  defaultInitMs: 250,
  poolSize: 10,
  now: T0,
  ...over,
});

let n = 0;
const sample = (over: Partial<AttemptSample>): AttemptSample => ({
  functionName: 'resize',
  versionKey: '3',
  placement: 'LOCAL',
  durationMs: 400,
  finishedAt: T0,
  attemptId: `task-${++n}#1`,
  ...over,
});

test('before anything is measured the figures are the manifest expectation', async () => {
  const stats = createPlacementStats(redis, prefix, HOUR, 3);
  expect(await stats.read(query())).toEqual({
    localDurationMs: 1000,
    lambdaDurationMs: 1000,
    initMs: 250,
    localCpuShare: 1,
    localThroughputPerSec: undefined,
    samples: { local: 0, lambda: 0, init: 0 },
    lambdaColdRatio: undefined,
    localObservedPerSec: 0,
    runningRemainingMs: [],
  });
});

test('running local attempts give the time left in each slot', async () => {
  const stats = createPlacementStats(redis, prefix, HOUR, 0);
  await stats.localStarted('task-a', 1000, T0 - 400);
  await stats.localStarted('task-b', 1000, T0 - 100);
  await stats.localStarted('task-c', 500, T0 - 900);
  expect((await stats.read(query())).runningRemainingMs).toEqual([0, 600, 900]);
  await stats.localFinished('task-b');
  expect((await stats.read(query())).runningRemainingMs).toEqual([0, 600]);
  // An attempt an hour overdue (its worker died) is forgotten.
  expect((await stats.read(query({ now: T0 + 2 * HOUR }))).runningRemainingMs).toEqual([]);
});

test('measured runs move the figure from the prior towards what was measured', async () => {
  const stats = createPlacementStats(redis, prefix, HOUR, 3);
  for (let i = 0; i < 3; i++) await stats.record(sample({ durationMs: 400, cpuTimeMs: 100 }));
  const three = await stats.read(query());
  // Three samples of 400 against a prior of 1000 worth three samples: (3 × 400 + 3 × 1000) / 6.
  expect(three.localDurationMs).toBeCloseTo(700, 6);
  expect(three.samples.local).toBe(3);
  expect(three.localCpuShare).toBeCloseTo((3 * 0.25 + 1) / 4, 6);
  for (let i = 0; i < 27; i++) await stats.record(sample({ durationMs: 400 }));
  expect((await stats.read(query())).localDurationMs).toBeCloseTo((30 * 400 + 3 * 1000) / 33, 6);
});

test('old samples count for half after a half-life', async () => {
  const stats = createPlacementStats(redis, prefix, HOUR, 0);
  await stats.record(sample({ durationMs: 1000, finishedAt: T0 - HOUR }));
  await stats.record(sample({ durationMs: 400, finishedAt: T0 }));
  // The hour-old 1000 ms sample weighs 0.5 against the new one's 1: (0.5 × 1000 + 400) / 1.5.
  const figures = await stats.read(query());
  expect(figures.localDurationMs).toBeCloseTo(600, 6);
  expect(figures.samples.local).toBe(1.5);
  expect((await stats.read(query({ now: T0 + HOUR }))).samples.local).toBe(0.75);
});

test('Lambda runs learn the run time, the Init Duration of cold starts and the cold ratio', async () => {
  const stats = createPlacementStats(redis, prefix, HOUR, 0);
  await stats.record(sample({ placement: 'LAMBDA', durationMs: 300, coldStart: true, initDurationMs: 180 }));
  await stats.record(sample({ placement: 'LAMBDA', durationMs: 200, coldStart: false }));
  await stats.record(sample({ placement: 'LAMBDA', durationMs: 250, coldStart: false }));
  await stats.record(sample({ placement: 'LAMBDA', durationMs: 250, coldStart: false }));
  const figures = await stats.read(query());
  expect(figures).toMatchObject({ lambdaDurationMs: 250, initMs: 180, lambdaColdRatio: 0.25, localDurationMs: 1000 });
  expect(figures.samples).toEqual({ local: 0, lambda: 4, init: 1 });
});

test('a new version runs like the function until it is measured itself', async () => {
  const stats = createPlacementStats(redis, prefix, HOUR, 0);
  await stats.record(sample({ versionKey: '3', durationMs: 400 }));
  expect((await stats.read(query({ versionKey: '4' }))).localDurationMs).toBe(400);
  await stats.record(sample({ versionKey: '4', durationMs: 100 }));
  expect((await stats.read(query({ versionKey: '4' }))).localDurationMs).toBe(100);
  // The function's own figure has both.
  expect((await stats.read(query({ versionKey: '5' }))).localDurationMs).toBeCloseTo(250, 6);
});

test('the local throughput is the pool over its service time, or what was observed if more', async () => {
  const stats = createPlacementStats(redis, prefix, HOUR, 0);
  for (let i = 0; i < 5; i++) await stats.record(sample({ durationMs: 500, finishedAt: T0 - i * 1000 }));
  const figures = await stats.read(query());
  expect(figures.localThroughputPerSec).toBeCloseTo(20, 6);
  expect(figures.localObservedPerSec).toBeCloseTo(5 / 60, 6);
  // Completions older than a minute are not in the observed rate.
  expect((await stats.read(query({ now: T0 + 120_000 }))).localObservedPerSec).toBe(0);
});

test('a repeated report of one attempt is one completion', async () => {
  const stats = createPlacementStats(redis, prefix, HOUR, 0);
  const once = sample({ attemptId: 'task-same#1' });
  await stats.record(once);
  await stats.record(once);
  expect((await stats.read(query())).localObservedPerSec).toBeCloseTo(1 / 60, 6);
});

test('the keys live under the prefix and expire', async () => {
  const stats = createPlacementStats(redis, prefix, HOUR, 0);
  await stats.record(sample({}));
  const keys = (await redis.keys(`${prefix}*`)).sort();
  expect(keys).toEqual(
    [stats.keys.fn('resize'), stats.keys.version('resize', '3'), stats.keys.pool, stats.keys.poolDone].sort(),
  );
  for (const key of keys) expect(await redis.ttl(key)).toBeGreaterThan(0);
});

test('an attempt record becomes a sample; failed attempts teach nothing', () => {
  const attempt = {
    attempt: 2,
    placement: 'LAMBDA' as const,
    functionVersion: '$LATEST',
    codeSha256: 'abcdefabcdef0123456789',
    startedAt: '2026-11-09T12:00:00.000Z',
    finishedAt: '2026-11-09T12:00:01.000Z',
    durationMs: 950,
    outcome: 'succeeded' as const,
    coldStart: true,
    initDurationMs: 120,
  };
  expect(attemptSample({ id: 'task-1', functionName: 'resize' }, attempt)).toEqual({
    functionName: 'resize',
    versionKey: '$LATEST:abcdefabcdef',
    placement: 'LAMBDA',
    durationMs: 950,
    coldStart: true,
    initDurationMs: 120,
    cpuTimeMs: undefined,
    finishedAt: Date.parse('2026-11-09T12:00:01.000Z'),
    attemptId: 'task-1#2',
  });
  expect(attemptSample({ id: 'task-1', functionName: 'resize' }, { ...attempt, outcome: 'failed' })).toBeUndefined();
  expect(statsVersionKey('7', 'abc')).toBe('7');
});

test('a cold start stretched by the ones started with it teaches the init alone', () => {
  const attempt = {
    attempt: 1,
    placement: 'LAMBDA' as const,
    startedAt: '2026-11-09T12:00:00.000Z',
    finishedAt: '2026-11-09T12:00:01.000Z',
    durationMs: 1000,
    outcome: 'succeeded' as const,
    coldStart: true,
    // Eight inits came up together on a target that brings up two at a time.
    initDurationMs: 1200,
    initContention: 4,
  };
  expect(attemptSample({ id: 'task-3', functionName: 'resize' }, attempt)).toMatchObject({ initDurationMs: 300 });
  // Alone (or on a target without a limit) it is the init as measured.
  const { initContention: _c, ...alone } = attempt;
  expect(attemptSample({ id: 'task-3', functionName: 'resize' }, alone)).toMatchObject({ initDurationMs: 1200 });
});

test("a local attempt's time in its slot is learned beside its run, and it is what the pool serves and what a running one is expected to hold", async () => {
  const stats = createPlacementStats(redis, prefix, HOUR, 0);
  for (let i = 0; i < 4; i++) await stats.record(sample({ durationMs: 400, heldMs: 700, finishedAt: T0 - i }));
  const figures = await stats.read(query());
  expect(figures).toMatchObject({ localDurationMs: 400, localSlotMs: 700 });
  // Ten slots of 700 ms each.
  expect(figures.localThroughputPerSec).toBeCloseTo(10_000 / 700, 6);
  await stats.localStartedFor('task-x', 'resize', 50, T0 - 100);
  expect((await stats.read(query())).runningRemainingMs).toEqual([600]);
  // A function never measured is expected to hold its slot for the fallback.
  await stats.localStartedFor('task-y', 'unmeasured', 50, T0);
  expect((await stats.read(query())).runningRemainingMs).toEqual([50, 600]);
});

test("a local attempt record's slot time is from its start to its end", () => {
  const local = {
    attempt: 1,
    placement: 'LOCAL' as const,
    startedAt: '2026-11-09T12:00:00.000Z',
    finishedAt: '2026-11-09T12:00:01.300Z',
    durationMs: 1000,
    outcome: 'succeeded' as const,
  };
  expect(attemptSample({ id: 'task-2', functionName: 'resize' }, local)).toMatchObject({ heldMs: 1300 });
});
