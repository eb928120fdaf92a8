import { loadConfig } from '../../../domain/config';
import { budgetSignal, payloadBytes, predictionTask, predictorParams } from '../../../domain/placement-inputs';

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
