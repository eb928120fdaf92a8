// Reads the facts of one Lambda invocation from its REPORT log line, the same line AWS writes.

export interface LambdaReport {
  requestId?: string;
  durationMs: number;
  billedDurationMs: number;
  memoryMB: number;
  maxMemoryUsedMB: number;
  initDurationMs?: number;
}

export function parseReportLine(log: string): LambdaReport | undefined {
  const line = log.split('\n').find((l) => l.startsWith('REPORT '));
  if (!line) return undefined;
  const number = (label: string) => {
    const match = new RegExp(`${label}: ([0-9.]+)`).exec(line);
    return match ? Number(match[1]) : undefined;
  };
  const durationMs = number('\\bDuration');
  const billedDurationMs = number('Billed Duration');
  const memoryMB = number('Memory Size');
  const maxMemoryUsedMB = number('Max Memory Used');
  if (durationMs === undefined || billedDurationMs === undefined || memoryMB === undefined) return undefined;
  return {
    requestId: /RequestId: (\S+)/.exec(line)?.[1],
    durationMs,
    billedDurationMs,
    memoryMB,
    maxMemoryUsedMB: maxMemoryUsedMB ?? 0,
    initDurationMs: number('Init Duration'),
  };
}
