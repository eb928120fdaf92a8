// What crosses between the pipeline API, the pipeline workflows and their activities: plain data, declared once.
// The workflows are workflows/run-pipeline.ts (one execution), workflows/pipeline-map-batch.ts (a batch of a
// distributed Map's items) and workflows/pipeline-state-machine.ts (a state machine's definition and revisions).
import type { StateMachineDefinition } from '../pipelines/definition';
import type { ExecutionRecord, HistoryEvent, StateView } from '../pipelines/execution-record';
import type { BranchOutcome } from '../pipelines/interpreter';
import type { JsonValue } from '../pipelines/json';
import type { LambdaInvokeRequest, TaskResource } from '../pipelines/task-resource';
import type { ExecutionMode, TaskInput } from './task-model';

export type StateMachineType = 'STANDARD' | 'EXPRESS';

/** The context object's Execution and StateMachine, and where ARNs live. */
export interface PipelineContext {
  executionArn: string;
  executionName: string;
  /** ISO 8601; the first run's start, kept across redrives. */
  startTime: string;
  roleArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  region: string;
  account: string;
  /** Placement of Task states that name none (`"Spillway": {"ExecutionMode": …}`). */
  defaultExecutionMode: ExecutionMode;
}

/** What a redriven run starts from: where the previous run stopped, and what had succeeded below that state. */
export interface RedriveSeed {
  stateName: string;
  input: JsonValue;
  variables: Record<string, JsonValue>;
  transitions: number;
  /** Outputs of branches and Map items that succeeded, by path (`Fan#1/`, `Fan#1/Items#17/`). */
  done: Record<string, JsonValue>;
  record: ExecutionRecord;
}

export interface PipelineInput {
  /** Bumped only when a field changes meaning. */
  version: 1;
  definition: StateMachineDefinition;
  input: JsonValue;
  context: PipelineContext;
  type: StateMachineType;
  redrive?: { count: number; date: number; seed: RedriveSeed };
}

/** The answer to the describe query: the record without its history, and what the execution runs. */
export interface PipelineDescription {
  context: PipelineContext;
  definition: StateMachineDefinition;
  type: StateMachineType;
  record: Omit<ExecutionRecord, 'events'>;
  /** Whether redrive would find something to restart. */
  redrivable: boolean;
}

export interface PipelineHistory {
  events: HistoryEvent[];
  dropped: number;
}

/** What runPipeline returns when it succeeds (it fails, times out or is cancelled otherwise). */
export interface PipelineResult {
  status: 'SUCCEEDED';
  output: JsonValue;
}

/** The failure details of a run that did not succeed. */
export interface PipelineFailureDetails {
  status: 'FAILED' | 'TIMED_OUT';
  error: string;
  cause: string;
}

/** SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat for one `.waitForTaskToken` state entry. */
export type TaskTokenOutcome =
  { kind: 'success'; output: JsonValue } | { kind: 'failure'; error: string; cause: string } | { kind: 'heartbeat' };

export interface TaskTokenUpdate {
  entry: string;
  outcome: TaskTokenOutcome;
}

/** What a `.waitForTaskToken` token says, signed (api/services/sfn-task-token.ts). */
export interface TaskTokenClaims {
  /** Workflow id and run id of the execution, and the state entry waiting for the token. */
  w: string;
  r: string;
  e: string;
}

export interface StopRequest {
  error?: string;
  cause?: string;
}

// ---------- activities ----------

export interface PrepareTaskRequest {
  taskId: string;
  name: string;
  stateName: string;
  resource: TaskResource;
  payload: JsonValue;
  lambda?: LambdaInvokeRequest;
  executionMode: ExecutionMode;
  timeoutSeconds?: number;
}

/** The TaskInput to start as a child `runTask`, or why the state fails before any task starts. */
export type PreparedTask =
  { ok: true; task: TaskInput; functionArn: string } | { ok: false; error: string; cause: string };

export interface SignTaskTokenRequest {
  claims: TaskTokenClaims;
}

// ---------- distributed Map batches ----------

export interface MapBatchInput {
  version: 1;
  context: PipelineContext;
  itemMachine: StateMachineDefinition;
  items: Array<{ index: number; input: JsonValue; value: JsonValue }>;
  /** Items that run at once inside this batch. */
  concurrency: number;
  /** Prefix of the task ids this batch's Task states run as (see pipelines/arns.ts pipelineTaskId). */
  taskScope: string;
  executionKey: string;
  /** The Map's path, for redrive records of what succeeded inside items. */
  path: string;
  stateName: string;
  done: Record<string, JsonValue>;
  /** Stop at the first failed item (a Map without a tolerance fails with it anyway). */
  failFast: boolean;
  /** The execution's redrive count, for $$.Execution.RedriveCount inside the items; absent in older batches (0). */
  redriveCount?: number;
}

export interface MapBatchResult {
  outcomes: Array<{ index: number; outcome: BranchOutcome | null }>;
  views: StateView[];
  done: Record<string, JsonValue>;
}

// ---------- state machines ----------

export interface StateMachineRevision {
  revisionId: string;
  definition: string;
  roleArn: string;
  updateDate: number;
}

export interface StateMachineRecord {
  name: string;
  arn: string;
  type: StateMachineType;
  definition: string;
  roleArn: string;
  creationDate: number;
  updateDate: number;
  revisionId: string;
  description?: string;
  defaultExecutionMode: ExecutionMode;
  tags: Array<{ key: string; value: string }>;
  loggingConfiguration?: JsonValue;
  tracingConfiguration?: JsonValue;
  /** Earlier revisions, oldest first (at most 20 kept). */
  revisions: StateMachineRevision[];
  status: 'ACTIVE' | 'DELETING';
}

export interface StateMachineChange {
  definition?: string;
  roleArn?: string;
  defaultExecutionMode?: ExecutionMode;
  description?: string;
  loggingConfiguration?: JsonValue;
  tracingConfiguration?: JsonValue;
  /** ms since the epoch, chosen by the API so the workflow need not read a clock for it. */
  at: number;
  revisionId: string;
}

// ---------- executions on a remote Step Functions ----------

/** Where an execution on AWS Step Functions (or a compatible endpoint) runs; credentials are the worker's own. */
export interface RemoteExecutionTarget {
  executionArn: string;
  region: string;
  endpoint?: string;
}

export interface RemoteExecutionStatus {
  executionArn: string;
  status: string;
  startDate?: number;
  stopDate?: number;
  /** JSON text, as Step Functions returns it. */
  output?: string;
  error?: string;
  cause?: string;
  redriveCount?: number;
  polls?: number;
}

export interface FollowRemoteInput {
  target: RemoteExecutionTarget;
  pollMs: number;
}
