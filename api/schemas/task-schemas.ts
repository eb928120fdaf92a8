// Request and response schemas of the task routes. The create body is the seed's body plus optional fields.
import { ObjectRefSchema } from '../../domain/object-ref';
import { BudgetNote } from './budget-schemas';
import { TenantStatsSchema } from '../../live/stats-reader';
import { Type, type Static } from '@sinclair/typebox';
import { FUNCTION_REF_PATTERN, TASK_TYPE_PATTERN } from '../../domain/function-manifest';
import { REGION_PATTERN } from '../../domain/region-model';
import { EXECUTION_MODES } from '../../domain/task-model';
import { PlacementDecisionSchema, TaskStateSchema, TaskStatusSchema } from '../../domain/task-state';
import {
  ConcurrencyOption,
  DebounceOption,
  DURATION_PATTERN,
  FairnessOption,
  PriorityOption,
  RateLimitOption,
} from '../../domain/task-options';

// The task status is declared with the task's state (domain/task-state.ts); the list query filters by it.
export { TaskStatusSchema };

export const RetryBody = Type.Object(
  {
    maximumAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    initialIntervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
    backoffCoefficient: Type.Optional(Type.Number({ minimum: 1, maximum: 10 })),
    maximumIntervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
    delays: Type.Optional(
      Type.Array(Type.String({ pattern: DURATION_PATTERN }), {
        minItems: 1,
        maxItems: 99,
        description:
          'An explicit schedule instead of the exponential one: the wait before attempt 2, 3, … ("20s", "5m")',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CreateTaskBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.String({ minLength: 1, maxLength: 64, pattern: TASK_TYPE_PATTERN }),
    executionMode: Type.Union(EXECUTION_MODES.map((m) => Type.Literal(m))),
    functionName: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 194,
        pattern: FUNCTION_REF_PATTERN,
        description: 'A deployed function, optionally pinned to a version or alias: name, name:3, name:prod',
      }),
    ),
    payload: Type.Optional(Type.Object({}, { additionalProperties: true })),
    retry: Type.Optional(RetryBody),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' })),
    invocation: Type.Optional(Type.Union([Type.Literal('async'), Type.Literal('sync')])),
    priority: Type.Optional(PriorityOption),
    fairness: Type.Optional(FairnessOption),
    concurrency: Type.Optional(ConcurrencyOption),
    rateLimit: Type.Optional(RateLimitOption),
    delaySeconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 31_536_000, description: "Temporal's start delay" }),
    ),
    startAt: Type.Optional(Type.String({ format: 'date-time', description: 'Start no earlier than this (ISO 8601)' })),
    expiresAt: Type.Optional(
      Type.String({ format: 'date-time', description: 'A task not started by then ends EXPIRED and never runs' }),
    ),
    debounce: Type.Optional(DebounceOption),
    region: Type.Optional(
      Type.String({
        pattern: REGION_PATTERN,
        description: "Pin: the task runs in this region (the local one or a Lambda target's) or is refused",
      }),
    ),
    allowedRegions: Type.Optional(
      Type.Array(Type.String({ pattern: REGION_PATTERN }), {
        minItems: 1,
        maxItems: 32,
        uniqueItems: true,
        description: 'Residency: the regions the task may run in; placement never puts it elsewhere',
      }),
    ),
    dataRegion: Type.Optional(
      Type.String({
        pattern: REGION_PATTERN,
        description: 'Where the input lives: running elsewhere adds inter-region transfer to the cost',
      }),
    ),
    deadlineMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 86_400_000,
        description: 'A latency SLO for predictive AUTO: targets expected to finish within it are preferred',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateTaskBody = Static<typeof CreateTaskBody>;

export const BulkBody = Type.Object(
  { tasks: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);

export const TaskLinks = Type.Object({ self: Type.String(), cancel: Type.String(), temporalUi: Type.String() });
export type TaskLinks = Static<typeof TaskLinks>;

/**
 * GET /api/tasks/:id: the task's state as the workflow reports it (domain/task-state.ts), less what is internal to
 * the workflow, plus what the API adds: Temporal's own status, the attempt count, durations, costs and links.
 */
export const TaskResponse = Type.Composite(
  [
    Type.Omit(TaskStateSchema, ['placement', 'timeoutSeconds', 'attemptOffset']),
    Type.Object({
      temporalStatus: Type.Optional(Type.String()),
      placement: Type.Optional(Type.Omit(PlacementDecisionSchema, ['fallbackToLocalOnThrottle'])),
      /** Where the result is kept when it was too large to return; GET /api/tasks/:id/result downloads it. */
      resultObject: Type.Optional(ObjectRefSchema),
      attemptCount: Type.Integer(),
      durationMs: Type.Optional(Type.Number()),
      costEstimate: Type.Optional(Type.Unknown()),
      costComparison: Type.Optional(Type.Unknown()),
      retry: Type.Optional(Type.Unknown()),
      /** Temporal holds the pending attempt until the task is resumed (PauseActivity). */
      attemptPaused: Type.Optional(Type.Boolean()),
      links: TaskLinks,
    }),
  ],
  { $id: 'Task' },
);

export const CreatedTaskResponse = Type.Object({
  id: Type.String(),
  status: TaskStatusSchema,
  name: Type.String(),
  type: Type.String(),
  executionMode: Type.String(),
  functionName: Type.String(),
  functionQualifier: Type.Optional(Type.String()),
  submittedAt: Type.String(),
  idempotencyKey: Type.Optional(Type.String()),
  idempotentReplay: Type.Boolean(),
  debounced: Type.Optional(Type.Boolean({ description: 'The submission joined the task of an open debounce window' })),
  costEstimate: Type.Optional(Type.Unknown()),
  budget: Type.Optional(BudgetNote),
  links: TaskLinks,
});

export const BulkResponse = Type.Object({
  batchId: Type.String({ description: 'GET /api/batches/:id follows the batch; POST …/redrive re-runs its failures' }),
  links: Type.Object({ batch: Type.String() }),
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  results: Type.Array(
    Type.Object({
      index: Type.Integer(),
      ok: Type.Boolean(),
      statusCode: Type.Integer(),
      task: Type.Optional(CreatedTaskResponse),
      error: Type.Optional(
        Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() }),
      ),
    }),
  ),
});

export const ListQuery = Type.Object(
  {
    status: Type.Optional(TaskStatusSchema),
    mode: Type.Optional(
      Type.Union(
        ['LOCAL', 'LAMBDA', 'AUTO'].map((m) => Type.Literal(m)),
        { description: 'the mode the task asked for (an AUTO task is AUTO wherever it was placed)' },
      ),
    ),
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: TASK_TYPE_PATTERN })),
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|[1-4][0-9][0-9]|500)$' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const TaskSummary = Type.Object({
  id: Type.String(),
  name: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  executionMode: Type.Optional(Type.String()),
  placement: Type.Optional(Type.String()),
  placementReason: Type.Optional(Type.String()),
  status: Type.String(),
  temporalStatus: Type.String(),
  startedAt: Type.Optional(Type.String()),
  finishedAt: Type.Optional(Type.String()),
  durationMs: Type.Optional(Type.Number()),
});

export const ListResponse = Type.Object({
  tasks: Type.Array(TaskSummary),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const StatsResponse = Type.Object(
  {
    source: Type.String(),
    totals: Type.Object({
      created: Type.Integer(),
      queued: Type.Integer(),
      running: Type.Integer(),
      completed: Type.Integer(),
      failed: Type.Integer(),
      cancelled: Type.Integer(),
      expired: Type.Integer({ description: 'Tasks not started by their expiresAt' }),
    }),
    byTenant: Type.Optional(
      Type.Record(Type.String(), TenantStatsSchema, {
        description: 'Per tenant (the fairness key): its tasks by status and their cost; from the live projection',
      }),
    ),
  },
  { additionalProperties: true },
);
