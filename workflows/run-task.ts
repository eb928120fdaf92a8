// TaskWorkflow: one task, one execution. It places the task, runs one activity whose retry policy owns the backoff,
// keeps a status that the `status` query returns, and mirrors the status into search attributes.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { LOCAL_TASK_QUEUE, PERMANENT_ERROR_TYPES } from '../domain/constants';
import {
  EXECUTION_MODE_KEY,
  PLACEMENT_KEY,
  TASK_ATTEMPTS_KEY,
  TASK_COLD_STARTS_KEY,
  TASK_COST_KEY,
  TASK_DURATION_KEY,
  TASK_STATUS_KEY,
  TASK_WARM_STARTS_KEY,
} from '../domain/search-attributes';
import type {
  AttemptRecord,
  Placement,
  PlacementDecision,
  TaskError,
  TaskInput,
  TaskState,
  TaskStatus,
} from '../domain/task-model';
import { startCounts, taskDurationMs } from '../domain/task-model';
import type { AttemptSuccess, TaskActivities } from '../activities/types';
import { attemptFailedSignal, attemptStartedSignal, statusQuery } from './signals';

const THROTTLED = 'LambdaThrottledError';

/** The failure profile of a task attempt: the task's own backoff, and never a retry for a permanent error. */
function retryPolicyFor(task: TaskInput, extraNonRetryable: string[] = []): RetryPolicy {
  return {
    maximumAttempts: task.retry.maximumAttempts,
    initialInterval: task.retry.initialIntervalMs,
    backoffCoefficient: task.retry.backoffCoefficient,
    maximumInterval: task.retry.maximumIntervalMs,
    nonRetryableErrorTypes: [...PERMANENT_ERROR_TYPES, ...extraNonRetryable],
  };
}

/** Local attempts heartbeat, so a lost worker is noticed in seconds and cancellation reaches the handler. */
function localActivityOptions(task: TaskInput): ActivityOptions {
  return {
    taskQueue: LOCAL_TASK_QUEUE,
    startToCloseTimeout: task.timeoutSeconds * 1000,
    heartbeatTimeout: 15_000,
    retry: retryPolicyFor(task),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
}

/**
 * Lambda attempts end with a callback; the timeout covers the function's own limit plus the trip back. When the
 * task may fall back to LOCAL, a throttle ends the Lambda activity at once instead of being retried there.
 */
function lambdaActivityOptions(task: TaskInput, fallbackOnThrottle: boolean): ActivityOptions {
  return {
    startToCloseTimeout: task.timeoutSeconds * 1000,
    retry: retryPolicyFor(task, fallbackOnThrottle ? [THROTTLED] : []),
    cancellationType: ActivityCancellationType.TRY_CANCEL,
  };
}

const control = proxyActivities<TaskActivities>({
  startToCloseTimeout: 30_000,
  retry: { maximumAttempts: 3, initialInterval: 500 },
});

const projection = proxyLocalActivities<TaskActivities>({
  startToCloseTimeout: 5_000,
  retry: { maximumAttempts: 2 },
});

function innermost(err: unknown): unknown {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause;
}

function toTaskError(err: unknown, task: TaskInput): TaskError {
  // ActivityFailure wraps what the attempt threw; the innermost cause says what really went wrong.
  const cause = innermost(err);
  if (cause instanceof TimeoutFailure) return lostAttemptError(task);
  if (cause instanceof ApplicationFailure) {
    return { type: cause.type ?? 'Error', message: cause.message, nonRetryable: Boolean(cause.nonRetryable) };
  }
  if (cause instanceof Error) return { type: cause.name, message: cause.message, nonRetryable: false };
  return { type: 'Error', message: String(cause), nonRetryable: false };
}

function lostAttemptError(task: TaskInput): TaskError {
  return {
    type: 'AttemptTimedOut',
    message: `no result within ${task.timeoutSeconds} s: the handler timed out, crashed, or its callback was lost`,
    nonRetryable: false,
  };
}

function nowIso(): string {
  // Workflow time is deterministic: it comes from the history, not the clock.
  return new Date().toISOString();
}

export async function runTask(task: TaskInput): Promise<TaskState> {
  const state: TaskState = {
    id: task.id,
    name: task.name,
    type: task.type,
    executionMode: task.executionMode,
    functionName: task.functionName,
    functionQualifier: task.functionQualifier,
    status: 'QUEUED',
    attempts: [],
    submittedAt: task.submittedAt,
  };
  let placement: Placement = task.executionMode === 'LAMBDA' ? 'LAMBDA' : 'LOCAL';

  /** The task's facts go into visibility with its final status, so the live projection can be rebuilt. */
  const finish = (status: TaskStatus) => {
    state.finishedAt = nowIso();
    state.costUsd = sumCost(state.attempts);
    state.status = status;
    const starts = startCounts(state.attempts);
    // One upsert, one history event: every extra event is a visibility write on the server.
    upsertSearchAttributes([
      { key: TASK_STATUS_KEY, value: status },
      { key: TASK_COST_KEY, value: state.costUsd ?? 0 },
      { key: TASK_DURATION_KEY, value: taskDurationMs(state.startedAt, state.finishedAt) ?? 0 },
      { key: TASK_ATTEMPTS_KEY, value: state.attempts.length },
      { key: TASK_COLD_STARTS_KEY, value: starts.coldStarts },
      { key: TASK_WARM_STARTS_KEY, value: starts.warmStarts },
    ]);
  };

  const upsertRecord = (record: AttemptRecord) => {
    const index = state.attempts.findIndex((a) => a.attempt === record.attempt);
    const previous = state.attempts.find((a) => a.attempt === record.attempt - 1);
    const withBackoff =
      record.backoffMs === undefined && previous?.finishedAt && record.startedAt
        ? { ...record, backoffMs: Math.max(0, Date.parse(record.startedAt) - Date.parse(previous.finishedAt)) }
        : record;
    if (index >= 0) state.attempts[index] = { ...state.attempts[index], ...withBackoff };
    else state.attempts.push(withBackoff);
    state.attempts.sort((a, b) => a.attempt - b.attempt);
  };

  /** An attempt that never reported an outcome timed out: a crash, a hang or a lost callback. */
  const markLost = (attempt: number) => {
    const existing = state.attempts.find((a) => a.attempt === attempt);
    if (existing && existing.outcome !== 'running') return;
    const before = state.attempts.find((a) => a.attempt === attempt - 1);
    upsertRecord({
      attempt,
      placement,
      startedAt: existing?.startedAt ?? before?.finishedAt ?? state.startedAt ?? nowIso(),
      finishedAt: nowIso(),
      outcome: 'failed',
      error: lostAttemptError(task),
    });
  };

  const recordAttempt = (record: AttemptRecord) => {
    if (record.outcome === 'running' && record.attempt > 1) markLost(record.attempt - 1);
    upsertRecord(record);
  };

  setHandler(statusQuery, () => state);
  setHandler(attemptStartedSignal, recordAttempt);
  setHandler(attemptFailedSignal, recordAttempt);

  const publish = () =>
    CancellationScope.nonCancellable(() => projection.publishTransition({ taskId: task.id, state }));

  /** Records where the task runs. A requested placement is already in the search attributes from the start. */
  const place = (decision: PlacementDecision, alreadyVisible: boolean) => {
    placement = decision.placement;
    state.placement = decision;
    state.status = 'RUNNING';
    upsertSearchAttributes([
      { key: TASK_STATUS_KEY, value: 'RUNNING' },
      ...(alreadyVisible
        ? []
        : [
            { key: EXECUTION_MODE_KEY, value: decision.placement },
            { key: PLACEMENT_KEY, value: decision.reason.slice(0, 200) },
          ]),
    ]);
  };

  try {
    const decision: PlacementDecision =
      task.executionMode === 'AUTO'
        ? await control.decidePlacement(task)
        : { placement: task.executionMode, reason: `requested ${task.executionMode}` };
    state.startedAt = nowIso();
    place(decision, task.executionMode !== 'AUTO');

    let success: AttemptSuccess;
    if (placement === 'LOCAL') {
      success = await proxyActivities<TaskActivities>(localActivityOptions(task)).runLocalTask(task);
    } else {
      const fallback = task.executionMode === 'AUTO' && decision.fallbackToLocalOnThrottle === true;
      try {
        success = await proxyActivities<TaskActivities>(lambdaActivityOptions(task, fallback)).invokeLambda(task);
      } catch (err) {
        const cause = innermost(err);
        if (!fallback || !(cause instanceof ApplicationFailure) || cause.type !== THROTTLED) throw err;
        upsertRecord({
          attempt: state.attempts.length + 1,
          placement: 'LAMBDA',
          startedAt: state.startedAt,
          finishedAt: nowIso(),
          outcome: 'failed',
          error: { type: THROTTLED, message: cause.message, nonRetryable: false },
        });
        place(
          { placement: 'LOCAL', reason: `fallback: Lambda throttled (${decision.reason})`, inputs: decision.inputs },
          false,
        );
        success = await proxyActivities<TaskActivities>(localActivityOptions(task)).runLocalTask({
          ...task,
          attemptOffset: state.attempts.length,
        });
      }
    }
    recordAttempt(success.attempt);
    state.result = success.result;
    finish('COMPLETED');
    await publish();
    return state;
  } catch (err) {
    if (isCancellation(err)) {
      state.error = { type: 'CancelledError', message: 'the task was cancelled', nonRetryable: true };
      finish('CANCELLED');
      await publish();
      throw err;
    }
    if (err instanceof ActivityFailure && innermost(err) instanceof TimeoutFailure) {
      const last = Math.max(0, ...state.attempts.map((a) => a.attempt));
      const lastRecord = state.attempts.find((a) => a.attempt === last);
      markLost(lastRecord && lastRecord.outcome === 'running' ? last : last + 1);
    }
    state.error = toTaskError(err, task);
    finish('FAILED');
    await publish();
    throw ApplicationFailure.create({
      type: state.error.type,
      message: state.error.message,
      nonRetryable: true,
      details: [{ attempts: state.attempts.length }],
    });
  }
}

function sumCost(attempts: AttemptRecord[]): number | undefined {
  const costs = attempts.map((a) => a.costUsd).filter((c): c is number => typeof c === 'number');
  return costs.length ? costs.reduce((a, b) => a + b, 0) : undefined;
}
