// Messages that cross into the pipeline workflows. Names are constants in domain/constants.ts.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import {
  PIPELINE_DESCRIBE_QUERY,
  PIPELINE_HISTORY_QUERY,
  PIPELINE_REDRIVE_QUERY,
  PIPELINE_STOP_SIGNAL,
  PIPELINE_TASK_TOKEN_UPDATE,
  STATE_MACHINE_DELETE_UPDATE,
  STATE_MACHINE_QUERY,
  STATE_MACHINE_UPDATE,
  REMOTE_PIPELINE_QUERY,
} from '../domain/constants';
import type {
  PipelineDescription,
  PipelineHistory,
  RemoteExecutionStatus,
  RedriveSeed,
  StateMachineChange,
  StateMachineRecord,
  StopRequest,
  TaskTokenUpdate,
} from '../domain/pipeline-model';

export const describeExecutionQuery = defineQuery<PipelineDescription>(PIPELINE_DESCRIBE_QUERY);
export const executionHistoryQuery = defineQuery<PipelineHistory>(PIPELINE_HISTORY_QUERY);
/** Where a redrive of this run would start; undefined while it runs or after it succeeded. */
export const redriveSeedQuery = defineQuery<RedriveSeed | undefined>(PIPELINE_REDRIVE_QUERY);
/** StopExecution's error and cause; the API cancels the workflow right after. */
export const stopExecutionSignal = defineSignal<[StopRequest]>(PIPELINE_STOP_SIGNAL);
/** SendTaskSuccess/Failure/Heartbeat; refused (so the caller hears TaskTimedOut) unless the entry is waiting. */
export const taskTokenUpdate = defineUpdate<void, [TaskTokenUpdate]>(PIPELINE_TASK_TOKEN_UPDATE);

export const describeStateMachineQuery = defineQuery<StateMachineRecord>(STATE_MACHINE_QUERY);
export const updateStateMachineUpdate = defineUpdate<StateMachineRecord, [StateMachineChange]>(STATE_MACHINE_UPDATE);
export const deleteStateMachineUpdate = defineUpdate<void, []>(STATE_MACHINE_DELETE_UPDATE);

export const remoteStatusQuery = defineQuery<RemoteExecutionStatus>(REMOTE_PIPELINE_QUERY);
