// Everything the task routes do, against Temporal. Temporal is the record: ids are workflow ids, status comes from
// the workflow's `status` query, and lists and counts come from visibility.
import type { PayloadOffload } from './payload-offload';
import type { ObjectStore } from '../../clients/object-store';
import { objectRefOf, type ObjectRef } from '../../domain/object-ref';
import { TASK_ID_PATTERN } from '../../domain/task-id';
import { createHash, randomUUID } from 'node:crypto';
import type { Client, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import { TASK_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE, SEARCH_ATTRIBUTES, STATUS_QUERY } from '../../domain/constants';
import type { FunctionDirectory } from '../../clients/function-directory';
import { fromVisibility } from '../../clients/visibility-page';
import type { DeployedFunction } from '../../domain/deployed-function';
import { parseFunctionRef } from '../../domain/function-manifest';
import { overridePlacement, pauseFor } from '../../domain/operator-controls';
import type { ControlsReader } from '../../clients/operator-controls';
import { startOptions, type StartOptions } from './flow-options';
import { taskSearchAttributes } from '../../domain/search-attributes';
import type { DebounceService } from './debounce-service';
import {
  EXECUTION_MODE_KEY,
  REQUESTED_MODE_KEY,
  PIPELINE_EXECUTION_KEY,
  PLACEMENT_KEY,
  TASK_NAME_KEY,
  TASK_STATUS_KEY,
  TASK_TYPE_KEY,
} from '../../domain/search-attributes';
import type { SpillwayConfig } from '../../domain/config';
import { estimateCosts, lambdaCost, localCost, type CostEstimate, type PriceTable } from '../../domain/cost-model';
import { taskStatusOf } from '../../domain/task-status';
import { buildTaskInput, TaskInputError } from '../../domain/task-input';
import { queuedState, taskDurationMs } from '../../domain/task-model';
import type { ExecutionMode, TaskInput, TaskState, TaskStatus } from '../../domain/task-model';
import type { TaskProjection } from '../../live/task-projection';
import { Errors, taskInputProblem } from '../errors';
import { withTimeout } from '../with-timeout';
import { withRunningAttempt } from './running-attempt';
import type { CreateTaskBody, CreatedTaskResponse, ListQuery, TaskLinks } from '../schemas/task-schemas';
import type { Static } from '@sinclair/typebox';
import type { SubmissionPlacement } from './submission-placement';
import type { BudgetBook } from '../../live/budget-book';
import { BudgetExceededError } from '../../domain/budget-policy';
import { admitUnderBudget, commitEstimate } from './budget-admission';

const START_DEADLINE_MS = 5_000;

/** What POST /api/tasks answers, as its response schema declares it (the cost estimate is a CostEstimate). */
export type CreatedTask = Static<typeof CreatedTaskResponse> & { costEstimate?: CostEstimate };

/** After a run: what it cost where it ran, and what the same run would have cost elsewhere. */
export interface CostComparison {
  actualUsd: number;
  placement: string;
  local: number;
  lambdaX86: number;
  lambdaArm64: number;
  basis: { durationMs: number; memoryMB: number };
}

export interface TaskView extends TaskState {
  attemptPaused?: boolean;
  temporalStatus?: string;
  attemptCount: number;
  durationMs?: number;
  retry?: unknown;
  costEstimate?: CostEstimate;
  costComparison?: CostComparison;
  /** Where the result is kept when it was too large to return (GET /api/tasks/:id/result downloads it). */
  resultObject?: ObjectRef;
  links: TaskLinks;
}

export interface TaskServiceOptions {
  client: Client;
  config: SpillwayConfig;
  projection?: TaskProjection;
  prices: PriceTable;
  functions: FunctionDirectory;
  controls: ControlsReader;
  debounce: DebounceService;
  /** Modes this deployment can run; others are refused with SPILLWAY_MODE_NOT_AVAILABLE. */
  availableModes: ReadonlySet<ExecutionMode>;
  /** Moves payloads too large for an event to the object store; without it payloads stay inline. */
  payloads?: PayloadOffload;
  /** Where large payloads and results are kept; GET /api/tasks/:id/result reads a stored result from it. */
  objects?: ObjectStore;
  /** The budgets (SPILLWAY_BUDGETS) a new task is admitted under; without them nothing is checked. */
  budgets?: BudgetBook;
  /** Places predictive AUTO tasks at submission (api/services/submission-placement.ts); without it, workflows do. */
  placement?: SubmissionPlacement;
  log?: (message: string) => void;
}

function requestHash(body: CreateTaskBody): string {
  const { idempotencyKey: _key, ...rest } = body;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

function statusFromExecution(info: Pick<WorkflowExecutionInfo, 'status' | 'typedSearchAttributes'>): TaskStatus {
  return taskStatusOf(info.status.name, info.typedSearchAttributes.get(TASK_STATUS_KEY));
}

export function createTaskService(options: TaskServiceOptions) {
  const { client, config } = options;
  const log = options.log ?? console.warn;

  const links = (id: string): TaskLinks => ({
    self: `/api/tasks/${encodeURIComponent(id)}`,
    cancel: `/api/tasks/${encodeURIComponent(id)}/cancel`,
    temporalUi: `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(id)}`,
  });

  function estimateFor(fn: DeployedFunction | undefined): CostEstimate | undefined {
    return fn ? estimateCosts(options.prices, fn.spillway.expectedDurationMs, fn.memoryMB) : undefined;
  }

  /** The function a finished or running task names, if it is still deployed: for estimates only, never required. */
  async function functionOf(state: Pick<TaskState, 'functionName' | 'functionQualifier'>) {
    if (!state.functionName) return undefined;
    const ref = state.functionQualifier ? `${state.functionName}:${state.functionQualifier}` : state.functionName;
    return options.functions.resolve(ref).catch(() => undefined);
  }

  /** Prices the measured run at every placement: the successful attempt's duration and CPU time are the basis. */
  function compareCosts(state: TaskState, fn: DeployedFunction | undefined): CostComparison | undefined {
    const last = [...state.attempts].reverse().find((a) => a.outcome === 'succeeded') ?? state.attempts.at(-1);
    if (!last?.durationMs) return undefined;
    const memoryMB = last.memoryMB ?? fn?.memoryMB;
    if (memoryMB === undefined) return undefined;
    const billedDurationMs = last.billedDurationMs ?? Math.ceil(last.durationMs);
    return {
      actualUsd: state.costUsd ?? 0,
      placement: last.placement,
      local: localCost(options.prices, last.cpuTimeMs ?? last.durationMs),
      lambdaX86: lambdaCost(options.prices, { memoryMB, billedDurationMs, architecture: 'x86_64' }),
      lambdaArm64: lambdaCost(options.prices, { memoryMB, billedDurationMs, architecture: 'arm64' }),
      basis: { durationMs: last.durationMs, memoryMB },
    };
  }

  function checkId(id: string): void {
    if (!TASK_ID_PATTERN.test(id)) throw Errors.invalidTaskId(`"${id.slice(0, 64)}" is not a valid task id`);
  }

  /**
   * Semantic checks that a schema cannot express, each failure with its own code; the task's input and how it is
   * started. `extras` are what the API itself adds (a batch, the task a redrive re-runs).
   */
  async function toTaskInput(
    body: CreateTaskBody,
    id: string,
    extras: Pick<TaskInput, 'batchId' | 'redriveOf' | 'scheduleId'> = {},
  ): Promise<{ input: TaskInput; fn: DeployedFunction; start: StartOptions }> {
    const start = startOptions(body, config, Date.now());
    let built;
    try {
      // The checks every task shares, however it was submitted (domain/task-input.ts).
      built = await buildTaskInput(
        { id, ...body, retry: start.retry },
        { functions: options.functions, config, availableModes: options.availableModes, log },
      );
    } catch (err) {
      if (err instanceof TaskInputError) throw taskInputProblem(err);
      throw err;
    }
    const { fn } = built;
    const controls = await options.controls.current();
    const override = overridePlacement(controls, body.executionMode);
    if (override?.placement === 'LOCAL' && built.input.lambdaOnly) {
      // Running it locally would break its residency rule, and Lambda is closed to it.
      throw Errors.residencyViolation(
        `${override.reason}, and the task may not run in the local region ${config.placement.localRegion}`,
      );
    }
    const pause = pauseFor(controls, body.type, start.flow.fairness?.key);
    const input: TaskInput = {
      ...built.input,
      ...start.flow,
      ...extras,
      ...(override ? { placementOverride: override } : {}),
      ...(pause ? { startPaused: { by: pause.by, at: pause.at, reason: pause.reason, scope: pause.scope } } : {}),
    };
    return { input, fn, start };
  }

  /** Starts the workflow of a task whose input is ready. */
  async function startWorkflow(input: TaskInput, start: StartOptions, memoHash: string): Promise<void> {
    // Without a deadline the client retries an unreachable server for ~20 s; a caller deserves a quick 503.
    await client.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      client.workflow.start(TASK_WORKFLOW_TYPE, {
        taskQueue: WORKFLOW_TASK_QUEUE,
        workflowId: input.id,
        args: [input],
        // An idempotency key must stay used after its task ends, so ids are never reused.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        memo: { requestHash: memoHash },
        startDelay: start.startDelayMs,
        priority: start.priority,
        typedSearchAttributes: taskSearchAttributes(input),
      }),
    );
  }

  function recordQueued(input: TaskInput): void {
    options.projection
      ?.record({
        taskId: input.id,
        status: 'QUEUED',
        type: input.type,
        name: input.name,
        executionMode: input.executionMode,
        tenant: input.fairness?.key,
        at: input.submittedAt,
      })
      .catch((err: Error) => log(`live projection unavailable, QUEUED of ${input.id} not recorded: ${err.message}`));
  }

  function created(input: TaskInput, fn: DeployedFunction | undefined, replay = false): CreatedTask {
    return {
      id: input.id,
      status: 'QUEUED',
      name: input.name,
      type: input.type,
      executionMode: input.executionMode,
      functionName: input.functionName,
      functionQualifier: input.functionQualifier,
      submittedAt: input.submittedAt,
      idempotencyKey: input.idempotencyKey,
      idempotentReplay: replay,
      costEstimate: input.executionMode === 'LOCAL' ? undefined : estimateFor(fn),
      links: links(input.id),
    };
  }

  async function replayIdempotent(id: string, body: CreateTaskBody, redrive?: string): Promise<CreatedTask> {
    const description = await client.workflow.getHandle(id).describe();
    if (description.memo?.requestHash !== requestHash(body)) {
      throw redrive
        ? Errors.redriveConflict(`task "${redrive}" was already redriven as "${id}", with other options`)
        : Errors.idempotencyConflict(
            `idempotencyKey "${body.idempotencyKey}" was already used for a different request`,
          );
    }
    const sa = description.typedSearchAttributes;
    return {
      id,
      status: statusFromExecution(description),
      name: sa.get(TASK_NAME_KEY) ?? body.name,
      type: sa.get(TASK_TYPE_KEY) ?? body.type,
      executionMode: body.executionMode,
      functionName: body.functionName ? parseFunctionRef(body.functionName).name : '',
      submittedAt: description.startTime.toISOString(),
      idempotencyKey: body.idempotencyKey,
      idempotentReplay: true,
      links: links(id),
    };
  }

  /**
   * Starts a task. `id` (a redrive's, derived from the task it re-runs) makes the start idempotent like an
   * idempotencyKey: the same request again answers the task it started, another request under it is a 409.
   */
  async function createTask(
    body: CreateTaskBody,
    extras: Pick<TaskInput, 'batchId' | 'redriveOf'> = {},
    fixedId?: string,
  ): Promise<CreatedTask> {
    const id =
      fixedId ??
      (body.idempotencyKey
        ? `task-idem-${createHash('sha256').update(body.idempotencyKey).digest('hex').slice(0, 32)}`
        : `task-${randomUUID()}`);
    const idempotent = Boolean(fixedId || body.idempotencyKey);
    const replay = () => replayIdempotent(id, body, fixedId ? extras.redriveOf : undefined);
    const built = await toTaskInput(body, id, extras);
    const { fn } = built;
    let admitted;
    try {
      admitted = await admitUnderBudget(options.budgets, built.input, built.start, log);
    } catch (err) {
      // A retried submission of a task that was admitted before the budget ran out gets its task, not a 402.
      if (err instanceof BudgetExceededError && idempotent) {
        const replayed = await replay().catch(() => undefined);
        if (replayed) return replayed;
      }
      throw err;
    }
    const { start, note } = admitted;
    const offloaded = options.payloads ? await options.payloads.offload(admitted.input) : admitted.input;
    if (offloaded.debounce) {
      const debounced = await options.debounce.join(offloaded, body);
      if (debounced) return { ...debounced, links: links(debounced.id) };
    }
    // Placed after the offload: a payload moved to the object store is priced as the object it now is.
    const input = options.placement ? await options.placement.place(offloaded) : offloaded;
    try {
      await startWorkflow(input, start, requestHash(body));
    } catch (err) {
      if (input.debounce) await options.debounce.abandon(input);
      // A duplicate's placement is given back too: the task already under this id placed itself, and a running
      // local attempt of it holds its slot again on its next heartbeat.
      await options.placement?.abandon(input);
      if (err instanceof WorkflowExecutionAlreadyStartedError && idempotent) return replay();
      throw err;
    }
    recordQueued(input);
    await commitEstimate(options.budgets, input, fn, options.prices, log);
    return { ...created(input, fn), ...(note ? { budget: note } : {}) };
  }

  /**
   * A closed task's final state is in its close event (the result, or the details of its failure): reading it needs
   * no worker, where a query makes one replay the whole history.
   */
  async function closedState(handle: WorkflowHandle): Promise<TaskState | undefined> {
    try {
      return await withTimeout(handle.result() as Promise<TaskState>, 5_000);
    } catch (err) {
      const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
      if (!(cause instanceof ApplicationFailure)) return undefined;
      const details = cause.details?.[0] as { state?: TaskState } | undefined;
      return details?.state;
    }
  }

  /** The input a task was started with: the first event of its history, read alone. */
  async function startInput(id: string): Promise<TaskInput | undefined> {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: config.temporal.namespace,
      execution: { workflowId: id },
      maximumPageSize: 1,
    });
    const payload = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    return payload ? client.options.loadedDataConverter.payloadConverter.fromPayload<TaskInput>(payload) : undefined;
  }

  /** What a task that has not run a line of its workflow yet (a start delay) is: its input, QUEUED. */
  async function notStartedState(id: string): Promise<TaskState | undefined> {
    const input = await startInput(id).catch((err: Error) => {
      log(`the input of ${id} could not be read: ${err.message}`);
      return undefined;
    });
    if (!input) return undefined;
    return queuedState({ ...input, id });
  }

  /**
   * A task's status and the pipeline execution it is a step of, from one describe: what a redrive checks, without
   * the query or the history read that the whole view needs.
   */
  async function describeTask(id: string): Promise<{ status: TaskStatus; pipelineExecution?: string }> {
    checkId(id);
    const description = await client.workflow.getHandle(id).describe();
    if (description.type !== TASK_WORKFLOW_TYPE) throw Errors.taskNotFound(`no task with id "${id}"`);
    const pipelineExecution = description.typedSearchAttributes.get(PIPELINE_EXECUTION_KEY);
    return { status: statusFromExecution(description), ...(pipelineExecution ? { pipelineExecution } : {}) };
  }

  async function getTask(id: string): Promise<TaskView> {
    checkId(id);
    const handle = client.workflow.getHandle(id);
    const description = await handle.describe();
    if (description.type !== TASK_WORKFLOW_TYPE) throw Errors.taskNotFound(`no task with id "${id}"`);
    const status = statusFromExecution(description);
    let state: TaskState | undefined;
    // A task with a start delay has not run a line of its workflow yet: a query would wait for its start.
    const delayedUntil = description.executionTime;
    if (description.status.name !== 'RUNNING') state = await closedState(handle);
    const notStarted = description.status.name === 'RUNNING' && delayedUntil && delayedUntil.getTime() > Date.now();
    if (!state && notStarted) state = await notStartedState(id);
    if (!state && !notStarted) {
      try {
        // A query needs a worker; without one, the task is still shown from visibility.
        state = await withTimeout(handle.query<TaskState>(STATUS_QUERY), 5_000);
      } catch (err) {
        log(`status query for ${id} failed, answering from visibility: ${(err as Error).message}`);
      }
    }
    const sa = description.typedSearchAttributes;
    const base: TaskState = state ?? {
      id,
      name: sa.get(TASK_NAME_KEY) ?? id,
      type: sa.get(TASK_TYPE_KEY) ?? 'unknown',
      // The mode the task asked for (RequestedMode); ExecutionMode holds where it runs.
      executionMode:
        ((sa.get(REQUESTED_MODE_KEY) ?? sa.get(EXECUTION_MODE_KEY)) as ExecutionMode | undefined) ?? 'LOCAL',
      functionName: '',
      status,
      attempts: [],
      submittedAt: description.startTime.toISOString(),
    };
    const finishedAt = base.finishedAt ?? description.closeTime?.toISOString();
    const durationMs = taskDurationMs(base.startedAt, finishedAt);
    const fn = await functionOf(base);
    const pending = description.raw.pendingActivities?.[0];
    const attemptPaused = pending?.paused === true ? true : undefined;
    const attempts = withRunningAttempt(base, pending);
    const attemptCount = Math.max(attempts.length, ...attempts.map((a) => a.attempt));
    return {
      ...base,
      attempts,
      // A terminated or timed-out run never got to update its own state; Temporal's word wins.
      status: description.status.name === 'RUNNING' ? base.status : status,
      temporalStatus: description.status.name,
      finishedAt,
      durationMs,
      attemptCount,
      costEstimate: base.executionMode === 'LOCAL' ? undefined : estimateFor(fn),
      costComparison: compareCosts(base, fn),
      attemptPaused,
      resultObject: objectRefOf(base.result),
      links: links(id),
    };
  }

  /** A completed task's result as JSON text: the stored object for a result too large to return, else the value. */
  async function getResult(id: string): Promise<Uint8Array | string> {
    checkId(id);
    const handle = client.workflow.getHandle(id);
    // Only a closed task has a result, and its state is in its close event: no query, no function lookup, no view.
    const description = await handle.describe();
    if (description.type !== TASK_WORKFLOW_TYPE) throw Errors.taskNotFound(`no task with id "${id}"`);
    const status = statusFromExecution(description);
    const state = description.status.name === 'COMPLETED' ? await closedState(handle) : undefined;
    if (!state || state.status !== 'COMPLETED') {
      throw Errors.taskResultNotReady(`task "${id}" is ${status}; only a COMPLETED task has a result`);
    }
    const ref = objectRefOf(state.result);
    if (!ref) return JSON.stringify(state.result ?? null);
    if (!options.objects) {
      throw Errors.objectStoreUnavailable(
        `the result is in the object store (s3://${ref.bucket}/${ref.key}), which this API has no access to: ` +
          'set SPILLWAY_S3_ENDPOINT (or SPILLWAY_S3_AWS=true) for the API as for the worker',
      );
    }
    return options.objects.get(ref.region, ref.key);
  }

  async function listTasks(query: ListQuery) {
    const clauses = [`WorkflowType = '${TASK_WORKFLOW_TYPE}'`];
    // Filter values are schema-checked (enums and a strict name pattern), so they are safe inside the query.
    if (query.status) clauses.push(`${SEARCH_ATTRIBUTES.taskStatus} = '${query.status}'`);
    // The mode the task asked for, as each listed task shows it (an AUTO task stays AUTO wherever it was placed).
    if (query.mode) clauses.push(`${SEARCH_ATTRIBUTES.requestedMode} = '${query.mode}'`);
    if (query.type) clauses.push(`${SEARCH_ATTRIBUTES.taskType} = '${query.type}'`);
    let nextPageToken: Uint8Array | undefined;
    if (query.cursor) {
      nextPageToken = Buffer.from(query.cursor, 'base64url');
      if (nextPageToken.length === 0) throw Errors.invalidCursor('the cursor is not valid');
    }
    let response;
    try {
      response = await client.workflowService.listWorkflowExecutions({
        namespace: config.temporal.namespace,
        pageSize: query.limit ? Number(query.limit) : 50,
        nextPageToken,
        query: clauses.join(' AND '),
      });
    } catch (err) {
      // A page token Temporal cannot decode fails as UNKNOWN, INVALID_ARGUMENT or INTERNAL, depending on the store.
      const code = (err as { code?: number }).code;
      if (query.cursor && (code === 2 || code === 3 || code === 13)) {
        throw Errors.invalidCursor('the cursor is not valid');
      }
      throw err;
    }
    const tasks = await Promise.all(
      response.executions.map(async (raw) => {
        const info = fromVisibility(raw);
        const sa = info.typedSearchAttributes;
        return {
          id: info.workflowId,
          name: sa.get(TASK_NAME_KEY),
          type: sa.get(TASK_TYPE_KEY),
          // The mode the task asked for, beside where it runs: an AUTO task is listed as AUTO, placed LOCAL or LAMBDA.
          executionMode: sa.get(REQUESTED_MODE_KEY) ?? sa.get(EXECUTION_MODE_KEY),
          placement: sa.get(EXECUTION_MODE_KEY),
          placementReason: sa.get(PLACEMENT_KEY),
          status: statusFromExecution(info),
          temporalStatus: info.status.name,
          startedAt: info.startTime.toISOString(),
          finishedAt: info.closeTime?.toISOString(),
          durationMs: info.closeTime ? info.closeTime.getTime() - info.startTime.getTime() : undefined,
        };
      }),
    );
    const token = response.nextPageToken;
    return { tasks, nextCursor: token && token.length > 0 ? Buffer.from(token).toString('base64url') : null };
  }

  async function cancelTask(id: string) {
    checkId(id);
    const handle = client.workflow.getHandle(id);
    const description = await handle.describe();
    if (description.type !== TASK_WORKFLOW_TYPE) throw Errors.taskNotFound(`no task with id "${id}"`);
    if (description.status.name !== 'RUNNING') {
      throw Errors.taskNotCancellable(`task "${id}" has already ended (${statusFromExecution(description)})`);
    }
    await handle.cancel();
    return { id, cancelRequested: true, status: statusFromExecution(description), links: links(id) };
  }

  async function countByStatus() {
    const base = `WorkflowType = '${TASK_WORKFLOW_TYPE}'`;
    const count = async (clause?: string) =>
      (await client.workflow.count(clause ? `${base} AND ${clause}` : base)).count;
    const [created, queued, running, completed, failedOrExpired, cancelled, expired] = await Promise.all([
      count(),
      count(`${SEARCH_ATTRIBUTES.taskStatus} = 'QUEUED' AND ExecutionStatus = 'Running'`),
      count(`${SEARCH_ATTRIBUTES.taskStatus} = 'RUNNING' AND ExecutionStatus = 'Running'`),
      count(`ExecutionStatus = 'Completed'`),
      count(`ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated')`),
      count(`ExecutionStatus = 'Canceled'`),
      count(`ExecutionStatus = 'Failed' AND ${SEARCH_ATTRIBUTES.taskStatus} = 'EXPIRED'`),
    ]);
    return { created, queued, running, completed, failed: failedOrExpired - expired, cancelled, expired };
  }

  return {
    createTask,
    getTask,
    describeTask,
    getResult,
    listTasks,
    cancelTask,
    countByStatus,
    checkId,
    toTaskInput,
    startWorkflow,
    startInput,
    recordQueued,
    created,
  };
}

export type TaskService = ReturnType<typeof createTaskService>;
