// Dead letters and redrive. A redrive re-runs a task that FAILED, was CANCELLED or EXPIRED, as a new task with the
// same input (re-checked against the function deployed now), optionally in another mode, linked to the one it
// replaces (`redriveOf`, and the label redrive-of:<id>). Batches and dead letters are read from visibility: every
// bulk item carries the label batch:<id>, every failed task error:<type>.
import { createHash } from 'node:crypto';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { SEARCH_ATTRIBUTES, TASK_WORKFLOW_TYPE } from '../../domain/constants';
import {
  labelClause,
  REDRIVE_LABEL,
  TASK_LABELS_KEY,
  TASK_NAME_KEY,
  TASK_STATUS_KEY,
  TASK_TYPE_KEY,
} from '../../domain/search-attributes';
import { taskStatusOf } from '../../domain/task-status';
import type { ExecutionMode, TaskInput, TaskStatus } from '../../domain/task-model';
import { TASK_STATUSES } from '../../domain/task-model';
import { errorBody, Errors, toSpillwayError } from '../errors';
import type { CreateTaskBody } from '../schemas/task-schemas';
import type { ObjectStore } from '../../clients/object-store';
import { objectRefOf } from '../../domain/object-ref';
import type { TaskService } from './task-service';

/** Statuses a redrive re-runs. */
export const REDRIVABLE: readonly TaskStatus[] = ['FAILED', 'CANCELLED', 'EXPIRED'];
const BATCH_LIST_LIMIT = 20_000;
const DEAD_LETTER_LIMIT = 5_000;

interface Listed {
  id: string;
  name: string;
  type: string;
  status: TaskStatus;
  labels: string[];
  closedAt?: string;
}

function label(labels: string[], facet: string): string | undefined {
  return labels.find((l) => l.startsWith(`${facet}:`))?.slice(facet.length + 1);
}

function listed(info: WorkflowExecutionInfo): Listed {
  const sa = info.typedSearchAttributes;
  return {
    id: info.workflowId,
    name: sa.get(TASK_NAME_KEY) ?? info.workflowId,
    type: sa.get(TASK_TYPE_KEY) ?? 'unknown',
    status: taskStatusOf(info.status.name, sa.get(TASK_STATUS_KEY)),
    labels: sa.get(TASK_LABELS_KEY) ?? [],
    closedAt: info.closeTime?.toISOString(),
  };
}

/**
 * The submission that would start the same task again: the inverse of the API's normalisation, keeping every field
 * of the original request that still means something (its region rules above all, so a redrive cannot break
 * residency). Left out: the idempotencyKey (a redrive is a new task, idempotent by its own id), a debounce window,
 * a start time and an expiry, which belonged to the first submission's moment.
 */
export function bodyFrom(
  input: TaskInput,
  executionMode?: ExecutionMode,
  payload: unknown = input.payload,
): CreateTaskBody {
  const { delaysMs, ...retry } = input.retry;
  return {
    name: input.name,
    type: input.type,
    executionMode: executionMode ?? input.executionMode,
    functionName: input.functionQualifier ? `${input.functionName}:${input.functionQualifier}` : input.functionName,
    payload: (payload ?? {}) as Record<string, unknown>,
    retry: delaysMs ? { ...retry, maximumAttempts: undefined, delays: delaysMs.map((ms) => `${ms}ms`) } : retry,
    timeoutSeconds: input.timeoutSeconds,
    ...(input.invocation ? { invocation: input.invocation } : {}),
    ...(input.priority !== undefined ? { priority: input.priority } : {}),
    ...(input.fairness ? { fairness: input.fairness } : {}),
    ...(input.concurrency ? { concurrency: input.concurrency } : {}),
    ...(input.rateLimit ? { rateLimit: rateBody(input.rateLimit) } : {}),
    ...(input.region !== undefined ? { region: input.region } : {}),
    ...(input.allowedRegions !== undefined ? { allowedRegions: input.allowedRegions } : {}),
    ...(input.dataRegion !== undefined ? { dataRegion: input.dataRegion } : {}),
    ...(input.deadlineMs !== undefined ? { deadlineMs: input.deadlineMs } : {}),
  };
}

/** A normalised rate as the body gives it: per minute when its period is whole minutes, else per second. */
export function rateBody(rate: { key: string; limit: number; periodMs: number }): CreateTaskBody['rateLimit'] {
  return rate.periodMs % 60_000 === 0
    ? { key: rate.key, perMinute: (rate.limit * 60_000) / rate.periodMs }
    : { key: rate.key, perSecond: (rate.limit * 1000) / rate.periodMs };
}

/**
 * The id of the task that redrives `id`: one per task, so two redrives of it at once start one task (the second is
 * answered like a repeated idempotencyKey). A redrive's redrive counts on: `task-x` → `task-x.r1` → `task-x.r2`.
 */
export function redriveId(id: string): string {
  const match = /^(.*)\.r([0-9]+)$/.exec(id);
  const next = match ? `${match[1]}.r${Number(match[2]) + 1}` : `${id}.r1`;
  if (next.length <= 128) return next;
  // Too long for a task id: a digest of the chain's root keeps it unique and the count readable.
  const root = match ? (match[1] as string) : id;
  const count = match ? Number(match[2]) + 1 : 1;
  return `task-r-${createHash('sha256').update(root).digest('hex').slice(0, 40)}.r${count}`;
}

export function createRedriveService(deps: { client: Client; tasks: TaskService; store?: ObjectStore }) {
  const { client, tasks } = deps;

  /**
   * The payload the task was submitted with. One kept in the object store is read back, so the redrive is checked
   * against the function's schema and stored again like any submission: its reference alone would fail a schema
   * with required fields (the image processor's imageUrl), which the first submission passed.
   */
  async function submittedPayload(input: TaskInput): Promise<unknown> {
    const ref = objectRefOf(input.payload);
    if (!ref || !deps.store) return input.payload;
    return JSON.parse(Buffer.from(await deps.store.get(ref.region, ref.key)).toString('utf8')) as unknown;
  }

  // A pipeline's failed step is not a dead letter: the pipeline's Retry, Catch and redrive own it, and re-running the
  // step as a task of its own would run it outside its execution, which would never see the result.
  const NOT_A_PIPELINE_STEP = `${SEARCH_ATTRIBUTES.pipelineExecution} IS NULL`;

  async function list(query: string, limit: number): Promise<Listed[]> {
    const found: Listed[] = [];
    for await (const info of client.workflow.list({ query: `WorkflowType = '${TASK_WORKFLOW_TYPE}' AND ${query}` })) {
      found.push(listed(info));
      if (found.length >= limit) break;
    }
    return found;
  }

  /** The tasks that some redrive has already re-run. */
  async function redrivenIds(): Promise<Set<string>> {
    const redrives = await list(`${SEARCH_ATTRIBUTES.labels} = '${REDRIVE_LABEL}'`, DEAD_LETTER_LIMIT);
    return new Set(redrives.map((t) => label(t.labels, 'redrive-of')).filter((id): id is string => Boolean(id)));
  }

  async function originalInput(id: string): Promise<TaskInput> {
    const input = await tasks.startInput(id);
    if (!input) throw Errors.taskNotFound(`task "${id}" has no recorded input`);
    return input;
  }

  async function redriveTask(id: string, executionMode?: ExecutionMode) {
    tasks.checkId(id);
    const view = await tasks.describeTask(id);
    const execution = view.pipelineExecution;
    if (execution) {
      // Run as a task of its own, the step would run outside the execution that waits for its result.
      throw Errors.redrivePipelineStep(
        `task "${id}" is a step of pipeline execution "${execution}"; redrive the execution instead`,
      );
    }
    if (!REDRIVABLE.includes(view.status)) {
      throw Errors.redriveNotAllowed(
        `task "${id}" is ${view.status}; only ${REDRIVABLE.join(', ')} tasks are redriven`,
      );
    }
    const input = await originalInput(id);
    const created = await tasks.createTask(
      bodyFrom(input, executionMode, await submittedPayload(input)),
      { batchId: input.batchId, redriveOf: id },
      redriveId(id),
    );
    return { ...created, redriveOf: id };
  }

  /** The latest task of each item of the batch: an item is an original task and the chain of its redrives. */
  async function batchItems(batchId: string) {
    const all = await list(labelClause('batch', batchId), BATCH_LIST_LIMIT);
    if (all.length === 0) throw Errors.batchNotFound(`no batch with id "${batchId}"`);
    const byId = new Map(all.map((t) => [t.id, t]));
    const redriveOfChild = new Map<string, Listed>();
    for (const t of all) {
      const parent = label(t.labels, 'redrive-of');
      if (parent) redriveOfChild.set(parent, t);
    }
    const originals = all.filter(
      (t) => !label(t.labels, 'redrive-of') || !byId.has(label(t.labels, 'redrive-of') as string),
    );
    return originals.map((original) => {
      let latest = original;
      for (let next = redriveOfChild.get(latest.id); next; next = redriveOfChild.get(latest.id)) latest = next;
      return { original, latest };
    });
  }

  async function batch(batchId: string) {
    const items = await batchItems(batchId);
    const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
    for (const { latest } of items) counts[latest.status]++;
    return {
      id: batchId,
      total: items.length,
      counts,
      redriven: items.filter((i) => i.latest.id !== i.original.id).length,
      items: items
        .slice(0, 1000)
        .map(({ original, latest }) => ({ id: original.id, latestId: latest.id, status: latest.status })),
    };
  }

  async function redriveMany(ids: string[], executionMode?: ExecutionMode) {
    const results = [];
    for (const id of ids) {
      try {
        const task = await redriveTask(id, executionMode);
        results.push({ id, ok: true, statusCode: task.idempotentReplay ? 200 : 201, task });
      } catch (err) {
        const error = toSpillwayError(err);
        results.push({ id, ok: false, statusCode: error.statusCode, error: errorBody(error) });
      }
    }
    return { redriven: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, results };
  }

  async function redriveBatch(batchId: string, executionMode?: ExecutionMode) {
    const items = await batchItems(batchId);
    const failed = items.filter((i) => REDRIVABLE.includes(i.latest.status)).map((i) => i.latest.id);
    return { batchId, ...(await redriveMany(failed, executionMode)) };
  }

  /** Failed tasks not yet redriven, grouped by type and error type, with a few examples and their last error. */
  async function deadLetters() {
    const failed = await list(
      `(ExecutionStatus IN ('Failed', 'Canceled', 'TimedOut', 'Terminated')) AND ${NOT_A_PIPELINE_STEP}`,
      DEAD_LETTER_LIMIT,
    );
    const redriven = await redrivenIds();
    const groups = new Map<string, { type: string; errorType: string; ids: string[]; tasks: Listed[] }>();
    for (const t of failed) {
      if (redriven.has(t.id) || !REDRIVABLE.includes(t.status)) continue;
      const errorType = label(t.labels, 'error') ?? (t.status === 'CANCELLED' ? 'CancelledError' : 'Unknown');
      const key = `${t.type}\u0000${errorType}`;
      const group = groups.get(key) ?? { type: t.type, errorType, ids: [], tasks: [] };
      group.ids.push(t.id);
      group.tasks.push(t);
      groups.set(key, group);
    }
    const lastError = async (id: string) =>
      client.workflow
        .getHandle(id)
        .result()
        .then(
          () => undefined,
          (err: unknown) => (err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : String(err)),
        );
    return {
      groups: await Promise.all(
        [...groups.values()]
          .sort((a, b) => b.ids.length - a.ids.length)
          .map(async (g) => ({
            type: g.type,
            errorType: g.errorType,
            count: g.ids.length,
            examples: await Promise.all(
              g.tasks.slice(0, 5).map(async (t) => ({
                id: t.id,
                name: t.name,
                status: t.status,
                finishedAt: t.closedAt,
                lastError: await lastError(t.id),
              })),
            ),
          })),
      ),
    };
  }

  async function redriveDeadLetters(type: string, errorType: string, executionMode?: ExecutionMode) {
    const { groups } = await deadLetters();
    const group = groups.find((g) => g.type === type && g.errorType === errorType);
    if (!group) return { redriven: 0, failed: 0, results: [] };
    const ids = (
      await list(
        `${SEARCH_ATTRIBUTES.taskType} = '${type.replace(/'/g, '')}' AND ${labelClause('error', errorType)} AND ${NOT_A_PIPELINE_STEP}`,
        DEAD_LETTER_LIMIT,
      )
    )
      .filter((t) => REDRIVABLE.includes(t.status))
      .map((t) => t.id);
    const known = await redrivenIds();
    return redriveMany(
      ids.filter((id) => !known.has(id)),
      executionMode,
    );
  }

  return { redriveTask, batch, redriveBatch, deadLetters, redriveDeadLetters, originalInput };
}

export type RedriveService = ReturnType<typeof createRedriveService>;
