// Who decides when the next attempt of a task runs. Temporal does, through the retry policy's exponential backoff,
// unless something knows better: the function itself (an error carrying retryAfterSeconds, or a Retry-After it got
// from a downstream API), Lambda (a throttle's retryAfterSeconds), or the task's explicit schedule (retry.delays).
// The answer becomes the failure's nextRetryDelay, which Temporal honours, so Temporal stays the one owner.
import type { RetrySettings, TaskError } from './task-model';

/** A function may not push its retry further out than this; past it the task should fail and be redriven. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

export function nextRetryDelayMs(
  retry: Pick<RetrySettings, 'delaysMs'>,
  attempt: number,
  error: Pick<TaskError, 'nonRetryable' | 'retryAfterMs'>,
): number | undefined {
  if (error.nonRetryable) return undefined;
  if (error.retryAfterMs !== undefined && Number.isFinite(error.retryAfterMs) && error.retryAfterMs >= 0) {
    return Math.min(Math.ceil(error.retryAfterMs), MAX_RETRY_AFTER_MS);
  }
  return retry.delaysMs?.[attempt - 1];
}

/** `Retry-After` as HTTP sends it: seconds, or an HTTP date. */
export function retryAfterHeaderMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}
