// Replays recorded tasks through a placement policy: a discrete-event model of the local pool (slots and a FIFO
// queue) and of Lambda (a concurrency limit, environments that stay warm for a while after use, cold starts that
// add their init), with the costs of cost-model.ts. Each policy sees the signals the real activity would see at
// the moment the task arrives. Pure: the same trace and settings always give the same figures.
import { Type, type Static } from '@sinclair/typebox';
import { estimateCosts, lambdaCost, localCost, type PriceTable } from './cost-model';
import { estimate, observe, type DecayedMean } from './duration-model';
import { decidePlacement } from './placement-policy';
import {
  AUTO_OBJECTIVES,
  DEFAULT_PREDICTOR_PARAMS,
  predictPlacement,
  type AutoObjective,
  type PredictorParams,
} from './placement-predictor';
import { DEFAULT_TRANSFER_PRICES, type TransferPrices } from './region-model';
import type { Placement } from './task-model';

/** One recorded task: when it arrived, what it ran, and how long it ran on each placement it is known on. */
export const TraceTaskSchema = Type.Object({
  id: Type.Optional(Type.String()),
  /** Epoch ms (or any common origin). */
  submittedAt: Type.Number(),
  type: Type.String(),
  functionName: Type.String(),
  payloadBytes: Type.Number({ minimum: 0 }),
  /** Run time per placement; a placement left out runs as long as the other (the same package runs on both). */
  durations: Type.Object({ LOCAL: Type.Optional(Type.Number()), LAMBDA: Type.Optional(Type.Number()) }),
  memoryMB: Type.Optional(Type.Integer()),
  /** CPU time over run time in the local pool; default 1. */
  cpuShare: Type.Optional(Type.Number()),
});
export type TraceTask = Static<typeof TraceTaskSchema>;

export const PolicySpecSchema = Type.Union([
  Type.Object({ kind: Type.Literal('LOCAL') }),
  Type.Object({ kind: Type.Literal('LAMBDA') }),
  Type.Object({ kind: Type.Literal('threshold'), threshold: Type.Integer({ minimum: 0 }) }),
  Type.Object({
    kind: Type.Literal('predictive'),
    objective: Type.Union(AUTO_OBJECTIVES.map((o) => Type.Literal(o))),
  }),
]);
export type PolicySpec = Static<typeof PolicySpecSchema>;

export interface SimulationSettings {
  localPoolSize: number;
  /** Time a local slot is held beyond the task's run (dispatch, reporting), ms; default 0. */
  localOverheadMs?: number;
  lambda: {
    concurrency: number;
    initMs: number;
    /** Invoke overhead plus network latency to the target, ms. */
    overheadMs: number;
    /** Environments warm when the trace starts. */
    warmAtStart: number;
    /** How long an idle environment stays warm. */
    idleLifetimeMs: number;
    /**
     * Environments that can start at once; more cold starts wait for one to finish its init. AWS: unlimited (the
     * default); a local Lambda service on a small machine: about its cores.
     */
    coldStartConcurrency?: number;
  };
  defaultMemoryMB: number;
  prices: PriceTable;
  transfer?: TransferPrices;
  /** For the predictive policy; its objective comes from the PolicySpec. */
  predictor?: Partial<PredictorParams>;
  /** Learned figures decay with this half-life, and the trace's mean duration counts as this many samples. */
  halfLifeMs?: number;
  priorWeight?: number;
}

export interface SimulatedTask {
  index: number;
  placement: Placement;
  start: number;
  finish: number;
  latencyMs: number;
  coldStart: boolean;
  costUsd: number;
}

/** A policy's figures over a trace (or what really happened): the shape the CLI prints and the API answers. */
export const SimulationSummarySchema = Type.Object(
  {
    policy: Type.String({ description: 'all LOCAL, all LAMBDA, threshold N, predictive <objective>, what happened' }),
    tasks: Type.Integer(),
    makespanMs: Type.Number({ description: 'First arrival to last completion' }),
    latencyMs: Type.Object(
      { p50: Type.Number(), p95: Type.Number(), mean: Type.Number() },
      { additionalProperties: false },
    ),
    costUsd: Type.Number(),
    placed: Type.Object({ LOCAL: Type.Integer(), LAMBDA: Type.Integer() }, { additionalProperties: false }),
    share: Type.Object({ LOCAL: Type.Number(), LAMBDA: Type.Number() }, { additionalProperties: false }),
    coldStarts: Type.Integer(),
  },
  { additionalProperties: false },
);
export type SimulationSummary = Static<typeof SimulationSummarySchema>;

export interface SimulationResult extends SimulationSummary {
  perTask: SimulatedTask[];
}

/** The result without its per-task detail. */
export function summaryOf({ perTask: _perTask, ...summary }: SimulationResult): SimulationSummary {
  return summary;
}

export function policyLabel(p: PolicySpec): string {
  switch (p.kind) {
    case 'LOCAL':
      return 'all LOCAL';
    case 'LAMBDA':
      return 'all LAMBDA';
    case 'threshold':
      return `threshold ${p.threshold}`;
    case 'predictive':
      return `predictive ${p.objective}`;
  }
}

interface Env {
  busyUntil: number;
  freeSince: number;
  /** When its init ends (a cold start); before that it is coming up. */
  readyAt: number;
}

type Event = { at: number; seq: number; kind: 'arrive' | 'local-done' | 'lambda-done'; index: number };

/** Nearest rank, as live/stats-reader.ts computes it. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

export function simulate(
  trace: readonly TraceTask[],
  settings: SimulationSettings,
  policy: PolicySpec,
): SimulationResult {
  const order = trace
    .map((t, index) => ({ t, index }))
    .sort((a, b) => a.t.submittedAt - b.t.submittedAt || a.index - b.index);
  const halfLifeMs = settings.halfLifeMs ?? 3_600_000;
  const priorWeight = settings.priorWeight ?? 3;
  const durationOf = (t: TraceTask, p: Placement) =>
    t.durations[p] ?? t.durations[p === 'LOCAL' ? 'LAMBDA' : 'LOCAL'] ?? 0;
  // The prior of each function: its mean recorded duration, as a manifest's expectedDurationMs would say.
  const priors = new Map<string, number>();
  for (const fn of new Set(trace.map((t) => t.functionName))) {
    const ds = trace.filter((t) => t.functionName === fn).map((t) => durationOf(t, 'LOCAL'));
    priors.set(fn, ds.reduce((a, b) => a + b, 0) / Math.max(1, ds.length));
  }
  const learned = new Map<string, DecayedMean>();
  const learn = (fn: string, p: Placement, ms: number, now: number) => {
    const key = `${fn}|${p}`;
    learned.set(key, observe(learned.get(key) ?? { mean: 0, weight: 0, at: now }, ms, now, halfLifeMs));
  };
  const figure = (fn: string, p: Placement, now: number) =>
    estimate(learned.get(`${fn}|${p}`), priors.get(fn) ?? 1000, priorWeight, now, halfLifeMs);

  const events: Event[] = [];
  let seq = 0;
  const push = (e: Omit<Event, 'seq'>) => {
    events.push({ ...e, seq: seq++ });
  };
  for (const { t, index } of order) push({ at: t.submittedAt, kind: 'arrive', index });

  const results: Array<SimulatedTask | undefined> = new Array(trace.length);
  let localRunning = 0;
  const runningLocal = new Set<number>();
  const localOverheadMs = settings.localOverheadMs ?? 0;
  const localQueue: number[] = [];
  const lambdaQueue: number[] = [];
  const envs: Env[] = Array.from({ length: settings.lambda.warmAtStart }, () => ({
    busyUntil: 0,
    freeSince: 0,
    readyAt: 0,
  }));
  const memoryOf = (t: TraceTask) => t.memoryMB ?? settings.defaultMemoryMB;
  const initSlots: number[] = Number.isFinite(settings.lambda.coldStartConcurrency ?? Infinity)
    ? Array.from({ length: Math.max(1, settings.lambda.coldStartConcurrency ?? 1) }, () => 0)
    : [];
  /** When a cold start asked for at `at` could begin its init. */
  const initStartAt = (at: number) => (initSlots.length === 0 ? at : Math.max(at, Math.min(...initSlots)));
  const initializing = (now: number) => envs.filter((e) => e.readyAt > now).length;

  const warmIdle = (now: number) =>
    envs.filter((e) => e.busyUntil <= now && now - e.freeSince <= settings.lambda.idleLifetimeMs).length;
  const busyEnvs = (now: number) => envs.filter((e) => e.busyUntil > now).length;

  const startLocal = (index: number, now: number) => {
    const t = trace[index] as TraceTask;
    const d = durationOf(t, 'LOCAL');
    const held = d + localOverheadMs;
    localRunning++;
    runningLocal.add(index);
    results[index] = {
      index,
      placement: 'LOCAL',
      start: now,
      finish: now + held,
      latencyMs: now + held - t.submittedAt,
      coldStart: false,
      costUsd: localCost(settings.prices, d * (t.cpuShare ?? 1)),
    };
    push({ at: now + held, kind: 'local-done', index });
  };

  const startLambda = (index: number, now: number) => {
    const t = trace[index] as TraceTask;
    // Reclaim environments idle for longer than their lifetime.
    for (let i = envs.length - 1; i >= 0; i--) {
      const e = envs[i] as Env;
      if (e.busyUntil <= now && now - e.freeSince > settings.lambda.idleLifetimeMs) envs.splice(i, 1);
    }
    let env = envs.find((e) => e.busyUntil <= now);
    const cold = env === undefined;
    if (!env) {
      env = { busyUntil: now, freeSince: now, readyAt: now };
      envs.push(env);
    }
    const d = durationOf(t, 'LAMBDA');
    const init = cold ? settings.lambda.initMs : 0;
    let ready = now + settings.lambda.overheadMs + init;
    if (cold && initSlots.length > 0) {
      const slot = initSlots.indexOf(Math.min(...initSlots));
      ready = initStartAt(now + settings.lambda.overheadMs) + init;
      initSlots[slot] = ready;
    }
    const finish = ready + d;
    env.readyAt = ready;
    env.busyUntil = finish;
    env.freeSince = finish;
    results[index] = {
      index,
      placement: 'LAMBDA',
      start: now,
      finish,
      latencyMs: finish - t.submittedAt,
      coldStart: cold,
      costUsd: lambdaCost(settings.prices, {
        memoryMB: memoryOf(t),
        billedDurationMs: d,
        initDurationMs: init,
        architecture: 'x86_64',
      }),
    };
    push({ at: finish, kind: 'lambda-done', index });
  };

  const place = (index: number, now: number): Placement => {
    const t = trace[index] as TraceTask;
    const localInFlight = localRunning + localQueue.length;
    const headroom = settings.lambda.concurrency - busyEnvs(now) - lambdaQueue.length;
    switch (policy.kind) {
      case 'LOCAL':
      case 'LAMBDA':
        return policy.kind;
      case 'threshold': {
        const expected = figure(t.functionName, 'LOCAL', now).value;
        return decidePlacement({
          localInFlight,
          localPoolSize: settings.localPoolSize,
          lambdaTaskThreshold: policy.threshold,
          lambda: { reachable: true, concurrencyHeadroom: headroom, recentThrottles: 0, warmIdle: warmIdle(now) },
          expectedDurationMs: expected,
          payloadBytes: t.payloadBytes,
          cost: estimateCosts(settings.prices, expected, memoryOf(t)),
          fallbackToLocalOnThrottle: true,
        }).placement;
      }
      case 'predictive': {
        const local = figure(t.functionName, 'LOCAL', now);
        const lambda = figure(t.functionName, 'LAMBDA', now);
        try {
          return predictPlacement({
            task: { payloadBytes: t.payloadBytes, memoryMB: memoryOf(t), architecture: 'x86_64' },
            learned: {
              localDurationMs: local.value,
              lambdaDurationMs: lambda.value,
              initMs: settings.lambda.initMs,
              localCpuShare: t.cpuShare ?? 1,
              samples: { local: local.samples, lambda: lambda.samples, init: 1 },
            },
            local: {
              region: 'sim',
              inFlight: localInFlight,
              poolSize: settings.localPoolSize,
              runningRemainingMs: [...runningLocal].map((i) => (results[i]?.finish ?? now) - now),
            },
            lambda: [
              {
                name: 'sim',
                region: 'sim',
                reachable: true,
                healthy: true,
                concurrencyHeadroom: headroom,
                inFlight: busyEnvs(now),
                pending: lambdaQueue.length,
                warmIdle: warmIdle(now),
                initializing: initializing(now),
                coldStartConcurrency: settings.lambda.coldStartConcurrency,
                recentThrottles: 0,
                latencyMs: 0,
                callbackDelayMs: 0,
                prices: settings.prices,
              },
            ],
            prices: settings.prices,
            transfer: settings.transfer ?? DEFAULT_TRANSFER_PRICES,
            params: {
              ...DEFAULT_PREDICTOR_PARAMS,
              invokeOverheadMs: settings.lambda.overheadMs,
              localOverheadMs,
              ...settings.predictor,
              objective: policy.objective as AutoObjective,
            },
          }).placement;
        } catch {
          return 'LOCAL';
        }
      }
    }
  };

  // Events in time order; at one moment completions come before arrivals, so a freed slot is seen.
  const rank = { 'local-done': 0, 'lambda-done': 0, arrive: 1 } as const;
  for (let guard = 0; events.length > 0 && guard < trace.length * 4 + 10; guard++) {
    events.sort((a, b) => a.at - b.at || rank[a.kind] - rank[b.kind] || a.seq - b.seq);
    const e = events.shift() as Event;
    const t = trace[e.index] as TraceTask;
    if (e.kind === 'arrive') {
      const where = place(e.index, e.at);
      if (where === 'LOCAL') {
        if (localRunning < settings.localPoolSize) startLocal(e.index, e.at);
        else localQueue.push(e.index);
      } else if (busyEnvs(e.at) < settings.lambda.concurrency && lambdaQueue.length === 0) startLambda(e.index, e.at);
      else lambdaQueue.push(e.index);
    } else if (e.kind === 'local-done') {
      localRunning--;
      runningLocal.delete(e.index);
      learn(t.functionName, 'LOCAL', durationOf(t, 'LOCAL'), e.at);
      const next = localQueue.shift();
      if (next !== undefined) startLocal(next, e.at);
    } else {
      learn(t.functionName, 'LAMBDA', durationOf(t, 'LAMBDA'), e.at);
      const next = lambdaQueue.shift();
      if (next !== undefined) startLambda(next, e.at);
    }
  }

  const done = results.filter((r): r is SimulatedTask => r !== undefined);
  const latencies = done.map((r) => r.latencyMs).sort((a, b) => a - b);
  const first = Math.min(...trace.map((t) => t.submittedAt));
  const placed = {
    LOCAL: done.filter((r) => r.placement === 'LOCAL').length,
    LAMBDA: done.filter((r) => r.placement === 'LAMBDA').length,
  };
  const n = Math.max(1, done.length);
  return {
    policy: policyLabel(policy),
    tasks: done.length,
    makespanMs: done.length ? Math.max(...done.map((r) => r.finish)) - first : 0,
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      mean: latencies.reduce((a, b) => a + b, 0) / n,
    },
    costUsd: done.reduce((a, r) => a + r.costUsd, 0),
    placed,
    share: { LOCAL: placed.LOCAL / n, LAMBDA: placed.LAMBDA / n },
    coldStarts: done.filter((r) => r.coldStart).length,
    perTask: done.sort((a, b) => a.index - b.index),
  };
}

/** The same trace through several policies, in the order given. */
export function comparePolicies(
  trace: readonly TraceTask[],
  settings: SimulationSettings,
  policies: readonly PolicySpec[],
): SimulationResult[] {
  return policies.map((p) => simulate(trace, settings, p));
}

/**
 * The local pool's time per task beyond the run (dispatch, reporting, the workflow's own steps), fitted so that
 * replaying the trace's LOCAL tasks in the local pool ends when they really ended. A saturated pool's makespan grows
 * by the overhead once per round of `localPoolSize` tasks, so two secant steps from 0 land close; the answer is
 * never negative. Pure.
 */
export function fitLocalOverhead(
  localTrace: readonly TraceTask[],
  settings: SimulationSettings,
  measuredMakespanMs: number,
): number {
  if (localTrace.length === 0 || !(measuredMakespanMs > 0)) return 0;
  const makespan = (overhead: number) =>
    simulate(localTrace, { ...settings, localOverheadMs: overhead }, { kind: 'LOCAL' }).makespanMs;
  const rounds = Math.max(1, Math.ceil(localTrace.length / Math.max(1, settings.localPoolSize)));
  let overhead = Math.max(0, (measuredMakespanMs - makespan(0)) / rounds);
  for (let i = 0; i < 2 && overhead > 0; i++) {
    const miss = measuredMakespanMs - makespan(overhead);
    if (Math.abs(miss) < 1) break;
    overhead = Math.max(0, overhead + miss / rounds);
  }
  return Math.round(overhead * 10) / 10;
}
