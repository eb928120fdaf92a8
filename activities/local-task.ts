// Runs one attempt of a task in this worker's local pool: resolves the handler, gives it a Lambda-shaped context
// whose signal follows Temporal cancellation, heartbeats while it runs, and measures what the attempt used.
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { HandlerContext } from '../domain/handler-contract';
import type { AttemptRecord, TaskInput } from '../domain/task-model';
import type { AttemptReporter } from './attempt-reporter';
import { describeError, toApplicationFailure } from './failure-mapping';
import type { HandlerRegistry } from './handler-registry';
import type { LiveHooks } from './live-hooks';
import type { AttemptSuccess } from './types';
import { findFunction } from '../domain/function-catalog';

export interface LocalTaskDeps {
  handlers: HandlerRegistry;
  reporter: AttemptReporter;
  /** Price of one vCPU-second of the local pool, for the attempt's cost. */
  localCpuSecondUsd: number;
  live: LiveHooks;
  heartbeatIntervalMs?: number;
}

/** Local attempts running in this process now, to share the process's CPU time between them. */
let runningAttempts = 0;

export function createRunLocalTask(deps: LocalTaskDeps) {
  return async function runLocalTask(task: TaskInput): Promise<AttemptSuccess> {
    const ctx = Context.current();
    const { startToCloseTimeoutMs } = ctx.info;
    const attempt = ctx.info.attempt + (task.attemptOffset ?? 0);
    const workflowId = ctx.info.workflowExecution?.workflowId ?? task.id;
    const startedAt = new Date();
    const record: AttemptRecord = {
      attempt,
      placement: 'LOCAL',
      startedAt: startedAt.toISOString(),
      outcome: 'running',
    };
    if (attempt > 1) await deps.reporter.started(workflowId, record);
    await deps.live.localStarted(task);

    const context: HandlerContext = {
      functionName: task.functionName,
      functionVersion: '$LOCAL',
      awsRequestId: randomUUID(),
      memoryLimitInMB: String(findFunction(task.functionName)?.memoryMB ?? 0),
      getRemainingTimeInMillis: () => startedAt.getTime() + startToCloseTimeoutMs - Date.now(),
      signal: ctx.cancellationSignal,
      progress: (details) => ctx.heartbeat(details),
    };
    // Handlers that never report progress still need heartbeats, or cancellation would never reach them.
    const beat = setInterval(() => {
      ctx.heartbeat();
      void deps.live.localAlive(task);
    }, deps.heartbeatIntervalMs ?? 2_000);
    const cpuBefore = { usage: process.cpuUsage(), running: ++runningAttempts };
    const t0 = performance.now();
    try {
      const handler = deps.handlers.resolve(task.functionName);
      const result = await handler({ taskId: task.id, taskType: task.type, attempt, payload: task.payload }, context);
      return { result, attempt: finish(record, t0, cpuBefore, deps, 'succeeded') };
    } catch (err) {
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('the task was cancelled while it ran');
      const error = describeError(err);
      await deps.reporter.failed(workflowId, { ...finish(record, t0, cpuBefore, deps, 'failed'), error });
      throw toApplicationFailure(error);
    } finally {
      runningAttempts--;
      clearInterval(beat);
      await deps.live.localFinished(task);
    }
  };
}

function finish(
  record: AttemptRecord,
  t0: number,
  cpuBefore: { usage: NodeJS.CpuUsage; running: number },
  deps: LocalTaskDeps,
  outcome: 'succeeded' | 'failed',
): AttemptRecord {
  const durationMs = performance.now() - t0;
  // CPU time is process-wide: with several attempts running, each is charged its share of what the process used.
  const cpu = process.cpuUsage(cpuBefore.usage);
  const sharing = Math.max(1, (cpuBefore.running + runningAttempts) / 2);
  const cpuTimeMs = Math.min((cpu.user + cpu.system) / 1000 / sharing, durationMs);
  return {
    ...record,
    outcome,
    finishedAt: new Date().toISOString(),
    durationMs: Math.round(durationMs * 1000) / 1000,
    cpuTimeMs: Math.round(cpuTimeMs * 1000) / 1000,
    costUsd: (cpuTimeMs / 1000) * deps.localCpuSecondUsd,
  };
}
