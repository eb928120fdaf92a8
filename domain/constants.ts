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
  // Pipelines: the state machine's name on its executions (and on its record), the execution's Step Functions
  // status, and on every task a Task state ran, the execution it belongs to.
  pipelineName: 'PipelineName',
  pipelineStatus: 'PipelineStatus',
  pipelineExecution: 'PipelineExecution',
} as const;

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

export const WARM_POOL_SCHEDULE_ID = 'spillway-warm-pool';

/** Error types that Temporal must never retry: retrying cannot change their outcome. */
export const PERMANENT_ERROR_TYPES = [
  'UnknownTaskTypeError',
  'UnknownFunctionError',
  'InvalidPayloadError',
  'PermanentTaskError',
  'PayloadTooLargeError',
] as const;
