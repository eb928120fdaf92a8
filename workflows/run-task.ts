// TaskWorkflow: one task, one execution. It places the task, runs one activity whose retry policy owns the backoff,
// keeps a status that the `status` query returns, and mirrors the status into search attributes.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { LOCAL_TASK_QUEUE, PERMANENT_ERROR_TYPES } from '../domain/constants';
import { EXECUTION_MODE_KEY, PLACEMENT_KEY, TASK_STATUS_KEY } from '../domain/search-attributes';
import type {
  AttemptRecord,
  Placement,
  PlacementDecision,
  TaskError,
  TaskInput,
  TaskState,
  TaskStatus,
} from '../domain/task-model';
import type { AttemptSuccess, TaskActivities } from '../activities/types';
import { attemptFailedSignal, attemptStartedSignal, statusQuery } from './signals';

/** The failure profile of a task attempt: the task's own backoff, and never a retry for a permanent error. */
function retryPolicyFor(task: TaskInput): RetryPolicy {
  return {
    maximumAttempts: task.retry.maximumAttempts,
    initialInterval: task.retry.initialIntervalMs,
    backoffCoefficient: task.retry.backoffCoefficient,
    maximumInterval: task.retry.maximumIntervalMs,
    nonRetryableErrorTypes: [...PERMANENT_ERROR_TYPES],
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

const control = proxyActivities<TaskActivities>({
  startToCloseTimeout: 30_000,
  retry: { maximumAttempts: 3, initialInterval: 500 },
});

const projection = proxyLocalActivities<TaskActivities>({
  startToCloseTimeout: 5_000,
  retry: { maximumAttempts: 2 },
});

function toTaskError(err: unknown): TaskError {
  // ActivityFailure wraps the handler's ApplicationFailure; the innermost cause says what really went wrong.
  let cause: unknown = err;
  while (cause instanceof Error && 'cause' in cause && cause.cause instanceof Error) cause = cause.cause;
  if (cause instanceof ApplicationFailure) {
    return { type: cause.type ?? 'Error', message: cause.message, nonRetryable: Boolean(cause.nonRetryable) };
  }
  if (cause instanceof Error) {
    return { type: cause.name, message: cause.message, nonRetryable: false };
  }
  return { type: 'Error', message: String(cause), nonRetryable: false };
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
    status: 'QUEUED',
    attempts: [],
    submittedAt: task.submittedAt,
  };

  const setStatus = (status: TaskStatus) => {
    state.status = status;
    upsertSearchAttributes([{ key: TASK_STATUS_KEY, value: status }]);
  };

  const recordAttempt = (record: AttemptRecord) => {
    const index = state.attempts.findIndex((a) => a.attempt === record.attempt);
    const previous = state.attempts[record.attempt - 2];
    const withBackoff =
      record.backoffMs === undefined && previous?.finishedAt
        ? { ...record, backoffMs: Date.parse(record.startedAt) - Date.parse(previous.finishedAt) }
        : record;
    if (index >= 0) state.attempts[index] = { ...state.attempts[index], ...withBackoff };
    else state.attempts.push(withBackoff);
    state.attempts.sort((a, b) => a.attempt - b.attempt);
  };

  setHandler(statusQuery, () => state);
  setHandler(attemptStartedSignal, recordAttempt);
  setHandler(attemptFailedSignal, recordAttempt);

  const publish = () =>
    CancellationScope.nonCancellable(() => projection.publishTransition({ taskId: task.id, state }));

  try {
    const decision: PlacementDecision =
      task.executionMode === 'AUTO'
        ? await control.decidePlacement(task)
        : { placement: task.executionMode, reason: `requested ${task.executionMode}` };
    state.placement = decision;
    state.startedAt = nowIso();
    upsertSearchAttributes([
      { key: EXECUTION_MODE_KEY, value: decision.placement },
      { key: PLACEMENT_KEY, value: decision.reason.slice(0, 200) },
    ]);
    setStatus('RUNNING');

    const success = await runAttempts(task, decision.placement);
    recordAttempt(success.attempt);
    state.result = success.result;
    state.costUsd = sumCost(state.attempts);
    state.finishedAt = nowIso();
    setStatus('COMPLETED');
    await publish();
    return state;
  } catch (err) {
    state.finishedAt = nowIso();
    state.costUsd = sumCost(state.attempts);
    if (isCancellation(err)) {
      state.error = { type: 'CancelledError', message: 'the task was cancelled', nonRetryable: true };
      setStatus('CANCELLED');
      await publish();
      throw err;
    }
    state.error = toTaskError(err);
    setStatus('FAILED');
    await publish();
    throw ApplicationFailure.create({
      type: state.error.type,
      message: state.error.message,
      nonRetryable: true,
      details: [{ attempts: state.attempts.length }],
    });
  }
}

async function runAttempts(task: TaskInput, placement: Placement): Promise<AttemptSuccess> {
  if (placement === 'LOCAL') {
    return proxyActivities<TaskActivities>(localActivityOptions(task)).runLocalTask(task);
  }
  return proxyActivities<TaskActivities>(lambdaActivityOptions(task)).invokeLambda(task);
}

/** Lambda attempts end with a callback; the timeout covers the function's own limit plus the trip back. */
function lambdaActivityOptions(task: TaskInput): ActivityOptions {
  return {
    startToCloseTimeout: task.timeoutSeconds * 1000,
    retry: retryPolicyFor(task),
    cancellationType: ActivityCancellationType.TRY_CANCEL,
  };
}

function sumCost(attempts: AttemptRecord[]): number | undefined {
  const costs = attempts.map((a) => a.costUsd).filter((c): c is number => typeof c === 'number');
  return costs.length ? costs.reduce((a, b) => a + b, 0) : undefined;
}
