// The activity factory. The worker passes real clients; tests may pass their own.
import type { Client } from '@temporalio/client';
import type { TaskProjection } from '../live/task-projection';
import type { PlacementDecision, TaskInput } from '../domain/task-model';
import { createAttemptReporter } from './attempt-reporter';
import { createHandlerRegistry, type HandlerRegistry } from './handler-registry';
import { createRunLocalTask } from './local-task';
import { createPublishTransition } from './publish-transition';
import type { AttemptSuccess, TaskActivities } from './types';
import { ApplicationFailure } from '@temporalio/common';

export interface ActivityDeps {
  client: Client;
  projection?: TaskProjection;
  handlers?: HandlerRegistry;
  localCpuSecondUsd: number;
}

export function createActivities(deps: ActivityDeps): TaskActivities {
  return {
    runLocalTask: createRunLocalTask({
      handlers: deps.handlers ?? createHandlerRegistry(),
      reporter: createAttemptReporter(deps.client),
      localCpuSecondUsd: deps.localCpuSecondUsd,
    }),
    async invokeLambda(_task: TaskInput): Promise<AttemptSuccess> {
      throw ApplicationFailure.nonRetryable(
        'LAMBDA placement is not available in this build',
        'PlacementUnavailableError',
      );
    },
    async decidePlacement(_task: TaskInput): Promise<PlacementDecision> {
      throw ApplicationFailure.nonRetryable(
        'AUTO placement is not available in this build',
        'PlacementUnavailableError',
      );
    },
    publishTransition: createPublishTransition(deps.projection),
  };
}
