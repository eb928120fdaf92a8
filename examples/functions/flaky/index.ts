// Misbehaves on request, for retry demos and fault-injection tests. The order of the steps is fixed: sleep (or
// hang), then crash, then fail, so one payload can combine a slow attempt with a failure after it.
import { InvalidPayloadError, PermanentTaskError, throwIfCancelled } from '../../../domain/handler-contract';
import type { HandlerContext } from '../../../domain/handler-contract';
import { wrapHandler } from '../../../sdk/wrap-handler';
import { optionalBoolean, optionalInteger, optionalString, payloadObject } from '../shared/payload';

export interface FlakyPayload {
  /** Fail while event.attempt <= failAttempts. Default 0, or every attempt when permanent is set. */
  failAttempts?: number;
  /** The name of the thrown error; default FlakyError. */
  errorType?: string;
  /** Throw PermanentTaskError (non-retryable) instead. */
  permanent?: boolean;
  /** Sleep this long first, in small steps, reporting progress. */
  sleepMs?: number;
  /** Never return until cancelled; for timeout tests. */
  hang?: boolean;
  /** In a Lambda environment, exit the process; in the local worker, throw CrashRequestedError. */
  crash?: boolean;
  /** Crash only while attempt <= crashAttempts; default every attempt. */
  crashAttempts?: number;
  /**
   * Before anything else, poll this http(s) URL until it answers 2xx. Tests use it to hold attempts at a point they
   * control (running, holding a slot) and release them when they choose, instead of guessing with sleeps.
   */
  holdUntil?: string;
  /** Stop holding after this long even if the URL never answers 2xx; default 60 000, at most 900 000. */
  holdMaxMs?: number;
  /** A failure asks for its next attempt this many seconds later (the error's retryAfterSeconds). */
  retryAfterSeconds?: number;
  /**
   * An http(s) URL this task depends on: while it does not answer 2xx, the attempt fails with DependencyUnavailable
   * (retryable). Demos and tests use it to fail tasks until "the dependency is fixed", then redrive them.
   */
  dependsOn?: string;
}

export interface FlakyResult {
  attempt: number;
  /** Time spent waiting for holdUntil; 0 without it. */
  heldMs: number;
  sleptMs: number;
  succeededAfterFailures: number;
}

const MAX_SLEEP_MS = 900_000;
const DEFAULT_HOLD_MS = 60_000;
const HOLD_POLL_MS = 100;
// Small enough that cancellation and heartbeats stay prompt, large enough not to flood progress.
const STEP_MS = 250;

function parsePayload(payload: unknown) {
  const fields = payloadObject(payload);
  const permanent = optionalBoolean(fields, 'permanent') ?? false;
  const errorType = optionalString(fields, 'errorType') ?? 'FlakyError';
  if (errorType.length > 100) throw new InvalidPayloadError('errorType must be at most 100 characters');
  return {
    failAttempts: optionalInteger(fields, 'failAttempts', 0, Number.MAX_SAFE_INTEGER) ?? (permanent ? Infinity : 0),
    errorType,
    permanent,
    sleepMs: optionalInteger(fields, 'sleepMs', 0, MAX_SLEEP_MS) ?? 0,
    hang: optionalBoolean(fields, 'hang') ?? false,
    crash: optionalBoolean(fields, 'crash') ?? false,
    crashAttempts: optionalInteger(fields, 'crashAttempts', 0, Number.MAX_SAFE_INTEGER) ?? Infinity,
    holdUntil: httpUrl(optionalString(fields, 'holdUntil'), 'holdUntil'),
    holdMaxMs: optionalInteger(fields, 'holdMaxMs', 0, MAX_SLEEP_MS) ?? DEFAULT_HOLD_MS,
    retryAfterSeconds: optionalInteger(fields, 'retryAfterSeconds', 0, 86_400),
    dependsOn: httpUrl(optionalString(fields, 'dependsOn'), 'dependsOn'),
  };
}

function httpUrl(raw: string | undefined, field: string): URL | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidPayloadError(`${field} must be an http(s) URL, got ${JSON.stringify(raw.slice(0, 80))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidPayloadError(`${field} must be an http(s) URL, got ${url.protocol} one`);
  }
  return url;
}

/** Whether the URL answers 2xx right now. */
async function answers(url: URL): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Polls url until it answers 2xx, the task is cancelled or maxMs passes; returns the time spent. */
async function hold(url: URL, maxMs: number, context: HandlerContext): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < maxMs && !context.signal?.aborted) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // Not there yet (or not reachable): keep holding until the deadline.
    }
    context.progress?.({ holding: url.href });
    await pause(HOLD_POLL_MS, context.signal);
  }
  throwIfCancelled(context);
  return Date.now() - started;
}

/** Waits up to ms, returning early (without throwing) when the signal aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Sleeps for ms (forever when ms is Infinity), heartbeating each step; returns the time actually slept. */
async function sleep(ms: number, context: HandlerContext): Promise<number> {
  const started = Date.now();
  for (;;) {
    throwIfCancelled(context);
    const sleptMs = Date.now() - started;
    if (sleptMs >= ms) return sleptMs;
    context.progress?.({ sleptMs, sleepMs: Number.isFinite(ms) ? ms : null });
    await pause(Math.min(STEP_MS, ms - sleptMs), context.signal);
  }
}

export const handler = wrapHandler<FlakyPayload, FlakyResult>(async (event, context) => {
  const options = parsePayload(event.payload);
  const attempt = event.attempt;

  const heldMs = options.holdUntil ? await hold(options.holdUntil, options.holdMaxMs, context) : 0;
  let sleptMs = 0;
  if (options.hang) await sleep(Infinity, context);
  else if (options.sleepMs > 0) sleptMs = await sleep(options.sleepMs, context);

  if (options.crash && attempt <= options.crashAttempts) {
    if (process.env.AWS_LAMBDA_FUNCTION_NAME) {
      // Lambda reports this as Runtime.ExitError, the closest thing to a real runtime crash.
      process.exit(1);
    }
    // In the local worker the process hosts other tasks, so a crash is only simulated.
    const error = new Error(`crash requested on attempt ${attempt}; simulated because this is not a Lambda runtime`);
    error.name = 'CrashRequestedError';
    throw error;
  }

  if (options.dependsOn && !(await answers(options.dependsOn))) {
    const error = new Error(`the dependency ${options.dependsOn.href} is unavailable`) as Error & {
      retryAfterSeconds?: number;
    };
    error.name = 'DependencyUnavailable';
    if (options.retryAfterSeconds !== undefined) error.retryAfterSeconds = options.retryAfterSeconds;
    throw error;
  }

  if (attempt <= options.failAttempts) {
    const message = `flaky failure on attempt ${attempt} (fails while attempt <= ${options.failAttempts})`;
    if (options.permanent) throw new PermanentTaskError(message);
    const error = new Error(message) as Error & { retryAfterSeconds?: number };
    error.name = options.errorType;
    if (options.retryAfterSeconds !== undefined) error.retryAfterSeconds = options.retryAfterSeconds;
    throw error;
  }

  return {
    attempt,
    heldMs,
    sleptMs,
    succeededAfterFailures: Number.isFinite(options.failAttempts) ? options.failAttempts : 0,
  };
});
