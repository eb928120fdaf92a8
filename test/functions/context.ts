// Test doubles for calling handlers directly, the way the local worker does: a context with a real AbortController
// signal and a progress spy, and events without a callback so the wrapper just calls through.
import type { HandlerContext, TaskEvent } from '../../domain/handler-contract';

export interface TestContext {
  context: HandlerContext;
  controller: AbortController;
  progress: jest.Mock<void, [unknown]>;
}

export function testContext(functionName = 'test-function'): TestContext {
  const controller = new AbortController();
  const progress = jest.fn<void, [unknown]>();
  const context: HandlerContext = {
    functionName,
    functionVersion: '$LATEST',
    awsRequestId: 'test-request',
    memoryLimitInMB: '512',
    getRemainingTimeInMillis: () => 60_000,
    signal: controller.signal,
    progress,
  };
  return { context, controller, progress };
}

let nextId = 0;

export function taskEvent(taskType: string, payload: unknown, attempt = 1): TaskEvent {
  nextId += 1;
  return { taskId: `task-${nextId}`, taskType, attempt, payload: payload as Record<string, unknown> };
}
