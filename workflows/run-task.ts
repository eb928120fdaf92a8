// TaskWorkflow: one task, one execution. It waits for what flow control asks (a debounce window, an operator's
// pause, a concurrency slot, a rate permit), expires a task that was not started in time, places the task, runs one
// activity whose retry policy owns the backoff, keeps a status that the `status` query returns, and mirrors the
// status into search attributes. A task with none of the flow options goes straight to its placement.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import {
  DEBOUNCE_UPDATE,
  LOCAL_TASK_QUEUE,
  PAUSE_SIGNAL,
  PERMANENT_ERROR_TYPES,
  RESUME_SIGNAL,
  WAKE_SIGNAL,
} from '../domain/constants';
import {
  EXECUTION_MODE_KEY,
  PLACEMENT_KEY,
  TASK_ATTEMPTS_KEY,
  TASK_COLD_STARTS_KEY,
  TASK_COST_KEY,
  TASK_DURATION_KEY,
  TASK_LABELS_KEY,
  TASK_STATUS_KEY,
  TASK_WARM_STARTS_KEY,
  taskLabel,
  taskLabels,
} from '../domain/search-attributes';
import type {
  AttemptRecord,
  PauseRecord,
  Placement,
  PlacementDecision,
  TaskError,
  TaskInput,
  TaskState,
  TaskStatus,
  TaskWait,
} from '../domain/task-model';
import {
  queuedState,
  permitBudgetMs,
  revisionAtLeast,
  startCounts,
  startsRunning,
  taskDurationMs,
} from '../domain/task-model';
import { lastAttemptNumber, lostAttemptError, reduceAttempts } from '../domain/attempt-log';
import type { AttemptContext, AttemptEvent } from '../domain/attempt-log';
import type { AttemptSuccess, FlowActivities, TaskActivities } from '../activities/types';
import { attemptFailedSignal, statusQuery } from './signals';

const THROTTLED = 'LambdaThrottledError';
/** Thrown by a first attempt that starts after the task's expiresAt (activities/attempt-gate.ts). */
const EXPIRED = 'TaskExpiredError';
/** Thrown by invokeLambda when an operator drains Lambda while the task's attempts are still going. */
const OVERRIDDEN = 'PlacementOverriddenError';

export const pauseSignal = defineSignal<[Omit<PauseRecord, 'at'>]>(PAUSE_SIGNAL);
export const resumeSignal = defineSignal<[{ by: string; reason?: string }]>(RESUME_SIGNAL);
export const wakeSignal = defineSignal(WAKE_SIGNAL);
export const debounceUpdate = defineUpdate<{ accepted: true }, [{ payload: unknown; name?: string }]>(DEBOUNCE_UPDATE);

/** The failure profile of a task attempt: the task's own backoff, and never a retry for a permanent error. */
function retryPolicyFor(task: TaskInput, extraNonRetryable: string[] = []): RetryPolicy {
  return {
    maximumAttempts: task.retry.maximumAttempts,
    initialInterval: task.retry.initialIntervalMs,
    backoffCoefficient: task.retry.backoffCoefficient,
    maximumInterval: task.retry.maximumIntervalMs,
    nonRetryableErrorTypes: [...PERMANENT_ERROR_TYPES, ...extraNonRetryable],
  };
}

/**
 * The task's priority and fair share on the local queue. Activities inherit them from the workflow's start; a task a
 * schedule started has none there, so they are given here too.
 */
function priorityOf(task: TaskInput): ActivityOptions['priority'] {
  if (task.priority === undefined && !task.fairness) return undefined;
  return { priorityKey: task.priority, fairnessKey: task.fairness?.key, fairnessWeight: task.fairness?.weight };
}

/**
 * Local attempts heartbeat, so a lost worker is noticed in seconds and cancellation reaches the handler. An attempt
 * of a rate-limited task may first wait for its permit, beyond its own timeout (activities/attempt-gate.ts).
 */
function localActivityOptions(task: TaskInput): ActivityOptions {
  return {
    taskQueue: LOCAL_TASK_QUEUE,
    priority: priorityOf(task),
    startToCloseTimeout: task.timeoutSeconds * 1000 + permitBudgetMs(task),
    heartbeatTimeout: 15_000,
    retry: retryPolicyFor(task),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
}

/**
 * Lambda attempts end with a callback; the timeout covers the function's own limit plus the trip back. When the
 * task may fall back to LOCAL, a throttle ends the Lambda activity at once instead of being retried there.
 */
function lambdaActivityOptions(task: TaskInput, fallbackOnThrottle: boolean): ActivityOptions {
  return {
    priority: priorityOf(task),
    startToCloseTimeout: task.timeoutSeconds * 1000 + permitBudgetMs(task),
    retry: retryPolicyFor(task, fallbackOnThrottle ? [THROTTLED, OVERRIDDEN] : [OVERRIDDEN]),
    cancellationType: ActivityCancellationType.TRY_CANCEL,
  };
}

const control = proxyActivities<TaskActivities & FlowActivities>({
  startToCloseTimeout: 30_000,
  retry: { maximumAttempts: 3, initialInterval: 500 },
});

const projection = proxyLocalActivities<TaskActivities>({
  startToCloseTimeout: 5_000,
  retry: { maximumAttempts: 2 },
});

/**
 * AUTO's placement decision (revision 4 on): a few Redis reads and a pure prediction, so a local activity. As an
 * activity of its own it cost every AUTO task a trip through the server's task queue before its attempt could be
 * scheduled, which under a burst made AUTO slower than either placement it chose between.
 */
const placeNow = proxyLocalActivities<TaskActivities>({
  startToCloseTimeout: 30_000,
  retry: { maximumAttempts: 3, initialInterval: 500 },
});

/** A read of the operator controls (cached per worker): quick, so a local activity, one history event. */
const controlsNow = proxyLocalActivities<FlowActivities>({
  startToCloseTimeout: 10_000,
  retry: { maximumAttempts: 3, initialInterval: 500 },
});

/** A flow-control wait asks again at least this often, so a lost wake-up signal costs at most this long. */
const MAX_WAIT_MS = 30_000;
/** When Redis cannot answer, a gate asks again after this long rather than letting the task through. */
const GATE_RETRY_MS = 5_000;
/** Controls read this recently are current enough to place by (workers cache them for about as long). */
const CONTROLS_FRESH_MS = 1_000;
/** A task paused by its type or tenant reads the controls again this often, in case its resume signal was missed. */
const PAUSE_RECHECK_MS = 60_000;

function innermost(err: unknown): unknown {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause;
}

function toTaskError(err: unknown, task: TaskInput): TaskError {
  // ActivityFailure wraps what the attempt threw; the innermost cause says what really went wrong.
  const cause = innermost(err);
  if (cause instanceof TimeoutFailure) return lostAttemptError(task.timeoutSeconds);
  if (cause instanceof ApplicationFailure) {
    return { type: cause.type ?? 'Error', message: cause.message, nonRetryable: Boolean(cause.nonRetryable) };
  }
  if (cause instanceof Error) return { type: cause.name, message: cause.message, nonRetryable: false };
  return { type: 'Error', message: String(cause), nonRetryable: false };
}

function nowIso(): string {
  // Workflow time is deterministic: it comes from the history, not the clock.
  return new Date().toISOString();
}

/** The longest a task can keep a concurrency slot: every attempt timing out, with the longest backoff between. */
function slotLeaseMs(task: TaskInput): number {
  const attempts = task.retry.maximumAttempts;
  const worst = attempts * task.timeoutSeconds * 1000 + (attempts - 1) * task.retry.maximumIntervalMs + 60_000;
  return Math.min(worst, 7 * 24 * 3_600_000);
}

export async function runTask(input: TaskInput): Promise<TaskState> {
  const info = workflowInfo();
  // A schedule starts tasks from a template: the id and the submission time are the run's own.
  const task: TaskInput = {
    ...input,
    id: info.workflowId,
    submittedAt: input.submittedAt || info.startTime.toISOString(),
  };
  const state: TaskState = queuedState(task);
  let placement: Placement = task.executionMode === 'LAMBDA' ? 'LAMBDA' : 'LOCAL';
  /** The task status visibility shows while the task has not been placed. */
  let visibleStatus: 'QUEUED' | 'RUNNING' = startsRunning(task) ? 'RUNNING' : 'QUEUED';
  const mayWait = Boolean(
    task.startAt || task.debounce || task.startPaused || task.concurrency || task.rateLimit || task.scheduleId,
  );
  // A task that may wait before it is placed (a start time, a debounce window, a pause, a slot, a permit), or that a
  // schedule started from its template, reads the operator controls when it places (input revision 3, so recorded
  // histories replay as they ran, and no patch marker costs each task a history event and a visibility write): a
  // drain lifted or a pause set while it waited applies to it. What held at submission is the fallback only when
  // the controls cannot be read.
  const liveControls = mayWait && revisionAtLeast(task, 3);
  let controlsReadAt: number | undefined;
  /** The override the controls held at the last read: null for none; undefined before a read (or if it failed). */
  let liveOverride: TaskInput['placementOverride'] | null | undefined;
  let holdsSlot = false;
  /** The rate permit the workflow took; the first attempt moves it to its own start. */
  let ratePermit: string | undefined;
  let woken = false;
  let debounceOpen = task.debounce?.mode === 'trailing';

  /** The task's facts go into visibility with its final status, so the live projection can be rebuilt. */
  const finish = (status: TaskStatus, finishedAt = nowIso()) => {
    state.finishedAt = finishedAt;
    state.costUsd = sumCost(state.attempts);
    state.status = status;
    state.waiting = undefined;
    const starts = startCounts(state.attempts);
    // One upsert, one history event: every extra event is a visibility write on the server.
    upsertSearchAttributes([
      { key: TASK_STATUS_KEY, value: status },
      { key: TASK_COST_KEY, value: state.costUsd ?? 0 },
      { key: TASK_DURATION_KEY, value: taskDurationMs(state.startedAt, state.finishedAt) ?? 0 },
      { key: TASK_ATTEMPTS_KEY, value: state.attempts.length },
      { key: TASK_COLD_STARTS_KEY, value: starts.coldStarts },
      { key: TASK_WARM_STARTS_KEY, value: starts.warmStarts },
      ...(state.error && status !== 'COMPLETED'
        ? [{ key: TASK_LABELS_KEY, value: [...taskLabels(task), taskLabel('error', state.error.type.slice(0, 100))] }]
        : []),
    ]);
  };

  const attemptContext = (): AttemptContext => ({
    now: nowIso(),
    taskStartedAt: state.startedAt,
    placement,
    timeoutSeconds: task.timeoutSeconds,
    attemptOffset: state.attemptOffset,
    maximumAttempts: task.retry.maximumAttempts,
  });
  const recordAttempt = (event: AttemptEvent) => {
    state.attempts = reduceAttempts(state.attempts, event, attemptContext());
  };

  setHandler(statusQuery, () => state);
  setHandler(attemptFailedSignal, (record) => recordAttempt({ type: 'reported', record }));
  // The operator's word on this task. Pausing a running attempt itself is Temporal's (PauseActivity, by the API);
  // here the task remembers it, and does not start while paused.
  setHandler(pauseSignal, (record) => void (state.paused = { ...record, at: nowIso() }));
  setHandler(resumeSignal, () => void (state.paused = undefined));
  setHandler(wakeSignal, () => void (woken = true));
  setHandler(
    debounceUpdate,
    ({ payload, name }) => {
      task.payload = payload;
      if (name) state.name = task.name = name;
      return { accepted: true as const };
    },
    {
      validator: (_update) => {
        if (!debounceOpen) throw new Error('the debounce window of this task has closed');
      },
    },
  );

  const publish = () =>
    CancellationScope.nonCancellable(() => projection.publishTransition({ taskId: task.id, state }));

  const expired = () => task.expiresAt !== undefined && Date.now() >= Date.parse(task.expiresAt);
  /** How long a wait may last before the task must be expired. */
  const untilExpiry = (ms: number) =>
    task.expiresAt ? Math.max(1, Math.min(ms, Date.parse(task.expiresAt) - Date.now())) : ms;

  const wait = (reason: TaskWait['reason'], detail: string) => {
    if (state.waiting?.reason !== reason || state.waiting.detail !== detail)
      state.waiting = { reason, detail, since: nowIso() };
  };

  /** Reads the controls that apply to the task now; when they cannot be read, what held at submission stands. */
  const readControls = async () => {
    let live;
    try {
      live = await controlsNow.readControls({
        type: task.type,
        tenant: task.fairness?.key,
        executionMode: task.executionMode,
      });
    } catch {
      return;
    }
    controlsReadAt = Date.now();
    liveOverride = live.override ?? null;
    if (live.pause && !state.paused) state.paused = live.pause;
    // Only a pause of the type or tenant ends with the scope's; a pause of the task itself waits for its resume.
    else if (!live.pause && state.paused?.scope) state.paused = undefined;
  };

  /** Waits while the operator has the task paused (or until it expires). */
  const whilePaused = async () => {
    while (state.paused && !expired()) {
      wait('paused', `paused by ${state.paused.by}: ${state.paused.reason}`);
      const recheck = liveControls && state.paused.scope !== undefined;
      if (liveControls && visibleStatus === 'RUNNING') {
        // A schedule's run starts RUNNING in visibility; held by a pause, it is not.
        upsertSearchAttributes([{ key: TASK_STATUS_KEY, value: 'QUEUED' }]);
        visibleStatus = 'QUEUED';
      }
      const resumed = await condition(() => !state.paused, untilExpiry(recheck ? PAUSE_RECHECK_MS : 24 * 3_600_000));
      if (!resumed && recheck) await readControls();
    }
  };

  /** Waits for a concurrency slot of the task's key, in arrival order, without holding a worker slot. */
  const takeSlot = async () => {
    const cc = task.concurrency;
    if (!cc) return;
    // In line by when it was submitted (or might start, if delayed): workflow time is when a worker first ran the
    // task, which two workers may do in another order than the submissions came.
    const enqueuedAt = Date.parse(task.startAt ?? task.submittedAt) || Date.now();
    for (;;) {
      await whilePaused();
      if (expired()) return;
      let answer;
      try {
        answer = await control.acquireSlot({
          taskId: task.id,
          key: cc.key,
          limit: cc.limit,
          leaseMs: slotLeaseMs(task),
          enqueuedAt,
        });
      } catch {
        answer = { granted: false, position: 0, retryInMs: GATE_RETRY_MS };
      }
      if (answer.granted) {
        holdsSlot = true;
        return;
      }
      wait('concurrency', `waiting for one of ${cc.limit} slots of "${cc.key}" (position ${answer.position || '?'})`);
      woken = false;
      await condition(() => woken || Boolean(state.paused), untilExpiry(Math.min(answer.retryInMs, MAX_WAIT_MS)));
    }
  };

  /** Waits for a permit of the task's rate limit. */
  const takePermit = async () => {
    const rate = task.rateLimit;
    if (!rate) return;
    for (;;) {
      await whilePaused();
      if (expired()) return;
      let answer;
      try {
        answer = await control.acquirePermit({
          taskId: task.id,
          key: rate.key,
          limit: rate.limit,
          periodMs: rate.periodMs,
        });
      } catch {
        answer = { granted: false, waitMs: GATE_RETRY_MS, grantedAt: undefined };
      }
      if (answer.granted) {
        state.permitGrantedAt = answer.grantedAt;
        ratePermit = answer.member;
        return;
      }
      wait('rate-limit', `at most ${rate.limit} per ${rate.periodMs / 1000} s for "${rate.key}"`);
      await sleep(untilExpiry(Math.min(answer.waitMs, MAX_WAIT_MS)));
    }
  };

  /**
   * Records where the task runs. A requested placement is already in the search attributes from the start, and a
   * task with nothing to wait for was RUNNING there from its start too.
   */
  const place = (decision: PlacementDecision, alreadyVisible: boolean) => {
    placement = decision.placement;
    state.placement = decision;
    state.status = 'RUNNING';
    state.waiting = undefined;
    if (alreadyVisible && visibleStatus === 'RUNNING') return;
    upsertSearchAttributes([
      { key: TASK_STATUS_KEY, value: 'RUNNING' },
      ...(alreadyVisible
        ? []
        : [
            { key: EXECUTION_MODE_KEY, value: decision.placement },
            { key: PLACEMENT_KEY, value: decision.reason.slice(0, 200) },
          ]),
    ]);
  };

  /** Ends a task that was not started by its expiresAt: EXPIRED, and it never ran. */
  const expire = async (message: string): Promise<never> => {
    state.error = { type: EXPIRED, message, nonRetryable: true };
    finish('EXPIRED');
    await publish();
    throw ApplicationFailure.create({
      type: state.error.type,
      message: state.error.message,
      nonRetryable: true,
      details: [{ attempts: 0, state }],
    });
  };

  /** Runs the rest of the task's attempts locally, numbered after the ones Lambda already made. */
  const fallBackToLocal = async (reason: string, error: TaskError, decision: PlacementDecision) => {
    recordAttempt({ type: 'leftLambda', error });
    const refused = lastAttemptNumber(state.attempts);
    place({ placement: 'LOCAL', reason: `fallback: ${reason} (${decision.reason})`, inputs: decision.inputs }, false);
    state.attemptOffset = refused;
    return proxyActivities<TaskActivities>(localActivityOptions(task)).runLocalTask({
      ...task,
      attemptOffset: refused,
    });
  };

  try {
    if (task.debounce?.mode === 'trailing') {
      wait('debounce', `collecting submissions with key "${task.debounce.key}" for ${task.debounce.periodSeconds} s`);
      await sleep(task.debounce.periodSeconds * 1000);
      debounceOpen = false;
      const key = task.debounce.key;
      // The next submission with the key opens a new window at once, rather than when the lease lapses.
      await control.closeDebounce({ taskId: task.id, key }).catch(() => undefined);
    }
    if (liveControls) await readControls();
    await whilePaused();
    await takeSlot();
    await takePermit();
    if (liveControls && (controlsReadAt === undefined || Date.now() - controlsReadAt >= CONTROLS_FRESH_MS)) {
      await readControls();
      await whilePaused();
    }
    if (expired()) await expire(`the task was not started by its expiresAt ${task.expiresAt}`);
    const override = placementOverride(task, liveOverride);
    const decision: PlacementDecision = override
      ? { placement: override.placement, reason: override.reason }
      : task.executionMode === 'AUTO'
        ? (task.decidedPlacement ?? (await (revisionAtLeast(task, 4) ? placeNow : control).decidePlacement(task)))
        : requested(task);
    state.startedAt = nowIso();
    // Visibility shows the requested mode, the override at submission or the API's decision, from the start.
    place(
      decision,
      !override &&
        !task.placementOverride &&
        (task.executionMode !== 'AUTO' || (task.decidedPlacement !== undefined && decision === task.decidedPlacement)),
    );

    const placed = { at: state.startedAt, reason: decision.reason };
    // The attempts need where the task was placed, not every estimate that placed it.
    const { decidedPlacement: _decided, ...attemptTask } = task;
    const first = { ...attemptTask, ...(ratePermit ? { ratePermit } : {}) };
    let success: AttemptSuccess;
    if (placement === 'LOCAL') {
      success = await proxyActivities<TaskActivities>(localActivityOptions(task)).runLocalTask({ ...first, placed });
    } else {
      // A residency rule that keeps the task out of the local region outranks every fallback to it.
      const fallback = task.executionMode === 'AUTO' && decision.fallbackToLocalOnThrottle === true && !task.lambdaOnly;
      const lambdaTarget = decision.target ?? task.lambdaTarget;
      try {
        success = await proxyActivities<TaskActivities>(lambdaActivityOptions(task, fallback)).invokeLambda(
          lambdaTarget ? { ...first, lambdaTarget } : first,
        );
      } catch (err) {
        const cause = innermost(err);
        if (!(cause instanceof ApplicationFailure)) throw err;
        const error = { type: cause.type ?? 'Error', message: cause.message, nonRetryable: false };
        if (cause.type === OVERRIDDEN && !task.lambdaOnly)
          success = await fallBackToLocal(cause.message, error, decision);
        else if (fallback && cause.type === THROTTLED)
          success = await fallBackToLocal('Lambda throttled', error, decision);
        else throw err;
      }
    }
    recordAttempt({ type: 'reported', record: success.attempt });
    state.result = success.result;
    // An attempt that published the task's end itself did so with its own finish time; the two must agree.
    finish('COMPLETED', success.published ? success.attempt.finishedAt : undefined);
    if (!success.published) await publish();
    return state;
  } catch (err) {
    if (isCancellation(err)) {
      state.error = { type: 'CancelledError', message: 'the task was cancelled', nonRetryable: true };
      finish('CANCELLED');
      await publish();
      throw err;
    }
    if (state.status === 'EXPIRED') throw err;
    const cause = innermost(err);
    // Placed in time, its first attempt waited in the queue past the expiry and did not run.
    if (cause instanceof ApplicationFailure && cause.type === EXPIRED) await expire(cause.message);
    if (err instanceof ActivityFailure && innermost(err) instanceof TimeoutFailure) {
      // Attempts that timed out never reported; Temporal's retry state says whether the policy used them all.
      recordAttempt({ type: 'timedOut', exhausted: err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' });
    }
    state.error = toTaskError(err, task);
    finish('FAILED');
    await publish();
    throw ApplicationFailure.create({
      type: state.error.type,
      message: state.error.message,
      nonRetryable: true,
      // The final state travels with the failure, so a reader of the closed task needs no worker to replay it.
      details: [{ attempts: state.attempts.length, state }],
    });
  } finally {
    const cc = task.concurrency;
    if (holdsSlot && cc) {
      await CancellationScope.nonCancellable(() =>
        control.releaseSlot({ taskId: task.id, key: cc.key, limit: cc.limit }).catch(() => undefined),
      );
    }
  }
}

/**
 * The operator's override that places the task: the one read when it placed (none if the read found none), else the
 * one at submission. A residency rule that keeps the task out of the local region outranks a drain: the Lambda
 * attempt refuses itself with the drain's reason instead.
 */
function placementOverride(
  task: TaskInput,
  live: TaskInput['placementOverride'] | null | undefined,
): TaskInput['placementOverride'] {
  if (live === undefined) return task.placementOverride;
  if (live === null || (live.placement === 'LOCAL' && task.lambdaOnly)) return undefined;
  return live;
}

/** The decision of a task that asked for its placement; a LAMBDA task with region rules names its target. */
function requested(task: TaskInput): PlacementDecision {
  const reason = `requested ${task.executionMode}`;
  if (task.executionMode === 'LAMBDA' && task.lambdaTarget) {
    const t = task.lambdaTarget;
    return { placement: 'LAMBDA', reason: `${reason} on ${t.name} (${t.region})`, target: t };
  }
  return { placement: task.executionMode as Placement, reason };
}

function sumCost(attempts: AttemptRecord[]): number | undefined {
  const costs = attempts.map((a) => a.costUsd).filter((c): c is number => typeof c === 'number');
  return costs.length ? costs.reduce((a, b) => a + b, 0) : undefined;
}
