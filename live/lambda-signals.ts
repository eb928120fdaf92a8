// What AUTO placement and the warm pool need to know about Lambda right now: concurrency headroom, recent
// throttles and warm environments. The local Lambda service reports these on /_spillway/status; against AWS the
// function's reserved concurrency and Spillway's own in-flight leases stand in for them.
import { GetFunctionConcurrencyCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { isLoopbackEndpoint } from '../clients/lambda-client';
import type { FunctionStatus, ServiceStatus } from '../domain/lambda-status';
import type { PlacementLeases } from './placement-leases';

export interface LambdaFunctionSignals {
  reachable: boolean;
  concurrencyHeadroom: number;
  recentThrottles: number;
  warmIdle: number;
  inFlight: number;
}

/** The part of the local Lambda service's status report (domain/lambda-status.ts) that placement reads. */
type LocalStatus = Pick<ServiceStatus, 'accountConcurrencyLimit' | 'unreservedConcurrency'> & {
  functions: Array<
    Pick<FunctionStatus, 'name' | 'environments' | 'reservedConcurrency' | 'inFlight' | 'queuedEvents' | 'throttles'>
  >;
};

const THROTTLE_WINDOW_MS = 60_000;
const ACCOUNT_DEFAULT_CONCURRENCY = 1000;

export function createLambdaSignals(deps: {
  endpoint: string;
  lambda: LambdaClient;
  leases?: PlacementLeases;
  cacheMs?: number;
}) {
  const isLocalService = isLoopbackEndpoint(deps.endpoint);
  let cached: { at: number; status: LocalStatus } | undefined;

  async function localStatus(): Promise<LocalStatus> {
    if (cached && Date.now() - cached.at < (deps.cacheMs ?? 250)) return cached.status;
    const res = await fetch(new URL('/_spillway/status', deps.endpoint), { signal: AbortSignal.timeout(1_000) });
    if (!res.ok) throw new Error(`status answered ${res.status}`);
    const status = (await res.json()) as LocalStatus;
    cached = { at: Date.now(), status };
    return status;
  }

  async function forFunction(functionName: string): Promise<LambdaFunctionSignals> {
    const recentThrottles = (await deps.leases?.recentThrottles(functionName, THROTTLE_WINDOW_MS).catch(() => 0)) ?? 0;
    if (isLocalService) {
      try {
        const status = await localStatus();
        const fn = status.functions.find((f) => f.name === functionName);
        if (!fn) return { reachable: false, concurrencyHeadroom: 0, recentThrottles, warmIdle: 0, inFlight: 0 };
        const shared = status.functions
          .filter((f) => f.reservedConcurrency === null)
          .reduce((n, f) => n + f.inFlight + f.queuedEvents, 0);
        const headroom =
          fn.reservedConcurrency !== null
            ? fn.reservedConcurrency - fn.inFlight - fn.queuedEvents
            : status.unreservedConcurrency - shared;
        return {
          reachable: true,
          concurrencyHeadroom: Math.max(0, headroom),
          recentThrottles: Math.max(recentThrottles, recentLocalThrottles(fn.throttles.lastAt) ? 1 : 0),
          warmIdle: fn.environments.idle,
          inFlight: fn.inFlight,
        };
      } catch {
        return { reachable: false, concurrencyHeadroom: 0, recentThrottles, warmIdle: 0, inFlight: 0 };
      }
    }
    try {
      const concurrency = await deps.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }));
      const inFlight = (await deps.leases?.lambdaInFlight(functionName).catch(() => 0)) ?? 0;
      const limit = concurrency.ReservedConcurrentExecutions ?? ACCOUNT_DEFAULT_CONCURRENCY;
      // AWS does not say how many environments are warm; Spillway's warm pool keeps some, so count none for sure.
      return {
        reachable: true,
        concurrencyHeadroom: Math.max(0, limit - inFlight),
        recentThrottles,
        warmIdle: 0,
        inFlight,
      };
    } catch {
      return { reachable: false, concurrencyHeadroom: 0, recentThrottles, warmIdle: 0, inFlight: 0 };
    }
  }

  return { forFunction, isLocalService };
}

function recentLocalThrottles(lastAt: string | null): boolean {
  return lastAt !== null && Date.now() - Date.parse(lastAt) < THROTTLE_WINDOW_MS;
}

export type LambdaSignals = ReturnType<typeof createLambdaSignals>;
