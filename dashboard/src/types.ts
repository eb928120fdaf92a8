// The API's shapes as the dashboard reads them. Everything the backend may still be building is optional.

export type TaskStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export type Placement = 'LOCAL' | 'LAMBDA';
export type ExecutionMode = 'LOCAL' | 'LAMBDA' | 'AUTO';

export const TASK_STATUSES: readonly TaskStatus[] = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
export const EXECUTION_MODES: readonly ExecutionMode[] = ['LOCAL', 'LAMBDA', 'AUTO'];
export const TASK_TYPES = ['noop', 'image-processing', 'report-generation', 'data-aggregation', 'flaky'] as const;
export const FINAL_STATUSES: readonly string[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export interface TransitionEvent {
  taskId: string;
  status: TaskStatus;
  type: string;
  name: string;
  executionMode: string;
  placement?: Placement;
  placementReason?: string;
  attempts?: number;
  durationMs?: number;
  costUsd?: number;
  error?: string;
  at: string;
}

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
  throughput?: { lastMinute?: number; perSecond?: number };
  autoPlacement?: PerPlacement<number>;
  series?: { bucketSeconds?: number; buckets?: SeriesBucket[] };
}

export interface TaskSummary {
  id: string;
  name?: string;
  type?: string;
  executionMode?: string;
  placement?: string;
  placementReason?: string;
  status: string;
  temporalStatus?: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  /** Set on rows the dashboard learned of from the live feed or a create call, not from a list. */
  submittedAt?: string;
  costUsd?: number;
  attempts?: number;
}

export interface TaskList {
  tasks: TaskSummary[];
  nextCursor: string | null;
}

export interface TaskError {
  type: string;
  message: string;
  nonRetryable: boolean;
}

export interface Attempt {
  attempt: number;
  placement: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  outcome: 'running' | 'succeeded' | 'failed' | string;
  error?: TaskError;
  backoffMs?: number;
  coldStart?: boolean;
  initDurationMs?: number;
  billedDurationMs?: number;
  memoryMB?: number;
  maxMemoryUsedMB?: number;
  cpuTimeMs?: number;
  costUsd?: number;
}

export interface TaskLinks {
  self: string;
  cancel: string;
  temporalUi: string;
}

export interface TaskDetail {
  id: string;
  name: string;
  type: string;
  executionMode: string;
  functionName: string;
  status: TaskStatus;
  temporalStatus?: string;
  placement?: { placement: string; reason: string; inputs?: unknown };
  attempts: Attempt[];
  attemptCount: number;
  submittedAt: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  result?: unknown;
  error?: TaskError;
  costUsd?: number;
  costEstimate?: unknown;
  links: TaskLinks;
}

export interface CreatedTask {
  id: string;
  status: TaskStatus;
  name: string;
  type: string;
  executionMode: string;
  functionName: string;
  submittedAt: string;
}

export interface ApiErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
}

export interface BulkResult {
  index: number;
  ok: boolean;
  statusCode: number;
  task?: CreatedTask;
  error?: ApiErrorBody;
}

export interface BulkResponse {
  accepted: number;
  rejected: number;
  results: BulkResult[];
}

export interface WarmPoolResponse {
  functions: {
    name: string;
    requested?: number;
    warmed?: number;
    coldStarts?: number;
    durationMs?: number;
    costUsd?: number;
    errors?: string[];
  }[];
  totalCostUsd?: number;
}

export interface CreateTaskBody {
  name: string;
  type: string;
  executionMode: ExecutionMode;
  payload?: Record<string, unknown>;
  retry?: { maximumAttempts?: number; initialIntervalMs?: number; backoffCoefficient?: number };
}
