// Samples the resident memory of our processes every 200 ms from /proc: VmRSS now and VmHWM (the peak since the
// process started). Lambda execution environments are the children of the Lambda service processes, found through
// /proc/<pid>/task/*/children. Named windows collect the peaks of one phase (for example the 2,000-task run).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessPeak {
  pid: number;
  /** The largest VmRSS seen in the window, MiB. */
  maxRssMB: number;
  /** VmHWM at the last sample of the window: the process's peak since it started, MiB. */
  hwmMB: number;
  samples: number;
}

export interface WindowResult {
  name: string;
  durationMs: number;
  processes: Record<string, ProcessPeak>;
  /** CPU time (user + system) each watched process used during the window, ms. */
  cpuMs: Record<string, number>;
  /** Per Lambda environment (child of a Lambda service) seen in the window. */
  lambdaEnvironments: ProcessPeak[];
}

interface Window {
  name: string;
  startedAt: number;
  cpuAtStart: Map<string, { pid: number; ms: number }>;
  processes: Map<string, ProcessPeak>;
  lambda: Map<number, ProcessPeak>;
}

const KiB_PER_MiB = 1024;

function readStatus(pid: number): { rssMB: number; hwmMB: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    const rss = field('VmRSS');
    const hwm = field('VmHWM');
    if (!Number.isFinite(rss)) return undefined;
    return { rssMB: rss / KiB_PER_MiB, hwmMB: (Number.isFinite(hwm) ? hwm : rss) / KiB_PER_MiB };
  } catch {
    return undefined; // The process ended between listing and reading.
  }
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of a process (its own threads, not its children), ms. */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; the fields after its closing parenthesis are fixed.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return ((utime + stime) * 1000) / clockTicks();
  } catch {
    return undefined;
  }
}

export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (text) children.push(...text.split(/\s+/).map(Number));
      } catch {
        // The thread ended.
      }
    }
  } catch {
    // The process ended.
  }
  return children;
}

function update(
  map: Map<string | number, ProcessPeak>,
  key: string | number,
  pid: number,
  rssMB: number,
  hwmMB: number,
) {
  const peak = map.get(key);
  if (!peak || peak.pid !== pid) {
    map.set(key, { pid, maxRssMB: rssMB, hwmMB, samples: 1 });
    return;
  }
  peak.maxRssMB = Math.max(peak.maxRssMB, rssMB);
  peak.hwmMB = Math.max(peak.hwmMB, hwmMB);
  peak.samples++;
}

export class MemorySampler {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | undefined;
  readonly available = process.platform === 'linux';

  constructor(
    /** Processes to watch by label; called at each sample so restarts are followed. */
    private readonly targets: () => Record<string, number | undefined>,
    /** Processes whose children are Lambda environments. */
    private readonly lambdaParents: () => number[],
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    if (!this.available || this.timer) return;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  begin(name: string): void {
    const cpuAtStart = new Map<string, { pid: number; ms: number }>();
    for (const [label, pid] of Object.entries(this.targets())) {
      const ms = pid ? cpuTimeMs(pid) : undefined;
      if (pid && ms !== undefined) cpuAtStart.set(label, { pid, ms });
    }
    this.windows.set(name, { name, startedAt: Date.now(), cpuAtStart, processes: new Map(), lambda: new Map() });
    this.sample();
  }

  end(name: string): WindowResult | undefined {
    this.sample();
    const window = this.windows.get(name);
    if (!window) return undefined;
    this.windows.delete(name);
    const round = (p: ProcessPeak): ProcessPeak => ({
      ...p,
      maxRssMB: Math.round(p.maxRssMB * 10) / 10,
      hwmMB: Math.round(p.hwmMB * 10) / 10,
    });
    const cpuMs: Record<string, number> = {};
    for (const [label, pid] of Object.entries(this.targets())) {
      const start = window.cpuAtStart.get(label);
      const now = pid ? cpuTimeMs(pid) : undefined;
      if (start && now !== undefined && start.pid === pid) cpuMs[label] = Math.round(now - start.ms);
    }
    return {
      name,
      durationMs: Date.now() - window.startedAt,
      cpuMs,
      processes: Object.fromEntries([...window.processes].map(([label, p]) => [label, round(p)])),
      lambdaEnvironments: [...window.lambda.values()].map(round),
    };
  }

  private sample(): void {
    if (this.windows.size === 0) return;
    const readings: Array<[string, number, { rssMB: number; hwmMB: number }]> = [];
    for (const [label, pid] of Object.entries(this.targets())) {
      if (!pid) continue;
      const status = readStatus(pid);
      if (status) readings.push([label, pid, status]);
    }
    const lambda: Array<[number, { rssMB: number; hwmMB: number }]> = [];
    for (const parent of this.lambdaParents()) {
      for (const child of childrenOf(parent)) {
        const status = readStatus(child);
        if (status) lambda.push([child, status]);
      }
    }
    for (const window of this.windows.values()) {
      for (const [label, pid, s] of readings) update(window.processes, label, pid, s.rssMB, s.hwmMB);
      for (const [pid, s] of lambda) update(window.lambda, pid, pid, s.rssMB, s.hwmMB);
    }
  }
}
