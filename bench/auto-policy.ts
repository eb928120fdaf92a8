// Section "AUTO policies" (issue 14; bench/run.ts runs it as `--only=policy`): three bursts,
// measured in one run, each under all-LOCAL, all-LAMBDA, threshold AUTO and predictive AUTO:
//   burst: the AUTO section's own (options.burst × flaky {sleepMs: options.burstSleepMs});
//   short: options.burst × flaky {sleepMs: 100}, where a cold start costs more than the queue;
//   long:  2 × options.pool × flaky {sleepMs: 5000}, where the queue costs more than a cold start.
// Makespan is first submission to last completion; cost is the sum of costUsd of GET /api/tasks/:id. Beside the
// measured runs, the policy simulator (domain/placement-simulator.ts) replays the measured LOCAL run's arrivals and
// run times through each policy, so the simulator's figures can be compared with the re-run.
// Switching the worker between the threshold and the predictive policy needs the stack's help: the caller passes
// setAutoPolicy (restart the worker with SCHEDULER_AUTO_POLICY); without it the AUTO runs use whatever the worker
// has, and are labelled so.
// Every run starts alike: a freshly started worker with its local pool warm (a restarted worker has no local
// execution environment, and a LOCAL run after an AUTO one would inherit its warm ones), Lambda with none. Each burst starts with nothing learned of `flaky`,
// so its runs teach the predictor that burst's run time, not the mean of three different ones.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadPriceTable } from '../domain/price-table';
import { connectRedis } from '../live/redis-client';
import { placementStatsKeys } from '../live/placement-stats';
import { comparePolicies, type PolicySpec, type SimulationResult, type TraceTask } from '../domain/placement-simulator';
import { LOCAL_TARGET, type AutoPolicy } from '../domain/placement-predictor';
import type { AttemptRecord, PlacementDecision } from '../domain/task-model';
import type { BenchContext } from './context';
import { request, requestJson } from './http';
import { fmt, usd, verdict } from './report';
import { percentile, ratio, round, sleep, summarize, withTimeout, type Summary } from './stats';

export type PolicyRun = 'LOCAL' | 'LAMBDA' | 'AUTO threshold' | 'AUTO predictive';
export const POLICY_RUNS: readonly PolicyRun[] = ['LOCAL', 'LAMBDA', 'AUTO threshold', 'AUTO predictive'];

export interface BurstSpec {
  name: 'burst' | 'short' | 'long';
  size: number;
  sleepMs: number;
}

export interface AutoPolicyDeps {
  /** Restarts the worker (and the API if it decides) with SCHEDULER_AUTO_POLICY=policy and waits until it polls. */
  setAutoPolicy?: (policy: AutoPolicy) => Promise<void>;
}

export interface PolicyBurstRun {
  burst: BurstSpec['name'];
  run: PolicyRun;
  /** Which round of the section (1-based; --policy-rounds); a single run outside the section has none. */
  round?: number;
  /** False when setAutoPolicy was not given: the AUTO run used the worker's own policy. */
  policyConfirmed: boolean;
  size: number;
  completed: number;
  makespanMs: number;
  latencyMs: Summary;
  costUsd: number;
  placements: Record<string, number>;
  coldStarts: number;
  errors: string[];
  /** Submission offset, run time and client-seen latency of each task, for the simulator and its calibration. */
  trace: Array<{
    offsetMs: number;
    runMs: number;
    latencyMs: number;
    coldStart: boolean;
    placement: string;
    /** For a LAMBDA placement: the target the decision named (absent: the default target). */
    target?: { name: string; region: string };
    /** How the task's attempts ran, in order (a LAMBDA task may fall back to LOCAL). */
    attemptPlacements?: string[];
    /** From submission to the placement decision, ms (the workflow's start and, for AUTO, the decision). */
    placedMs?: number;
    /** From submission to the attempt's start (a local slot taken, or the Lambda invoke), ms. */
    attemptMs?: number;
    /** From submission to the handler's start, ms: the queue, the cold start and the path's overhead. */
    startMs?: number;
    /** From submission to the attempt's end as recorded (a Lambda callback's arrival at the API), ms. */
    attemptEndMs?: number;
    /** From submission to the end the workflow recorded, ms; the client sees it after the workflow closes. */
    endMs?: number;
    reason?: string;
    /** Predictive AUTO: the chosen target's predicted time from the decision to the task's end, ms. */
    predictedMs?: number;
    /** Predictive AUTO: the chosen target's estimate, term by term, and what the decision read of Lambda. */
    breakdown?: Record<string, unknown>;
    learned?: { initMs?: number; callbackDelayMs?: number; latencyMs?: number };
    /** The successful attempt's Init Duration and how much its burst stretched it. */
    initDurationMs?: number;
    initContention?: number;
  }>;
}

export interface AutoPolicyResult {
  runs: PolicyBurstRun[];
  simulated: Array<{ burst: BurstSpec['name']; calibration: Calibration; results: SimulationResult[] }>;
}

interface TaskView {
  status: string;
  costUsd?: number;
  submittedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  placement?: Pick<PlacementDecision, 'placement' | 'reason' | 'target' | 'estimates' | 'inputs'>;
  attempts: Array<
    Pick<
      AttemptRecord,
      | 'placement'
      | 'coldStart'
      | 'durationMs'
      | 'outcome'
      | 'startedAt'
      | 'finishedAt'
      | 'initDurationMs'
      | 'initContention'
    >
  >;
}

export function burstSpecs(options: BenchContext['options']): BurstSpec[] {
  return [
    { name: 'burst', size: options.burst, sleepMs: options.burstSleepMs },
    { name: 'short', size: options.burst, sleepMs: 100 },
    { name: 'long', size: options.pool * 2, sleepMs: 5000 },
  ];
}

/** Waits until no `flaky` environment is left on the given local Lambda services (default: the stack's). */
export async function waitNoEnvironments(
  ctx: BenchContext,
  urls: readonly string[] = [ctx.stack.lambdaUrl],
): Promise<void> {
  const deadline = Date.now() + ctx.options.lambdaIdleReclaimMs + 15_000;
  const left = async (url: string) => {
    const status = await requestJson<{ functions: Array<{ name: string; environments: { total: number } }> }>(
      `${url}/_spillway/status`,
    );
    return status.functions.find((f) => f.name === 'flaky')?.environments.total ?? 0;
  };
  while (Date.now() < deadline) {
    if ((await Promise.all(urls.map(left))).every((n) => n === 0)) return;
    await sleep(200);
  }
  ctx.log('  warning: flaky environments were not reclaimed before the run');
}

/** Forgets what placement learned of `flaky` and of the local pool (live/placement-stats.ts). */
export async function forgetLearned(ctx: BenchContext): Promise<void> {
  const redis = connectRedis(ctx.stack.redisUrl, 'spillway-bench');
  try {
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    const keys = placementStatsKeys(ctx.stack.redisPrefix);
    const versions = await redis.keys(`${keys.fn('flaky')}@*`);
    await redis.del(keys.fn('flaky'), keys.pool, keys.poolDone, ...versions);
  } finally {
    redis.disconnect();
  }
}

/**
 * One `flaky` task per local slot, all at once, each awaited, running what the burst runs: a burst's warm-up or a
 * round that teaches the predictor. `fields` adds to the i-th task's POST /api/tasks body.
 */
export async function onePerSlot(
  ctx: BenchContext,
  spec: BurstSpec,
  label: string,
  executionMode: 'LOCAL' | 'LAMBDA',
  fields: (i: number) => Record<string, unknown> = () => ({}),
): Promise<void> {
  const { stack, client } = ctx;
  await Promise.all(
    Array.from({ length: ctx.options.pool }, async (_, i) => {
      const created = await requestJson<{ id: string }>(
        `${stack.apiUrl}/api/tasks`,
        {
          body: JSON.stringify({
            name: `bench ${label} ${i}`,
            type: 'flaky',
            executionMode,
            payload: { sleepMs: spec.sleepMs },
            ...fields(i),
          }),
        },
        [201],
      );
      await withTimeout(client.workflow.getHandle(created.id).result(), 120_000, `${label} ${created.id}`);
    }),
  );
}

/** Brings up one local execution environment of `flaky` per slot. */
export const warmLocalPool = (ctx: BenchContext, spec: BurstSpec): Promise<void> =>
  onePerSlot(ctx, spec, `policy warm-up ${spec.name}`, 'LOCAL');

/** What a run adds to every task it submits: fields of the POST /api/tasks body, and a label for the names. */
export interface RunExtras {
  body?: Record<string, unknown>;
  label?: string;
}

export async function runOne(
  ctx: BenchContext,
  spec: BurstSpec,
  run: PolicyRun,
  confirmed: boolean,
  extras: RunExtras = {},
): Promise<PolicyBurstRun> {
  const { stack, client } = ctx;
  const mode = run.startsWith('AUTO') ? 'AUTO' : run;
  const ids: Array<{ id: string; offsetMs: number }> = [];
  const latencyById = new Map<string, number>();
  const latencies: number[] = [];
  const errors: string[] = [];
  let lastDone = 0;
  const start = performance.now();
  const timeoutMs = Math.max(180_000, spec.sleepMs * spec.size * 2);
  await Promise.all(
    Array.from({ length: spec.size }, async (_, i) => {
      const t0 = performance.now();
      try {
        const created = await requestJson<{ id: string }>(
          `${stack.apiUrl}/api/tasks`,
          {
            body: JSON.stringify({
              name: `bench ${extras.label ?? 'policy'} ${spec.name} ${run} ${i}`,
              type: 'flaky',
              executionMode: mode,
              payload: { sleepMs: spec.sleepMs },
              ...extras.body,
            }),
          },
          [201],
        );
        ids.push({ id: created.id, offsetMs: t0 - start });
        await withTimeout(client.workflow.getHandle(created.id).result(), timeoutMs, `task ${created.id}`);
        const done = performance.now();
        latencies.push(done - t0);
        latencyById.set(created.id, done - t0);
        lastDone = Math.max(lastDone, done);
      } catch (err) {
        if (errors.length < 5) errors.push((err as Error).message);
      }
    }),
  );
  let costUsd = 0;
  let coldStarts = 0;
  const placements: Record<string, number> = {};
  const trace: PolicyBurstRun['trace'] = [];
  for (const { id, offsetMs } of ids) {
    const res = await request(`${stack.apiUrl}/api/tasks/${id}`);
    if (res.status !== 200) continue;
    const view = JSON.parse(res.body) as TaskView;
    costUsd += view.costUsd ?? 0;
    const where = view.placement?.placement ?? 'unknown';
    placements[where] = (placements[where] ?? 0) + 1;
    coldStarts += view.attempts.filter((a) => a.coldStart === true).length;
    const ok = view.attempts.find((a) => a.outcome === 'succeeded' && a.durationMs !== undefined);
    const handlerStart =
      ok?.finishedAt && ok.durationMs !== undefined ? Date.parse(ok.finishedAt) - ok.durationMs : undefined;
    const chosen = view.placement?.estimates?.find(
      (e) => e.target === (view.placement?.placement === 'LAMBDA' ? view.placement.target?.name : LOCAL_TARGET),
    );
    const since = (at: string | number | undefined) =>
      at !== undefined && view.submittedAt
        ? round((typeof at === 'number' ? at : Date.parse(at)) - Date.parse(view.submittedAt))
        : undefined;
    trace.push({
      offsetMs: round(offsetMs),
      runMs: ok?.durationMs ?? spec.sleepMs,
      latencyMs: round(latencyById.get(id) ?? 0),
      coldStart: view.attempts.some((a) => a.coldStart === true),
      placement: where,
      target: view.placement?.target,
      attemptPlacements: view.attempts.map((a) => a.placement),
      placedMs: since(view.startedAt),
      attemptMs: since(ok?.startedAt),
      startMs: since(handlerStart),
      attemptEndMs: since(ok?.finishedAt),
      endMs: since(view.finishedAt),
      reason: run === 'AUTO predictive' ? view.placement?.reason : undefined,
      predictedMs: chosen?.completionMs,
      breakdown: chosen?.breakdown,
      learned: learnedOf(view.placement?.inputs),
      initDurationMs: ok?.initDurationMs,
      initContention: ok?.initContention,
    });
  }
  return {
    burst: spec.name,
    run,
    policyConfirmed: confirmed,
    size: spec.size,
    completed: latencies.length,
    makespanMs: round((lastDone || performance.now()) - start),
    latencyMs: summarize(latencies),
    costUsd,
    placements,
    coldStarts,
    errors,
    trace,
  };
}

/** The measured LOCAL run as a simulator trace: its arrivals and the run time each task had. */
/** What a predictive decision read of Lambda: the learned init and the first target's delays. */
function learnedOf(
  inputs: Record<string, unknown> | undefined,
): NonNullable<PolicyBurstRun['trace'][number]['learned']> {
  const learned = inputs?.learned as { initMs?: number } | undefined;
  const lambda = (inputs?.lambda as Array<{ callbackDelayMs?: number; latencyMs?: number }> | undefined)?.[0];
  return { initMs: learned?.initMs, callbackDelayMs: lambda?.callbackDelayMs, latencyMs: lambda?.latencyMs };
}

export function traceOf(run: PolicyBurstRun): TraceTask[] {
  return run.trace.map((t, i) => ({
    id: String(i),
    submittedAt: t.offsetMs,
    type: 'flaky',
    functionName: 'flaky',
    payloadBytes: 20,
    durations: { LOCAL: t.runMs },
    cpuShare: 0.01,
  }));
}

export interface Calibration {
  /** Slot time beyond the run, from the all-LOCAL run: makespan × pool / tasks − mean run. */
  localOverheadMs: number;
  /**
   * The local Lambda service starts about one environment per core at a time: a burst of n cold starts takes
   * n / cores inits, so one init is (all-LAMBDA makespan − mean run − overhead) × cores / n.
   */
  initMs: number;
  coldStartConcurrency: number;
  overheadMs: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** The simulator's model fitted to this machine from the two single-placement runs of the same burst. */
export function calibrate(
  local: PolicyBurstRun,
  lambda: PolicyBurstRun,
  pool: number,
  cores: number,
  overheadMs = 20,
): Calibration {
  const localRun = mean(local.trace.map((t) => t.runMs));
  const slots = Math.min(pool, Math.max(1, local.trace.length));
  const lambdaRun = mean(lambda.trace.map((t) => t.runMs));
  const colds = Math.max(1, lambda.trace.filter((t) => t.coldStart).length);
  const coldWindow = Math.max(0, lambda.makespanMs - lambdaRun - overheadMs);
  return {
    localOverheadMs: round(Math.max(0, (local.makespanMs * slots) / Math.max(1, local.trace.length) - localRun)),
    initMs: round((coldWindow * Math.min(cores, colds)) / colds),
    coldStartConcurrency: Math.max(1, cores),
    overheadMs,
  };
}

export async function autoPolicy(ctx: BenchContext, deps: AutoPolicyDeps = {}): Promise<AutoPolicyResult> {
  const { options, log } = ctx;
  const runs: PolicyBurstRun[] = [];
  const simulated: AutoPolicyResult['simulated'] = [];
  for (const spec of burstSpecs(options)) {
    // Learned once per burst, then kept across its rounds, as a deployment keeps learning.
    await forgetLearned(ctx);
    for (let round = 1; round <= options.policyRounds; round++) {
      for (const run of POLICY_RUNS) {
        let confirmed = !run.startsWith('AUTO');
        if (deps.setAutoPolicy) {
          // A fresh worker for every run, not only for the AUTO ones: a process that has not yet run a burst (cold JIT,
          // empty workflow cache) is slower, and only the AUTO runs would pay for it.
          await deps.setAutoPolicy(run === 'AUTO threshold' ? 'threshold' : 'predictive');
          confirmed = true;
        }
        await warmLocalPool(ctx, spec);
        await waitNoEnvironments(ctx);
        await sleep(1000);
        log(
          `AUTO policies, ${spec.name}: ${spec.size} × flaky {sleepMs: ${spec.sleepMs}} as ${run}, ` +
            `round ${round} of ${options.policyRounds} ...`,
        );
        const r = { ...(await runOne(ctx, spec, run, confirmed)), round };
        log(
          `  makespan ${fmt(r.makespanMs)} ms, p95 ${fmt(r.latencyMs.p95)} ms, cost ${usd(r.costUsd)}, ` +
            `placements ${JSON.stringify(r.placements)}${confirmed ? '' : ' (policy not switched)'}` +
            (r.completed < r.size ? `, ${r.size - r.completed} FAILED (${r.errors[0]})` : ''),
        );
        runs.push(r);
      }
    }
    const local = runs.find((r) => r.burst === spec.name && r.run === 'LOCAL');
    const lambdaRun = runs.find((r) => r.burst === spec.name && r.run === 'LAMBDA');
    if (local && lambdaRun && local.trace.length > 0) {
      const fit = calibrate(local, lambdaRun, options.pool, os.cpus().length);
      log(
        `  simulator fitted: local overhead ${fit.localOverheadMs} ms per task, ` +
          `cold start ${fit.initMs} ms, ${fit.coldStartConcurrency} at a time`,
      );
      const policies: PolicySpec[] = [
        { kind: 'LOCAL' },
        { kind: 'LAMBDA' },
        { kind: 'threshold', threshold: options.threshold },
        { kind: 'predictive', objective: 'balanced' },
      ];
      const results = comparePolicies(
        traceOf(local),
        {
          localPoolSize: options.pool,
          localOverheadMs: fit.localOverheadMs,
          lambda: {
            concurrency: 1000,
            initMs: fit.initMs,
            overheadMs: fit.overheadMs,
            warmAtStart: 0,
            idleLifetimeMs: options.lambdaIdleReclaimMs,
            coldStartConcurrency: fit.coldStartConcurrency,
          },
          defaultMemoryMB: 128,
          prices: loadPriceTable(),
        },
        policies,
      );
      simulated.push({ burst: spec.name, calibration: fit, results });
    }
  }
  report(ctx, runs, simulated);
  return { runs, simulated };
}

/** One contender's rounds of a burst, and the medians it is judged on. */
interface Contender {
  run: PolicyRun;
  rounds: PolicyBurstRun[];
  makespanMs: number;
  costUsd: number;
  completed: boolean;
  confirmed: boolean;
}

/** The rounds' median, by the nearest rank every other figure of the bench uses (bench/stats.ts). */
const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  ) ?? 0;

function contender(runs: PolicyBurstRun[], burst: string, run: PolicyRun): Contender | undefined {
  const rounds = runs.filter((r) => r.burst === burst && r.run === run);
  if (rounds.length === 0) return undefined;
  return {
    run,
    rounds,
    makespanMs: median(rounds.map((r) => r.makespanMs)),
    costUsd: median(rounds.map((r) => r.costUsd)),
    completed: rounds.every((r) => r.completed === r.size),
    confirmed: rounds.every((r) => r.policyConfirmed),
  };
}

/** "median of 3: 4915, 5010, 4880 ms" for several rounds; nothing for one. */
function ofRounds(c: Contender, value: (r: PolicyBurstRun) => string): string {
  return c.rounds.length > 1 ? `, median of ${c.rounds.length}: ${c.rounds.map(value).join('; ')}` : '';
}

function report(ctx: BenchContext, runs: PolicyBurstRun[], simulated: AutoPolicyResult['simulated']): void {
  for (const spec of burstSpecs(ctx.options)) {
    const of = (run: PolicyRun) => contender(runs, spec.name, run);
    const local = of('LOCAL');
    const lambda = of('LAMBDA');
    if (!local || !lambda) continue;
    const better = local.makespanMs <= lambda.makespanMs ? local : lambda;
    const section = `AUTO policies, ${spec.name} (${spec.size} × ${spec.sleepMs} ms, pool ${ctx.options.pool})`;
    for (const c of POLICY_RUNS.map(of).filter((x): x is Contender => x !== undefined)) {
      const judged = c.run === 'AUTO predictive' && c.confirmed;
      ctx.rows.push(
        {
          section,
          figure: `${c.run}: makespan${c.confirmed ? '' : ' (policy not switched)'}${ofRounds(c, (r) => fmt(r.makespanMs))}`,
          measured: c.makespanMs,
          unit: 'ms',
          baseline: better.makespanMs,
          baselineName: `better of LOCAL/LAMBDA (${better.run})`,
          ratio: ratio(c.makespanMs, better.makespanMs),
          target: judged ? '≤ better of LOCAL/LAMBDA' : undefined,
          verdict: judged ? verdict(c.completed && c.makespanMs <= better.makespanMs) : undefined,
        },
        {
          section,
          figure: `${c.run}: cost (${c.rounds
            .map((r) =>
              Object.entries(r.placements)
                .map(([k, v]) => `${v} ${k}`)
                .join(', '),
            )
            .join('; ')})`,
          measured: c.costUsd,
          unit: 'USD',
          baseline: lambda.costUsd,
          baselineName: 'all-LAMBDA',
          ratio: ratio(c.costUsd, lambda.costUsd),
          target: judged ? '< all-LAMBDA' : undefined,
          verdict: judged ? verdict(c.completed && c.costUsd < lambda.costUsd) : undefined,
        },
      );
    }
    // The simulator replays the first round's LOCAL run, so it is set beside each policy's first round.
    const first = (run: PolicyRun) => of(run)?.rounds[0];
    const sim = simulated.find((s) => s.burst === spec.name);
    for (const s of sim?.results ?? []) {
      const measuredRun = first(
        s.policy === 'all LOCAL'
          ? 'LOCAL'
          : s.policy === 'all LAMBDA'
            ? 'LAMBDA'
            : s.policy.startsWith('threshold')
              ? 'AUTO threshold'
              : 'AUTO predictive',
      );
      ctx.rows.push({
        section,
        figure: `simulated ${s.policy}: makespan`,
        measured: round(s.makespanMs),
        unit: 'ms',
        baseline: measuredRun?.makespanMs ?? null,
        baselineName: 'measured re-run (round 1)',
        ratio: ratio(s.makespanMs, measuredRun?.makespanMs),
      });
    }
    const predictive = of('AUTO predictive');
    if (predictive?.confirmed) {
      const medians = predictive.rounds.length > 1 ? ' (medians)' : '';
      ctx.targets.push({
        section,
        target: `predictive AUTO: makespan ≤ better of all-LOCAL/all-LAMBDA and cost < all-LAMBDA (${spec.name})${medians}`,
        measured: `${fmt(predictive.makespanMs)} ms vs ${fmt(better.makespanMs)} ms; ${usd(predictive.costUsd)} vs ${usd(lambda.costUsd)}`,
        verdict: verdict(
          predictive.completed && predictive.makespanMs <= better.makespanMs && predictive.costUsd < lambda.costUsd,
        ),
      });
    }
  }
}
