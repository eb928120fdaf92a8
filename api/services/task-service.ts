// Everything the task routes do, against Temporal. Temporal is the record: ids are workflow ids, status comes from
// the workflow's `status` query, and lists and counts come from visibility.
import { createHash, randomUUID } from 'node:crypto';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { TASK_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE, SEARCH_ATTRIBUTES, STATUS_QUERY } from '../../domain/constants';
import type { FunctionDirectory } from '../../clients/function-directory';
import type { DeployedFunction } from '../../domain/deployed-function';
import { parseFunctionRef } from '../../domain/function-manifest';
import {
  EXECUTION_MODE_KEY,
  PLACEMENT_KEY,
  REQUESTED_MODE_KEY,
  TASK_NAME_KEY,
  TASK_STATUS_KEY,
  TASK_TYPE_KEY,
} from '../../domain/search-attributes';
import type { SpillwayConfig } from '../../domain/config';
import { estimateCosts, lambdaCost, localCost, type CostEstimate, type PriceTable } from '../../domain/cost-model';
import { taskStatusOf } from '../../domain/task-status';
import { buildTaskInput, TaskInputError } from '../../domain/task-input';
import { taskDurationMs } from '../../domain/task-model';
import type { ExecutionMode, TaskInput, TaskState, TaskStatus } from '../../domain/task-model';
import type { TaskProjection } from '../../live/task-projection';
import { Errors, taskInputProblem } from '../errors';
import { withTimeout } from '../with-timeout';
import type { CreateTaskBody, ListQuery } from '../schemas/task-schemas';

export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const START_DEADLINE_MS = 5_000;

export interface Links {
  self: string;
  cancel: string;
  temporalUi: string;
}

export interface CreatedTask {
  id: string;
  status: TaskStatus;
  name: string;
  type: string;
  executionMode: string;
  functionName: string;
  functionQualifier?: string;
  submittedAt: string;
  idempotencyKey?: string;
  idempotentReplay: boolean;
  costEstimate?: CostEstimate;
  links: Links;
}

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
  temporalStatus?: string;
  attemptCount: number;
  durationMs?: number;
  retry?: unknown;
  costEstimate?: CostEstimate;
  costComparison?: CostComparison;
  links: Links;
}

export interface TaskServiceOptions {
  client: Client;
  config: SpillwayConfig;
  projection?: TaskProjection;
  prices: PriceTable;
  functions: FunctionDirectory;
  /** Modes this deployment can run; others are refused with SPILLWAY_MODE_NOT_AVAILABLE. */
  availableModes: ReadonlySet<ExecutionMode>;
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

  const links = (id: string): Links => ({
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

  /** Semantic checks that a schema cannot express (domain/task-input.ts); each failure has its own code. */
  async function toTaskInput(body: CreateTaskBody, id: string): Promise<{ input: TaskInput; fn: DeployedFunction }> {
    try {
      return await buildTaskInput(
        { id, ...body },
        { functions: options.functions, config, availableModes: options.availableModes, log },
      );
    } catch (err) {
      if (err instanceof TaskInputError) throw taskInputProblem(err);
      throw err;
    }
  }

  function checkId(id: string): void {
    if (!TASK_ID_PATTERN.test(id)) throw Errors.invalidTaskId(`"${id.slice(0, 64)}" is not a valid task id`);
  }

  async function replayIdempotent(id: string, body: CreateTaskBody): Promise<CreatedTask> {
    const description = await client.workflow.getHandle(id).describe();
    if (description.memo?.requestHash !== requestHash(body)) {
      throw Errors.idempotencyConflict(
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

  async function createTask(body: CreateTaskBody): Promise<CreatedTask> {
    const id = body.idempotencyKey
      ? `task-idem-${createHash('sha256').update(body.idempotencyKey).digest('hex').slice(0, 32)}`
      : `task-${randomUUID()}`;
    const { input, fn } = await toTaskInput(body, id);
    try {
      // Without a deadline the client retries an unreachable server for ~20 s; a caller deserves a quick 503.
      await client.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        client.workflow.start(TASK_WORKFLOW_TYPE, {
          taskQueue: WORKFLOW_TASK_QUEUE,
          workflowId: id,
          args: [input],
          // An idempotency key must stay used after its task ends, so ids are never reused.
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          memo: { requestHash: requestHash(body) },
          typedSearchAttributes: [
            { key: TASK_TYPE_KEY, value: input.type },
            { key: EXECUTION_MODE_KEY, value: input.executionMode },
            { key: REQUESTED_MODE_KEY, value: input.executionMode },
            ...(input.executionMode === 'AUTO'
              ? []
              : [{ key: PLACEMENT_KEY, value: `requested ${input.executionMode}` }]),
            { key: TASK_STATUS_KEY, value: 'QUEUED' },
            { key: TASK_NAME_KEY, value: input.name.slice(0, 200) },
          ],
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError && body.idempotencyKey) return replayIdempotent(id, body);
      throw err;
    }
    if (options.projection) {
      options.projection
        .record({
          taskId: id,
          status: 'QUEUED',
          type: input.type,
          name: input.name,
          executionMode: input.executionMode,
          at: input.submittedAt,
        })
        .catch((err: Error) => log(`live projection unavailable, QUEUED of ${id} not recorded: ${err.message}`));
    }
    return {
      id,
      status: 'QUEUED',
      name: input.name,
      type: input.type,
      executionMode: input.executionMode,
      functionName: input.functionName,
      submittedAt: input.submittedAt,
      idempotencyKey: input.idempotencyKey,
      idempotentReplay: false,
      functionQualifier: input.functionQualifier,
      costEstimate: input.executionMode === 'LOCAL' ? undefined : estimateFor(fn),
      links: links(id),
    };
  }

  async function getTask(id: string): Promise<TaskView> {
    checkId(id);
    const handle = client.workflow.getHandle(id);
    const description = await handle.describe();
    if (description.type !== TASK_WORKFLOW_TYPE) throw Errors.taskNotFound(`no task with id "${id}"`);
    const status = statusFromExecution(description);
    let state: TaskState | undefined;
    try {
      // A query needs a worker; without one, the task is still shown from visibility.
      state = await withTimeout(handle.query<TaskState>(STATUS_QUERY), 5_000);
    } catch (err) {
      log(`status query for ${id} failed, answering from visibility: ${(err as Error).message}`);
    }
    const sa = description.typedSearchAttributes;
    const base: TaskState = state ?? {
      id,
      name: sa.get(TASK_NAME_KEY) ?? id,
      type: sa.get(TASK_TYPE_KEY) ?? 'unknown',
      executionMode: (sa.get(EXECUTION_MODE_KEY) as ExecutionMode | undefined) ?? 'LOCAL',
      functionName: '',
      status,
      attempts: [],
      submittedAt: description.startTime.toISOString(),
    };
    const finishedAt = base.finishedAt ?? description.closeTime?.toISOString();
    const durationMs = taskDurationMs(base.startedAt, finishedAt);
    const fn = await functionOf(base);
    const pending = description.raw.pendingActivities?.[0];
    const attemptCount = Math.max(base.attempts.length, pending?.attempt ?? 0, ...base.attempts.map((a) => a.attempt));
    return {
      ...base,
      // A terminated or timed-out run never got to update its own state; Temporal's word wins.
      status: description.status.name === 'RUNNING' ? base.status : status,
      temporalStatus: description.status.name,
      finishedAt,
      durationMs,
      attemptCount,
      costEstimate: base.executionMode === 'LOCAL' ? undefined : estimateFor(fn),
      costComparison: compareCosts(base, fn),
      links: links(id),
    };
  }

  async function listTasks(query: ListQuery) {
    const clauses = [`WorkflowType = '${TASK_WORKFLOW_TYPE}'`];
    // Filter values are schema-checked (enums and a strict name pattern), so they are safe inside the query.
    if (query.status) clauses.push(`${SEARCH_ATTRIBUTES.taskStatus} = '${query.status}'`);
    if (query.mode) clauses.push(`${SEARCH_ATTRIBUTES.executionMode} = '${query.mode}'`);
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
        const info = await executionInfoFromRaw(
          raw,
          client.options.loadedDataConverter,
          raw,
          config.temporal.namespace,
        );
        const sa = info.typedSearchAttributes;
        return {
          id: info.workflowId,
          name: sa.get(TASK_NAME_KEY),
          type: sa.get(TASK_TYPE_KEY),
          executionMode: sa.get(EXECUTION_MODE_KEY),
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
    const [created, queued, running, completed, failed, cancelled] = await Promise.all([
      count(),
      count(`${SEARCH_ATTRIBUTES.taskStatus} = 'QUEUED' AND ExecutionStatus = 'Running'`),
      count(`${SEARCH_ATTRIBUTES.taskStatus} = 'RUNNING' AND ExecutionStatus = 'Running'`),
      count(`ExecutionStatus = 'Completed'`),
      count(`ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated')`),
      count(`ExecutionStatus = 'Canceled'`),
    ]);
    return { created, queued, running, completed, failed, cancelled };
  }

  return { createTask, getTask, listTasks, cancelTask, countByStatus, checkId, toTaskInput };
}

export type TaskService = ReturnType<typeof createTaskService>;
