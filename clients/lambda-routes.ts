// Which Lambda client an attempt or a placement uses, per target of LAMBDA_TARGETS: the invoke path sends through
// the route of the task's target, timing each asynchronous Invoke into that target's latency monitor; placement
// reads every target's signals and monitor. The default target (the one on LAMBDA_ENDPOINT) keeps the process's
// own client, so a deployment with one target behaves as it always has.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { LambdaTargetRef } from '../domain/task-model';
import type { LambdaSignals } from '../live/lambda-signals';
import { createLambdaSignals } from '../live/lambda-signals';
import type { PlacementLeases } from '../live/placement-leases';
import { createAsyncRetryGuard, type AsyncRetryGuard } from './lambda-setup';
import type { LambdaTargetHandle, LambdaTargets } from './lambda-targets';

export interface LambdaRoute {
  name: string;
  region: string;
  client: LambdaClient;
  asyncRetries: AsyncRetryGuard;
  signals: LambdaSignals;
  handle: LambdaTargetHandle;
  /** Sends a request whose answer does not wait for the function, feeding its round trip to the monitor. */
  timed<T>(send: (client: LambdaClient) => Promise<T>): Promise<T>;
}

export interface LambdaRoutes {
  /** The route of a target; the default target's without one. Throws UnknownLambdaTargetError for a name not listed. */
  route(target?: LambdaTargetRef): LambdaRoute;
  all(): readonly LambdaRoute[];
  readonly defaultName: string;
}

export function createLambdaRoutes(deps: {
  targets: LambdaTargets;
  defaultName: string;
  /** The process's client of LAMBDA_ENDPOINT, its async-retry guard and signals: the default target's route. */
  defaultClient: LambdaClient;
  defaultAsyncRetries: AsyncRetryGuard;
  defaultSignals: LambdaSignals;
  leases?: PlacementLeases;
}): LambdaRoutes {
  const routes = new Map<string, LambdaRoute>();
  for (const handle of deps.targets.list()) {
    const isDefault = handle.target.name === deps.defaultName;
    const client = isDefault ? deps.defaultClient : handle.client;
    routes.set(handle.target.name, {
      name: handle.target.name,
      region: handle.target.region,
      client,
      handle,
      asyncRetries: isDefault ? deps.defaultAsyncRetries : createAsyncRetryGuard(client),
      signals: isDefault
        ? deps.defaultSignals
        : createLambdaSignals({ endpoint: handle.target.endpoint ?? '', lambda: client, leases: deps.leases }),
      timed: (send) => deps.targets.timed(handle.target.name, () => send(client)),
    });
  }
  const fallback = routes.get(deps.defaultName) ?? [...routes.values()][0];
  return {
    route(target) {
      if (!target) {
        if (!fallback) throw new Error('LAMBDA_TARGETS lists no target');
        return fallback;
      }
      const found = routes.get(target.name);
      // get() throws the error that names the missing target.
      if (!found) deps.targets.get(target.name);
      return found as LambdaRoute;
    },
    all: () => [...routes.values()],
    defaultName: deps.defaultName,
  };
}
