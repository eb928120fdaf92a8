import { decidePlacement, type PlacementSignals } from '../../domain/placement-policy';

const base: PlacementSignals = {
  localInFlight: 0,
  localPoolSize: 10,
  lambdaTaskThreshold: 5,
  lambda: { reachable: true, concurrencyHeadroom: 50, recentThrottles: 0, warmIdle: 2 },
  expectedDurationMs: 300,
  payloadBytes: 200,
  cost: {
    priceTableDate: '2026-11-01',
    local: 0.000004,
    lambda: { x86_64: 0.000005, arm64: 0.000004 },
    basis: { expectedDurationMs: 300, memoryMB: 1024 },
  },
  fallbackToLocalOnThrottle: true,
};

const situations: Array<
  [
    string,
    Omit<Partial<PlacementSignals>, 'lambda'> & { lambda?: Partial<PlacementSignals['lambda']> },
    'LOCAL' | 'LAMBDA',
    RegExp,
  ]
> = [
  ['an idle pool keeps work local', {}, 'LOCAL', /local in-flight 0 is below the threshold 5/],
  ['one below the threshold stays local', { localInFlight: 4 }, 'LOCAL', /below the threshold 5/],
  [
    'at the threshold spills to Lambda',
    { localInFlight: 5 },
    'LAMBDA',
    /reached the threshold 5; Lambda headroom 50, 2 warm/,
  ],
  ['far over the threshold spills to Lambda', { localInFlight: 40 }, 'LAMBDA', /reached the threshold/],
  ['no warm environment is said', { localInFlight: 6, lambda: { warmIdle: 0 } }, 'LAMBDA', /cold start likely/],
  ['a threshold of 0 sends everything to Lambda', { lambdaTaskThreshold: 0 }, 'LAMBDA', /reached the threshold 0/],
  [
    'an oversized payload stays local even when busy',
    { localInFlight: 9, payloadBytes: 1024 * 1024 },
    'LOCAL',
    /over Lambda's 1 MB async limit/,
  ],
  [
    'a long task stays local',
    { localInFlight: 9, expectedDurationMs: 20 * 60 * 1000 },
    'LOCAL',
    /over Lambda's 15-minute cap/,
  ],
  [
    'exactly 15 minutes may go to Lambda',
    { localInFlight: 9, expectedDurationMs: 15 * 60 * 1000 },
    'LAMBDA',
    /reached the threshold/,
  ],
  [
    'an unreachable Lambda keeps work local',
    { localInFlight: 9, lambda: { reachable: false } },
    'LOCAL',
    /unreachable/,
  ],
  [
    'no headroom keeps work local',
    { localInFlight: 9, lambda: { concurrencyHeadroom: 0 } },
    'LOCAL',
    /no concurrency headroom; local in-flight 9\/10/,
  ],
  [
    'recent throttles with free local slots stay local',
    { localInFlight: 7, lambda: { recentThrottles: 3 } },
    'LOCAL',
    /throttled 3 time\(s\) recently and 3 local slot\(s\) are free/,
  ],
  [
    'recent throttles with a full pool still go to Lambda',
    { localInFlight: 10, lambda: { recentThrottles: 1 } },
    'LAMBDA',
    /reached the threshold/,
  ],
];

test.each(situations)('%s', (_label, change, placement, reason) => {
  const signals = { ...base, ...change, lambda: { ...base.lambda, ...change.lambda } } as PlacementSignals;
  const decision = decidePlacement(signals);
  expect(decision.placement).toBe(placement);
  expect(decision.reason).toMatch(reason);
  expect(decision.inputs).toEqual(expect.objectContaining({ localInFlight: signals.localInFlight }));
});

test('a Lambda decision carries the throttle fallback setting', () => {
  expect(decidePlacement({ ...base, localInFlight: 5 }).fallbackToLocalOnThrottle).toBe(true);
  expect(
    decidePlacement({ ...base, localInFlight: 5, fallbackToLocalOnThrottle: false }).fallbackToLocalOnThrottle,
  ).toBe(false);
  expect(decidePlacement(base).fallbackToLocalOnThrottle).toBeUndefined();
});
