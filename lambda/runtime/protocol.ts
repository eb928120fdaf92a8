// Messages between the service and an execution environment. Results travel on the fork IPC channel; logs go to
// the child's stdout, which on a pipe is written synchronously, so a handler that calls process.exit() right after
// console.log() still gets its line into the log. Because the two channels are not ordered with each other, the
// child ends each invocation's output with a marker and the service waits for it before closing the log.

export interface FunctionErrorBody {
  errorType: string;
  errorMessage: string;
  trace?: string[];
  /** Spillway's extension: the error asked for its next attempt this many seconds later. */
  retryAfterSeconds?: number;
}

export interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  /** The request body as the client sent it (JSON text). */
  payload: string;
  /** Epoch milliseconds at which the service kills the environment. */
  deadline: number;
}

export type ParentMessage = InvokeMessage;

export type ChildMessage =
  | { type: 'ready'; rss: number }
  | { type: 'init-error'; error: FunctionErrorBody }
  | { type: 'result'; requestId: string; result: string; rss: number }
  | { type: 'error'; requestId: string; error: FunctionErrorBody; rss: number };

/** Environment variables the service sets to tell the bootstrap what to load, named as in AWS. */
export const HANDLER_ENV = '_HANDLER';
export const TASK_ROOT_ENV = 'LAMBDA_TASK_ROOT';

/** Written to stdout after an invocation's last output; the record separators keep it out of real output. */
export function endOfOutputMarker(requestId: string): string {
  return `\u001eSPILLWAY-END ${requestId}\u001e\n`;
}
