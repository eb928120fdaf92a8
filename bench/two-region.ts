// Section "AUTO across two regions" (issue 14: "the two-region case routes to the faster region unless residency
// forbids it"; bench/run.ts runs it as `--only=regions`). Two local Lambda services, alike but for one thing: the far
// one answers every request and starts every event FAR_DELAY_MS later (LAMBDA_DELAY_MS, lambda/lambda-service.ts).
// The worker and the API are restarted with predictive AUTO and LAMBDA_TARGETS naming both, the far one first, so
// only the measurement can make the near one win (as in test/placement/two-region-predictive.test.ts). The worker
// and the near region share one region name: LOCAL runs in the near region.
// Then the long burst of the AUTO policies section (2 × pool × flaky {sleepMs: 5000}), twice:
//   either region:    no residency rule; the tasks placed on Lambda should all go to the near region;
//   far region only:  allowedRegions = [the far region]; every task must run there (LOCAL is ruled out as well).
// The faster region is the near one by construction: the same service on the same cores, without the delay. What the
// predictor believes is reported beside it: the monitors it reads (GET /api/placement/targets: invoke round trip and
// callback delay, EWMA) just before each burst, and each decision's predicted completion against the measured one.
// Where a task went is read from its decision (GET /api/tasks/:id → placement.target) and checked against the two
// services' own invocation counters.
// Before each burst: nothing learned of `flaky`; one LOCAL run per slot; then one LAMBDA run per slot, half pinned by
// allowedRegions to each region (after the LOCAL runs, so their round trips are not measured amid the local pool's
// start), so the predictor knows the run time, the init time and both targets' round trips and callback delays; then
// the bench waits until no `flaky` environment is left on either service.
import type { TargetsResponse, TargetView } from '../api/schemas/placement-schemas';
import type { ServiceStatus } from '../domain/lambda-status';
import type { BenchStack, ExtraLambda } from './bench-stack';
import type { BenchContext } from './context';
import { requestJson } from './http';
import {
  burstSpecs,
  forgetLearned,
  runOne,
  waitNoEnvironments,
  onePerSlot,
  warmLocalPool,
  type BurstSpec,
  type PolicyBurstRun,
} from './auto-policy';
import { fmt, usd, verdict, type Row } from './report';
import { ratio, round, sleep, summarize } from './stats';

/** What the far region adds to every request and to the start of every event, ms (LAMBDA_DELAY_MS). */
export const FAR_DELAY_MS = 400;
export const NEAR_REGION = 'local-near';
export const FAR_REGION = 'local-far';

export interface TwoRegionDeps {
  startLambda: BenchStack['startLambda'];
  restartServices: BenchStack['restartServices'];
}

export type RegionRunName = 'either region' | 'far region only';

/** One target's monitor as the predictor reads it. */
export interface MonitorFigures {
  name: string;
  region: string;
  invokeEwmaMs: number | null;
  invokeSamples: number;
  callbackEwmaMs: number | null;
  callbackSamples: number;
  /** invoke + callback EWMA: what the predictor adds to a task's completion on this target, beside the init. */
  overheadMs: number | null;
}

export interface RegionRun {
  run: RegionRunName;
  allowedRegions?: string[];
  /** The monitors just before the burst. */
  monitors: MonitorFigures[];
  /** The target the monitors measured with the lower overhead just before the burst (the near one, if they see it). */
  measuredFaster?: string;
  burst: PolicyBurstRun;
  local: number;
  /** LAMBDA placements by target name (`(default)`: a decision without a target). */
  lambdaByTarget: Record<string, number>;
  /** `flaky` invocations each service counted during the burst. */
  invocations: Record<string, number>;
  /** Tasks placed, or with an attempt run, outside allowedRegions. */
  outsideAllowed?: number;
}

export interface TwoRegionResult {
  farDelayMs: number;
  targets: Array<{ name: string; region: string; endpoint: string; delayMs: number }>;
  localRegion: string;
  spec: BurstSpec;
  runs: RegionRun[];
}

async function flakyInvocations(url: string): Promise<number> {
  const status = await requestJson<ServiceStatus>(`${url}/_spillway/status`);
  return status.functions.find((f) => f.name === 'flaky')?.invocations ?? 0;
}

function figures(t: TargetView): MonitorFigures {
  const overhead = t.invoke.ewmaMs === null ? null : t.invoke.ewmaMs + (t.callback.ewmaMs ?? 0);
  return {
    name: t.name,
    region: t.region,
    invokeEwmaMs: t.invoke.ewmaMs,
    invokeSamples: t.invoke.samples,
    callbackEwmaMs: t.callback.ewmaMs,
    callbackSamples: t.callback.samples,
    overheadMs: overhead === null ? null : round(overhead, 1),
  };
}

/** Waits until every target's round trip and callback delay have been measured; returns the monitors. */
async function waitMeasured(ctx: BenchContext, names: string[]): Promise<MonitorFigures[]> {
  const deadline = Date.now() + 60_000;
  let last: MonitorFigures[] = [];
  while (Date.now() < deadline) {
    const res = await requestJson<TargetsResponse>(`${ctx.stack.apiUrl}/api/placement/targets`);
    last = res.targets.filter((t) => names.includes(t.name)).map(figures);
    if (last.length === names.length && last.every((m) => m.invokeSamples > 0 && m.callbackSamples > 0)) return last;
    await sleep(500);
  }
  throw new Error(`the targets' monitors were not measured within 60 s: ${JSON.stringify(last)}`);
}

/** One LAMBDA run of `flaky` per slot, alternating between the regions: teaches run time, init and callbacks. */
const teachLambda = (ctx: BenchContext, spec: BurstSpec, regions: string[]): Promise<void> =>
  onePerSlot(ctx, spec, 'regions teach', 'LAMBDA', (i) => ({ allowedRegions: [regions[i % regions.length]] }));

export async function twoRegion(ctx: BenchContext, deps: TwoRegionDeps): Promise<TwoRegionResult> {
  const { options, log } = ctx;
  const spec = burstSpecs(options).find((b) => b.name === 'long') as BurstSpec;
  const started: ExtraLambda[] = [];
  let restarted = false;
  try {
    const near = await deps.startLambda('near', { region: NEAR_REGION, delayMs: 0 });
    started.push(near);
    const far = await deps.startLambda('far', { region: FAR_REGION, delayMs: FAR_DELAY_MS });
    started.push(far);
    const targets = [
      { name: 'far', region: FAR_REGION, endpoint: far.url, delayMs: FAR_DELAY_MS },
      { name: 'near', region: NEAR_REGION, endpoint: near.url, delayMs: 0 },
    ];
    restarted = true;
    await deps.restartServices(
      {
        SCHEDULER_AUTO_POLICY: 'predictive',
        LAMBDA_ENDPOINT: near.url,
        AWS_REGION: NEAR_REGION,
        SPILLWAY_LOCAL_REGION: NEAR_REGION,
        LAMBDA_TARGETS: JSON.stringify(targets.map(({ name, region, endpoint }) => ({ name, region, endpoint }))),
      },
      { api: true, label: 'regions' },
    );
    const services = { near: near.url, far: far.url };
    const runs: RegionRun[] = [];
    for (const [run, allowedRegions] of [
      ['either region', undefined],
      ['far region only', [FAR_REGION]],
    ] as Array<[RegionRunName, string[] | undefined]>) {
      await forgetLearned(ctx);
      log(
        `AUTO across two regions, ${run}: teaching flaky's run time (${options.pool} LOCAL, ${options.pool} LAMBDA) ...`,
      );
      await warmLocalPool(ctx, spec);
      await teachLambda(ctx, spec, [NEAR_REGION, FAR_REGION]);
      const monitors = await waitMeasured(
        ctx,
        targets.map((t) => t.name),
      );
      const measured = monitors.filter((m) => m.overheadMs !== null);
      const measuredFaster = measured.sort((a, b) => (a.overheadMs ?? 0) - (b.overheadMs ?? 0))[0]?.name;
      await waitNoEnvironments(ctx, Object.values(services));
      await sleep(1000);
      log(
        `  monitors: ${monitors
          .map((m) => `${m.name} invoke ${fmt(m.invokeEwmaMs)} ms + callback ${fmt(m.callbackEwmaMs)} ms`)
          .join(', ')}; measured faster: ${measuredFaster ?? 'unknown'}`,
      );
      const before = { near: await flakyInvocations(near.url), far: await flakyInvocations(far.url) };
      log(
        `AUTO across two regions, ${run}: ${spec.size} × flaky {sleepMs: ${spec.sleepMs}}, predictive AUTO` +
          (allowedRegions ? `, allowedRegions ${JSON.stringify(allowedRegions)}` : '') +
          ' ...',
      );
      const burst = await runOne(ctx, spec, 'AUTO predictive', true, {
        label: 'regions',
        body: allowedRegions ? { allowedRegions } : {},
      });
      const invocations = {
        near: (await flakyInvocations(near.url)) - before.near,
        far: (await flakyInvocations(far.url)) - before.far,
      };
      const lambdaByTarget: Record<string, number> = {};
      for (const t of burst.trace.filter((x) => x.placement === 'LAMBDA')) {
        const name = t.target?.name ?? '(default)';
        lambdaByTarget[name] = (lambdaByTarget[name] ?? 0) + 1;
      }
      const outsideAllowed = allowedRegions
        ? burst.trace.filter(
            (t) =>
              (t.attemptPlacements ?? []).includes('LOCAL') ||
              t.placement !== 'LAMBDA' ||
              !allowedRegions.includes(t.target?.region ?? NEAR_REGION),
          ).length +
          (burst.size - burst.trace.length)
        : undefined;
      const r: RegionRun = {
        run,
        allowedRegions,
        monitors,
        measuredFaster,
        burst,
        local: burst.trace.filter((t) => t.placement === 'LOCAL').length,
        lambdaByTarget,
        invocations,
        outsideAllowed,
      };
      log(
        `  makespan ${fmt(burst.makespanMs)} ms, cost ${usd(burst.costUsd)}, ${r.local} LOCAL, LAMBDA by target ` +
          `${JSON.stringify(lambdaByTarget)}, invocations counted by the services ${JSON.stringify(invocations)}` +
          (outsideAllowed !== undefined ? `, ${outsideAllowed} outside allowedRegions` : '') +
          (burst.completed < burst.size ? `, ${burst.size - burst.completed} FAILED (${burst.errors[0]})` : ''),
      );
      runs.push(r);
    }
    report(ctx, spec, runs);
    return { farDelayMs: FAR_DELAY_MS, targets, localRegion: NEAR_REGION, spec, runs };
  } finally {
    // The sections after this one get the stack's own worker, API and single Lambda target back.
    if (restarted) await deps.restartServices({}, { api: true });
    for (const s of started) await s.stop();
  }
}

const allDone = (r: RegionRun) => r.burst.completed === r.burst.size;

function describe(r: RegionRun): string {
  const lambda = Object.entries(r.lambdaByTarget).map(([name, n]) => `${n} LAMBDA ${name}`);
  return [`${r.local} LOCAL`, ...lambda].join(', ');
}

/**
 * Per placement target of a run: the decision's predicted time to the task's end against the measured one (from
 * the decision to completion), p50 of each; where they part, the predictor misjudged that target.
 */
function predictionRows(section: string, r: RegionRun): Row[] {
  const where = (t: PolicyBurstRun['trace'][number]) =>
    t.placement === 'LAMBDA' ? `LAMBDA ${t.target?.name ?? '(default)'}` : t.placement;
  return [...new Set(r.burst.trace.map(where))].sort().map((name) => {
    const tasks = r.burst.trace.filter((t) => where(t) === name);
    const predicted = summarize(tasks.flatMap((t) => (t.predictedMs === undefined ? [] : [t.predictedMs]))).p50;
    const measured = summarize(
      tasks.flatMap((t) => (t.placedMs === undefined ? [] : [Math.max(0, t.latencyMs - t.placedMs)])),
    ).p50;
    return {
      section,
      figure: `${r.run}: ${name} (${tasks.length} tasks), decision → completion p50, measured`,
      measured,
      unit: 'ms',
      baseline: predicted,
      baselineName: 'predicted by the decision',
      ratio: ratio(measured, predicted),
    };
  });
}

function report(ctx: BenchContext, spec: BurstSpec, runs: RegionRun[]): void {
  const section = `AUTO across two regions (${spec.size} × ${spec.sleepMs} ms, pool ${ctx.options.pool}, far +${FAR_DELAY_MS} ms)`;
  const either = runs.find((r) => r.run === 'either region');
  const farOnly = runs.find((r) => r.run === 'far region only');
  if (either) {
    const monitor = (name: string) => either.monitors.find((m) => m.name === name);
    const [near, far] = [monitor('near'), monitor('far')];
    ctx.rows.push({
      section,
      figure:
        'either region, monitors before the burst: invoke round trip + callback delay (EWMA), near ' +
        `(${fmt(near?.invokeEwmaMs, 'ms')} + ${fmt(near?.callbackEwmaMs, 'ms')})`,
      measured: near?.overheadMs ?? null,
      unit: 'ms',
      baseline: far?.overheadMs ?? null,
      baselineName: `far: ${fmt(far?.invokeEwmaMs, 'ms')} + ${fmt(far?.callbackEwmaMs, 'ms')}`,
      ratio: ratio(near?.overheadMs, far?.overheadMs),
    });
    const spilled = either.burst.trace.filter((t) => t.placement === 'LAMBDA').length;
    const toFaster = either.lambdaByTarget.near ?? 0;
    const share = spilled > 0 ? round((toFaster / spilled) * 100, 1) : null;
    const ok = allDone(either) && spilled > 0 && toFaster === spilled;
    ctx.rows.push(
      {
        section,
        figure: `either region: makespan (${describe(either)})`,
        measured: either.burst.makespanMs,
        unit: 'ms',
        baseline: null,
        baselineName: 'none',
        ratio: null,
      },
      {
        section,
        figure: 'either region: cost',
        measured: either.burst.costUsd,
        unit: 'USD',
        baseline: null,
        baselineName: 'none',
        ratio: null,
      },
      {
        section,
        figure: 'either region: spilled tasks routed to the faster region (near): share',
        measured: share,
        unit: '%',
        baseline: null,
        baselineName: `${toFaster} of ${spilled} tasks placed on Lambda`,
        ratio: null,
        target: '= 100 %',
        verdict: verdict(ok),
      },
    );
    ctx.targets.push({
      section,
      target: 'predictive AUTO sends every spilled task of the burst to the faster region',
      measured:
        `${toFaster} of ${spilled} spilled tasks to near (${fmt(share)} %); services counted ` +
        `${JSON.stringify(either.invocations)}; the monitors measured ${either.measuredFaster ?? '?'} faster`,
      verdict: verdict(ok),
      note: spilled === 0 ? 'nothing spilled: the run shows nothing' : undefined,
    });
  }
  if (farOnly) {
    const outside = farOnly.outsideAllowed ?? null;
    const ok = allDone(farOnly) && outside === 0 && (farOnly.invocations.near ?? 0) === 0;
    ctx.rows.push(
      {
        section,
        figure: `far region only: makespan (${describe(farOnly)})`,
        measured: farOnly.burst.makespanMs,
        unit: 'ms',
        baseline: either?.burst.makespanMs ?? null,
        baselineName: 'either region',
        ratio: ratio(farOnly.burst.makespanMs, either?.burst.makespanMs),
      },
      {
        section,
        figure: 'far region only: cost',
        measured: farOnly.burst.costUsd,
        unit: 'USD',
        baseline: either?.burst.costUsd ?? null,
        baselineName: 'either region',
        ratio: ratio(farOnly.burst.costUsd, either?.burst.costUsd),
      },
      {
        section,
        figure: `far region only: tasks outside allowedRegions ${JSON.stringify(farOnly.allowedRegions)}`,
        measured: outside,
        unit: 'tasks',
        baseline: farOnly.burst.size,
        baselineName: 'tasks in the burst',
        ratio: null,
        target: '0',
        verdict: verdict(ok),
      },
    );
    ctx.targets.push({
      section,
      target: 'residency: 0 tasks outside allowedRegions',
      measured:
        `${outside ?? '?'} of ${farOnly.burst.size} outside; services counted ${JSON.stringify(farOnly.invocations)}` +
        (allDone(farOnly) ? '' : `; ${farOnly.burst.size - farOnly.burst.completed} did not complete`),
      verdict: verdict(ok),
    });
  }
  for (const r of runs) ctx.rows.push(...predictionRows(section, r));
}
