// Turns whatever a handler or invocation threw into the ApplicationFailure that Temporal's retry policy reads:
// the error's name becomes the failure type, and permanent types are marked non-retryable at the source.
import { ApplicationFailure } from '@temporalio/common';
import { PERMANENT_ERROR_TYPES } from '../domain/constants';
import type { TaskError } from '../domain/task-model';

const PERMANENT = new Set<string>(PERMANENT_ERROR_TYPES);

export function describeError(err: unknown): TaskError {
  if (err instanceof ApplicationFailure) {
    return { type: err.type ?? 'Error', message: err.message, nonRetryable: Boolean(err.nonRetryable) };
  }
  if (err instanceof Error) return { type: err.name, message: err.message, nonRetryable: PERMANENT.has(err.name) };
  return { type: 'Error', message: String(err), nonRetryable: false };
}

/** The error a function reported (errorType, errorMessage, and Spillway's retryAfterSeconds when it set one). */
export function functionError(body: {
  errorType?: string;
  errorMessage?: string;
  retryAfterSeconds?: unknown;
}): TaskError {
  const type = body.errorType ?? 'Error';
  const after = Number(body.retryAfterSeconds);
  return {
    type,
    message: body.errorMessage ?? 'the function failed',
    nonRetryable: PERMANENT.has(type),
    ...(body.retryAfterSeconds !== undefined && Number.isFinite(after) && after >= 0
      ? { retryAfterMs: after * 1000 }
      : {}),
  };
}

/** The failure Temporal's retry policy reads; a known next retry time (see domain/retry-timing.ts) rides along. */
export function toApplicationFailure(error: TaskError, nextRetryDelayMs?: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: error.type,
    message: error.message,
    nonRetryable: error.nonRetryable,
    nextRetryDelay: nextRetryDelayMs,
  });
}
