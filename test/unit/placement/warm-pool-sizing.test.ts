import type { PriceTable } from '../../../domain/cost-model';
import { decideWarmPoolSize, type WarmingFacts } from '../../../domain/warm-pool-sizing';

const prices: PriceTable = {
  effectiveDate: '2026-11-01',
  currency: 'USD',
  lambda: { requestUsd: 0.0000002, gbSecondUsd: { x86_64: 0.0000166667, arm64: 0.0000133334 } },
  local: { vCpuSecondUsd: 0.0000125 },
};

const base: WarmingFacts = {
  functionName: 'resize',
  memoryMB: 1024,
  architecture: 'x86_64',
  predictedConcurrency: 4,
  expectedInvocations: 50,
  initMs: 800,
  warmupDurationMs: 2,
  intervalMs: 300_000,
  environmentLifetimeMs: 600_000,
  lastSize: 4,
  warmHitRatio: 0.9,
  maxSize: 10,
};

const rows: Array<[string, Partial<WarmingFacts>, 'balanced' | 'latency' | 'cost', number, RegExp]> = [
  ['a slow cold start is worth warming for', {}, 'balanced', 4, /4 expected concurrent, a saved 800 ms cold start/],
  ['nothing expected, nothing warmed', { expectedInvocations: 0 }, 'balanced', 0, /no Lambda concurrency expected/],
  ['never more than the tasks that will come', { expectedInvocations: 2 }, 'balanced', 2, /^2 expected/],
  ['never more than the ceiling', { predictedConcurrency: 40, maxSize: 10 }, 'balanced', 10, /^10 expected/],
  [
    'a fast cold start is not worth a warm-up that pays its own init',
    { initMs: 30, environmentLifetimeMs: 60_000 },
    'balanced',
    0,
    /a warm-up costs .* and a cold start it saves is worth .* under balanced.*: not warming/,
  ],
  [
    'warming that does not reach real tasks stops',
    { warmHitRatio: 0.01, initMs: 200, environmentLifetimeMs: 60_000 },
    'balanced',
    0,
    /warm hits 1 %/,
  ],
  [
    'the cost objective warms only what saves billed init',
    { environmentLifetimeMs: 60_000 },
    'cost',
    0,
    /under cost .*: not warming/,
  ],
  ['the cost objective still warms environments that stay alive', {}, 'cost', 4, /^4 expected/],
  [
    'the latency objective warms what is expected whatever it costs',
    { initMs: 30, environmentLifetimeMs: 60_000 },
    'latency',
    4,
    /latency first/,
  ],
];

describe('decideWarmPoolSize', () => {
  it.each(rows)('%s', (_name, over, objective, size, reason) => {
    const decision = decideWarmPoolSize({ ...base, ...over }, prices, objective, 0.00001);
    expect({ size: decision.size, reason: decision.reason }).toEqual({ size, reason: expect.stringMatching(reason) });
  });

  it('reports both sides: what warming costs and what it saves', () => {
    const d = decideWarmPoolSize(base, prices, 'balanced', 0.00001);
    // Four warm-ups of 2 ms at 1 GB on environments that are still alive; 3.6 saved cold starts of 0.8 s.
    expect(d.warmingCostUsd).toBeCloseTo(4 * (0.0000002 + 0.002 * 0.0000166667), 12);
    expect(d.savedColdStarts).toBeCloseTo(3.6, 10);
    expect(d.savedValueUsd).toBeCloseTo(3.6 * (0.8 * 0.00001 + 0.8 * 0.0000166667), 12);
    expect(d.netPerEnvironmentUsd).toBeGreaterThan(0);
  });
});
