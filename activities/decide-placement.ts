// The AUTO placement activity: gathers the live signals, asks the pure policy (the threshold rule, or the predictor
// with SCHEDULER_AUTO_POLICY=predictive), and keeps the local reservation consistent with the answer. Its result is
// recorded in the workflow history with every input that led to it.
import { objectRefOf } from '../domain/object-ref';
import { estimateCosts, type CostEstimate, type PriceTable } from '../domain/cost-model';
import type { PlacementConfig, SpillwayConfig } from '../domain/config';
import type { DeployedFunction } from '../domain/deployed-function';
import { DEFAULT_EXPECTED_DURATION_MS } from '../domain/function-manifest';
import {
  invokeTarget,
  lambdaCandidate,
  payloadBytes,
  predictionTask,
  predictorParams,
  recordedDecision,
} from '../domain/placement-inputs';
import { decidePlacement as policy } from '../domain/placement-policy';
import { predictPlacement, type LearnedFigures } from '../domain/placement-predictor';
import { DEFAULT_TRANSFER_PRICES, type TransferPrices } from '../domain/region-model';
import type { PlacementDecision, TaskInput } from '../domain/task-model';
import type { LambdaFunctionSignals, LambdaSignals } from '../live/lambda-signals';
import type { PlacementLeases } from '../live/placement-leases';
import { learnedFigures, statsVersionKey, type LearnedQuery, type PlacementStats } from '../live/placement-stats';
import type { FunctionDirectory } from '../clients/function-directory';
import type { ControlsReader } from '../clients/operator-controls';
import { overridePlacement } from '../domain/operator-controls';
import { functionRef } from './task-event';
import { budgetSignal } from '../domain/placement-inputs';
import type { BudgetVerdict } from '../domain/budget-policy';
import type { BudgetBook } from '../live/budget-book';
import type { LambdaRoute, LambdaRoutes } from '../clients/lambda-routes';
import { lambdaCandidate as measuredCandidate } from '../clients/lambda-targets';
import type { LambdaCandidate } from '../domain/placement-predictor';
import { keepRegionRules } from '../domain/task-regions';
import { seriesAtLoad, type LoadSample, type TargetLatencyStore } from '../live/target-latency';

/** How long a placed local task may wait in the queue before its reservation lapses. */
const RESERVATION_TTL_MS = 5 * 60_000;

/** A predictive placement reserves a slot whatever the count, so a burst of placements sees every one before it. */
const ALWAYS = Number.MAX_SAFE_INTEGER;

/**
 * A task placed on Lambda counts as in flight there from the decision on, so the next decision of a burst sees it
 * waiting for an environment; the invoke renews the lease with the attempt's own timeout.
 */
const LAMBDA_PLACED_TTL_MS = 60_000;

/** Spillway's Lambda leases of one function by the target they were placed on ('': placed without one). */
type PlacedOnLambda = ReadonlyMap<string, number>;

const total = (placed: PlacedOnLambda) => [...placed.values()].reduce((n, c) => n + c, 0);

/** What predict() reads of the learned figures: the predictor's figures, the running local tasks, the cold share. */
interface LearnedReading {
  figures: LearnedFigures;
  runningRemainingMs?: number[];
  lambdaColdRatio?: number;
}

export function createDecidePlacement(deps: {
  config: SpillwayConfig['scheduler'];
  /** The predictive policy's settings; without them (or with autoPolicy 'threshold') the threshold rule decides. */
  placement?: PlacementConfig;
  /** The endpoint the invoke path calls (LAMBDA_ENDPOINT): its target is the predictor's Lambda candidate. */
  lambdaEndpoint?: string;
  transfer?: TransferPrices;
  /** Learned durations (live/placement-stats.ts); without them the manifest's expectation is the figure. */
  stats?: PlacementStats;
  prices: PriceTable;
  leases?: PlacementLeases;
  lambdaSignals: LambdaSignals;
  functions: FunctionDirectory;
  controls: ControlsReader;
  /** The budgets (SPILLWAY_BUDGETS): an exceeded one keeps AUTO tasks off Lambda, a nearly spent one weighs cost. */
  budgets?: BudgetBook;
  /** Every Lambda target with its signals and latency monitor; without them only the LAMBDA_ENDPOINT target counts. */
  routes?: LambdaRoutes;
  /** The callback delay of each target, as measured where callbacks arrive (live/target-latency.ts). */
  latency?: TargetLatencyStore;
  /**
   * Each target's monitor as the workers published it: for the API, which places AUTO tasks at submission but
   * invokes nothing, so its own monitors never measure. Without it, the process's own monitors.
   */
  publishedMonitors?: boolean;
}) {
  const predictive = deps.placement?.autoPolicy === 'predictive' ? deps.placement : undefined;

  /** The learned figures of the function, or the manifest's prior alone when Redis cannot say. */
  async function learned(query: LearnedQuery): Promise<LearnedReading> {
    const prior = (): LearnedReading => {
      const { lambdaColdRatio: _r, localObservedPerSec: _o, ...figures } = learnedFigures({}, {}, {}, 0, query, 1, 1);
      return { figures };
    };
    if (!deps.stats) return prior();
    try {
      const r = await deps.stats.read(query);
      return {
        // Only what the predictor weighs: the decision records its inputs.
        figures: {
          localDurationMs: r.localDurationMs,
          ...(r.localSlotMs !== undefined ? { localSlotMs: r.localSlotMs } : {}),
          lambdaDurationMs: r.lambdaDurationMs,
          initMs: r.initMs,
          localCpuShare: r.localCpuShare,
          localThroughputPerSec: r.localThroughputPerSec,
          samples: r.samples,
        },
        // The earliest to end are the slots the queue gets first; more than the pool never matters.
        runningRemainingMs: r.runningRemainingMs.slice(0, query.poolSize),
        lambdaColdRatio: r.lambdaColdRatio,
      };
    } catch {
      return prior();
    }
  }

  /**
   * One read of the same thing at a time: a burst's decisions arrive together, and each would otherwise repeat the
   * same Redis reads and status request while the first is still on its way. A decision that joins a read in flight
   * gets an answer no older than that read; nothing is kept once it lands.
   */
  const inFlight = new Map<string, Promise<unknown>>();
  function shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    const pending = inFlight.get(key) as Promise<T> | undefined;
    if (pending) return pending;
    const started = read().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  /**
   * What the prediction needs that is slow to gather and may be a moment old: the learned figures, each target's
   * signals and monitor. Returns the decision as a function of the counts that must be read in turn with the other
   * decisions of a burst (local in flight, Lambda placed and not yet running).
   */
  async function prepare(
    settings: PlacementConfig,
    task: TaskInput,
    fn: DeployedFunction | undefined,
    expectedDurationMs: number,
    verdict: BudgetVerdict | undefined,
  ): Promise<(localInFlight: number, lambdaPlaced: PlacedOnLambda) => PlacementDecision> {
    const poolSize = deps.config.localWorkerPoolSize;
    const versionKey = statsVersionKey(fn?.version, fn?.codeSha256);
    const [reading, targets] = await Promise.all([
      shared(`learned\n${task.functionName}\n${versionKey}\n${expectedDurationMs}`, () =>
        learned({
          functionName: task.functionName,
          versionKey,
          expectedDurationMs,
          defaultInitMs: settings.defaultInitMs,
          poolSize,
          now: Date.now(),
        }),
      ),
      shared(`targets\n${task.functionName}`, () => lambdaTargets(settings, task.functionName)),
    ]);
    return (localInFlight, lambdaPlaced) =>
      recordedDecision(
        predictPlacement({
          task: predictionTask({ ...task, storedPayloadBytes: objectRefOf(task.payload)?.sizeBytes }, fn),
          learned: reading.figures,
          local: {
            region: settings.localRegion,
            inFlight: localInFlight,
            poolSize,
            // Slot by slot when the running tasks' ends are known: queue ÷ throughput underestimates a burst's wait.
            ...(reading.runningRemainingMs ? { runningRemainingMs: reading.runningRemainingMs } : {}),
          },
          lambda: targets.map((candidate) => {
            const c = candidate(lambdaPlaced);
            return { ...c, coldRatio: c.coldRatio ?? reading.lambdaColdRatio };
          }),
          prices: deps.prices,
          transfer: deps.transfer ?? DEFAULT_TRANSFER_PRICES,
          budget: verdict ? budgetSignal(verdict) : undefined,
          params: predictorParams(settings, {
            fallbackToLocalOnThrottle: deps.config.fallbackToLocalOnThrottle,
            // With an object store, a payload too large for an event goes through it (api/services/payload-offload.ts).
            s3Available: settings.objectStore !== undefined,
          }),
        }),
      );
  }

  /**
   * Every target the predictor weighs, with what it knows of the function there, as a candidate once Spillway's own
   * count of Lambda invocations placed and not finished is known. That count is global, so it counts against the
   * default target only.
   */
  async function lambdaTargets(
    settings: PlacementConfig,
    functionName: string,
  ): Promise<Array<(placed: PlacedOnLambda) => LambdaCandidate>> {
    if (deps.routes) {
      const routes = deps.routes;
      const names = routes.all().map((r) => r.name);
      const [callbacks, dispatches, monitors] = await Promise.all([
        (deps.latency?.callbackSamples(names) ?? Promise.resolve(undefined)).catch(() => undefined),
        (deps.latency?.dispatchSamples(names) ?? Promise.resolve(undefined)).catch(() => undefined),
        (deps.publishedMonitors && deps.latency
          ? deps.latency.monitors(names, Date.now())
          : Promise.resolve(undefined)
        ).catch(() => undefined),
      ]);
      const facts = await Promise.all(routes.all().map((r) => r.signals.forFunction(functionName)));
      const now = Date.now();
      /** Placed on the target and not yet running there; a lease without a target was the default's. */
      const pendingOn = (placed: PlacedOnLambda, r: LambdaRoute, i: number) =>
        Math.max(
          0,
          (placed.get(r.name) ?? 0) +
            (r.name === routes.defaultName ? (placed.get('') ?? 0) : 0) -
            (facts[i]?.inFlight ?? 0),
        );
      return routes.all().map((r, i) => {
        // The newest worker's view of the target; none yet (no worker has invoked it) reads as unmeasured.
        const published = monitors?.get(r.name)?.[0]?.snapshot;
        return (placed: PlacedOnLambda) => {
          // A cold start waits for those placed on every target that starts environments on the same cores.
          const pending = routes
            .all()
            .reduce(
              (n, other, j) =>
                n + (other.handle.coldStartGroup === r.handle.coldStartGroup ? pendingOn(placed, other, j) : 0),
              0,
            );
          const f = facts[i] as LambdaFunctionSignals;
          // The delays met at the load this invocation will meet: the function's invocations placed, and itself.
          const load = total(placed) + 1;
          const atLoad = (samples: LoadSample[] | undefined) => (samples ? seriesAtLoad(samples, load) : undefined);
          return measuredCandidate(
            r.handle,
            f,
            now,
            pending,
            0,
            undefined,
            atLoad(callbacks?.get(r.name)),
            published,
            atLoad(dispatches?.get(r.name)),
          );
        };
      });
    }
    const target = invokeTarget(settings.lambdaTargets, deps.lambdaEndpoint ?? '');
    if (!target) return [];
    const facts = await deps.lambdaSignals.forFunction(functionName);
    return [(placed) => lambdaCandidate(target, facts, deps.prices, total(placed))];
  }

  /**
   * The predictive decisions of this process, settled in batches: each decision of a burst sees every one before
   * it, on Lambda as in the local pool, as if they ran one at a time, but a batch costs two Redis round trips
   * whatever its size. One at a time, a burst's decisions queued behind each other's round trips, and the last of
   * a burst of 40 waited for 40 of them before its task could be scheduled.
   */
  interface Pending {
    task: TaskInput;
    decide: (localInFlight: number, lambdaPlaced: PlacedOnLambda) => PlacementDecision;
    /** The task's cost estimate, which a decision made without the load signal still records. */
    cost: CostEstimate;
    done: (decision: PlacementDecision) => void;
    fail: (err: unknown) => void;
  }
  let queued: Pending[] = [];
  let settling = false;

  function placeInBatch(task: TaskInput, decide: Pending['decide'], cost: CostEstimate): Promise<PlacementDecision> {
    return new Promise((done, fail) => {
      queued.push({ task, decide, cost, done, fail });
      if (!settling) void settleQueued();
    });
  }

  async function settleQueued(): Promise<void> {
    settling = true;
    try {
      while (queued.length > 0) {
        const batch = queued;
        queued = [];
        await settle(batch);
      }
    } finally {
      settling = false;
    }
  }

  async function settle(batch: Pending[]): Promise<void> {
    const leases = deps.leases;
    if (!leases) {
      for (const p of batch) p.done(unavailable(new Error('no lease store'), p.task, p.cost));
      return;
    }
    // Every task of the batch takes its local slot at once, atomically in Redis (other processes see them), and
    // each reservation answers how many were in flight before it; Lambda's counts are read beside them.
    const functions = [...new Set(batch.map((p) => p.task.functionName))];
    let reservations: Array<{ inFlight: number }>;
    let lambdaBase: Map<string, PlacedOnLambda>;
    try {
      const [reserved, counts] = await Promise.all([
        Promise.all(batch.map((p) => leases.reserveLocal(p.task.id, ALWAYS, RESERVATION_TTL_MS))),
        Promise.all(functions.map((fn) => leases.lambdaInFlightByTarget(fn).catch(() => new Map<string, number>()))),
      ]);
      reservations = reserved;
      lambdaBase = new Map(functions.map((fn, i) => [fn, counts[i] ?? new Map<string, number>()]));
    } catch (err) {
      for (const p of batch) p.done(unavailable(err, p.task, p.cost));
      return;
    }
    // In order, each decision sees the slots the batch's earlier tasks kept and the Lambda places they took.
    let leftLocal = 0;
    const toLambda: Array<{ task: TaskInput; target: string }> = [];
    const decisions = batch.map((p, i): PlacementDecision | { failed: unknown } => {
      const placed = new Map(lambdaBase.get(p.task.functionName));
      for (const t of toLambda) {
        if (t.task.functionName === p.task.functionName) placed.set(t.target, (placed.get(t.target) ?? 0) + 1);
      }
      try {
        const decision = p.decide((reservations[i]?.inFlight ?? 0) - leftLocal, placed);
        if (decision.placement === 'LAMBDA') {
          leftLocal++;
          toLambda.push({ task: p.task, target: decision.target?.name ?? deps.routes?.defaultName ?? '' });
        }
        return decision;
      } catch (err) {
        // This decision's activity fails and is retried; its reserved slot stays held until then, as before.
        return { failed: err };
      }
    });
    try {
      await Promise.all(
        toLambda.flatMap(({ task: t, target }) => [
          leases.releaseLocal(t.id),
          leases.holdLambda(t.functionName, t.id, LAMBDA_PLACED_TTL_MS, target || undefined),
        ]),
      );
    } catch {
      // The lease expires on its own; a wrong count for a few minutes only nudges later decisions.
    }
    batch.forEach((p, i) => {
      const d = decisions[i];
      if (d && 'failed' in d) p.fail(d.failed);
      else p.done(d as PlacementDecision);
    });
  }

  /** Where the task's region rules let a decision that did not weigh them go. */
  const withinRules = <D extends PlacementDecision>(decision: D, task: TaskInput): PlacementDecision =>
    deps.placement
      ? keepRegionRules(decision, task, {
          localRegion: deps.placement.localRegion,
          targets: deps.placement.lambdaTargets,
          preferredTarget: deps.routes?.defaultName,
        })
      : decision;

  /** Redis cannot say what is in flight: the task stays local, and the reason says why. */
  const unavailable = (err: unknown, task: TaskInput, cost: CostEstimate): PlacementDecision =>
    withinRules(
      {
        placement: 'LOCAL',
        reason: `the live load signal is unavailable (${(err as Error).message}); staying local`,
        inputs: { cost },
      },
      task,
    );

  const thresholdDecision = (inputs: Parameters<typeof policy>[0], task: TaskInput) =>
    withinRules(policy(inputs), task);

  /** The budgets' say on the task; none when no budget applies or Redis cannot tell (placement never waits on it). */
  async function budgetVerdict(task: TaskInput): Promise<BudgetVerdict | undefined> {
    if (!deps.budgets || deps.budgets.budgets.length === 0) return undefined;
    try {
      return await deps.budgets.verdict({ id: task.id, type: task.type, tenant: task.fairness?.key });
    } catch {
      return undefined;
    }
  }

  return async function decidePlacement(task: TaskInput): Promise<PlacementDecision> {
    // An operator's override wins over every signal; the reason says who set it and why.
    const override = overridePlacement(await deps.controls.current(), 'AUTO');
    if (override) {
      const decided = withinRules(
        { placement: override.placement, reason: override.reason, fallbackToLocalOnThrottle: true },
        task,
      );
      if (decided.placement === 'LOCAL' && deps.leases) {
        await deps.leases.holdLocal(task.id, RESERVATION_TTL_MS).catch(() => undefined);
      }
      return decided;
    }
    const verdict = await budgetVerdict(task);
    // A budget at its limit stops paying for Lambda whatever its admission action; the reason names it.
    if (verdict?.level === 'exceeded' && !predictive) {
      const decided = withinRules(
        { placement: 'LOCAL', reason: `${verdict.message}; forced LOCAL`, fallbackToLocalOnThrottle: true },
        task,
      );
      if (decided.placement === 'LOCAL') {
        await deps.leases?.holdLocal(task.id, RESERVATION_TTL_MS).catch(() => undefined);
      }
      return decided;
    }
    // The function may have been deleted since submission: then the attempt fails with its own error, wherever.
    const fn = await deps.functions.resolve(functionRef(task)).catch(() => undefined);
    const expectedDurationMs = fn?.spillway.expectedDurationMs ?? DEFAULT_EXPECTED_DURATION_MS;
    const cost = estimateCosts(deps.prices, expectedDurationMs, fn?.memoryMB ?? 128);
    if (!deps.leases) {
      return withinRules(
        { placement: 'LOCAL', reason: 'no live load signal is configured; staying local', inputs: { cost } },
        task,
      );
    }
    const leases = deps.leases;
    if (predictive) {
      const decide = await prepare(predictive, task, fn, expectedDurationMs, verdict);
      return placeInBatch(task, decide, cost);
    }
    let reservation: { inFlight: number; reserved: boolean };
    try {
      reservation = await leases.reserveLocal(task.id, deps.config.lambdaTaskThreshold, RESERVATION_TTL_MS);
    } catch (err) {
      return unavailable(err, task, cost);
    }
    const decision = thresholdDecision(
      {
        localInFlight: reservation.inFlight,
        localPoolSize: deps.config.localWorkerPoolSize,
        lambdaTaskThreshold: deps.config.lambdaTaskThreshold,
        lambda: await deps.lambdaSignals.forFunction(task.functionName),
        expectedDurationMs,
        payloadBytes: objectRefOf(task.payload)?.sizeBytes ?? payloadBytes(task.payload),
        cost,
        fallbackToLocalOnThrottle: deps.config.fallbackToLocalOnThrottle,
      },
      task,
    );
    try {
      if (decision.placement === 'LOCAL' && !reservation.reserved) {
        await leases.holdLocal(task.id, RESERVATION_TTL_MS);
      } else if (decision.placement === 'LAMBDA' && reservation.reserved) {
        await leases.releaseLocal(task.id);
      }
    } catch {
      // The lease expires on its own; a wrong count for a few minutes only nudges later decisions.
    }
    return decision;
  };
}
