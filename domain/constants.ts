// Names that cross process boundaries (task queues, search attributes, schedules) live here and nowhere else.

/** Workflows and the cheap control activities (placement, Lambda invoke) run on this queue. */
export const WORKFLOW_TASK_QUEUE = 'spillway-workflows';
/** Local handler executions run here; the worker's slot count on this queue is the local pool size. */
export const LOCAL_TASK_QUEUE = 'spillway-local';

export const TASK_WORKFLOW_TYPE = 'runTask';
export const WARM_POOL_WORKFLOW_TYPE = 'warmPool';
export const STATUS_QUERY = 'status';
export const ATTEMPT_STARTED_SIGNAL = 'attemptStarted';
export const ATTEMPT_FAILED_SIGNAL = 'attemptFailed';

export const SEARCH_ATTRIBUTES = {
  taskType: 'TaskType',
  executionMode: 'ExecutionMode',
  taskStatus: 'TaskStatus',
  placement: 'Placement',
  taskName: 'TaskName',
  requestedMode: 'RequestedMode',
  costUsd: 'TaskCostUsd',
  durationMs: 'TaskDurationMs',
  attempts: 'TaskAttempts',
  coldStarts: 'TaskColdStarts',
  warmStarts: 'TaskWarmStarts',
} as const;

export const WARM_POOL_SCHEDULE_ID = 'spillway-warm-pool';

/** Error types that Temporal must never retry: retrying cannot change their outcome. */
export const PERMANENT_ERROR_TYPES = [
  'UnknownTaskTypeError',
  'UnknownFunctionError',
  'InvalidPayloadError',
  'PermanentTaskError',
  'PayloadTooLargeError',
] as const;
