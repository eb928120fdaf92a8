// The per-invocation log in the format AWS writes to CloudWatch, and the tail that `X-Amz-Log-Type: Tail` returns.
//
// Billing choice: Billed Duration is Duration rounded up to the next millisecond (AWS's 1 ms granularity) and does
// not include the init phase; a cold start's Init Duration is reported on its own, as AWS does for managed runtimes.

const TAIL_BYTES = 4096;

export interface ReportFacts {
  requestId: string;
  /** The version that ran, as the START line names it. */
  version: string;
  durationMs: number;
  memoryMB: number;
  maxMemoryUsedMB: number;
  /** Present on cold starts only. */
  initDurationMs?: number;
}

export function billedDurationMs(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs));
}

export function startLine(requestId: string, version: string): string {
  return `START RequestId: ${requestId} Version: ${version}\n`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}\n`;
}

export function reportLine(facts: ReportFacts): string {
  let line =
    `REPORT RequestId: ${facts.requestId}\tDuration: ${facts.durationMs.toFixed(2)} ms` +
    `\tBilled Duration: ${billedDurationMs(facts.durationMs)} ms\tMemory Size: ${facts.memoryMB} MB` +
    `\tMax Memory Used: ${facts.maxMemoryUsedMB} MB`;
  if (facts.initDurationMs !== undefined) line += `\tInit Duration: ${facts.initDurationMs.toFixed(2)} ms`;
  return `${line}\n`;
}

export function composeInvocationLog(functionOutput: string, facts: ReportFacts): string {
  return startLine(facts.requestId, facts.version) + functionOutput + endLine(facts.requestId) + reportLine(facts);
}

/** The last 4 KB of the log, base64-encoded, cut on a character boundary so it decodes cleanly. */
export function logTail(log: string): string {
  const bytes = Buffer.from(log, 'utf8');
  if (bytes.length <= TAIL_BYTES) return bytes.toString('base64');
  let start = bytes.length - TAIL_BYTES;
  // Skip UTF-8 continuation bytes so the tail starts on a whole character.
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('base64');
}
