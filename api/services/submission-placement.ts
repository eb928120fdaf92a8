// Predictive AUTO placement at submission. An AUTO task with nothing to wait for is placed here, by the same
// decision the worker's decidePlacement makes (activities/decide-placement.ts, on the same Redis leases and learned
// figures), and starts with its placement in its input and its search attributes. Its workflow then runs like a
// requested placement: no decision in the workflow, no marker, no upsert of where it went. Placed in the workflow,
// an AUTO task that stayed local finished behind the same task submitted as LOCAL, which is all the short burst of
// `npm run bench` measured.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Redis } from 'ioredis';
import { createDecidePlacement } from '../../activities/decide-placement';
import type { BudgetBook } from '../../live/budget-book';
import type { FunctionDirectory } from '../../clients/function-directory';
import { createLambdaRoutes } from '../../clients/lambda-routes';
import { createAsyncRetryGuard } from '../../clients/lambda-setup';
import { createLambdaTargets } from '../../clients/lambda-targets';
import type { ControlsReader } from '../../clients/operator-controls';
import type { SpillwayConfig } from '../../domain/config';
import type { PriceTable } from '../../domain/cost-model';
import { invokeTarget } from '../../domain/placement-inputs';
import type { TransferPrices } from '../../domain/region-model';
import { placedAtSubmission, type TaskInput } from '../../domain/task-model';
import { createLambdaSignals } from '../../live/lambda-signals';
import type { PlacementLeases } from '../../live/placement-leases';
import { createPlacementStats } from '../../live/placement-stats';
import type { TargetLatencyStore } from '../../live/target-latency';

export interface SubmissionPlacement {
  /** The task with its placement when the API places it (see placedAtSubmission); else the task as it came. */
  place(input: TaskInput): Promise<TaskInput>;
  /** Gives back what the placement of a task that did not start holds (its local slot, its Lambda place). */
  abandon(input: TaskInput): Promise<void>;
  close(): void;
}

/** The API places AUTO tasks only under the predictive policy and with Redis; otherwise their workflows do. */
export function createSubmissionPlacement(deps: {
  config: SpillwayConfig;
  redis?: Redis;
  /** The API's client of LAMBDA_ENDPOINT (the default target's); the other targets get their own. */
  lambda: LambdaClient;
  /** The leases the workers' decisions take too, so both see every placement. */
  leases?: PlacementLeases;
  functions: FunctionDirectory;
  controls: ControlsReader;
  prices: PriceTable;
  transfer: TransferPrices;
  budgets?: BudgetBook;
  latency?: TargetLatencyStore;
  log: (message: string) => void;
}): SubmissionPlacement | undefined {
  const { config, redis, lambda, leases } = deps;
  if (config.placement.autoPolicy !== 'predictive' || !redis || !leases) return undefined;
  const lambdaSignals = createLambdaSignals({ endpoint: config.lambda.endpoint, lambda, leases });
  // The same clients and signals as a worker's, without its monitors' measurements: the API reads the ones the
  // workers publish (publishedMonitors below).
  const targets = createLambdaTargets(config.placement.lambdaTargets, config.lambda, deps.prices);
  const routes = createLambdaRoutes({
    targets,
    defaultName: invokeTarget(config.placement.lambdaTargets, config.lambda.endpoint)?.name ?? '',
    defaultClient: lambda,
    defaultAsyncRetries: createAsyncRetryGuard(lambda),
    defaultSignals: lambdaSignals,
    leases,
  });
  const decide = createDecidePlacement({
    config: config.scheduler,
    placement: config.placement,
    lambdaEndpoint: config.lambda.endpoint,
    transfer: deps.transfer,
    stats: createPlacementStats(
      redis,
      config.redis.prefix,
      config.placement.statsHalfLifeMs,
      config.placement.priorWeight,
    ),
    prices: deps.prices,
    leases,
    lambdaSignals,
    functions: deps.functions,
    controls: deps.controls,
    budgets: deps.budgets,
    routes,
    latency: deps.latency,
    publishedMonitors: true,
  });
  return {
    async place(input) {
      if (!placedAtSubmission(input)) return input;
      try {
        return { ...input, decidedPlacement: await decide(input) };
      } catch (err) {
        // The workflow places a task the API could not: a slower start, never a lost task.
        deps.log(`placement at submission failed for ${input.id}, its workflow places it: ${(err as Error).message}`);
        return input;
      }
    },
    async abandon(input) {
      const decided = input.decidedPlacement;
      if (!decided) return;
      await (
        decided.placement === 'LOCAL'
          ? leases.releaseLocal(input.id)
          : leases.releaseLambda(input.functionName, input.id)
      ).catch(() => undefined);
    },
    close() {
      // The default target's client is the API's, closed with it.
      for (const t of targets.list()) t.client.destroy();
    },
  };
}
