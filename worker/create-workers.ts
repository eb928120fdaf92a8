// Wires workflows and activities into the two workers one worker process runs: the workflow queue (workflows and
// cheap control activities) and the local queue, whose activity slots are the local pool.
import { existsSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import { createActivities } from '../activities';
import type { HandlerRegistry } from '../activities/handler-registry';
import { createLambdaClient } from '../clients/lambda-client';
import { disableLambdaAsyncRetries } from '../clients/lambda-setup';
import { LOCAL_TASK_QUEUE, WORKFLOW_TASK_QUEUE } from '../domain/constants';
import type { SpillwayConfig } from '../domain/config';
import { loadPriceTable } from '../domain/price-table';
import { createLambdaSignals } from '../live/lambda-signals';
import { createPlacementLeases } from '../live/placement-leases';
import { createTaskProjection } from '../live/task-projection';
import { WORKFLOW_BUNDLE_PATH } from './bundle-workflows';

export interface WorkerDeps {
  config: SpillwayConfig;
  connection: NativeConnection;
  client: Client;
  redis?: Redis;
  handlers?: HandlerRegistry;
}

export async function createWorkers(deps: WorkerDeps): Promise<Worker[]> {
  const { config, connection } = deps;
  const lambda = createLambdaClient(config.lambda);
  await disableLambdaAsyncRetries(lambda);
  const projection = deps.redis ? createTaskProjection(deps.redis, config.redis.prefix) : undefined;
  const leases = deps.redis ? createPlacementLeases(deps.redis, config.redis.prefix) : undefined;
  const activities = createActivities({
    client: deps.client,
    projection,
    leases,
    lambdaSignals: createLambdaSignals({ endpoint: config.lambda.endpoint, lambda, leases }),
    handlers: deps.handlers,
    lambda,
    config,
    prices: loadPriceTable(),
  });
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = existsSync(WORKFLOW_BUNDLE_PATH)
    ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }
    : { workflowsPath: require.resolve('../workflows') };
  const { runLocalTask, ...control } = activities;
  const workflowWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: WORKFLOW_TASK_QUEUE,
    ...workflowSource,
    activities: control,
  });
  const localWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: LOCAL_TASK_QUEUE,
    activities: { runLocalTask },
    maxConcurrentActivityTaskExecutions: config.scheduler.localWorkerPoolSize,
    // Cancellation reaches a running handler only with a heartbeat's answer, so heartbeats must not wait long.
    maxHeartbeatThrottleInterval: 1_000,
  });
  return [workflowWorker, localWorker];
}
