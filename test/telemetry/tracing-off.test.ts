// Without OTEL_EXPORTER_OTLP_ENDPOINT nothing traces: no SDK is started, workers keep their options as they are,
// clients get no interceptor, and a Lambda event and its callback URL are exactly what they are untraced.
import type { WorkerOptions } from '@temporalio/worker';
import { traceLambdaInvoke } from '../../telemetry/lambda';
import { clientInterceptors, startTracing, tracingEnabled } from '../../telemetry/tracing';
import { inputAttributes, resultAttributes, tracedWorkerOptions } from '../../telemetry/worker';

test('tracing is off, and costs nothing, unless an OTLP endpoint is configured', async () => {
  const tracing = startTracing('spillway-test', { OTEL_SERVICE_NAME: 'ignored' });
  expect(tracing.enabled).toBe(false);
  expect(tracingEnabled()).toBe(false);
  expect(clientInterceptors()).toBeUndefined();
  const options = { taskQueue: 'q', workflowBundle: { codePath: '/nowhere.js' } } as unknown as WorkerOptions;
  expect(tracedWorkerOptions(options, '/workflows')).toBe(options);
  const seen = await traceLambdaInvoke(
    {
      taskId: 't',
      taskType: 'noop',
      functionName: 'noop',
      functionVersion: '1',
      attempt: 1,
      invocationType: 'Event',
    },
    async (p) => ({ event: p.event, url: p.callbackUrl('http://127.0.0.1:8080/api/callbacks/lambda') }),
  );
  expect(seen).toEqual({ event: {}, url: 'http://127.0.0.1:8080/api/callbacks/lambda' });
});

test('activity span attributes come from the task, the attempt and the final state', () => {
  const task = { id: 'task-1', type: 'noop', executionMode: 'AUTO', attemptOffset: 1 };
  expect(inputAttributes('invokeLambda', 2, [task])).toEqual({
    'spillway.task.id': 'task-1',
    'spillway.task.type': 'noop',
    'spillway.task.execution_mode': 'AUTO',
    'spillway.placement': 'LAMBDA',
    'spillway.attempt': 3,
  });
  expect(inputAttributes('decidePlacement', 1, [task])).toEqual({
    'spillway.task.id': 'task-1',
    'spillway.task.type': 'noop',
    'spillway.task.execution_mode': 'AUTO',
  });
  const state = {
    type: 'noop',
    executionMode: 'AUTO',
    status: 'COMPLETED',
    placement: { placement: 'LAMBDA', reason: 'spilled' },
    attempts: [{ coldStart: true }, { coldStart: false }, {}],
    costUsd: 0.0002,
  };
  expect(inputAttributes('publishTransition', 1, [{ taskId: 'task-1', state }])).toEqual({
    'spillway.task.id': 'task-1',
    'spillway.task.type': 'noop',
    'spillway.task.execution_mode': 'AUTO',
    'spillway.task.status': 'COMPLETED',
    'spillway.attempts': 3,
    'spillway.placement': 'LAMBDA',
    'spillway.cost_usd': 0.0002,
    'spillway.cold_starts': 1,
    'spillway.warm_starts': 1,
  });
  expect(
    resultAttributes({ result: {}, attempt: { attempt: 1, placement: 'LOCAL', costUsd: 1e-6, durationMs: 3 } }),
  ).toEqual({
    'spillway.placement': 'LOCAL',
    'spillway.attempt': 1,
    'spillway.cost_usd': 1e-6,
    'spillway.duration_ms': 3,
  });
  expect(resultAttributes({ placement: 'LOCAL', reason: 'below the threshold' })).toEqual({
    'spillway.placement': 'LOCAL',
    'spillway.placement.reason': 'below the threshold',
  });
});
