import os from 'node:os';
import type { PriceTable } from '../../../domain/cost-model';
import { loadConfig } from '../../../domain/config';
import { loadTransferPrices } from '../../../domain/transfer-price-table';
import {
  LambdaTargetsError,
  parseLambdaTargets,
  residencyViolation,
  transferCost,
  DEFAULT_TRANSFER_PRICES,
} from '../../../domain/region-model';
import {
  createLambdaTargets,
  THIS_MACHINE_GROUP,
  lambdaCandidate,
  LatencyMonitor,
  UnknownLambdaTargetError,
} from '../../../clients/lambda-targets';

const prices: PriceTable = {
  effectiveDate: '2026-11-01',
  currency: 'USD',
  lambda: { requestUsd: 0.0000002, gbSecondUsd: { x86_64: 0.0000166667, arm64: 0.0000133334 } },
  local: { vCpuSecondUsd: 0.0000125 },
};
const fallback = { endpoint: 'http://127.0.0.1:9001', region: 'us-east-1' };

describe('LAMBDA_TARGETS', () => {
  it('defaults to the one target of LAMBDA_ENDPOINT in AWS_REGION', () => {
    expect(parseLambdaTargets(undefined, fallback)).toEqual([
      { name: 'us-east-1', region: 'us-east-1', endpoint: 'http://127.0.0.1:9001' },
    ]);
  });

  it('names targets after their region and gives the first LAMBDA_ENDPOINT', () => {
    const text = JSON.stringify([
      { region: 'us-east-1' },
      {
        name: 'eu',
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9002',
        concurrency: 50,
        prices: { requestUsd: 0.0000003 },
      },
      { region: 'ap-south-1' },
    ]);
    expect(parseLambdaTargets(text, fallback)).toEqual([
      { name: 'us-east-1', region: 'us-east-1', endpoint: 'http://127.0.0.1:9001' },
      {
        name: 'eu',
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9002',
        concurrency: 50,
        prices: { requestUsd: 0.0000003 },
      },
      { name: 'ap-south-1', region: 'ap-south-1', endpoint: undefined },
    ]);
  });

  it.each([
    ['not JSON', '[{', /is not valid JSON/],
    ['not a list', '{"region":"us-east-1"}', /is not a list of Lambda targets/],
    ['an empty list', '[]', /is not a list of Lambda targets/],
    ['a bad region', '[{"region":"US East"}]', /\/0\/region/],
    ['an unknown field', '[{"region":"us-east-1","color":"red"}]', /is not a list/],
    ['a name twice', '[{"region":"us-east-1"},{"region":"us-east-1"}]', /names the target "us-east-1" twice/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseLambdaTargets(text, fallback)).toThrow(LambdaTargetsError);
    expect(() => parseLambdaTargets(text, fallback)).toThrow(message);
  });

  it('is read by the config, inline, with the placement block and its defaults', () => {
    const config = loadConfig({ LAMBDA_TARGETS: '[{"region":"us-east-1"},{"region":"eu-west-1"}]' });
    expect(config.placement).toMatchObject({
      autoPolicy: 'predictive',
      objective: 'balanced',
      localRegion: 'us-east-1',
      largePayloadBytes: 262144,
      objectStore: undefined,
      budgets: [],
      lambdaTargets: [
        { name: 'us-east-1', region: 'us-east-1', endpoint: 'http://127.0.0.1:9001' },
        { name: 'eu-west-1', region: 'eu-west-1' },
      ],
    });
    expect(() => loadConfig({ LAMBDA_TARGETS: '[]' })).toThrow(/LAMBDA_TARGETS is not a list/);
    expect(() => loadConfig({ SCHEDULER_AUTO_POLICY: 'random' })).toThrow(/SCHEDULER_AUTO_POLICY must be one of/);
    expect(() => loadConfig({ LAMBDA_TARGETS: '/nowhere/targets.json' })).toThrow(/neither JSON nor a readable file/);
    expect(loadConfig({ SPILLWAY_S3_ENDPOINT: 'http://127.0.0.1:8333' }).placement.objectStore).toMatchObject({
      endpoint: 'http://127.0.0.1:8333',
      forcePathStyle: true,
      bucketPrefix: 'spillway-payloads-',
    });
  });
});

describe('regions', () => {
  it('residency: a pin, then the allowed list', () => {
    expect(residencyViolation({}, 'us-east-1')).toBeUndefined();
    expect(residencyViolation({ region: 'eu-west-1' }, 'us-east-1')).toBe('the task is pinned to eu-west-1');
    expect(residencyViolation({ allowedRegions: ['eu-west-1', 'eu-central-1'] }, 'us-east-1')).toBe(
      'us-east-1 is not among the allowed regions (eu-west-1, eu-central-1)',
    );
    expect(residencyViolation({ allowedRegions: [] }, 'us-east-1')).toMatch(/\(none\)/);
  });

  it('transfer: free within a region, per GB between regions, pairs override', () => {
    const gb = 1024 ** 3;
    expect(
      transferCost(DEFAULT_TRANSFER_PRICES, {
        dataRegion: 'us-east-1',
        runRegion: 'us-east-1',
        bytesIn: gb,
        bytesOut: gb,
      }),
    ).toBe(0);
    expect(transferCost(DEFAULT_TRANSFER_PRICES, { runRegion: 'eu-west-1', bytesIn: gb, bytesOut: 0 })).toBe(0);
    const withPair = { ...DEFAULT_TRANSFER_PRICES, pairs: { 'eu-west-1>us-east-1': 0.05 } };
    expect(
      transferCost(withPair, { dataRegion: 'us-east-1', runRegion: 'eu-west-1', bytesIn: 2 * gb, bytesOut: gb }),
    ).toBeCloseTo(2 * 0.02 + 0.05, 10);
  });
});

describe('LatencyMonitor', () => {
  it('keeps an EWMA and a p95 of round trips and callback delays', () => {
    const m = new LatencyMonitor({ alpha: 0.5 });
    for (const ms of [10, 20, 30]) m.recordInvoke(ms, 1000);
    m.recordCallbackDelay(40, 1000);
    expect(m.snapshot(1000)).toEqual({
      invoke: { ewmaMs: 22.5, p95Ms: 30, samples: 3 },
      callback: { ewmaMs: 40, p95Ms: 40, samples: 1 },
      healthy: true,
      consecutiveFailures: 0,
      throttled: false,
      lastThrottleAt: undefined,
      lastSuccessAt: 1000,
    });
  });

  it('p95 over the recent window only', () => {
    const m = new LatencyMonitor({ window: 20 });
    for (let i = 0; i < 100; i++) m.recordInvoke(i < 80 ? 1000 : 5, i);
    expect(m.snapshot(100).invoke.p95Ms).toBe(5);
  });

  it('is unhealthy after consecutive failures until a success', () => {
    const m = new LatencyMonitor({ unhealthyAfter: 2 });
    m.recordFailure(1);
    expect(m.snapshot(1).healthy).toBe(true);
    m.recordFailure(2);
    expect(m.snapshot(2)).toMatchObject({ healthy: false, consecutiveFailures: 2 });
    m.recordInvoke(5, 3);
    expect(m.snapshot(3)).toMatchObject({ healthy: true, consecutiveFailures: 0 });
  });

  it('is throttled for a window after a throttle', () => {
    const m = new LatencyMonitor({ throttleWindowMs: 1000 });
    m.recordThrottle(10_000);
    expect(m.snapshot(10_500).throttled).toBe(true);
    expect(m.snapshot(11_000).throttled).toBe(false);
  });
});

describe('createLambdaTargets', () => {
  // Port 9 refuses connections: nothing on this machine is ever asked.
  const base = loadConfig({ LAMBDA_ENDPOINT: 'http://127.0.0.1:9' }).lambda;
  const targets = parseLambdaTargets(
    JSON.stringify([
      { region: 'us-east-1' },
      {
        name: 'eu',
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9',
        prices: { gbSecondUsd: { x86_64: 0.00002 } },
        concurrency: 5,
      },
    ]),
    base,
  );

  it('puts every target on this machine in one cold-start group and each remote one in its own', () => {
    const mixed = parseLambdaTargets(
      JSON.stringify([
        { name: 'near', region: 'local-near', endpoint: 'http://127.0.0.1:9' },
        { name: 'far', region: 'local-far', endpoint: 'http://localhost:9' },
        { name: 'east', region: 'us-east-1', endpoint: 'https://lambda.us-east-1.amazonaws.com' },
        { name: 'west', region: 'eu-west-1', endpoint: 'https://lambda.eu-west-1.amazonaws.com' },
      ]),
      base,
    );
    const t = createLambdaTargets(mixed, base, prices);
    try {
      expect(t.list().map((h) => [h.target.name, h.coldStartGroup])).toEqual([
        ['near', THIS_MACHINE_GROUP],
        ['far', THIS_MACHINE_GROUP],
        ['east', 'target east'],
        ['west', 'target west'],
      ]);
    } finally {
      t.destroy();
    }
  });

  it('makes one client per target, in its region, with its prices', async () => {
    const t = createLambdaTargets(targets, base, prices);
    try {
      expect(t.list().map((h) => [h.target.name, h.local, h.prices.lambda.gbSecondUsd.x86_64])).toEqual([
        ['us-east-1', true, 0.0000166667],
        ['eu', true, 0.00002],
      ]);
      expect(await t.get('eu').client.config.region()).toBe('eu-west-1');
      expect(t.inRegion('eu-west-1').map((h) => h.target.name)).toEqual(['eu']);
      expect(() => t.get('mars')).toThrow(UnknownLambdaTargetError);
    } finally {
      t.destroy();
    }
  });

  it('counts a refused connection as a failure of that target only', async () => {
    const t = createLambdaTargets(targets, base, prices, { monitor: { unhealthyAfter: 1 } });
    try {
      const [result] = (await t.probe()).filter((p) => p.name === 'eu');
      expect(result).toEqual({ name: 'eu', error: expect.any(String) });
      expect(t.get('eu').monitor.snapshot(Date.now())).toMatchObject({ healthy: false, consecutiveFailures: 1 });
    } finally {
      t.destroy();
    }
  });

  it('turns a target and its live signals into a predictor candidate', () => {
    const t = createLambdaTargets(targets, base, prices);
    try {
      const h = t.get('eu');
      h.monitor.recordInvoke(80, 1);
      h.monitor.recordThrottle(1);
      const signals = { reachable: true, concurrencyHeadroom: 10, recentThrottles: 0, warmIdle: 1, inFlight: 2 };
      expect(lambdaCandidate(h, signals, 2, 1)).toEqual({
        name: 'eu',
        region: 'eu-west-1',
        reachable: true,
        healthy: true,
        concurrencyHeadroom: 10,
        concurrencyLimit: 5,
        inFlight: 2,
        pending: 1,
        warmIdle: 1,
        // A Lambda service on this machine counts its warm environments and brings up one per core at a time.
        coldStartConcurrency: os.availableParallelism(),
        countsWarm: true,
        recentThrottles: 1,
        latencyMs: 80,
        callbackDelayMs: 0,
        // Nothing dispatched yet: the predictor's invoke overhead stands in.
        dispatchDelayMs: 0,
        prices: h.prices,
      });
      // The delays the callbacks and the invoking workers measured, as placement read them at the task's load.
      const measured = lambdaCandidate(
        h,
        signals,
        2,
        1,
        0,
        undefined,
        { ewmaMs: 120, p95Ms: 200, samples: 3 },
        undefined,
        { ewmaMs: 450, p95Ms: 600, samples: 3 },
      );
      // Their p95: a burst ends with its slowest task.
      expect(measured).toMatchObject({ callbackDelayMs: 200, dispatchDelayMs: 600 });
    } finally {
      t.destroy();
    }
  });
});

describe('transfer price table', () => {
  it('loads config/transfer-prices.json, validated', () => {
    const table = loadTransferPrices();
    expect(table).toMatchObject({ sameRegionGbUsd: 0, interRegionGbUsd: 0.02 });
    expect(table.pairs?.['ap-southeast-1>us-east-1']).toBe(0.09);
  });
});
