// The attempt log of a task: every attempt, with its outcome, error, backoff and facts. Temporal's retry policy
// hides intermediate attempts from the workflow, so the log is folded from what reaches it: the record a failed
// attempt reports (a signal from its activity or its callback), the successful attempt's record (the activity
// result), a record the workflow writes itself (a Lambda attempt refused before a fallback to LOCAL), the attempt
// Temporal says is running now (its pending activity, read by the API), and the end of a task whose last attempt
// never reported (a timeout). Pure: the workflow and the API feed it events.
import type { AttemptRecord, Placement, TaskError } from './task-model';

export type AttemptEvent =
  /** An attempt's own record: failed (a signal), succeeded (the activity result), or written by the workflow. */
  | { type: 'reported'; record: AttemptRecord }
  /** Temporal runs this attempt now: its pending activity was started at `startedAt`. */
  | { type: 'running'; attempt: number; placement: Placement; startedAt: string }
  /**
   * The task ended by a timeout: the attempt in flight, or the next one, never reported. When Temporal says the
   * retry policy ran out (`exhausted`), the policy's last attempt (after the context's attempt offset) was the one,
   * and every one before it that never reported was lost too.
   */
  | { type: 'timedOut'; exhausted?: boolean }
  /**
   * The task leaves Lambda for LOCAL: the Lambda attempt that ended its time there is in the log, whether it reported
   * itself (a throttle) or was refused before it could (a drain), and LOCAL numbering continues after it.
   */
  | { type: 'leftLambda'; error: TaskError };

export interface AttemptContext {
  /** Workflow time now (or, in the API, when Temporal says the running attempt started). */
  now: string;
  /** When the task was placed: the first attempt's start when nothing else says. */
  taskStartedAt?: string;
  /** Where attempts run now, for records the log has to make up. */
  placement: Placement;
  /** The task's per-attempt limit, for the error of an attempt that never reported. */
  timeoutSeconds?: number;
  /** Attempts made before the current activity counts its own (a fallback to LOCAL). */
  attemptOffset?: number;
  /** The retry policy's attempts per activity. */
  maximumAttempts?: number;
}

/** The number of the latest attempt in the log; 0 for none. After leftLambda, LOCAL attempts are numbered after it. */
export function lastAttemptNumber(log: readonly AttemptRecord[]): number {
  return Math.max(0, ...log.map((a) => a.attempt));
}

/** The error of an attempt that never said how it ended. */
export function lostAttemptError(timeoutSeconds: number | undefined): TaskError {
  const within = timeoutSeconds === undefined ? 'in time' : `within ${timeoutSeconds} s`;
  return {
    type: 'AttemptTimedOut',
    message: `no result ${within}: the handler timed out, crashed, or its callback was lost`,
    nonRetryable: false,
  };
}

function byNumber(a: AttemptRecord, b: AttemptRecord): number {
  return a.attempt - b.attempt;
}

const ended = (record: AttemptRecord | undefined) => record !== undefined && record.outcome !== 'running';

/** The wait Temporal's policy made before an attempt: from the previous attempt's end to this one's start. */
function withBackoff(record: AttemptRecord, previous: AttemptRecord | undefined): AttemptRecord {
  if (record.backoffMs !== undefined || !previous?.finishedAt || !record.startedAt) return record;
  return { ...record, backoffMs: Math.max(0, Date.parse(record.startedAt) - Date.parse(previous.finishedAt)) };
}

function upsert(log: readonly AttemptRecord[], record: AttemptRecord): AttemptRecord[] {
  const merged = withBackoff(
    record,
    log.find((a) => a.attempt === record.attempt - 1),
  );
  const existing = log.find((a) => a.attempt === record.attempt);
  const next = existing ? log.map((a) => (a.attempt === record.attempt ? { ...a, ...merged } : a)) : [...log, merged];
  return next.sort(byNumber);
}

/** An attempt that never reported an outcome: a crash, a hang, a lost callback, a worker that died. */
function lost(log: readonly AttemptRecord[], attempt: number, ctx: AttemptContext): AttemptRecord[] {
  const existing = log.find((a) => a.attempt === attempt);
  if (ended(existing)) return [...log];
  const before = log.find((a) => a.attempt === attempt - 1);
  return upsert(log, {
    attempt,
    placement: existing?.placement ?? ctx.placement,
    startedAt: existing?.startedAt ?? before?.finishedAt ?? ctx.taskStartedAt ?? ctx.now,
    finishedAt: ctx.now,
    outcome: 'failed',
    error: lostAttemptError(ctx.timeoutSeconds),
  });
}

/** Attempts before `attempt` that never reported were lost: Temporal retried them after their timeout. */
function lostBefore(log: readonly AttemptRecord[], attempt: number, ctx: AttemptContext): AttemptRecord[] {
  let next = [...log];
  for (let n = 1; n < attempt; n++) if (!ended(next.find((a) => a.attempt === n))) next = lost(next, n, ctx);
  return next;
}

export function reduceAttempts(
  log: readonly AttemptRecord[],
  event: AttemptEvent,
  ctx: AttemptContext,
): AttemptRecord[] {
  switch (event.type) {
    case 'timedOut': {
      const last = lastAttemptNumber(log);
      const lastRecord = log.find((a) => a.attempt === last);
      const policyLast =
        event.exhausted && ctx.maximumAttempts !== undefined ? (ctx.attemptOffset ?? 0) + ctx.maximumAttempts : 0;
      // The attempt that timed out is the one still running, else the next, which never got to say anything.
      const timedOut = Math.max(lastRecord?.outcome === 'running' ? last : last + 1, policyLast);
      return lost(lostBefore(log, timedOut, ctx), timedOut, ctx);
    }
    case 'leftLambda': {
      const last = log.find((a) => a.attempt === lastAttemptNumber(log));
      // A throttled attempt reported itself before it failed; a refused one (a drain) stopped before it could.
      const reported =
        last?.placement === 'LAMBDA' && last.outcome === 'failed' && last.error?.type === event.error.type;
      if (reported) return [...log];
      const record: AttemptRecord = {
        attempt: (last?.attempt ?? 0) + 1,
        placement: 'LAMBDA',
        startedAt: ctx.now,
        finishedAt: ctx.now,
        outcome: 'failed',
        error: event.error,
      };
      return reduceAttempts(log, { type: 'reported', record }, ctx);
    }
    case 'running': {
      const next = lostBefore(log, event.attempt, { ...ctx, now: event.startedAt });
      // A report that already arrived says more than "running".
      if (next.some((a) => a.attempt === event.attempt)) return next;
      const { attempt, placement, startedAt } = event;
      return upsert(next, { attempt, placement, startedAt, outcome: 'running' });
    }
    case 'reported': {
      // A lost attempt ended, at the latest, when the next one started.
      const gapCtx = { ...ctx, now: event.record.startedAt || ctx.now };
      return upsert(lostBefore(log, event.record.attempt, gapCtx), event.record);
    }
  }
}
