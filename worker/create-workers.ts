// Wires workflows and activities into the two workers one worker process runs: the workflow queue (workflows and
// cheap control activities) and the local queue, whose activity slots are the local pool.
import { hostname } from 'node:os';
import { createObjectStore } from '../clients/object-store';
import { createWarmingStats } from '../live/warming-stats';
import { createTargetLatencyStore, monitorPublisher } from '../live/target-latency';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import { createActivities } from '../activities';
import type { LocalRuntime } from '../activities/local-runtime';
import { createFunctionDirectory } from '../clients/function-directory';
import { createFunctionPackages } from '../clients/function-packages';
import { createLambdaClient } from '../clients/lambda-client';
import { createLambdaRoutes } from '../clients/lambda-routes';
import { createLambdaTargets } from '../clients/lambda-targets';
import { invokeTarget } from '../domain/placement-inputs';
import { createAsyncRetryGuard } from '../clients/lambda-setup';
import { createControlsReader } from '../clients/operator-controls';
import { createFlowControl } from '../live/flow-control';
import { LOCAL_TASK_QUEUE, WORKFLOW_TASK_QUEUE } from '../domain/constants';
import type { SpillwayConfig } from '../domain/config';
import { loadPriceTable } from '../domain/price-table';
import { loadTransferPrices } from '../domain/transfer-price-table';
import { createLambdaSignals } from '../live/lambda-signals';
import { createPlacementLeases } from '../live/placement-leases';
import { createPlacementStats } from '../live/placement-stats';
import { createTaskProjection } from '../live/task-projection';
import { createBudgetBook } from '../live/budget-book';
import { WORKFLOW_BUNDLE_PATH } from './bundle-workflows';
import { createLocalRuntime, unpackPackage } from './local-runtime';
import { tracedWorkerOptions } from '../telemetry/worker';

/** How often each of several Lambda targets is probed (GetAccountSettings), whether or not tasks run there. */
const TARGET_PROBE_INTERVAL_MS = 15_000;

export interface WorkerDeps {
  config: SpillwayConfig;
  connection: NativeConnection;
  client: Client;
  redis?: Redis;
  /** Options both workers get on top of ours: the process's shutdown grace time and Worker Versioning. */
  workerOptions?: Pick<WorkerOptions, 'shutdownGraceTime' | 'workerDeploymentOptions'>;
}

export interface Workers {
  workers: Worker[];
  /** Stops the local pool's execution environments; call after the workers have stopped. */
  close(): Promise<void>;
}

export async function createWorkers(deps: WorkerDeps): Promise<Workers> {
  const { config, connection } = deps;
  const lambda = createLambdaClient(config.lambda);
  const projection = deps.redis ? createTaskProjection(deps.redis, config.redis.prefix) : undefined;
  const leases = deps.redis ? createPlacementLeases(deps.redis, config.redis.prefix) : undefined;
  const packages = createFunctionPackages({
    lambda,
    cacheDir: path.resolve(config.functions.packageCacheDir),
    unpack: unpackPackage,
  });
  const functions = createFunctionDirectory({ lambda, packages, refreshMs: config.functions.refreshMs });
  const runtime: LocalRuntime = createLocalRuntime(config);
  const prices = loadPriceTable(config.placement.pricesFile);
  const asyncRetries = createAsyncRetryGuard(lambda);
  const lambdaSignals = createLambdaSignals({ endpoint: config.lambda.endpoint, lambda, leases });
  const targetLatency = deps.redis ? createTargetLatencyStore(deps.redis, config.redis.prefix) : undefined;
  const targets = createLambdaTargets(config.placement.lambdaTargets, config.lambda, prices, {
    // Each target's monitor, published for GET /api/placement/targets and /metrics.
    onMeasured: targetLatency ? monitorPublisher(targetLatency, `${hostname()}:${process.pid}`) : undefined,
  });
  const routes = createLambdaRoutes({
    targets,
    defaultName: invokeTarget(config.placement.lambdaTargets, config.lambda.endpoint)?.name ?? '',
    defaultClient: lambda,
    defaultAsyncRetries: asyncRetries,
    defaultSignals: lambdaSignals,
    leases,
  });
  const activities = createActivities({
    client: deps.client,
    projection,
    leases,
    placementStats: deps.redis
      ? createPlacementStats(
          deps.redis,
          config.redis.prefix,
          config.placement.statsHalfLifeMs,
          config.placement.priorWeight,
        )
      : undefined,
    budgets: deps.redis ? createBudgetBook(deps.redis, config.redis.prefix, config.placement.budgets) : undefined,
    warming: deps.redis ? createWarmingStats(deps.redis, config.redis.prefix) : undefined,
    targetLatency,
    transferPrices: loadTransferPrices(config.placement.transferPricesFile),
    lambdaSignals,
    lambda,
    routes,
    functions,
    packages,
    runtime,
    asyncRetries,
    flow: deps.redis ? createFlowControl(deps.redis, config.redis.prefix) : undefined,
    controls: createControlsReader(deps.client, config.flow.controlsCacheMs),
    config,
    prices,
    objectStore: config.placement.objectStore ? createObjectStore(config.placement.objectStore) : undefined,
  });
  // With several targets, an idle one is still measured: a cheap timed round trip keeps its monitor current.
  const probing =
    targets.list().length > 1
      ? setInterval(() => void targets.probe().catch(() => undefined), TARGET_PROBE_INTERVAL_MS).unref()
      : undefined;
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = existsSync(WORKFLOW_BUNDLE_PATH)
    ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }
    : { workflowsPath: require.resolve('../workflows') };
  const { runLocalTask, ...control } = activities;
  // With tracing on (OTEL_EXPORTER_OTLP_ENDPOINT), Temporal's OpenTelemetry interceptors; untraced, unchanged.
  const workflowWorker = await Worker.create(
    tracedWorkerOptions(
      {
        connection,
        namespace: config.temporal.namespace,
        taskQueue: WORKFLOW_TASK_QUEUE,
        ...deps.workerOptions,
        ...workflowSource,
        activities: control,
      },
      require.resolve('../workflows'),
    ),
  );
  const localWorker = await Worker.create(
    tracedWorkerOptions({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: LOCAL_TASK_QUEUE,
      ...deps.workerOptions,
      activities: { runLocalTask },
      maxConcurrentActivityTaskExecutions: config.scheduler.localWorkerPoolSize,
      // Cancellation reaches a running handler only with a heartbeat's answer, so heartbeats must not wait long.
      maxHeartbeatThrottleInterval: 1_000,
    }),
  );
  return {
    workers: [workflowWorker, localWorker],
    close: async () => {
      if (probing) clearInterval(probing);
      await runtime.close();
      lambda.destroy();
      targets.destroy();
    },
  };
}
