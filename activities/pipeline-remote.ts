// Following an execution that runs on a real AWS Step Functions (or any endpoint that speaks its protocol): one
// DescribeExecution per call, through @aws-sdk/client-sfn, with the worker's own AWS credentials.
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { SpillwayConfig } from '../domain/config';
import type { RemoteExecutionStatus, RemoteExecutionTarget } from '../domain/pipeline-model';

export interface PipelineRemoteActivities {
  describeRemoteExecution(target: RemoteExecutionTarget): Promise<RemoteExecutionStatus>;
}

export function createPipelineRemoteActivities(config: Pick<SpillwayConfig, 'lambda'>): PipelineRemoteActivities {
  const clients = new Map<string, SFNClient>();
  const clientFor = (target: RemoteExecutionTarget) => {
    const key = `${target.endpoint ?? 'aws'}|${target.region}`;
    let client = clients.get(key);
    if (!client) {
      client = new SFNClient({
        region: target.region,
        ...(target.endpoint ? { endpoint: target.endpoint } : {}),
        ...(config.lambda.accessKeyId && config.lambda.secretAccessKey
          ? {
              credentials: {
                accessKeyId: config.lambda.accessKeyId,
                secretAccessKey: config.lambda.secretAccessKey,
              },
            }
          : {}),
      });
      clients.set(key, client);
    }
    return client;
  };
  return {
    async describeRemoteExecution(target) {
      const d = await clientFor(target).send(new DescribeExecutionCommand({ executionArn: target.executionArn }));
      return {
        executionArn: target.executionArn,
        status: d.status ?? 'RUNNING',
        ...(d.startDate ? { startDate: d.startDate.getTime() } : {}),
        ...(d.stopDate ? { stopDate: d.stopDate.getTime() } : {}),
        ...(d.output !== undefined ? { output: d.output } : {}),
        ...(d.error !== undefined ? { error: d.error } : {}),
        ...(d.cause !== undefined ? { cause: d.cause } : {}),
        ...(d.redriveCount !== undefined ? { redriveCount: d.redriveCount } : {}),
      };
    },
  };
}
