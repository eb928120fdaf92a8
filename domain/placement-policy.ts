// Where an AUTO task runs. Pure: the same signals always give the same decision, and every decision says why.
import type { CostEstimate } from './cost-model';
import type { PlacementDecision } from './task-model';

/** Lambda's hard limits that decide placement before any preference does. */
export const LAMBDA_MAX_DURATION_MS = 15 * 60 * 1000;
export const LAMBDA_ASYNC_PAYLOAD_LIMIT_BYTES = 1024 * 1024;
/** Room left in the async payload for the event envelope and the completion token. */
const ENVELOPE_BYTES = 4 * 1024;

export interface PlacementSignals {
  /** Local tasks placed or running, across every worker (from Redis leases). */
  localInFlight: number;
  localPoolSize: number;
  /** Spill to Lambda once local in-flight reaches this many. */
  lambdaTaskThreshold: number;
  lambda: {
    reachable: boolean;
    /** Concurrent invocations the function can still take before Lambda throttles. */
    concurrencyHeadroom: number;
    /** Throttles of this function in the recent window. */
    recentThrottles: number;
    warmIdle: number;
  };
  expectedDurationMs: number;
  payloadBytes: number;
  cost: CostEstimate;
  fallbackToLocalOnThrottle: boolean;
}

const usd = (n: number) => `$${n.toFixed(8).replace(/0+$/, '').replace(/\.$/, '')}`;

export function decidePlacement(s: PlacementSignals): PlacementDecision {
  const inputs = { ...s } as unknown as Record<string, unknown>;
  const local = (reason: string): PlacementDecision => ({ placement: 'LOCAL', reason, inputs });
  const lambdaDecision = (reason: string): PlacementDecision => ({
    placement: 'LAMBDA',
    reason,
    inputs,
    fallbackToLocalOnThrottle: s.fallbackToLocalOnThrottle,
  });

  if (s.payloadBytes + ENVELOPE_BYTES > LAMBDA_ASYNC_PAYLOAD_LIMIT_BYTES) {
    return local(`payload of ${Math.ceil(s.payloadBytes / 1024)} KB is over Lambda's 1 MB async limit`);
  }
  if (s.expectedDurationMs > LAMBDA_MAX_DURATION_MS) {
    return local(`expected ${Math.round(s.expectedDurationMs / 60000)} min is over Lambda's 15-minute cap`);
  }
  if (s.localInFlight < s.lambdaTaskThreshold) {
    return local(
      `local in-flight ${s.localInFlight} is below the threshold ${s.lambdaTaskThreshold} ` +
        `(local ${usd(s.cost.local)} vs Lambda ${usd(s.cost.lambda.x86_64)})`,
    );
  }
  if (!s.lambda.reachable) return local('Lambda is unreachable, so the task stays local');
  if (s.lambda.concurrencyHeadroom <= 0) {
    return local(`Lambda has no concurrency headroom; local in-flight ${s.localInFlight}/${s.localPoolSize}`);
  }
  if (s.lambda.recentThrottles > 0 && s.localInFlight < s.localPoolSize) {
    return local(
      `Lambda throttled ${s.lambda.recentThrottles} time(s) recently and ` +
        `${s.localPoolSize - s.localInFlight} local slot(s) are free`,
    );
  }
  const warm = s.lambda.warmIdle > 0 ? `, ${s.lambda.warmIdle} warm` : ', cold start likely';
  return lambdaDecision(
    `local in-flight ${s.localInFlight} reached the threshold ${s.lambdaTaskThreshold}; ` +
      `Lambda headroom ${s.lambda.concurrencyHeadroom}${warm} (Lambda ${usd(s.cost.lambda.x86_64)})`,
  );
}
