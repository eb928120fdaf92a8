// The ledger of warming and each target's latency store against the real Redis of the test stack, each test under its
// own key prefix: what the warm pool spent, which real attempts it saved a cold start, and the callback delays the
// API measures and the monitors the workers publish.
import { Redis } from 'ioredis';
import { LatencyMonitor } from '../../clients/lambda-targets';
import { createPlacementStats } from '../../live/placement-stats';
import { callbackDelayMs, seriesAtLoad, createTargetLatencyStore, MONITOR_STALE_MS } from '../../live/target-latency';
import { createWarmingStats, warmingKeys } from '../../live/warming-stats';
import { testConfig } from '../support/test-stack';

let redis: Redis;
let prefix: string;

beforeEach(async () => {
  const config = testConfig();
  prefix = config.redis.prefix;
  redis = new Redis(config.redis.url, { connectionName: 'spillway-test-warming', maxRetriesPerRequest: 1 });
});

afterEach(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('the ledger of warming', () => {
  const decision = {
    functionName: 'resize',
    size: 2,
    savedColdStarts: 2,
    warmingCostUsd: 0.0000004,
    savedValueUsd: 0.00002,
    netPerEnvironmentUsd: 0.0000098,
    valuePerColdStartUsd: 0.00001,
    costPerWarmupUsd: 0.0000002,
    mode: 'auto',
    reason: '2 expected concurrent',
  };

  test('a warm hit while warmed environments live is a saved cold start, worth the learned init', async () => {
    const warming = createWarmingStats(redis, prefix);
    // The function's cold starts take 400 ms, as placement learned it.
    await createPlacementStats(redis, prefix, 3_600_000, 3).record({
      functionName: 'resize',
      versionKey: '1',
      placement: 'LAMBDA',
      durationMs: 50,
      coldStart: true,
      initDurationMs: 400,
      finishedAt: Date.now(),
      attemptId: 'earlier#1',
    });
    await warming.recordDecision('resize', decision);
    await warming.recordWarmups('resize', { warmed: 2, coldStarts: 2, costUsd: 0.0000004, lifetimeMs: 60_000 });
    // Three warm hits: two find the warmed environments, the third one an environment a task left warm.
    for (const [i, cold] of [false, false, false, true].entries()) {
      expect(await warming.recordAttempt('resize', `task-${i}#1`, cold, 250)).toBe(true);
    }
    // The same attempt told again (a repeated publish of its task's end) counts once.
    expect(await warming.recordAttempt('resize', 'task-0#1', false, 250)).toBe(false);
    expect(await warming.read()).toEqual([
      {
        functionName: 'resize',
        runs: 1,
        warmups: 2,
        warmupColdStarts: 2,
        warmingUsd: 0.0000004,
        lambdaAttempts: 4,
        warmHits: 3,
        coldStarts: 1,
        warmHitRatio: 0.75,
        savedColdStarts: 2,
        savedMs: 800,
        savedValueUsd: 0.00002,
        netUsd: 0.00002 - 0.0000004,
        last: { size: 2, mode: 'auto', reason: '2 expected concurrent', at: expect.any(String) },
      },
    ]);
    expect(await warming.attemptsSinceDecision('resize')).toBe(4);
  });

  test('warm hits after the warmed environments are gone save nothing, and the default init counts before one is learned', async () => {
    const warming = createWarmingStats(redis, prefix);
    await warming.recordWarmups('thumb', { warmed: 1, coldStarts: 1, costUsd: 0.0000002, lifetimeMs: 60_000 });
    await warming.recordAttempt('thumb', 'thumb-task-1#1', false, 250);
    // The environments' lifetime ran out (the credit expires with them).
    await redis.del(warmingKeys(prefix).credit('thumb'));
    await warming.recordAttempt('thumb', 'thumb-task-2#1', false, 250);
    const [ledger] = await warming.read();
    expect(ledger).toMatchObject({ warmHits: 2, savedColdStarts: 1, savedMs: 250, warmHitRatio: 1 });
    expect(ledger?.last).toBeUndefined();
  });
});

describe('target latency', () => {
  test('the callback delay is the time from the Invoke less the run and the init', () => {
    expect(callbackDelayMs(10_000, { iam: 8_000 }, { durationMs: 1200, initDurationMs: 300 })).toBe(500);
    expect(callbackDelayMs(10_000, { iam: 8_000 }, { durationMs: 1900, initDurationMs: 300 })).toBe(0);
    expect(callbackDelayMs(10_000, {}, { durationMs: 1200 })).toBeUndefined();
  });

  test('callback delays per target give the EWMA and p95 placement and the API read', async () => {
    const store = createTargetLatencyStore(redis, prefix);
    for (const ms of [100, 100, 100, 600]) await store.recordCallbackDelay('east', ms);
    const series = await store.callbackSeries(['east', 'west']);
    // Oldest first: 100, 100, 100, then 600 weighs 0.2.
    expect(series.get('east')).toEqual({ ewmaMs: 200, p95Ms: 600, samples: 4 });
    expect(series.has('west')).toBe(false);
  });

  test('a callback delay keeps the load its invocation met, and placement reads the delays met at no more load', async () => {
    const store = createTargetLatencyStore(redis, prefix);
    // A quiet invocation, then a burst whose later events queued behind its cold starts.
    await store.recordCallbackDelay('east', 40, 1);
    for (const [ms, load] of [
      [60, 2],
      [900, 10],
      [2500, 20],
    ] as const) {
      await store.recordCallbackDelay('east', ms, load);
    }
    const samples = (await store.callbackSamples(['east'])).get('east') ?? [];
    expect(samples).toEqual([
      { ms: 40, load: 1 },
      { ms: 60, load: 2 },
      { ms: 900, load: 10 },
      { ms: 2500, load: 20 },
    ]);
    // The next quiet task expects the quiet delay, not the burst's tail.
    expect(seriesAtLoad(samples, 1)).toEqual({ ewmaMs: 40, p95Ms: 40, samples: 1 });
    expect(seriesAtLoad(samples, 2).samples).toBe(2);
    expect(seriesAtLoad(samples, 25).samples).toBe(4);
    // The series of every load is still what the API shows.
    expect((await store.callbackSeries(['east'])).get('east')?.samples).toBe(4);
  });

  test("each invocation's dispatch delay is kept beside the callbacks, with its load", async () => {
    const store = createTargetLatencyStore(redis, prefix);
    await store.recordDispatchDelay('east', 120, 1);
    await store.recordDispatchDelay('east', 640, 12);
    const dispatch = await store.dispatchSamples(['east', 'west']);
    expect(dispatch.get('east')).toEqual([
      { ms: 120, load: 1 },
      { ms: 640, load: 12 },
    ]);
    expect(dispatch.has('west')).toBe(false);
    // A series of its own: the callbacks are not touched.
    expect((await store.callbackSamples(['east'])).has('east')).toBe(false);
  });

  test('with nothing measured at so little load, the delay is that of the lowest load measured', () => {
    const samples = [
      { ms: 800, load: 12 },
      { ms: 300, load: 5 },
      { ms: 500, load: 5 },
    ];
    // Oldest first: 300, then 500 weighs 0.2.
    expect(seriesAtLoad(samples, 1)).toEqual({ ewmaMs: 340, p95Ms: 500, samples: 2 });
    // A sample recorded before loads were counts at every load.
    expect(seriesAtLoad([{ ms: 70 }, ...samples], 1)).toEqual({ ewmaMs: 70, p95Ms: 70, samples: 1 });
    expect(seriesAtLoad([], 1)).toEqual({ samples: 0 });
  });

  test("each worker's published monitor is read back until it goes stale", async () => {
    const store = createTargetLatencyStore(redis, prefix);
    const monitor = new LatencyMonitor();
    monitor.recordInvoke(12, 1_000);
    const now = 1_000_000;
    await store.publishMonitor('east', 'worker-a', monitor.snapshot(now), now - MONITOR_STALE_MS - 1);
    await store.publishMonitor('east', 'worker-b', monitor.snapshot(now), now);
    const monitors = await store.monitors(['east'], now);
    expect(monitors.get('east')).toEqual([{ worker: 'worker-b', at: now, snapshot: monitor.snapshot(now) }]);
  });
});
