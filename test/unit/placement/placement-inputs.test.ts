import { Value } from '@sinclair/typebox/value';
import { loadConfig } from '../../../domain/config';
import type { PriceTable } from '../../../domain/cost-model';
import {
  budgetSignal,
  invokeTarget,
  lambdaCandidate,
  payloadBytes,
  predictionTask,
  predictorParams,
  recordedDecision,
} from '../../../domain/placement-inputs';
import {
  DEFAULT_PREDICTOR_PARAMS,
  PlacementExplanationSchema,
  predictPlacement,
  type PredictionInput,
} from '../../../domain/placement-predictor';
import { DEFAULT_TRANSFER_PRICES } from '../../../domain/region-model';

test('the task and its function become the predictor task', () => {
  expect(payloadBytes({ name: 'Ada' })).toBe(14);
  expect(payloadBytes(undefined)).toBe(2);
  expect(
    predictionTask(
      { payload: { a: 'é' }, deadlineMs: 2000, allowedRegions: ['eu-west-1'], dataRegion: 'eu-west-1' },
      {
        memoryMB: 512,
        architecture: 'arm64',
      },
    ),
  ).toEqual({
    payloadBytes: 10,
    resultBytes: 0,
    memoryMB: 512,
    architecture: 'arm64',
    deadlineMs: 2000,
    region: undefined,
    allowedRegions: ['eu-west-1'],
    dataRegion: 'eu-west-1',
  });
  expect(predictionTask({ payload: {}, storedPayloadBytes: 5_000_000 }, undefined)).toMatchObject({
    payloadBytes: 5_000_000,
    memoryMB: 128,
    architecture: 'x86_64',
  });
});

test('the config becomes the predictor parameters', () => {
  const config = loadConfig({ SCHEDULER_AUTO_OBJECTIVE: 'latency', SPILLWAY_LARGE_PAYLOAD_BYTES: '65536' });
  expect(predictorParams(config.placement, { fallbackToLocalOnThrottle: false, s3Available: true })).toEqual({
    objective: 'latency',
    latencyUsdPerSecond: 0.00001,
    invokeOverheadMs: 15,
    throttlePenaltyMs: 1000,
    largePayloadBytes: 65536,
    s3Available: true,
    s3BytesPerMs: 50_000,
    fallbackToLocalOnThrottle: false,
    localOverheadMs: 0,
  });
});

test('no budget, no signal; a verdict keeps its level, headroom and message', () => {
  expect(budgetSignal({ level: 'ok', message: 'no budget applies', statuses: [] })).toBeUndefined();
  const status = {
    budgetId: 'd',
    scope: { kind: 'deployment' as const },
    period: 'day' as const,
    periodKey: 'd2026-11-09',
    limitUsd: 1,
    spentUsd: 0.8,
    committedUsd: 0,
    used: 0.8,
    level: 'warn75' as const,
    forecastUsd: 1,
    resetsAt: '2026-11-10T00:00:00.000Z',
    onExceeded: 'refuse' as const,
  };
  expect(
    budgetSignal({
      level: 'warn75',
      budgetId: 'd',
      remainingUsd: 0.2,
      message: 'budget d at 80 %',
      statuses: [status],
    }),
  ).toEqual({ level: 'warn75', budgetId: 'd', remainingUsd: 0.2, message: 'budget d at 80 %' });
});

const prices: PriceTable = {
  effectiveDate: '2026-11-01',
  currency: 'USD',
  lambda: { requestUsd: 0.0000002, gbSecondUsd: { x86_64: 0.0000166667, arm64: 0.0000133334 } },
  local: { vCpuSecondUsd: 0.0000125 },
};

test("the invoke path's target is the one on LAMBDA_ENDPOINT, else the first", () => {
  const east = { name: 'east', region: 'us-east-1', endpoint: 'http://127.0.0.1:9001' };
  const west = { name: 'west', region: 'us-west-2', endpoint: 'http://127.0.0.1:9002' };
  expect(invokeTarget([east, west], 'http://127.0.0.1:9002')).toBe(west);
  expect(invokeTarget([east, west], 'http://elsewhere')).toBe(east);
  expect(invokeTarget([], 'http://elsewhere')).toBeUndefined();
});

test('the Lambda signals become a candidate; invocations Spillway started beyond those running are pending', () => {
  const target = { name: 'east', region: 'us-east-1', concurrency: 50, prices: { requestUsd: 0.0000004 } };
  const facts = { reachable: true, concurrencyHeadroom: 90, recentThrottles: 1, warmIdle: 2, inFlight: 3 };
  expect(lambdaCandidate(target, facts, prices, 5)).toEqual({
    name: 'east',
    region: 'us-east-1',
    reachable: true,
    healthy: true,
    concurrencyHeadroom: 90,
    concurrencyLimit: 50,
    inFlight: 3,
    pending: 2,
    warmIdle: 2,
    recentThrottles: 1,
    latencyMs: 0,
    callbackDelayMs: 0,
    prices: { ...prices, lambda: { ...prices.lambda, requestUsd: 0.0000004 } },
  });
  expect(lambdaCandidate({ name: 'east', region: 'us-east-1' }, facts, prices).pending).toBe(0);
});

function predictionInput(localInFlight: number, poolSize: number): PredictionInput {
  return {
    task: predictionTask({ payload: { sleepMs: 1000 } }, { memoryMB: 128, architecture: 'x86_64' }),
    learned: {
      localDurationMs: 1000,
      lambdaDurationMs: 1000,
      initMs: 250,
      localCpuShare: 0.01,
      samples: { local: 0, lambda: 0, init: 0 },
    },
    local: { region: 'us-east-1', inFlight: localInFlight, poolSize },
    lambda: [
      lambdaCandidate(
        { name: 'us-east-1', region: 'us-east-1' },
        { reachable: true, concurrencyHeadroom: 100, recentThrottles: 0, warmIdle: 0, inFlight: 0 },
        prices,
      ),
    ],
    prices,
    transfer: DEFAULT_TRANSFER_PRICES,
    params: DEFAULT_PREDICTOR_PARAMS,
  };
}

test('a predictive decision is recorded with its reason, every estimate, the runner-up and the margin', () => {
  const decision = predictPlacement(predictionInput(0, 3));
  const recorded = recordedDecision(decision);
  expect(recorded).toEqual({
    placement: 'LOCAL',
    reason: expect.stringMatching(
      /^predictive AUTO: LOCAL 1\.00 s \$[\d.]+ \(a free slot of 3\) beats LAMBDA us-east-1 1\.26 s \$[\d.]+ \(cold start\) \[balanced; durations from the manifest\]$/,
    ),
    inputs: decision.inputs,
    policy: 'predictive',
    objective: 'balanced',
    payloadViaS3: false,
    estimates: [
      expect.objectContaining({ target: 'LOCAL', placement: 'LOCAL', feasible: true, completionMs: 1000 }),
      expect.objectContaining({ target: 'us-east-1', placement: 'LAMBDA', feasible: true, completionMs: 1265 }),
    ],
    runnerUp: 'us-east-1',
    margin: { completionMs: 265, costUsd: expect.any(Number), score: expect.any(Number) },
  });
  // What the API serves of it: the explanation's schema takes the recorded fields as they are.
  const { placement: _p, reason: _r, inputs: _i, ...explanation } = recorded;
  expect(Value.Errors(PlacementExplanationSchema, explanation).First()).toBeUndefined();
});

test('a long local queue records LAMBDA with its target and the throttle fallback', () => {
  const recorded = recordedDecision(predictPlacement(predictionInput(9, 3)));
  expect(recorded).toMatchObject({
    placement: 'LAMBDA',
    target: { name: 'us-east-1', region: 'us-east-1' },
    fallbackToLocalOnThrottle: true,
    runnerUp: 'LOCAL',
    margin: { completionMs: expect.any(Number) },
  });
  expect(recorded.margin?.completionMs).toBeGreaterThan(0);
  expect(recorded.reason).toMatch(/^predictive AUTO: LAMBDA us-east-1 .* beats LOCAL .*\(7 queued ahead\)/);
});

test('a threshold decision (or one recorded before the explanation existed) still matches the explanation schema', () => {
  expect(Value.Check(PlacementExplanationSchema, {})).toBe(true);
});
