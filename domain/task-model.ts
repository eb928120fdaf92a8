// The task as the API accepts it and as TaskWorkflow reports it. Everything here is plain data so that it
// can cross Temporal's payload converter and the HTTP boundary unchanged.

export const EXECUTION_MODES = ['LOCAL', 'LAMBDA', 'AUTO'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];
export type Placement = 'LOCAL' | 'LAMBDA';

export const TASK_STATUSES = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const FINAL_STATUSES: readonly TaskStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export interface RetrySettings {
  maximumAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

/** What TaskWorkflow is started with: the submitted task plus the fields the API fills in. */
export interface TaskInput {
  /** Input version, bumped only when a field changes meaning; new optional fields do not bump it. */
  version: 1;
  id: string;
  name: string;
  type: string;
  executionMode: ExecutionMode;
  /** The deployed function that serves the task. */
  functionName: string;
  /** A version or alias the task is pinned to; without one each attempt runs what $LATEST is at that moment. */
  functionQualifier?: string;
  /** Any JSON value: a plain function gets it as its event; a `task` function inside Spillway's task event. */
  payload: unknown;
  retry: RetrySettings;
  timeoutSeconds: number;
  idempotencyKey?: string;
  /** 'async' (Event + callback, default) or 'sync' (RequestResponse) for LAMBDA placements. */
  invocation?: 'async' | 'sync';
  submittedAt: string;
  /** Attempts already made elsewhere (a Lambda attempt before a LOCAL fallback); numbering continues after them. */
  attemptOffset?: number;
}

export interface AttemptRecord {
  attempt: number;
  placement: Placement;
  /** The function version the attempt ran (`$LATEST` or a number) and the package's CodeSha256. */
  functionVersion?: string;
  codeSha256?: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  outcome: 'running' | 'succeeded' | 'failed';
  error?: TaskError;
  /** Time Temporal waited before this attempt, from the retry policy's backoff. */
  backoffMs?: number;
  coldStart?: boolean;
  initDurationMs?: number;
  billedDurationMs?: number;
  memoryMB?: number;
  maxMemoryUsedMB?: number;
  cpuTimeMs?: number;
  costUsd?: number;
}

export interface TaskError {
  type: string;
  message: string;
  nonRetryable: boolean;
}

export interface PlacementDecision {
  placement: Placement;
  reason: string;
  inputs?: Record<string, unknown>;
  /** For AUTO tasks placed on Lambda: run LOCAL instead when Lambda throttles the attempt. */
  fallbackToLocalOnThrottle?: boolean;
}

/** The answer to the workflow's `status` query: the whole state of one task. */
export interface TaskState {
  id: string;
  name: string;
  type: string;
  executionMode: ExecutionMode;
  functionName: string;
  functionQualifier?: string;
  status: TaskStatus;
  placement?: PlacementDecision;
  attempts: AttemptRecord[];
  submittedAt: string;
  startedAt?: string;
  finishedAt?: string;
  result?: unknown;
  error?: TaskError;
  costUsd?: number;
}

/** The result TaskWorkflow returns when it ends. */
export type TaskOutcome = TaskState;

/** Milliseconds from placement to the final status; undefined until both are known. */
export function taskDurationMs(startedAt: string | undefined, finishedAt: string | undefined): number | undefined {
  if (!startedAt || !finishedAt) return undefined;
  return Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt));
}

/** How many Lambda attempts met a cold and a warm environment (local attempts are neither). */
export function startCounts(attempts: readonly AttemptRecord[]): { coldStarts: number; warmStarts: number } {
  return {
    coldStarts: attempts.filter((a) => a.coldStart === true).length,
    warmStarts: attempts.filter((a) => a.coldStart === false).length,
  };
}
