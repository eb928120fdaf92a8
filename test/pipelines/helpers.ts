// Starting pipeline executions straight on Temporal, for the workflow tests.
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import {
  PIPELINE_DESCRIBE_QUERY,
  PIPELINE_HISTORY_QUERY,
  PIPELINE_WORKFLOW_TYPE,
  WORKFLOW_TASK_QUEUE,
} from '../../domain/constants';
import type { PipelineDescription, PipelineHistory, PipelineInput } from '../../domain/pipeline-model';
import { executionArn, executionWorkflowId, stateMachineArn } from '../../pipelines/arns';
import type { StateMachineDefinition } from '../../pipelines/definition';
import type { JsonValue } from '../../pipelines/json';
import type { ExecutionMode } from '../../domain/task-model';
import { uniqueId } from '../support/test-stack';

export const SCOPE = { region: 'us-east-1', account: '123456789012' };

export function pipelineInput(
  definition: StateMachineDefinition,
  input: JsonValue,
  options: { machine?: string; name?: string; mode?: ExecutionMode } = {},
): { workflowId: string; args: PipelineInput } {
  const machine = options.machine ?? 'wf-test';
  const name = options.name ?? uniqueId('exec');
  return {
    workflowId: executionWorkflowId(machine, name),
    args: {
      version: 1,
      definition,
      input,
      type: 'STANDARD',
      context: {
        executionArn: executionArn(SCOPE, machine, name),
        executionName: name,
        startTime: new Date().toISOString(),
        roleArn: 'arn:aws:iam::123456789012:role/test',
        stateMachineArn: stateMachineArn(SCOPE, machine),
        stateMachineName: machine,
        region: SCOPE.region,
        account: SCOPE.account,
        defaultExecutionMode: options.mode ?? 'LOCAL',
      },
    },
  };
}

export interface Finished {
  status: string;
  output?: JsonValue;
  error?: string;
  cause?: string;
  description: PipelineDescription;
  history: PipelineHistory;
  workflowId: string;
}

/** Runs an execution to its end and returns what it ended with, its record and its history. */
export async function runToEnd(
  client: Client,
  definition: StateMachineDefinition,
  input: JsonValue,
  options: { machine?: string; name?: string; mode?: ExecutionMode } = {},
): Promise<Finished> {
  const { workflowId, args } = pipelineInput(definition, input, options);
  const handle = await client.workflow.start(PIPELINE_WORKFLOW_TYPE, {
    taskQueue: WORKFLOW_TASK_QUEUE,
    workflowId,
    args: [args],
  });
  return finish(client, handle.workflowId);
}

export async function finish(client: Client, workflowId: string): Promise<Finished> {
  const handle = client.workflow.getHandle(workflowId);
  let status = 'SUCCEEDED';
  let output: JsonValue | undefined;
  try {
    output = ((await handle.result()) as { output: JsonValue }).output;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    status = 'NOT_SUCCEEDED';
  }
  const description = await handle.query<PipelineDescription>(PIPELINE_DESCRIBE_QUERY);
  const history = await handle.query<PipelineHistory>(PIPELINE_HISTORY_QUERY);
  return {
    status: status === 'SUCCEEDED' ? 'SUCCEEDED' : description.record.status,
    output,
    error: description.record.error,
    cause: description.record.cause,
    description,
    history,
    workflowId,
  };
}

export const types = (h: PipelineHistory) => h.events.map((e) => e.type);
