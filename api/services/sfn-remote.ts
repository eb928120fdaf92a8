// Pipelines on a real AWS Step Functions (SFN_ENDPOINT / SFN_REMOTE=aws): StartExecution there through
// @aws-sdk/client-sfn, and a followRemotePipeline workflow that polls DescribeExecution until it ends, so the
// execution is in Temporal's visibility and queries like the local ones.
import { createHash } from 'node:crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { REMOTE_PIPELINE_QUERY, REMOTE_PIPELINE_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE } from '../../domain/constants';
import type { SpillwayConfig } from '../../domain/config';
import type { FollowRemoteInput, RemoteExecutionStatus } from '../../domain/pipeline-model';
import { PIPELINE_NAME_KEY, PIPELINE_STATUS_KEY } from '../../domain/search-attributes';
import { parseStatesArn } from '../../pipelines/arns';
import { withTimeout } from '../with-timeout';
import { pipelineError } from './pipeline-errors';
import type { SfnConfig } from './sfn-config';

export function remoteWorkflowId(executionArn: string): string {
  return `sfn-remote:${createHash('sha256').update(executionArn).digest('hex').slice(0, 32)}`;
}

export function createRemotePipelines(options: { client: Client; config: SpillwayConfig; sfn: SfnConfig }) {
  const remote = options.sfn.remote;
  let sfn: SFNClient | undefined;
  const client = () => {
    if (!remote) {
      throw pipelineError(
        'ServiceUnavailable',
        'no remote Step Functions is configured (set SFN_ENDPOINT or SFN_REMOTE=aws)',
      );
    }
    sfn ??= new SFNClient({
      region: remote.region,
      ...(remote.endpoint ? { endpoint: remote.endpoint } : {}),
      ...(remote.accessKeyId && remote.secretAccessKey
        ? { credentials: { accessKeyId: remote.accessKeyId, secretAccessKey: remote.secretAccessKey } }
        : {}),
    });
    return sfn;
  };

  async function start(request: { stateMachineArn: string; name?: string; input?: string }) {
    const machine = parseStatesArn(request.stateMachineArn);
    if (!machine || machine.kind !== 'stateMachine') {
      throw pipelineError('InvalidArn', `Invalid Arn: '${request.stateMachineArn}'`);
    }
    const sfnClient = client();
    let started;
    try {
      started = await sfnClient.send(
        new StartExecutionCommand({
          stateMachineArn: request.stateMachineArn,
          ...(request.name ? { name: request.name } : {}),
          input: request.input ?? '{}',
        }),
      );
    } catch (err) {
      const name = (err as { name?: string }).name ?? 'ServiceUnavailable';
      if (/ExecutionAlreadyExists|StateMachineDoesNotExist|InvalidArn|InvalidName|InvalidExecutionInput/.test(name)) {
        throw pipelineError(name as 'InvalidArn', (err as Error).message);
      }
      throw pipelineError('ServiceUnavailable', `the remote Step Functions refused: ${(err as Error).message}`);
    }
    const executionArn = started.executionArn!;
    const workflowId = remoteWorkflowId(executionArn);
    const input: FollowRemoteInput = {
      target: { executionArn, region: remote!.region, ...(remote!.endpoint ? { endpoint: remote!.endpoint } : {}) },
      pollMs: options.sfn.remotePollMs,
    };
    try {
      await options.client.workflow.start(REMOTE_PIPELINE_WORKFLOW_TYPE, {
        taskQueue: WORKFLOW_TASK_QUEUE,
        workflowId,
        args: [input],
        memo: { executionArn, endpoint: remote!.endpoint ?? 'aws' },
        typedSearchAttributes: [
          { key: PIPELINE_NAME_KEY, value: machine.machine },
          { key: PIPELINE_STATUS_KEY, value: 'RUNNING' },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return { executionArn, workflowId, startDate: started.startDate?.getTime() ?? Date.now() };
  }

  async function describe(
    workflowId: string,
  ): Promise<RemoteExecutionStatus & { workflowId: string; endpoint: string }> {
    const handle = options.client.workflow.getHandle(workflowId);
    let description;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw pipelineError('ExecutionDoesNotExist', `no remote execution is followed as "${workflowId}"`);
      }
      throw err;
    }
    if (description.type !== REMOTE_PIPELINE_WORKFLOW_TYPE) {
      throw pipelineError('ExecutionDoesNotExist', `no remote execution is followed as "${workflowId}"`);
    }
    const status = await withTimeout(handle.query<RemoteExecutionStatus>(REMOTE_PIPELINE_QUERY), 15_000);
    return { ...status, workflowId, endpoint: String(description.memo?.endpoint ?? 'aws') };
  }

  async function list(limit = 50) {
    const out: Array<{
      workflowId: string;
      executionArn: string;
      status: string;
      startDate: number;
      stopDate?: number;
    }> = [];
    for await (const info of options.client.workflow.list({
      query: `WorkflowType = '${REMOTE_PIPELINE_WORKFLOW_TYPE}'`,
      pageSize: limit,
    })) {
      out.push({
        workflowId: info.workflowId,
        executionArn: String(info.memo?.executionArn ?? ''),
        status: String(info.typedSearchAttributes.get(PIPELINE_STATUS_KEY) ?? info.status.name),
        startDate: info.startTime.getTime(),
        ...(info.closeTime ? { stopDate: info.closeTime.getTime() } : {}),
      });
      if (out.length >= limit) break;
    }
    return out;
  }

  return { configured: Boolean(remote), start, describe, list, close: () => sfn?.destroy() };
}

export type RemotePipelines = ReturnType<typeof createRemotePipelines>;
