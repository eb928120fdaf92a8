// What an attempt checks before it starts, in both placements. A task not started by its expiresAt never runs: its
// first attempt may have waited in a busy local queue past that moment after the workflow placed it, and then it
// ends the task EXPIRED instead of running. And every attempt of a rate-limited task starts under a permit of its rate. The workflow takes one
// before it places the task (waiting there holds no worker slot); the first attempt moves that permit to the moment
// it really starts, and each retry, which Temporal schedules by itself, takes its own. So the sliding window holds
// the attempts' start times: a queue that held several placed tasks cannot let them start in a burst.
import { ApplicationFailure } from '@temporalio/common';
import type { TaskInput } from '../domain/task-model';
import type { FlowControl } from '../live/flow-control';

/** Thrown by a first attempt that starts after the task's expiresAt: the task ends EXPIRED (workflows/run-task.ts). */
export const TASK_EXPIRED = 'TaskExpiredError';

/** Refuses the task's very first attempt when it starts after the task's expiresAt; a retry has started already. */
export function refuseIfExpired(task: Pick<TaskInput, 'expiresAt'>, attempt: number, nowMs = Date.now()): void {
  if (attempt !== 1 || !task.expiresAt || nowMs < Date.parse(task.expiresAt)) return;
  throw ApplicationFailure.nonRetryable(
    `the task was not started by its expiresAt ${task.expiresAt}: its attempt waited in the queue until ${new Date(nowMs).toISOString()}`,
    TASK_EXPIRED,
  );
}

/** Thrown by an attempt that found no permit within its budget: it never ran, and asks to be retried when one frees. */
export const RATE_LIMITED = 'RateLimitedError';

/** How often a waiting attempt asks again at most; a heartbeat goes with each ask. */
const POLL_MS = 1_000;

export interface PermitWait {
  flow?: FlowControl;
  task: TaskInput;
  /** The attempt's number in the task (after any attempt offset). */
  attempt: number;
  /** The latest moment the attempt may still start (its activity deadline, less the time the run itself needs). */
  deadline: number;
  heartbeat: () => void;
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * Waits for the attempt's permit and answers when it was granted: the attempt's start. Without a rate (or without
 * Redis) the attempt starts now. Past the deadline the attempt does not run at all: it fails with RATE_LIMITED
 * and asks for its retry when the window frees, so the rate holds even then.
 */
export async function attemptPermit(wait: PermitWait): Promise<Date> {
  const now = wait.now ?? Date.now;
  const { task, flow } = wait;
  const rate = task.rateLimit;
  if (!rate || !flow) return new Date(now());
  const member = `${task.id}:attempt-${wait.attempt}`;
  // Only the first attempt has a permit taken ahead by its workflow.
  const replaces = wait.attempt === (task.attemptOffset ?? 0) + 1 ? (task.ratePermit ?? '') : '';
  let waitMs = POLL_MS;
  for (;;) {
    const at = now();
    const answer = await flow.permit(rate.key, rate.limit, rate.periodMs, member, at, replaces).catch(() => undefined);
    if (answer?.granted) return new Date(at);
    if (answer) waitMs = answer.waitMs;
    if (at + Math.min(waitMs, POLL_MS) > wait.deadline) {
      throw ApplicationFailure.create({
        type: RATE_LIMITED,
        message: `no permit of "${rate.key}" (${rate.limit} per ${rate.periodMs / 1000} s) in time; the attempt did not run`,
        nextRetryDelay: answer ? waitMs : POLL_MS,
      });
    }
    wait.heartbeat();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(waitMs, POLL_MS));
      wait.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (wait.signal?.aborted) throw ApplicationFailure.create({ type: 'CancelledError', message: 'cancelled' });
  }
}
