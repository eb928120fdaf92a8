// The activity factory. The worker passes real clients; tests may pass their own.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { SpillwayConfig } from '../domain/config';
import type { PriceTable } from '../domain/cost-model';
import type { PlacementDecision, TaskInput } from '../domain/task-model';
import type { TaskProjection } from '../live/task-projection';
import { createAttemptReporter } from './attempt-reporter';
import { createHandlerRegistry, type HandlerRegistry } from './handler-registry';
import { createInvokeLambda } from './lambda-invoke';
import { createRunLocalTask } from './local-task';
import { createPublishTransition } from './publish-transition';
import type { TaskActivities } from './types';

export interface ActivityDeps {
  client: Client;
  projection?: TaskProjection;
  handlers?: HandlerRegistry;
  lambda: LambdaClient;
  config: SpillwayConfig;
  prices: PriceTable;
}

export function createActivities(deps: ActivityDeps): TaskActivities {
  const reporter = createAttemptReporter(deps.client);
  return {
    runLocalTask: createRunLocalTask({
      handlers: deps.handlers ?? createHandlerRegistry(),
      reporter,
      localCpuSecondUsd: deps.prices.local.vCpuSecondUsd,
    }),
    invokeLambda: createInvokeLambda({
      lambda: deps.lambda,
      config: deps.config.lambda,
      prices: deps.prices,
      reporter,
    }),
    async decidePlacement(_task: TaskInput): Promise<PlacementDecision> {
      throw ApplicationFailure.nonRetryable(
        'AUTO placement is not available in this build',
        'PlacementUnavailableError',
      );
    },
    publishTransition: createPublishTransition(deps.projection),
  };
}
