// POST /api/placement/simulate: what `spillway simulate` does (cli/simulate.ts), for the dashboard. The recorded tasks
// of the period come from Temporal visibility (and, with `exact`, each task's attempts), the replay is the pure
// simulator (domain/placement-simulator.ts), and the same helpers build the trace and the settings, so the CLI and
// the API give the same figures for the same request. On top, the API can fit the local pool's overhead per task to
// the recorded LOCAL tasks, so that a replay of what happened ends when it really ended.
import type { Client } from '@temporalio/client';
import {
  actualResult,
  attemptDurations,
  gatherRecorded,
  parseDuration,
  recordedTask,
  simulationSettings,
  traceFromRecorded,
  visibilityQuery,
  type RecordedTask,
} from '../../cli/simulate';
import { TASK_NAME_KEY } from '../../domain/search-attributes';
import type { SpillwayConfig } from '../../domain/config';
import type { PriceTable } from '../../domain/cost-model';
import {
  comparePolicies,
  fitLocalOverhead,
  summaryOf,
  type PolicySpec,
  type SimulationSettings,
} from '../../domain/placement-simulator';
import { Errors } from '../errors';
import { SIMULATE_POLICIES, type SimulateBody, type SimulateResponse } from '../schemas/placement-schemas';

/** Visibility keeps closed workflows for the namespace's retention; further back there is nothing to read. */
const MAX_SINCE_MS = 400 * 86_400_000;

export function createSimulateService(deps: {
  client: Client;
  config: SpillwayConfig;
  prices: PriceTable;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;

  function policiesOf(body: SimulateBody): PolicySpec[] {
    const threshold = body.threshold ?? deps.config.scheduler.lambdaTaskThreshold;
    const objective = body.objective ?? deps.config.placement.objective;
    return (body.policies ?? [...SIMULATE_POLICIES])
      .slice()
      .sort((a, b) => SIMULATE_POLICIES.indexOf(a) - SIMULATE_POLICIES.indexOf(b))
      .map((p): PolicySpec => {
        switch (p) {
          case 'local':
            return { kind: 'LOCAL' };
          case 'lambda':
            return { kind: 'LAMBDA' };
          case 'threshold':
            return { kind: 'threshold', threshold };
          case 'predictive':
            return { kind: 'predictive', objective };
        }
      });
  }

  /** The period's finished tasks, as the CLI reads them; with a name, only the tasks submitted under it. */
  async function gather(since: Date, limit: number, type?: string, name?: string): Promise<RecordedTask[]> {
    if (name === undefined) return gatherRecorded(deps.client, since, limit, type);
    // The schema keeps quotes and backslashes out of the name.
    const query = `${visibilityQuery(since, type)} AND ${TASK_NAME_KEY.name} = '${name}'`;
    const out: RecordedTask[] = [];
    for await (const info of deps.client.workflow.list({ query, pageSize: 1000 })) {
      const task = recordedTask(info);
      if (task) out.push(task);
      if (out.length >= limit) break;
    }
    return out.sort((a, b) => a.submittedAt - b.submittedAt);
  }

  /** The LOCAL tasks of what happened, as the simulator and the clock saw them. */
  function calibrated(recorded: RecordedTask[], settings: SimulationSettings, runTimes?: ReadonlyMap<string, number>) {
    const local = recorded.filter((t) => t.placement === 'LOCAL');
    if (local.length === 0) return settings;
    const measured = Math.max(...local.map((t) => t.closedAt)) - Math.min(...local.map((t) => t.submittedAt));
    const localOverheadMs = fitLocalOverhead(traceFromRecorded(local, runTimes), settings, measured);
    return { ...settings, localOverheadMs };
  }

  return {
    async simulate(body: SimulateBody): Promise<SimulateResponse> {
      const sinceMs = parseDuration(body.since ?? '24h');
      if (sinceMs > MAX_SINCE_MS) {
        throw Errors.invalidSimulation(`since reaches back ${body.since}; at most 400 days of tasks can be replayed`);
      }
      const since = new Date(now() - sinceMs);
      const exact = body.exact ?? false;
      const recorded = await gather(since, body.limit ?? 5000, body.type, body.name);
      const runTimes = exact && recorded.length > 0 ? await attemptDurations(deps.client, recorded) : undefined;
      const base = simulationSettings(deps.config, deps.prices);
      const calibrate = body.calibrate ?? true;
      const settings = calibrate ? calibrated(recorded, base, runTimes) : base;
      const trace = traceFromRecorded(recorded, runTimes);
      return {
        since: since.toISOString(),
        tasks: recorded.length,
        exact,
        settings: {
          localPoolSize: settings.localPoolSize,
          localOverheadMs: settings.localOverheadMs ?? 0,
          calibrated: calibrate && recorded.some((t) => t.placement === 'LOCAL'),
          lambda: {
            concurrency: settings.lambda.concurrency,
            initMs: settings.lambda.initMs,
            overheadMs: settings.lambda.overheadMs,
            idleLifetimeMs: settings.lambda.idleLifetimeMs,
          },
        },
        actual: recorded.length > 0 ? summaryOf(actualResult(recorded)) : null,
        results: recorded.length > 0 ? comparePolicies(trace, settings, policiesOf(body)).map(summaryOf) : [],
      };
    },
  };
}

export type SimulateService = ReturnType<typeof createSimulateService>;
