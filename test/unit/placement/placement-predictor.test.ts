import { Value } from '@sinclair/typebox/value';
import type { PriceTable } from '../../../domain/cost-model';
import {
  DEFAULT_PREDICTOR_PARAMS,
  NoAllowedTargetError,
  coldStart,
  initContention,
  predictPlacement,
  slotWaitMs,
  PredictiveDecisionSchema,
  type LambdaCandidate,
  type PredictionInput,
} from '../../../domain/placement-predictor';
import { DEFAULT_TRANSFER_PRICES } from '../../../domain/region-model';

const prices: PriceTable = {
  effectiveDate: '2026-11-01',
  currency: 'USD',
  lambda: { requestUsd: 0.0000002, gbSecondUsd: { x86_64: 0.0000166667, arm64: 0.0000133334 } },
  local: { vCpuSecondUsd: 0.0000125 },
};

const east: LambdaCandidate = {
  name: 'us-east-1',
  region: 'us-east-1',
  reachable: true,
  healthy: true,
  concurrencyHeadroom: 100,
  inFlight: 0,
  pending: 0,
  warmIdle: 2,
  recentThrottles: 0,
  latencyMs: 5,
  callbackDelayMs: 5,
  prices,
};
const eu: LambdaCandidate = { ...east, name: 'eu-west-1', region: 'eu-west-1' };

function input(over: {
  task?: Partial<PredictionInput['task']>;
  learned?: Partial<PredictionInput['learned']>;
  local?: Partial<PredictionInput['local']>;
  lambda?: Array<Partial<LambdaCandidate>>;
  params?: Partial<PredictionInput['params']>;
  budget?: PredictionInput['budget'];
}): PredictionInput {
  return {
    task: { payloadBytes: 200, memoryMB: 1024, architecture: 'x86_64', ...over.task },
    learned: {
      localDurationMs: 1000,
      lambdaDurationMs: 1000,
      initMs: 250,
      localCpuShare: 1,
      samples: { local: 10, lambda: 10, init: 5 },
      ...over.learned,
    },
    local: { region: 'us-east-1', inFlight: 0, poolSize: 10, ...over.local },
    lambda: (over.lambda ?? [{}]).map((t) => ({ ...east, ...t })),
    prices,
    transfer: DEFAULT_TRANSFER_PRICES,
    budget: over.budget,
    params: { ...DEFAULT_PREDICTOR_PARAMS, ...over.params },
  };
}

const budgetAt = (level: 'ok' | 'warn75' | 'warn90' | 'exceeded', pct: number) => ({
  level,
  budgetId: 'daily',
  remainingUsd: level === 'exceeded' ? 0 : 1,
  message: `budget daily at ${pct} % of $10 this day`,
});

// Each row: what the situation is, the input, where the task should go (LOCAL or a Lambda target) and the words
// that explain it.
const rows: Array<[string, PredictionInput, string, RegExp]> = [
  [
    'an idle pool keeps work local (balanced)',
    input({}),
    'LOCAL',
    /^LOCAL 1\.00 s .*a free slot of 10.* beats LAMBDA us-east-1 1\.02 s/,
  ],
  [
    'a faster Lambda wins an idle pool when latency is the objective',
    input({ learned: { lambdaDurationMs: 800 }, params: { objective: 'latency' } }),
    'us-east-1',
    /^LAMBDA us-east-1 0\.82 s .*\(warm\) beats LOCAL 1\.00 s.*\[latency\]/,
  ],
  ['a queue of 11 ahead spills to a warm Lambda', input({ local: { inFlight: 20 } }), 'us-east-1', /11 queued ahead/],
  [
    "Lambda's measured dispatch (the attempt's pickup and lookup before its Invoke) keeps the same queue local",
    input({ local: { inFlight: 20 }, lambda: [{ dispatchDelayMs: 1200 }] }),
    'LOCAL',
    /^LOCAL 2\.10 s .*11 queued ahead.* beats LAMBDA us-east-1 2\.21 s .*\(warm\)/,
  ],
  [
    'a slow cold start keeps the same queue local',
    input({ local: { inFlight: 20 }, lambda: [{ warmIdle: 0 }], learned: { initMs: 1000 } }),
    'LOCAL',
    /beats LAMBDA us-east-1 2\.02 s .*\(cold start\)/,
  ],
  [
    'a long queue is worth a cold start',
    input({ local: { inFlight: 60 }, lambda: [{ warmIdle: 0 }], learned: { initMs: 1000 } }),
    'us-east-1',
    /^LAMBDA us-east-1 2\.02 s .*\(cold start\) beats LOCAL 6\.10 s/,
  ],
  [
    'pending invocations take the warm environments first',
    input({ local: { inFlight: 20 }, lambda: [{ warmIdle: 2, pending: 2 }], learned: { initMs: 1000 } }),
    'LOCAL',
    /cold start/,
  ],
  [
    'cold starts under way queue behind each other on a target that brings up two at a time',
    input({
      local: { inFlight: 20 },
      lambda: [{ warmIdle: 0, pending: 6, coldStartConcurrency: 2 }],
      learned: { initMs: 500 },
      params: { objective: 'latency' },
    }),
    'LOCAL',
    /^LOCAL 2\.10 s .* beats LAMBDA us-east-1 3\.0\d s .*\(cold start behind 6\)/,
  ],
  [
    'on a target without that limit the same cold starts come up together',
    input({
      local: { inFlight: 20 },
      lambda: [{ warmIdle: 0, pending: 6 }],
      learned: { initMs: 500 },
      params: { objective: 'latency' },
    }),
    'us-east-1',
    /^LAMBDA us-east-1 1\.5\d s .*\(cold start\) beats LOCAL 2\.10 s/,
  ],
  [
    'environments still in their init count as cold starts ahead',
    input({
      local: { inFlight: 20 },
      lambda: [{ warmIdle: 0, initializing: 4, coldStartConcurrency: 2 }],
      learned: { initMs: 500 },
      params: { objective: 'latency' },
    }),
    'LOCAL',
    /\(cold start behind 4\)/,
  ],
  [
    'a target that cannot count its warm environments expects the learned share of cold starts',
    input({
      local: { inFlight: 20 },
      lambda: [{ warmIdle: 0, countsWarm: false, coldRatio: 0.2 }],
      learned: { initMs: 1000 },
    }),
    'us-east-1',
    /^LAMBDA us-east-1 1\.23 s .*\(cold start 20 % likely\)/,
  ],
  [
    'the cost objective waits in the local queue',
    input({ local: { inFlight: 60 }, params: { objective: 'cost' } }),
    'LOCAL',
    /\[cost\]$/,
  ],
  [
    'a deadline only Lambda meets overrides the cost objective',
    input({ local: { inFlight: 60 }, task: { deadlineMs: 2000 }, params: { objective: 'cost' } }),
    'us-east-1',
    /\[cost; deadline 2\.00 s\]/,
  ],
  [
    'when no target meets the deadline the fastest goes',
    input({ local: { inFlight: 60 }, task: { deadlineMs: 500 }, params: { objective: 'cost' } }),
    'us-east-1',
    /no target meets the 0\.50 s deadline/,
  ],
  [
    'a task over the 15-minute cap stays local however long the queue',
    input({ local: { inFlight: 60 }, learned: { localDurationMs: 20 * 60_000, lambdaDurationMs: 20 * 60_000 } }),
    'LOCAL',
    /ruled out: LAMBDA us-east-1 expected 20 min is over Lambda's 15-minute cap/,
  ],
  [
    'a 2 MB payload stays local without an object store',
    input({ local: { inFlight: 60 }, task: { payloadBytes: 2 * 1024 * 1024 } }),
    'LOCAL',
    /over Lambda's 1 MB async limit and no object store is configured/,
  ],
  [
    'a 2 MB payload goes to Lambda through S3',
    input({ local: { inFlight: 60 }, task: { payloadBytes: 2 * 1024 * 1024 }, params: { s3Available: true } }),
    'us-east-1',
    /\(warm, payload via S3\)/,
  ],
  [
    'a budget at 0 % changes nothing',
    input({ local: { inFlight: 20 }, budget: budgetAt('ok', 0) }),
    'us-east-1',
    /\[balanced\]$/,
  ],
  [
    'a budget at 75 % warns in the reason and changes nothing',
    input({ local: { inFlight: 20 }, budget: budgetAt('warn75', 75) }),
    'us-east-1',
    /\[balanced; budget daily at 75 %/,
  ],
  [
    'a budget at 90 % places by cost',
    input({ local: { inFlight: 20 }, budget: budgetAt('warn90', 90) }),
    'LOCAL',
    /\[cost; budget daily at 90 %/,
  ],
  [
    'a budget at 90 % still honours a deadline',
    input({ local: { inFlight: 20 }, task: { deadlineMs: 1500 }, budget: budgetAt('warn90', 90) }),
    'us-east-1',
    /deadline 1\.50 s/,
  ],
  [
    'a budget at 100 % forces LOCAL',
    input({ local: { inFlight: 60 }, budget: budgetAt('exceeded', 100) }),
    'LOCAL',
    /ruled out: LAMBDA us-east-1 budget daily at 100 % .*Lambda is off until the period ends/,
  ],
  [
    'a Lambda run that costs more than the budget has left is ruled out',
    input({ local: { inFlight: 60 }, budget: { ...budgetAt('warn75', 80), remainingUsd: 0.000001 } }),
    'LOCAL',
    /would exceed what budget daily has left/,
  ],
  [
    'residency outside the local region sends even an idle pool to the allowed region',
    input({ task: { allowedRegions: ['eu-west-1'] }, lambda: [{}, eu] }),
    'eu-west-1',
    /ruled out: LOCAL us-east-1 is not among the allowed regions \(eu-west-1\), LAMBDA us-east-1 us-east-1 is not/,
  ],
  [
    'a task pinned to a region runs there',
    input({ task: { region: 'eu-west-1' }, lambda: [{}, eu] }),
    'eu-west-1',
    /LAMBDA us-east-1 the task is pinned to eu-west-1/,
  ],
  [
    'of two regions the faster one gets the spill',
    input({ local: { inFlight: 60 }, lambda: [{ ...eu, latencyMs: 300 }, {}] }),
    'us-east-1',
    /^LAMBDA us-east-1 1\.02 s .* beats LAMBDA eu-west-1 1\.32 s/,
  ],
  [
    'residency to the slower region is kept even when it is slower',
    input({
      local: { inFlight: 60 },
      task: { allowedRegions: ['eu-west-1'] },
      lambda: [{ ...eu, latencyMs: 300 }, {}],
    }),
    'eu-west-1',
    /^LAMBDA eu-west-1 1\.32 s/,
  ],
  [
    'input in another region pays transfer, so its own region is cheaper',
    input({
      task: { dataRegion: 'eu-west-1', payloadBytes: 900 * 1024 },
      params: { objective: 'cost' },
      lambda: [{}, eu],
    }),
    'eu-west-1',
    /^LAMBDA eu-west-1 \S+ s \$0.00001687 .* beats LOCAL .*\$0.00002967/,
  ],
  [
    'an unreachable target is ruled out',
    input({ local: { inFlight: 60 }, lambda: [{ reachable: false }] }),
    'LOCAL',
    /us-east-1 unreachable/,
  ],
  [
    'an unhealthy target is ruled out',
    input({ local: { inFlight: 60 }, lambda: [{ healthy: false }] }),
    'LOCAL',
    /unhealthy \(recent invocations failed\)/,
  ],
  [
    'a target at its concurrency cap is ruled out',
    input({ local: { inFlight: 60 }, lambda: [{ concurrencyLimit: 4, inFlight: 4 }] }),
    'LOCAL',
    /no concurrency headroom/,
  ],
  [
    'recent throttles add the retry wait',
    input({ local: { inFlight: 20 }, lambda: [{ recentThrottles: 3 }] }),
    'LOCAL',
    /LAMBDA us-east-1 2\.02 s .*throttled recently/,
  ],
  [
    'queue ÷ throughput thinks a burst will clear sooner than it does',
    input({ local: { inFlight: 11 }, lambda: [{ warmIdle: 0 }], params: { objective: 'latency' } }),
    'LOCAL',
    /^LOCAL 1\.20 s/,
  ],
  [
    'slot by slot, a burst that started together makes the next task wait a whole run',
    input({
      local: { inFlight: 11, runningRemainingMs: Array(10).fill(1000) },
      lambda: [{ warmIdle: 0 }],
      params: { objective: 'latency' },
    }),
    'us-east-1',
    /beats LOCAL 2\.00 s/,
  ],
  [
    'the measured slot time (the run and its overhead) is what the queue waits for and what the task holds',
    input({
      local: { inFlight: 11, runningRemainingMs: Array(10).fill(1000) },
      learned: { localSlotMs: 1600 },
      lambda: [{ warmIdle: 0 }],
      params: { objective: 'latency' },
    }),
    'us-east-1',
    /beats LOCAL 2\.60 s/,
  ],
  [
    'local overhead holds the slot longer',
    input({ params: { objective: 'latency', localOverheadMs: 100 }, learned: { lambdaDurationMs: 1050 } }),
    'us-east-1',
    /beats LOCAL 1\.10 s/,
  ],
  [
    'durations not yet measured say so',
    input({ learned: { samples: { local: 0, lambda: 0, init: 0 } } }),
    'LOCAL',
    /durations from the manifest\]$/,
  ],
];

describe('predictPlacement', () => {
  it.each(rows)('%s', (_name, given, where, reason) => {
    const decision = predictPlacement(given);
    const chosen = decision.placement === 'LOCAL' ? 'LOCAL' : decision.target?.name;
    expect({ chosen, reason: decision.reason }).toEqual({ chosen: where, reason: expect.stringMatching(reason) });
    expect(Value.Check(PredictiveDecisionSchema, decision)).toBe(true);
  });

  it('records every estimate, the runner-up and the margin', () => {
    const decision = predictPlacement(input({ local: { inFlight: 20 } }));
    expect(decision).toMatchObject({
      placement: 'LAMBDA',
      policy: 'predictive',
      objective: 'balanced',
      target: { name: 'us-east-1', region: 'us-east-1' },
      fallbackToLocalOnThrottle: true,
      runnerUp: 'LOCAL',
      payloadViaS3: false,
    });
    const [local, lambda] = decision.estimates;
    // LOCAL: 11 ahead at 10 per second, then 1 s; Lambda: warm, 15 ms invoke + 5 ms latency + 5 ms callback + 1 s.
    expect(local).toMatchObject({ target: 'LOCAL', completionMs: 2100, feasible: true });
    expect(local?.breakdown).toMatchObject({ queueMs: 1100, durationMs: 1000 });
    expect(local?.costUsd).toBeCloseTo(0.0000125, 12);
    expect(lambda).toMatchObject({ target: 'us-east-1', completionMs: 1025, feasible: true });
    expect(lambda?.costUsd).toBeCloseTo(0.0000002 + 0.0000166667, 12);
    expect(decision.margin?.completionMs).toBe(1075);
    expect(decision.margin?.costUsd).toBeCloseTo(0.0000125 - 0.0000168667, 12);
  });

  it('charges a cold start its init time and its billed init', () => {
    const [, cold] = predictPlacement(input({ lambda: [{ warmIdle: 0 }] })).estimates;
    expect(cold?.breakdown).toMatchObject({ coldStartProbability: 1, initMs: 250 });
    expect(cold?.completionMs).toBe(1275);
    expect(cold?.costUsd).toBeCloseTo(0.0000002 + 1.25 * 0.0000166667, 12);
  });

  it('waits for the cold starts ahead but bills only its own init', () => {
    const [, cold] = predictPlacement(
      input({ lambda: [{ warmIdle: 1, pending: 6, coldStartConcurrency: 2 }], learned: { initMs: 500 } }),
    ).estimates;
    // 5 cold starts ahead (6 pending take the one warm environment first), two at a time: this one's is the third round.
    expect(cold?.breakdown).toMatchObject({ coldStartProbability: 1, coldStartsAhead: 5, initMs: 1500 });
    expect(cold?.completionMs).toBe(2525);
    expect(cold?.costUsd).toBeCloseTo(0.0000002 + 1.5 * 0.0000166667, 12);
  });

  it('uses the measured local throughput when there is one', () => {
    const [local] = predictPlacement(
      input({ local: { inFlight: 19 }, learned: { localThroughputPerSec: 20 } }),
    ).estimates;
    expect(local?.breakdown.queueMs).toBe(500);
  });

  it('charges inter-region transfer by the GB both ways', () => {
    const gb = 1024 ** 3;
    const [, lambda] = predictPlacement(
      input({
        task: { dataRegion: 'eu-west-1', payloadBytes: gb / 4, resultBytes: gb / 4 },
        params: { s3Available: true },
      }),
    ).estimates;
    expect(lambda?.breakdown.transferUsd).toBeCloseTo(0.01, 10);
  });

  it('refuses a task that no target may run', () => {
    const given = input({ task: { allowedRegions: ['ap-south-1'] }, lambda: [{}, eu] });
    expect(() => predictPlacement(given)).toThrow(NoAllowedTargetError);
    expect(() => predictPlacement(given)).toThrow(
      /no target may run the task: LOCAL \(ap-south-1|LOCAL \(us-east-1 is not/,
    );
  });

  it('gives the same decision for the same input', () => {
    const given = input({ local: { inFlight: 33 }, lambda: [{ warmIdle: 0 }, eu] });
    expect(predictPlacement(given)).toEqual(predictPlacement(given));
  });
});

describe('coldStart', () => {
  it.each([
    [
      'a warm environment left',
      { warmIdle: 2, pending: 1 },
      { coldStartProbability: 0, coldStartsAhead: 0, initRounds: 0 },
    ],
    [
      'no limit: every cold start comes up at once',
      { warmIdle: 0, pending: 9 },
      { coldStartProbability: 1, coldStartsAhead: 0, initRounds: 1 },
    ],
    [
      'two at a time, one ahead',
      { warmIdle: 0, pending: 1, coldStartConcurrency: 2 },
      { coldStartProbability: 1, coldStartsAhead: 1, initRounds: 1 },
    ],
    [
      'two at a time, two ahead',
      { warmIdle: 0, pending: 2, coldStartConcurrency: 2 },
      { coldStartProbability: 1, coldStartsAhead: 2, initRounds: 2 },
    ],
    [
      'pending and initializing',
      { warmIdle: 1, pending: 3, initializing: 3, coldStartConcurrency: 2 },
      { coldStartProbability: 1, coldStartsAhead: 5, initRounds: 3 },
    ],
    [
      'uncounted warm environments: the learned share',
      { warmIdle: 0, pending: 0, countsWarm: false, coldRatio: 0.3 },
      { coldStartProbability: 0.3, coldStartsAhead: 0, initRounds: 1 },
    ],
    [
      'uncounted and never measured: certain',
      { warmIdle: 0, pending: 0, countsWarm: false },
      { coldStartProbability: 1, coldStartsAhead: 0, initRounds: 1 },
    ],
  ] as Array<[string, Partial<LambdaCandidate>, ReturnType<typeof coldStart>]>)('%s', (_name, over, expected) => {
    expect(coldStart({ ...east, ...over })).toEqual(expected);
  });
});

describe('initContention', () => {
  it.each([
    ['alone', 1, 2, 1],
    ['within the limit', 2, 2, 1],
    ['eight on two at a time', 8, 2, 4],
    ['no limit (AWS)', 8, undefined, 1],
    ['load unknown', undefined, 2, 1],
  ] as Array<[string, number | undefined, number | undefined, number]>)('%s', (_name, load, limit, expected) => {
    expect(initContention(load, limit)).toBe(expected);
  });
});

describe('slotWaitMs', () => {
  it.each([
    ['a free slot', [500], 2, 1, 1000, 0],
    ['the earliest slot to free', [300, 800], 2, 2, 1000, 300],
    ['queued tasks take the earliest slots first', [300, 800], 2, 3, 1000, 800],
    ['two rounds behind', [300, 800], 2, 5, 1000, 1800],
    ['tasks placed but not yet running take the free slots first', [700], 3, 3, 1000, 700],
  ])('%s', (_name, remaining, pool, inFlight, service, wait) => {
    expect(slotWaitMs(remaining, pool, inFlight, service)).toBe(wait);
  });
});
