// followRemotePipeline: an execution that runs on AWS Step Functions, followed durably by polling DescribeExecution
// until it ends, so it shows in the same views (visibility, queries) as the local ones. PipelineStatus mirrors it.
import { proxyActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { PipelineRemoteActivities } from '../activities/pipeline-remote';
import type { FollowRemoteInput, RemoteExecutionStatus } from '../domain/pipeline-model';
import { PIPELINE_STATUS_KEY } from '../domain/search-attributes';
import { remoteStatusQuery } from './pipeline-signals';

const remote = proxyActivities<PipelineRemoteActivities>({
  startToCloseTimeout: 30_000,
  retry: { initialInterval: 1_000, maximumInterval: 60_000, backoffCoefficient: 2 },
});

export async function followRemotePipeline(input: FollowRemoteInput): Promise<RemoteExecutionStatus> {
  let status: RemoteExecutionStatus = { executionArn: input.target.executionArn, status: 'RUNNING', polls: 0 };
  setHandler(remoteStatusQuery, () => status);
  for (;;) {
    const answer = await remote.describeRemoteExecution(input.target);
    status = { ...answer, polls: (status.polls ?? 0) + 1 };
    if (answer.status !== 'RUNNING' && answer.status !== 'PENDING_REDRIVE') break;
    await sleep(input.pollMs);
  }
  upsertSearchAttributes([{ key: PIPELINE_STATUS_KEY, value: status.status }]);
  return status;
}
