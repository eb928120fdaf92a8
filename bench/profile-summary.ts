// Summarises V8 .cpuprofile files (from --profile, i.e. node --cpu-prof): where the self time went, by component
// (Temporal SDK, gRPC, Fastify, ioredis, Spillway's own code, Node internals, GC, idle) and by function.
// Also usable on its own: node dist/bench/profile-summary.js <file.cpuprofile>...
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  file: string;
  /** When given, only samples inside this CLOCK_MONOTONIC window (µs, as process.hrtime) were counted. */
  window?: { fromUs: number; toUs: number; label: string };
  wallMs: number;
  busyMs: number;
  components: Array<{ name: string; ms: number; pctOfBusy: number }>;
  functions: Array<{ name: string; where: string; ms: number; pctOfBusy: number }>;
}

function component(frame: CpuProfileNode['callFrame']): string {
  const url = frame.url;
  if (!url) {
    if (frame.functionName === '(idle)') return '(idle)';
    if (frame.functionName === '(garbage collector)') return 'GC';
    if (frame.functionName === '(program)') return 'V8/native (program)';
    return `native ${frame.functionName || '(anonymous)'}`;
  }
  const rules: Array<[RegExp, string]> = [
    [/@temporalio\/(workflow|common)/, 'Temporal SDK workflow runtime'],
    [/@temporalio\/worker/, 'Temporal SDK worker'],
    [/@temporalio\/(client|proto)|@grpc|protobufjs|long\//, 'Temporal client / gRPC / protobuf'],
    [/@temporalio/, 'Temporal SDK (other)'],
    [/fastify|pino|avvio|find-my-way|light-my-request|@sinclair|ajv|fast-json/, 'Fastify / pino / schemas'],
    [/ioredis|redis-errors|denque|cluster-key-slot/, 'ioredis'],
    [/@aws-sdk|@smithy/, 'AWS SDK'],
    [/node_modules/, 'other dependencies'],
    [/\/dist\/|workflow-bundle/, 'Spillway code'],
    [/^node:|^internal\//, 'Node core'],
  ];
  for (const [pattern, name] of rules) if (pattern.test(url)) return name;
  return 'other';
}

export function summarizeProfile(
  file: string,
  window?: { fromUs: number; toUs: number; label: string },
  top = 15,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Sample times are CLOCK_MONOTONIC microseconds, the clock of process.hrtime in every process of the machine.
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    const delta = Math.max(0, deltas[i] ?? 0);
    t += delta;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const id = samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const components = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; us: number }>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const c = component(node.callFrame);
    components.set(c, (components.get(c) ?? 0) + us);
    if (c === '(idle)') continue;
    busy += us;
    const where = node.callFrame.url
      ? `${node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${node.callFrame.lineNumber + 1}`
      : '';
    const key = `${node.callFrame.functionName}@${where}`;
    const entry = functions.get(key) ?? { name: node.callFrame.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const pct = (us: number) => Math.round((1000 * us) / Math.max(1, busy)) / 10;
  const from = window ? Math.max(window.fromUs, profile.startTime) : profile.startTime;
  const to = window ? Math.min(window.toUs, profile.endTime) : profile.endTime;
  return {
    file,
    window,
    wallMs: Math.max(0, Math.round((to - from) / 1000)),
    busyMs: Math.round(busy / 1000),
    components: [...components]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pctOfBusy: pct(us) })),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: Math.round(f.us / 1000), pctOfBusy: pct(f.us) })),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [
    `${path.basename(path.dirname(summary.file))}/${path.basename(summary.file)}: ${summary.busyMs} ms busy of ` +
      `${summary.wallMs} ms${summary.window ? ` (${summary.window.label})` : ' (whole process life)'}`,
    '  by component: ' +
      summary.components
        .slice(0, 8)
        .map((c) => `${c.name} ${c.pctOfBusy}%`)
        .join(', '),
    '  top functions (self time):',
    ...summary.functions.map((f) => `    ${String(f.pctOfBusy).padStart(5)}%  ${f.name}  ${f.where}`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  for (const file of process.argv.slice(2)) console.log(formatProfile(summarizeProfile(file)));
}
