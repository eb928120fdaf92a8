// The activity factory. The worker passes real clients; tests may pass their own.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { LambdaRoutes } from '../clients/lambda-routes';
import type { Client } from '@temporalio/client';
import type { FunctionDirectory } from '../clients/function-directory';
import type { FunctionPackages } from '../clients/function-packages';
import type { AsyncRetryGuard } from '../clients/lambda-setup';
import type { SpillwayConfig } from '../domain/config';
import type { PriceTable } from '../domain/cost-model';
import type { TransferPrices } from '../domain/region-model';
import type { LambdaSignals } from '../live/lambda-signals';
import type { PlacementLeases } from '../live/placement-leases';
import type { PlacementStats } from '../live/placement-stats';
import type { BudgetBook } from '../live/budget-book';
import type { TaskProjection } from '../live/task-projection';
import type { FlowControl } from '../live/flow-control';
import type { ControlsReader } from '../clients/operator-controls';
import type { ObjectStore } from '../clients/object-store';
import { inlineLimitBytes } from '../domain/object-ref';
import { createPayloadPresigner, createResultPresigner } from './payload-urls';
import { createAttemptReporter } from './attempt-reporter';
import { createBudgetAccounting } from './budget-accounting';
import { createDecidePlacement } from './decide-placement';
import { createFlowActivities } from './flow-gates';
import { createInvokeLambda } from './lambda-invoke';
import { createLiveHooks } from './live-hooks';
import type { LocalRuntime } from './local-runtime';
import { createRunLocalTask } from './local-task';
import { createPipelineRemoteActivities } from './pipeline-remote';
import { createPipelineProgressActivities } from './pipeline-progress';
import { createPipelineActivities } from './pipeline-tasks';
import { createPlacementSamples } from './placement-samples';
import { createPublishTransition } from './publish-transition';
import type {
  FlowActivities,
  PipelineActivities,
  PipelineProgressActivities,
  PipelineRemoteActivities,
  TaskActivities,
  WarmPoolActivities,
} from './types';
import { createWarmPoolActivities } from './warm-pool';
import { DEFAULT_TRANSFER_PRICES } from '../domain/region-model';
import type { WarmingStats } from '../live/warming-stats';
import type { TargetLatencyStore } from '../live/target-latency';

export interface ActivityDeps {
  client: Client;
  projection?: TaskProjection;
  leases?: PlacementLeases;
  /** Learned placement figures: read by predictive AUTO, fed by every task's end. */
  placementStats?: PlacementStats;
  /** The ledger of warming (live/warming-stats.ts): fed by the warm pool and by every task's Lambda attempts. */
  warming?: WarmingStats;
  /** Each Lambda target's callback delay, measured by the API (live/target-latency.ts): read by predictive AUTO. */
  targetLatency?: TargetLatencyStore;
  /** The budgets and their spend (SPILLWAY_BUDGETS): fed by every task's end, read by AUTO placement. */
  budgets?: BudgetBook;
  /** Inter-region transfer prices, for predictive AUTO. @default DEFAULT_TRANSFER_PRICES */
  transferPrices?: TransferPrices;
  lambdaSignals: LambdaSignals;
  lambda: LambdaClient;
  /** Every Lambda target of LAMBDA_TARGETS, each with its client, signals and latency monitor. */
  routes?: LambdaRoutes;
  functions: FunctionDirectory;
  packages: FunctionPackages;
  runtime: LocalRuntime;
  asyncRetries: AsyncRetryGuard;
  flow?: FlowControl;
  controls: ControlsReader;
  config: SpillwayConfig;
  prices: PriceTable;
  /** Where payloads too large for an event are kept (SPILLWAY_S3_ENDPOINT); undefined without one. */
  objectStore?: ObjectStore;
}

export function createActivities(
  deps: ActivityDeps,
): TaskActivities &
  FlowActivities &
  WarmPoolActivities &
  PipelineActivities &
  PipelineProgressActivities &
  PipelineRemoteActivities {
  const reporter = createAttemptReporter(deps.client);
  const samples = createPlacementSamples(
    deps.placementStats,
    undefined,
    deps.warming,
    deps.config.placement.defaultInitMs,
  );
  const budgets = createBudgetAccounting(deps.budgets);
  const live = createLiveHooks(deps.projection, deps.leases, samples, budgets, undefined, deps.placementStats);
  const transferPrices = deps.transferPrices ?? DEFAULT_TRANSFER_PRICES;
  const presignPayload = createPayloadPresigner(deps.objectStore, deps.config.placement.objectStore?.urlTtlSeconds);
  const presignResult = deps.objectStore
    ? createResultPresigner(deps.objectStore, {
        region: deps.config.placement.localRegion,
        maxInlineBytes: inlineLimitBytes(deps.config.placement.largePayloadBytes),
        ttlSeconds: deps.config.placement.objectStore?.urlTtlSeconds,
      })
    : undefined;
  return {
    runLocalTask: createRunLocalTask({
      functions: deps.functions,
      packages: deps.packages,
      runtime: deps.runtime,
      reporter,
      live,
      flow: deps.flow,
      prices: deps.prices,
      presignPayload,
      presignResult,
      transfer: { prices: transferPrices, region: deps.config.placement.localRegion },
    }),
    invokeLambda: createInvokeLambda({
      lambda: deps.lambda,
      routes: deps.routes,
      functions: deps.functions,
      asyncRetries: deps.asyncRetries,
      controls: deps.controls,
      config: deps.config.lambda,
      prices: deps.prices,
      reporter,
      live,
      presignPayload,
      presignResult,
      budgets: deps.budgets,
      flow: deps.flow,
      transfer: transferPrices,
      region: deps.routes?.route().region ?? deps.config.lambda.region,
      latency: deps.targetLatency,
    }),
    decidePlacement: createDecidePlacement({
      config: deps.config.scheduler,
      placement: deps.config.placement,
      lambdaEndpoint: deps.config.lambda.endpoint,
      transfer: transferPrices,
      stats: deps.placementStats,
      prices: deps.prices,
      leases: deps.leases,
      lambdaSignals: deps.lambdaSignals,
      functions: deps.functions,
      controls: deps.controls,
      budgets: deps.budgets,
      routes: deps.routes,
      latency: deps.targetLatency,
    }),
    ...createFlowActivities({ flow: deps.flow, client: deps.client, controls: deps.controls }),
    publishTransition: createPublishTransition(deps.projection, samples, budgets),
    ...createWarmPoolActivities({
      lambda: deps.lambda,
      config: deps.config.scheduler,
      placement: deps.config.placement,
      stats: deps.placementStats,
      warming: deps.warming,
      prices: deps.prices,
      leases: deps.leases,
      projection: deps.projection,
      functions: deps.functions,
    }),
    ...createPipelineActivities({ functions: deps.functions, config: deps.config }),
    ...createPipelineRemoteActivities(deps.config),
    ...createPipelineProgressActivities(deps.projection),
  };
}
