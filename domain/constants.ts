import type searchAttributeTypes from './search-attributes.json';

// Names that cross process boundaries (task queues, search attributes, schedules) live here and nowhere else.

/** Workflows and the cheap control activities (placement, Lambda invoke) run on this queue. */
export const WORKFLOW_TASK_QUEUE = 'spillway-workflows';
/** Local handler executions run here; the worker's slot count on this queue is the local pool size. */
export const LOCAL_TASK_QUEUE = 'spillway-local';

export const TASK_WORKFLOW_TYPE = 'runTask';
export const WARM_POOL_WORKFLOW_TYPE = 'warmPool';
export const STATUS_QUERY = 'status';
export const ATTEMPT_FAILED_SIGNAL = 'attemptFailed';
/** Operator pause and resume of one task. */
export const PAUSE_SIGNAL = 'pause';
export const RESUME_SIGNAL = 'resume';
/** A concurrency slot of the task's key was freed: try again now rather than at the next timer. */
export const WAKE_SIGNAL = 'wake';
/** A trailing-debounced task takes a newer payload while its window is open (an update, so a late one is refused). */
export const DEBOUNCE_UPDATE = 'debounce';

/** The one workflow that holds operator controls (pauses by type or tenant, placement overrides) and their audit. */
export const CONTROLS_WORKFLOW_TYPE = 'operatorControls';
export const CONTROLS_WORKFLOW_ID = 'spillway-controls';
export const CONTROLS_QUERY = 'controls';
export const SET_PAUSE_UPDATE = 'setPause';
export const SET_PLACEMENT_OVERRIDE_UPDATE = 'setPlacementOverride';
export const AUDIT_UPDATE = 'audit';

/** Our search attributes by role; their types are declared in search-attributes.json, which the names must match. */
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
  labels: 'TaskLabels',
  // Pipelines: the state machine's name on its executions (and on its record), the execution's Step Functions
  // status, and on every task a Task state ran, the execution it belongs to.
  pipelineName: 'PipelineName',
  pipelineStatus: 'PipelineStatus',
  pipelineExecution: 'PipelineExecution',
} as const satisfies Record<string, keyof typeof searchAttributeTypes>;

// Pipelines (workflows/run-pipeline.ts, workflows/pipeline-state-machine.ts)
export const PIPELINE_WORKFLOW_TYPE = 'runPipeline';
export const PIPELINE_MAP_BATCH_WORKFLOW_TYPE = 'runPipelineMapBatch';
export const STATE_MACHINE_WORKFLOW_TYPE = 'pipelineStateMachine';
export const REMOTE_PIPELINE_WORKFLOW_TYPE = 'followRemotePipeline';
export const PIPELINE_DESCRIBE_QUERY = 'describeExecution';
export const PIPELINE_HISTORY_QUERY = 'executionHistory';
export const PIPELINE_REDRIVE_QUERY = 'redriveSeed';
export const PIPELINE_STOP_SIGNAL = 'stopExecution';
export const PIPELINE_TASK_TOKEN_UPDATE = 'taskTokenOutcome';
export const STATE_MACHINE_QUERY = 'describeStateMachine';
export const STATE_MACHINE_UPDATE = 'updateStateMachine';
export const STATE_MACHINE_DELETE_UPDATE = 'deleteStateMachine';
export const REMOTE_PIPELINE_QUERY = 'remoteExecution';
/** The field of a pipeline's progress on the live event stream (task transitions use `event`, budgets `budget`). */
export const PIPELINE_EVENT_FIELD = 'pipeline';

export const WARM_POOL_SCHEDULE_ID = 'spillway-warm-pool';

/** Error types that Temporal must never retry: retrying cannot change their outcome. */
export const PERMANENT_ERROR_TYPES = [
  'TaskExpiredError',
  'UnknownTaskTypeError',
  'UnknownFunctionError',
  'InvalidPayloadError',
  'PermanentTaskError',
  'PayloadTooLargeError',
  // The task names a Lambda target this worker's LAMBDA_TARGETS does not list.
  'UnknownLambdaTargetError',
] as const;
