// Section 5: memory. Peak RSS of the worker and the API during the largest LOCAL run (sampled every 200 ms from
// /proc), against the baseline's worker during its own run of the same size and the trivial Node server; and the
// peak RSS of every Lambda execution environment seen during the whole bench.
import type { BenchContext } from './context';
import type { WindowResult } from './memory';
import { fmt, verdict } from './report';
import { ratio, round } from './stats';

export interface MemoryResult {
  size: number;
  spillwayWindow?: WindowResult;
  baselineWindow?: WindowResult;
  lambdaEnvironments: { count: number; maxPeakMB: number | null; medianPeakMB: number | null };
}

export function memoryReport(
  ctx: BenchContext,
  size: number,
  spillway: WindowResult | undefined,
  baseline: WindowResult | undefined,
  whole: WindowResult | undefined,
): MemoryResult {
  const envPeaks = (whole?.lambdaEnvironments ?? []).map((e) => Math.max(e.maxRssMB, e.hwmMB)).sort((a, b) => a - b);
  const result: MemoryResult = {
    size,
    spillwayWindow: spillway,
    baselineWindow: baseline,
    lambdaEnvironments: {
      count: envPeaks.length,
      maxPeakMB: envPeaks.length ? round(envPeaks[envPeaks.length - 1] ?? 0, 1) : null,
      medianPeakMB: envPeaks.length ? round(envPeaks[Math.floor((envPeaks.length - 1) / 2)] ?? 0, 1) : null,
    },
  };
  if (!spillway) return result;
  const section = `5 memory (peak RSS, N=${size} LOCAL run)`;
  const worker = spillway.processes.worker?.maxRssMB ?? null;
  const api = spillway.processes.api?.maxRssMB ?? null;
  const trivial = spillway.processes.trivial?.maxRssMB ?? null;
  const baselineWorker = baseline?.processes['baseline-worker']?.maxRssMB ?? null;
  const workerOk = worker === null ? null : worker <= 400;
  const apiOk = api === null ? null : api <= 200;
  ctx.rows.push(
    {
      section,
      figure: 'worker',
      measured: worker,
      unit: 'MB',
      baseline: baselineWorker,
      baselineName: 'raw SDK worker, same N',
      ratio: ratio(worker, baselineWorker),
      target: '≤ 400 MB',
      verdict: verdict(workerOk),
    },
    {
      section,
      figure: 'API',
      measured: api,
      unit: 'MB',
      baseline: trivial,
      baselineName: 'trivial Node HTTP server',
      ratio: ratio(api, trivial),
      target: '≤ 200 MB',
      verdict: verdict(apiOk),
    },
    {
      section,
      figure: `Lambda environment, largest of ${result.lambdaEnvironments.count} (whole bench)`,
      measured: result.lambdaEnvironments.maxPeakMB,
      unit: 'MB',
      baseline: trivial,
      baselineName: 'trivial Node HTTP server',
      ratio: ratio(result.lambdaEnvironments.maxPeakMB, trivial),
    },
    {
      section,
      figure: 'Lambda environment, median',
      measured: result.lambdaEnvironments.medianPeakMB,
      unit: 'MB',
      baseline: trivial,
      baselineName: 'trivial Node HTTP server',
      ratio: ratio(result.lambdaEnvironments.medianPeakMB, trivial),
    },
  );
  ctx.targets.push(
    { section, target: 'worker peak RSS ≤ 400 MB', measured: `${fmt(worker)} MB`, verdict: verdict(workerOk) },
    { section, target: 'API peak RSS ≤ 200 MB', measured: `${fmt(api)} MB`, verdict: verdict(apiOk) },
  );
  return result;
}
