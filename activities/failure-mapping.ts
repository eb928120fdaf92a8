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

export function toApplicationFailure(error: TaskError): ApplicationFailure {
  return ApplicationFailure.create({ type: error.type, message: error.message, nonRetryable: error.nonRetryable });
}
