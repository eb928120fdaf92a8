// console.* in AWS's text log format: `<ISO time>\t<request id>\t<LEVEL>\t<message>`, written to stdout, which the
// host reads into the invocation log. The request id is the running invocation's ('undefined' during init).
import { format } from 'node:util';
import { formatForLog } from './errors';

let currentRequestId: string | undefined;

export function setRequestId(requestId: string | undefined): void {
  currentRequestId = requestId;
}

function write(level: string, args: unknown[]): void {
  process.stdout.write(
    `${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${format(...args)}\n`,
  );
}

export function patchConsole(): void {
  const levels: Record<string, string> = {
    log: 'INFO',
    info: 'INFO',
    warn: 'WARN',
    error: 'ERROR',
    debug: 'DEBUG',
    trace: 'TRACE',
    fatal: 'FATAL',
  };
  const target = console as unknown as Record<string, unknown>;
  for (const [method, level] of Object.entries(levels)) {
    target[method] = (...args: unknown[]) => write(level, args);
  }
}

/** `Invoke Error \t{...}`, `Uncaught Exception \t{...}`: how AWS logs an error it reports. */
export function logError(label: string, error: unknown): void {
  write('ERROR', [label, formatForLog(error)]);
}
