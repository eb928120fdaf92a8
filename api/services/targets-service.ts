// GET /api/placement/targets: each Lambda target of LAMBDA_TARGETS with its latency monitor. Invoke round trips,
// health and throttles are measured by the workers that invoke (each publishes its monitor); the callback delay is
// measured here, where callbacks arrive (live/target-latency.ts). With several workers, the freshest report gives the
// round trips, a target is healthy only if every reporting worker finds it so, and throttled if any saw a throttle.
import { coldStartConcurrencyOf, type LatencySeries } from '../../clients/lambda-targets';
import { isLoopbackEndpoint } from '../../clients/lambda-client';
import type { SpillwayConfig } from '../../domain/config';
import type { PublishedMonitor, TargetLatencyStore } from '../../live/target-latency';
import type { TargetView, TargetsResponse } from '../schemas/placement-schemas';

const series = (s: LatencySeries | undefined) => ({
  ewmaMs: s?.ewmaMs === undefined ? null : Math.round(s.ewmaMs * 10) / 10,
  p95Ms: s?.p95Ms === undefined ? null : Math.round(s.p95Ms * 10) / 10,
  samples: s?.samples ?? 0,
});
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
/** The latest of some times, undefined when none is known. */
const latest = (times: Array<number | undefined>) => {
  const known = times.filter((t): t is number => t !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
};

export function createTargetsService(deps: {
  config: SpillwayConfig;
  latency?: TargetLatencyStore;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  return {
    async list(): Promise<TargetsResponse> {
      const at = now();
      const targets = deps.config.placement.lambdaTargets;
      const names = targets.map((t) => t.name);
      const [callbacks, monitors] = deps.latency
        ? await Promise.all([deps.latency.callbackSeries(names), deps.latency.monitors(names, at)])
        : [new Map<string, LatencySeries>(), new Map<string, PublishedMonitor[]>()];
      return {
        at: new Date(at).toISOString(),
        targets: targets.map((t): TargetView => {
          const reports = monitors.get(t.name) ?? [];
          const freshest = reports[0]?.snapshot;
          const local = t.endpoint !== undefined && isLoopbackEndpoint(t.endpoint);
          return {
            name: t.name,
            region: t.region,
            endpoint: t.endpoint ?? null,
            local,
            concurrency: t.concurrency ?? null,
            coldStartConcurrency: coldStartConcurrencyOf({ target: t, local }) ?? null,
            invoke: series(freshest?.invoke),
            callback: series(callbacks.get(t.name)),
            healthy: reports.length === 0 ? null : reports.every((r) => r.snapshot.healthy),
            consecutiveFailures: Math.max(0, ...reports.map((r) => r.snapshot.consecutiveFailures)),
            throttled: reports.some((r) => r.snapshot.throttled),
            lastThrottleAt: iso(latest(reports.map((r) => r.snapshot.lastThrottleAt))),
            lastSuccessAt: iso(latest(reports.map((r) => r.snapshot.lastSuccessAt))),
            reportedAt: iso(reports[0]?.at),
            workers: reports.length,
          };
        }),
      };
    },
  };
}

export type TargetsService = ReturnType<typeof createTargetsService>;
