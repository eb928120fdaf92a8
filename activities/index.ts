// The activity factory. The worker passes real clients; tests may pass their own.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Client } from '@temporalio/client';
import type { SpillwayConfig } from '../domain/config';
import type { PriceTable } from '../domain/cost-model';
import type { LambdaSignals } from '../live/lambda-signals';
import type { PlacementLeases } from '../live/placement-leases';
import type { TaskProjection } from '../live/task-projection';
import { createAttemptReporter } from './attempt-reporter';
import { createDecidePlacement } from './decide-placement';
import { createHandlerRegistry, type HandlerRegistry } from './handler-registry';
import { createInvokeLambda } from './lambda-invoke';
import { createLiveHooks } from './live-hooks';
import { createRunLocalTask } from './local-task';
import { createPublishTransition } from './publish-transition';
import type { TaskActivities, WarmPoolActivities } from './types';
import { createWarmPoolActivities } from './warm-pool';

export interface ActivityDeps {
  client: Client;
  projection?: TaskProjection;
  leases?: PlacementLeases;
  lambdaSignals: LambdaSignals;
  handlers?: HandlerRegistry;
  lambda: LambdaClient;
  config: SpillwayConfig;
  prices: PriceTable;
}

export function createActivities(deps: ActivityDeps): TaskActivities & WarmPoolActivities {
  const reporter = createAttemptReporter(deps.client);
  const live = createLiveHooks(deps.projection, deps.leases);
  return {
    runLocalTask: createRunLocalTask({
      handlers: deps.handlers ?? createHandlerRegistry(),
      reporter,
      live,
      localCpuSecondUsd: deps.prices.local.vCpuSecondUsd,
    }),
    invokeLambda: createInvokeLambda({
      lambda: deps.lambda,
      config: deps.config.lambda,
      prices: deps.prices,
      reporter,
      live,
    }),
    decidePlacement: createDecidePlacement({
      config: deps.config.scheduler,
      prices: deps.prices,
      leases: deps.leases,
      lambdaSignals: deps.lambdaSignals,
    }),
    publishTransition: createPublishTransition(deps.projection),
    ...createWarmPoolActivities({
      lambda: deps.lambda,
      config: deps.config.scheduler,
      prices: deps.prices,
      leases: deps.leases,
      projection: deps.projection,
    }),
  };
}
