// The AUTO placement activity: gathers the live signals, asks the pure policy, and keeps the local reservation
// consistent with the answer. Its result is recorded in the workflow history with every input that led to it.
import { estimateCosts, type PriceTable } from '../domain/cost-model';
import type { SpillwayConfig } from '../domain/config';
import { DEFAULT_EXPECTED_DURATION_MS } from '../domain/function-manifest';
import { decidePlacement as policy } from '../domain/placement-policy';
import type { PlacementDecision, TaskInput } from '../domain/task-model';
import type { LambdaSignals } from '../live/lambda-signals';
import type { PlacementLeases } from '../live/placement-leases';
import type { FunctionDirectory } from '../clients/function-directory';
import type { ControlsReader } from '../clients/operator-controls';
import { overridePlacement } from '../domain/operator-controls';
import { functionRef } from './task-event';

/** How long a placed local task may wait in the queue before its reservation lapses. */
const RESERVATION_TTL_MS = 5 * 60_000;

export function createDecidePlacement(deps: {
  config: SpillwayConfig['scheduler'];
  prices: PriceTable;
  leases?: PlacementLeases;
  lambdaSignals: LambdaSignals;
  functions: FunctionDirectory;
  controls: ControlsReader;
}) {
  return async function decidePlacement(task: TaskInput): Promise<PlacementDecision> {
    // An operator's override wins over every signal; the reason says who set it and why.
    const override = overridePlacement(await deps.controls.current(), 'AUTO');
    if (override) {
      if (override.placement === 'LOCAL' && deps.leases) {
        await deps.leases.holdLocal(task.id, RESERVATION_TTL_MS).catch(() => undefined);
      }
      return { placement: override.placement, reason: override.reason, fallbackToLocalOnThrottle: true };
    }
    // The function may have been deleted since submission: then the attempt fails with its own error, wherever.
    const fn = await deps.functions.resolve(functionRef(task)).catch(() => undefined);
    const expectedDurationMs = fn?.spillway.expectedDurationMs ?? DEFAULT_EXPECTED_DURATION_MS;
    const cost = estimateCosts(deps.prices, expectedDurationMs, fn?.memoryMB ?? 128);
    if (!deps.leases) {
      return { placement: 'LOCAL', reason: 'no live load signal is configured; staying local', inputs: { cost } };
    }
    let reservation: { inFlight: number; reserved: boolean };
    try {
      reservation = await deps.leases.reserveLocal(task.id, deps.config.lambdaTaskThreshold, RESERVATION_TTL_MS);
    } catch (err) {
      return {
        placement: 'LOCAL',
        reason: `the live load signal is unavailable (${(err as Error).message}); staying local`,
        inputs: { cost },
      };
    }
    const lambda = await deps.lambdaSignals.forFunction(task.functionName);
    const decision = policy({
      localInFlight: reservation.inFlight,
      localPoolSize: deps.config.localWorkerPoolSize,
      lambdaTaskThreshold: deps.config.lambdaTaskThreshold,
      lambda,
      expectedDurationMs,
      payloadBytes: Buffer.byteLength(JSON.stringify(task.payload ?? {})),
      cost,
      fallbackToLocalOnThrottle: deps.config.fallbackToLocalOnThrottle,
    });
    try {
      if (decision.placement === 'LOCAL' && !reservation.reserved) {
        await deps.leases.holdLocal(task.id, RESERVATION_TTL_MS);
      } else if (decision.placement === 'LAMBDA' && reservation.reserved) {
        await deps.leases.releaseLocal(task.id);
      }
    } catch {
      // The lease expires on its own; a wrong count for a few minutes only nudges later decisions.
    }
    return decision;
  };
}
