// The API's shapes as the dashboard reads them. Most come from the typed client (client/), generated from the API's
// OpenAPI document; the statistics are read defensively, field by field, as their schema is open-ended.
import type {
  Attempt as ApiAttempt,
  BudgetList,
  DeadLetters,
  BulkResponse as ApiBulkResponse,
  CreatedTask as ApiCreatedTask,
  CreateTaskRequest,
  ErrorBody,
  Task,
  TaskError as ApiTaskError,
  TaskLinks as ApiTaskLinks,
  TaskList as ApiTaskList,
  TaskSummary as ApiTaskSummary,
  FunctionList as ApiFunctionList,
  WarmPoolResult,
} from '../../client';
import type { operations } from '../../client/schema';
import { FINAL_STATUSES } from '../../domain/task-model';
import type { WarmingLedger } from '../../live/warming-stats';
/** The live stream's budget warning, as live/budget-book.ts appends it. */
export type { BudgetEvent } from '../../live/budget-book';
/** One function's warming: what the warm pool spent and what it saved real tasks (live/warming-stats.ts). */
export type { WarmingLedger };

// The task model's statuses and modes, from domain/task-model.ts itself (a pure module: its constants are bundled,
// its type imports vanish), so a status the workflow gains (EXPIRED did) reaches the filters and badges at once.
export type { ExecutionMode, Placement, TaskStatus } from '../../domain/task-model';
export { EXECUTION_MODES, FINAL_STATUSES, TASK_STATUSES } from '../../domain/task-model';

/** A status that changes no more; takes any string, as the live feed and the task list carry plain strings. */
export function isFinalStatus(status: string | undefined): boolean {
  return (FINAL_STATUSES as readonly (string | undefined)[]).includes(status);
}

// The transition event of the live feed, as the projection writes it (the dashboard's own copy had drifted).
export type { TransitionEvent } from '../../client';

export interface PerPlacement<T> {
  LOCAL?: T;
  LAMBDA?: T;
}

export interface LatencySummary {
  count?: number;
  p50?: number | null;
  p95?: number | null;
  p99?: number | null;
}

export interface SeriesBucket {
  t: number;
  completed?: PerPlacement<number>;
  failed?: number;
  p95Ms?: PerPlacement<number | null>;
}

export interface TaskStats {
  source?: string;
  generatedAt?: string;
  totals?: Partial<Record<'created' | 'queued' | 'running' | 'completed' | 'failed' | 'cancelled', number>>;
  byPlacement?: PerPlacement<Partial<Record<'running' | 'completed' | 'failed' | 'cancelled', number>>>;
  cost?: { lambdaExecutionUsd?: number; warmingUsd?: number; localUsd?: number; totalUsd?: number };
  executionTimeMs?: PerPlacement<LatencySummary>;
  retries?: { tasksRetried?: number; attemptsHistogram?: Record<string, number> };
  coldStarts?: { cold?: number; warm?: number; ratio?: number | null };
  warmPool?: { warmups?: number; coldStartsMet?: number };
  warming?: { functions?: WarmingLedger[] };
  throughput?: { lastMinute?: number; perSecond?: number };
  autoPlacement?: PerPlacement<number>;
  series?: { bucketSeconds?: number; buckets?: SeriesBucket[] };
}

// The API's shapes, from the client generated from the OpenAPI document: they cannot drift from the routes.

/** A row of GET /api/tasks, or one the dashboard learned of from the live feed or a create call (no Temporal
 * status yet), with what those add. */
export type TaskSummary = Omit<ApiTaskSummary, 'temporalStatus'> & {
  temporalStatus?: string;
  submittedAt?: string;
  costUsd?: number;
  attempts?: number;
};
export type TaskList = Omit<ApiTaskList, 'tasks'> & { tasks: TaskSummary[] };
export type TaskError = ApiTaskError;
export type Attempt = ApiAttempt;
export type TaskLinks = ApiTaskLinks;
export type TaskDetail = Task;
export type CreatedTask = ApiCreatedTask;
export type ApiErrorBody = ErrorBody;
export type BulkResponse = ApiBulkResponse;
export type BulkResult = BulkResponse['results'][number];
export type WarmPoolResponse = WarmPoolResult;
export type FunctionList = ApiFunctionList;
export type CreateTaskBody = CreateTaskRequest;
export type {
  BatchView,
  BudgetList,
  ControlsView,
  DeadLetters,
  RedriveResults,
  RedrivenTask,
  ScheduleList,
  ScheduleView,
  ScopePauseResult,
  TaskPauseResult,
} from '../../client';
export type Budget = BudgetList['budgets'][number];
export type DeadLetterGroup = DeadLetters['groups'][number];
/** A recorded placement decision; a predictive AUTO one carries every target's estimate, the runner-up and margin. */
export type PlacementDecision = NonNullable<Task['placement']>;
export type TargetEstimate = NonNullable<PlacementDecision['estimates']>[number];

// POST /api/placement/simulate, from the generated document (client/index.ts names no alias for it).
type SimulateOperation = operations['simulatePlacement'];
export type SimulateRequest = SimulateOperation['requestBody']['content']['application/json'];
export type SimulateResult = SimulateOperation['responses'][200]['content']['application/json'];
export type SimulationSummary = SimulateResult['results'][number];
export type SimulatedPolicy = NonNullable<SimulateRequest['policies']>[number];
export type AutoObjective = NonNullable<SimulateRequest['objective']>;
