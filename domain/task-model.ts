// The task as the API accepts it and as TaskWorkflow reports it. Everything here is plain data so that it
// can cross Temporal's payload converter and the HTTP boundary unchanged.
import type { AttemptRecord, TaskError } from './attempt-record';
import { objectRefOf } from './object-ref-marker';
import type { FlowOptions } from './task-options';
import type { PauseRecord, PlacementDecision, TaskState, TaskWait } from './task-state';

// Declared as schemas in attempt-record.ts and task-state.ts (the API answers with them); the types are re-exported
// for everyone else, and workflow code imports them from here, since this module needs no TypeBox at run time.
export type { AttemptRecord, PauseRecord, PlacementDecision, TaskError, TaskState, TaskWait };

export const EXECUTION_MODES = ['LOCAL', 'LAMBDA', 'AUTO'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];
export type Placement = AttemptRecord['placement'];

export const TASK_STATUSES = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** EXPIRED: the task was not started by its expiresAt, and never ran. */
export const FINAL_STATUSES: readonly TaskStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'];

export interface RetrySettings {
  maximumAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** An explicit schedule instead of the exponential one: the wait before attempt 2, 3, … */
  delaysMs?: number[];
}

/** What TaskWorkflow is started with: the submitted task plus the fields the API fills in. */
/** A Lambda target of LAMBDA_TARGETS, as tasks and decisions name it. */
export interface LambdaTargetRef {
  name: string;
  region: string;
}

export interface TaskInput extends FlowOptions {
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
  /** The bulk submission the task came in with. */
  batchId?: string;
  /** The failed (or cancelled, or expired) task this one re-runs. */
  redriveOf?: string;
  /** The schedule that started the task. */
  scheduleId?: string;
  /** Set by the API when the task's type or tenant was paused at submission: the task starts paused. */
  startPaused?: PauseRecord;
  /** Set by the API when an operator's placement override applied at submission (drain Lambda, force Lambda). */
  placementOverride?: { placement: Placement; reason: string };
  /**
   * Set by the API on an AUTO task with nothing to wait for (see placedAtSubmission): where the predictive policy
   * placed it at submission, with every estimate. The workflow runs it there like a requested placement, so an
   * AUTO task costs no more history events, activations or visibility writes than a LOCAL one.
   */
  decidedPlacement?: PlacementDecision;
  /**
   * The behaviour of runTask the task was started for, so a change stays replay-safe without a patch marker (one
   * more history event per task): absent on tasks from before revision 2. Revision 2: a task with nothing to wait
   * for starts RUNNING in visibility, and a LOCAL attempt that ends the task on its first try publishes the final
   * transition itself. Revision 3: a task that may wait before it is placed (or a schedule's run) reads the operator
   * controls when it places, rather than keeping the ones of its submission. Revision 4: an AUTO task decides its
   * placement in a local activity (one marker in the history) rather than an activity of its own, which cost every
   * AUTO task a round trip through the server before it could run.
   */
  workflowRevision?: 2 | 3 | 4;
  /** Pins the task to one region (a Lambda target's, or the local one): it runs there or not at all. */
  region?: string;
  /** Residency: the regions the task may run in. */
  allowedRegions?: string[];
  /** Where the task's input lives: moving it elsewhere and the result back is priced as data transfer. */
  dataRegion?: string;
  /** A latency SLO for predictive AUTO: a placement expected to finish within it is preferred. */
  deadlineMs?: number;
  /**
   * The Lambda target an attempt is invoked on: set by the API for a LAMBDA task with region rules, and by the
   * workflow from the AUTO decision. Absent: the target on LAMBDA_ENDPOINT.
   */
  lambdaTarget?: LambdaTargetRef;
  /** Set by the API when the region rules exclude the local region: the task never falls back to LOCAL. */
  lambdaOnly?: true;
  /** Set by the workflow on an attempt's input: when the task was placed, and why. */
  placed?: { at: string; reason: string };
  /** Set by the workflow on the first attempt's input: the rate permit it took, which the attempt moves to its start. */
  ratePermit?: string;
}

/**
 * How much longer than the task's timeout an attempt of a rate-limited task may take, to wait for its permit when
 * it starts (activities/attempt-gate.ts): two periods, at least 30 s, at most 15 minutes.
 */
export function permitBudgetMs(task: Pick<TaskInput, 'rateLimit'>): number {
  if (!task.rateLimit) return 0;
  return Math.min(Math.max(2 * task.rateLimit.periodMs, 30_000), 15 * 60_000);
}

/** The flow options of a task, as its state shows them: only those it has. */
export function flowOptionsOf(task: FlowOptions): FlowOptions {
  const options: FlowOptions = {};
  if (task.priority !== undefined) options.priority = task.priority;
  if (task.fairness) options.fairness = task.fairness;
  if (task.concurrency) options.concurrency = task.concurrency;
  if (task.rateLimit) options.rateLimit = task.rateLimit;
  if (task.startAt) options.startAt = task.startAt;
  if (task.expiresAt) options.expiresAt = task.expiresAt;
  if (task.debounce) options.debounce = task.debounce;
  return options;
}

/**
 * A task's state before its workflow has done anything: QUEUED, no attempt yet, and what its input says about it.
 * The workflow starts from it, and the API shows it for a task whose start is delayed (no workflow code has run).
 */
export function queuedState(task: TaskInput): TaskState {
  return {
    id: task.id,
    name: task.name,
    type: task.type,
    executionMode: task.executionMode,
    functionName: task.functionName,
    functionQualifier: task.functionQualifier,
    status: 'QUEUED',
    attempts: [],
    timeoutSeconds: task.timeoutSeconds,
    submittedAt: task.submittedAt,
    priority: task.priority,
    tenant: task.fairness?.key,
    batchId: task.batchId,
    redriveOf: task.redriveOf,
    scheduleId: task.scheduleId,
    startAt: task.startAt,
    expiresAt: task.expiresAt,
    concurrencyKey: task.concurrency?.key,
    rateLimitKey: task.rateLimit?.key,
    debounceKey: task.debounce?.key,
    options: flowOptionsOf(task),
    paused: task.startPaused,
    payloadObject: objectRefOf(task.payload),
  };
}

/** The runTask revision the API starts tasks with. */
export const TASK_WORKFLOW_REVISION = 4;

/** The task was started for runTask revision `revision` or a later one (absent: before revision 2). */
export function revisionAtLeast(task: Pick<TaskInput, 'workflowRevision'>, revision: 2 | 3 | 4): boolean {
  return (task.workflowRevision ?? 1) >= revision;
}

/** Nothing the task must wait for before it is placed: no start time, debounce window, pause, slot or permit. */
function waitsForNothing(task: TaskInput): boolean {
  return !task.startAt && !task.debounce && !task.startPaused && !task.concurrency && !task.rateLimit;
}

/**
 * A task with nothing to wait for before it runs: no start time, debounce window, pause, concurrency slot, rate
 * permit or AUTO decision still to make. Such a task is RUNNING in visibility from its start, so its workflow need
 * not say so.
 */
export function startsRunning(task: TaskInput): boolean {
  return (
    revisionAtLeast(task, 2) &&
    (task.executionMode !== 'AUTO' || task.decidedPlacement !== undefined) &&
    waitsForNothing(task)
  );
}

/**
 * An AUTO task the API places when it is submitted, rather than its workflow when it starts: one with nothing to
 * wait for, so the two moments are milliseconds apart and the load it was placed by is the load it meets. A task
 * that may wait (or a schedule's, started from a template later), or that an operator's override places, is placed
 * by its workflow as before.
 */
export function placedAtSubmission(task: TaskInput): boolean {
  return (
    task.executionMode === 'AUTO' &&
    revisionAtLeast(task, 4) &&
    waitsForNothing(task) &&
    !task.scheduleId &&
    !task.placementOverride
  );
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
