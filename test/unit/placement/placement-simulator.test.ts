import type { PriceTable } from '../../../domain/cost-model';
import {
  comparePolicies,
  fitLocalOverhead,
  simulate,
  summaryOf,
  type SimulationSettings,
  type TraceTask,
} from '../../../domain/placement-simulator';

const prices: PriceTable = {
  effectiveDate: '2026-11-01',
  currency: 'USD',
  lambda: { requestUsd: 0.0000002, gbSecondUsd: { x86_64: 0.0000166667, arm64: 0.0000133334 } },
  local: { vCpuSecondUsd: 0.0000125 },
};

const settings: SimulationSettings = {
  localPoolSize: 2,
  lambda: { concurrency: 10, initMs: 200, overheadMs: 0, warmAtStart: 0, idleLifetimeMs: 10_000 },
  defaultMemoryMB: 1024,
  prices,
};

const task = (submittedAt: number, ms = 1000): TraceTask => ({
  submittedAt,
  type: 'work',
  functionName: 'work',
  payloadBytes: 100,
  durations: { LOCAL: ms },
});

/** Four 1-second tasks at once, a pool of two, Lambda cold starts of 200 ms. */
const burst = [task(0), task(0), task(0), task(0)];
const LOCAL_SECOND = 0.0000125;
const LAMBDA_COLD_SECOND = 0.0000002 + 1.2 * 0.0000166667;

test('all LOCAL: two run, two wait a second', () => {
  const r = simulate(burst, settings, { kind: 'LOCAL' });
  expect(r).toMatchObject({
    policy: 'all LOCAL',
    tasks: 4,
    makespanMs: 2000,
    latencyMs: { p50: 1000, p95: 2000, mean: 1500 },
    placed: { LOCAL: 4, LAMBDA: 0 },
    share: { LOCAL: 1, LAMBDA: 0 },
    coldStarts: 0,
  });
  expect(r.costUsd).toBeCloseTo(4 * LOCAL_SECOND, 12);
});

test('all LAMBDA: four cold starts side by side', () => {
  const r = simulate(burst, settings, { kind: 'LAMBDA' });
  expect(r).toMatchObject({
    makespanMs: 1200,
    latencyMs: { p50: 1200, p95: 1200 },
    coldStarts: 4,
    placed: { LAMBDA: 4 },
  });
  expect(r.costUsd).toBeCloseTo(4 * LAMBDA_COLD_SECOND, 12);
});

test('threshold 2: the first two stay local, the rest spill', () => {
  const r = simulate(burst, settings, { kind: 'threshold', threshold: 2 });
  expect(r.perTask.map((t) => [t.placement, t.finish])).toEqual([
    ['LOCAL', 1000],
    ['LOCAL', 1000],
    ['LAMBDA', 1200],
    ['LAMBDA', 1200],
  ]);
  expect(r.costUsd).toBeCloseTo(2 * LOCAL_SECOND + 2 * LAMBDA_COLD_SECOND, 12);
});

test('predictive (latency): spills once the local queue would finish later than a cold start', () => {
  // Third task: one ahead at 2 per second, 0.5 s + 1 s = 1.5 s locally against 1.2 s cold on Lambda.
  const r = simulate(burst, settings, { kind: 'predictive', objective: 'latency' });
  expect(r.perTask.map((t) => t.placement)).toEqual(['LOCAL', 'LOCAL', 'LAMBDA', 'LAMBDA']);
  expect(r.makespanMs).toBe(1200);
});

test('predictive (cost): everything waits in the cheaper local queue', () => {
  const r = simulate(burst, { ...settings, defaultMemoryMB: 2048 }, { kind: 'predictive', objective: 'cost' });
  expect(r).toMatchObject({ placed: { LOCAL: 4, LAMBDA: 0 }, makespanMs: 2000 });
});

test('an environment stays warm for the next task within its lifetime', () => {
  const r = simulate([task(0), task(2000)], settings, { kind: 'LAMBDA' });
  expect(r.perTask.map((t) => [t.coldStart, t.latencyMs])).toEqual([
    [true, 1200],
    [false, 1000],
  ]);
});

test('an environment idle for longer than its lifetime is cold again', () => {
  const r = simulate([task(0), task(20_000)], settings, { kind: 'LAMBDA' });
  expect(r.coldStarts).toBe(2);
  expect(r.makespanMs).toBe(21_200);
});

test('at the concurrency limit an invocation waits for an environment, which is then warm', () => {
  const r = simulate(
    [task(0), task(0)],
    { ...settings, lambda: { ...settings.lambda, concurrency: 1 } },
    { kind: 'LAMBDA' },
  );
  expect(r.perTask.map((t) => [t.start, t.finish, t.coldStart])).toEqual([
    [0, 1200, true],
    [1200, 2200, false],
  ]);
});

test('warm environments at the start and the invoke overhead are counted', () => {
  const r = simulate(
    [task(0)],
    { ...settings, lambda: { ...settings.lambda, warmAtStart: 1, overheadMs: 30 } },
    {
      kind: 'LAMBDA',
    },
  );
  expect(r.perTask[0]).toMatchObject({ coldStart: false, finish: 1030 });
});

test('several policies over one trace, in order, and the same figures every time', () => {
  const policies = [
    { kind: 'LOCAL' as const },
    { kind: 'LAMBDA' as const },
    { kind: 'threshold' as const, threshold: 2 },
    { kind: 'predictive' as const, objective: 'balanced' as const },
  ];
  const a = comparePolicies(burst, settings, policies);
  expect(a.map((r) => r.policy)).toEqual(['all LOCAL', 'all LAMBDA', 'threshold 2', 'predictive balanced']);
  expect(comparePolicies(burst, settings, policies)).toEqual(a);
});

test('a recorded duration on one placement stands for the other', () => {
  const r = simulate([{ ...task(0), durations: { LAMBDA: 500 } }], settings, { kind: 'LOCAL' });
  expect(r.makespanMs).toBe(500);
});

test('local overhead holds each slot longer', () => {
  const r = simulate(burst, { ...settings, localOverheadMs: 100 }, { kind: 'LOCAL' });
  expect(r.makespanMs).toBe(2200);
});

test('predictive sees the slots of a burst that started together: long tasks spill at once', () => {
  // Pool 2, 5-second tasks, cold start 200 ms: the third would wait a whole run, so it goes to Lambda.
  const long = [task(0, 5000), task(0, 5000), task(0, 5000)];
  const r = simulate(long, settings, { kind: 'predictive', objective: 'latency' });
  expect(r.perTask.map((t) => t.placement)).toEqual(['LOCAL', 'LOCAL', 'LAMBDA']);
  expect(r.makespanMs).toBe(5200);
});

test('cold starts beyond the init concurrency wait for an init slot', () => {
  const r = simulate(
    burst,
    { ...settings, lambda: { ...settings.lambda, coldStartConcurrency: 2 } },
    { kind: 'LAMBDA' },
  );
  expect(r.perTask.map((t) => t.finish)).toEqual([1200, 1200, 1400, 1400]);
});

describe('fitLocalOverhead', () => {
  it.each([
    ['two rounds of the pool that took 2.3 s: 150 ms a task', burst, 2300, 150],
    ['a replay that already ends when they did: none', burst, 2000, 0],
    ['faster than the runs alone (a clock apart): never below 0', burst, 1500, 0],
    ['three rounds, staggered arrivals', [task(0), task(0), task(100), task(100), task(200), task(200)], 3300, 100],
    ['nothing recorded', [], 5000, 0],
  ] as Array<[string, TraceTask[], number, number]>)('%s', (_name, trace, measured, overhead) => {
    const fitted = fitLocalOverhead(trace, settings, measured);
    expect(fitted).toBeCloseTo(overhead, 0);
    if (trace.length > 0 && overhead > 0) {
      // The replay with the fitted overhead ends when the recorded tasks did.
      expect(simulate(trace, { ...settings, localOverheadMs: fitted }, { kind: 'LOCAL' }).makespanMs).toBeCloseTo(
        measured,
        0,
      );
    }
  });
});

test('a summary is the result without its per-task detail', () => {
  const r = simulate(burst, settings, { kind: 'LOCAL' });
  const { perTask: _perTask, ...rest } = r;
  expect(summaryOf(r)).toEqual(rest);
});
