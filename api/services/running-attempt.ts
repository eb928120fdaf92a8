// The attempt running now is Temporal's own word: the task's pending activity, its number and when it started.
// The workflow is not told (a signal per retry would cost history events on every task); the API folds it into
// the attempt log it answers with, through the same reducer the workflow uses.
import type { temporal } from '@temporalio/proto';
import { optionalTsToDate } from '@temporalio/common';
import { reduceAttempts } from '../../domain/attempt-log';
import type { AttemptRecord, Placement, TaskState } from '../../domain/task-model';

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

const STARTED = 2; // PENDING_ACTIVITY_STATE_STARTED

/** The placement of an attempt by the activity that runs it. */
function placementOf(activityType: string | null | undefined): Placement | undefined {
  if (activityType === 'runLocalTask') return 'LOCAL';
  if (activityType === 'invokeLambda') return 'LAMBDA';
  return undefined;
}

export function withRunningAttempt(state: TaskState, pending: PendingActivity | undefined): AttemptRecord[] {
  const placement = placementOf(pending?.activityType?.name);
  const startedAt = optionalTsToDate(pending?.lastStartedTime);
  if (!pending || !placement || !startedAt || Number(pending.state) !== STARTED || state.status !== 'RUNNING') {
    return state.attempts;
  }
  // After a fallback to LOCAL the activity counts its attempts from one again, after the ones Lambda made.
  const offset = placement === 'LOCAL' ? (state.attemptOffset ?? 0) : 0;
  return reduceAttempts(
    state.attempts,
    { type: 'running', attempt: offset + (pending.attempt ?? 1), placement, startedAt: startedAt.toISOString() },
    { now: startedAt.toISOString(), taskStartedAt: state.startedAt, placement, timeoutSeconds: state.timeoutSeconds },
  );
}
