// The errors the runtime reports, named and shaped as AWS's Node.js runtime names and shapes them: Runtime.* for
// what goes wrong around the handler, and the handler's own errors as {errorType, errorMessage, trace}.
import { types } from 'node:util';

export interface ErrorResponse {
  errorType: string;
  errorMessage: string;
  trace?: string[];
  /** Spillway's extension, ignored by AWS: the error asked for its next attempt this many seconds later. */
  retryAfterSeconds?: number;
}

/** A failure of the runtime around the user's code; its name is `Runtime.<Kind>`, as AWS names it. */
export class RuntimeError extends Error {
  constructor(kind: string, message: string) {
    super(message);
    this.name = `Runtime.${kind}`;
  }
}

/** AWS wraps the cause and keeps its text: `new ImportModuleError(err)` has the message `Error: Cannot find …`. */
export function wrapCause(kind: string, cause: unknown): RuntimeError {
  const error = new RuntimeError(kind, String(cause));
  if (cause instanceof Error && cause.stack) {
    const frames = cause.stack.split('\n').filter((line) => /^\s+at /.test(line));
    error.stack = [`${error.name}: ${error.message}`, ...frames].join('\n');
  }
  return error;
}

export const CALLBACK_HANDLER_DEPRECATED =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need ' +
  'to modify this function to use a supported handler signature to use Node.js 24 or later. For more information ' +
  'see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

/** A promise rejection nobody handled: AWS reports it as Runtime.UnhandledPromiseRejection and ends the process. */
export function unhandledRejection(reason: unknown): RuntimeError {
  return new RuntimeError('UnhandledPromiseRejection', String(reason));
}

function looksLikeError(value: unknown): value is Error {
  const v = value as Error | undefined;
  return (
    !!v &&
    typeof v.name === 'string' &&
    typeof v.message === 'string' &&
    typeof v.stack === 'string' &&
    v.name !== '' &&
    v.message !== ''
  );
}

/** The body of POST /error and /init/error. */
export function toErrorResponse(error: unknown): ErrorResponse {
  try {
    if (types.isNativeError(error) || looksLikeError(error)) {
      const e = error as Error & { retryAfterSeconds?: unknown };
      // A function may say when it should be tried again (a downstream Retry-After); Spillway honours it.
      const after =
        typeof e.retryAfterSeconds === 'number' && e.retryAfterSeconds >= 0
          ? { retryAfterSeconds: e.retryAfterSeconds }
          : {};
      return {
        errorType: e.name,
        errorMessage: e.message,
        trace: typeof e.stack === 'string' ? e.stack.split('\n') : [],
        ...after,
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

/** The text AWS logs for an error: a tab, then the error as JSON with its own enumerable properties. */
export function formatForLog(error: unknown): string {
  const value = error instanceof Error ? error : new Error(String(error));
  try {
    return (
      '\t' +
      JSON.stringify(value, (_key, v: unknown) => {
        if (!(v instanceof Error)) return v;
        const out: Record<string, unknown> = {
          errorType: v.name,
          errorMessage: v.message,
          code: (v as NodeJS.ErrnoException).code,
          ...v,
        };
        if (typeof v.stack === 'string') out.stack = v.stack.split('\n');
        return out;
      })
    );
  } catch {
    return '\t' + JSON.stringify(toErrorResponse(value));
  }
}
