// The contract every function in functions/ implements. It is the AWS Lambda Node.js handler shape, so the same
// module runs in the local worker pool, in the local Lambda service and on AWS unchanged.

/** The event a task function receives. */
export interface TaskEvent<P = Record<string, unknown>> {
  taskId: string;
  taskType: string;
  attempt: number;
  payload: P;
}

/** A subset of the AWS Lambda context, plus optional Spillway extensions that exist only in the local worker. */
export interface HandlerContext {
  functionName: string;
  functionVersion: string;
  awsRequestId: string;
  memoryLimitInMB: string;
  getRemainingTimeInMillis(): number;
  /** Aborted when the task is cancelled or its worker shuts down (local worker only). */
  signal?: AbortSignal;
  /** Records progress and tells Temporal the handler is alive (local worker only). */
  progress?(details: unknown): void;
}

export type TaskHandler<P = Record<string, unknown>, R = unknown> = (
  event: TaskEvent<P>,
  context: HandlerContext,
) => Promise<R>;

/**
 * Thrown by a handler when retrying cannot help (bad payload, unknown input). The name is what Temporal matches
 * against the non-retryable error types, so it must stay stable.
 */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
}

/** Thrown by a handler for any other failure that no retry can fix. */
export class PermanentTaskError extends Error {
  override readonly name = 'PermanentTaskError';
}

/** Thrown by a handler that noticed its context's signal was aborted. */
export class TaskCancelledError extends Error {
  override readonly name = 'TaskCancelledError';
}

/** Throws TaskCancelledError when the context says the task was cancelled. Long handlers call this between steps. */
export function throwIfCancelled(context: HandlerContext): void {
  if (context.signal?.aborted) throw new TaskCancelledError('the task was cancelled');
}
