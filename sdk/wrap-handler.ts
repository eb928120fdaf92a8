// Wraps a task handler for every place it runs. In the local worker it is a plain call. In a Lambda environment
// (local service or AWS) it also answers warm-up events at once and, when the event carries a completion token,
// posts the outcome to Spillway's callback endpoint, signed with SPILLWAY_CALLBACK_SECRET from the environment.
import type { CallbackBody, InvocationReport } from '../domain/callback-body';
import { signCallbackBody, SIGNATURE_HEADER } from '../domain/callback-signature';
import type { HandlerContext, TaskEvent, TaskHandler } from '../domain/handler-contract';
import { markObjectRef, objectRefOf, type ResultUpload } from '../domain/object-ref-marker';

// The callback's shapes are declared once, in domain/callback-body.ts; the SDK's users see them here.
export type { CallbackBody, InvocationReport };

export interface CallbackTarget {
  url: string;
  token: string;
}

/** The event shape of a Lambda invocation made by Spillway: a task event plus where to report. */
export interface LambdaTaskEvent extends TaskEvent {
  callback?: CallbackTarget;
  /** Where a result larger than `maxInlineBytes` goes instead of the answer (when Spillway has an object store). */
  resultUpload?: ResultUpload;
}

export interface WarmupEvent {
  spillway: { warmup: true; requestedAt?: string };
}

export function isWarmupEvent(event: unknown): event is WarmupEvent {
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof (event as { spillway?: unknown }).spillway === 'object' &&
    (event as WarmupEvent).spillway?.warmup === true
  );
}

let coldStart = true;
// Evaluated once per environment, while the runtime loads the handler: the time since the process started.
const initDurationMs = performance.now();

async function postCallback(target: CallbackTarget, body: CallbackBody): Promise<void> {
  const secret = process.env.SPILLWAY_CALLBACK_SECRET;
  if (!secret) throw new Error('SPILLWAY_CALLBACK_SECRET is not set; the callback cannot be signed');
  const text = JSON.stringify(body);
  // A callback lost here is caught by the activity's timeout and retried, so a few quick tries are enough.
  let lastError: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signCallbackBody(secret, text, Math.floor(Date.now() / 1000)),
        },
        body: text,
        signal: AbortSignal.timeout(10_000),
      });
      // 429 and 5xx are the API saying "not now"; anything else is its final word on this callback.
      if (response.status < 500 && response.status !== 429) return;
      lastError = new Error(`callback answered ${response.status}`);
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** i));
  }
  throw lastError;
}

/**
 * Errors may come from another realm (a VM context, a test runner), so they are read by shape, not instanceof. An
 * error may say when the task should be tried again (`retryAfterSeconds`, e.g. from a downstream Retry-After).
 */
function describe(err: unknown): { type: string; message: string; retryAfterSeconds?: number } {
  if (typeof err === 'object' && err !== null && 'message' in err) {
    const { name, message, retryAfterSeconds } = err as {
      name?: unknown;
      message?: unknown;
      retryAfterSeconds?: unknown;
    };
    const after = typeof retryAfterSeconds === 'number' && retryAfterSeconds >= 0 ? { retryAfterSeconds } : {};
    return { type: typeof name === 'string' ? name : 'Error', message: String(message), ...after };
  }
  return { type: 'Error', message: String(err) };
}

/** The payload was kept in Spillway's object store and could not be downloaded. */
export class PayloadUnavailableError extends Error {
  override readonly name = 'PayloadUnavailableError';
}

/**
 * A payload too large for an event arrives as a reference with a pre-signed URL (domain/object-ref.ts): the handler
 * gets the payload itself, downloaded here, whatever its size.
 */
async function withPayload<P>(event: LambdaTaskEvent): Promise<TaskEvent<P>> {
  const ref = objectRefOf(event.payload);
  if (!ref) return event as unknown as TaskEvent<P>;
  if (!ref.getUrl) throw new PayloadUnavailableError(`the payload s3://${ref.bucket}/${ref.key} came without a URL`);
  const res = await fetch(ref.getUrl);
  if (!res.ok) {
    throw new PayloadUnavailableError(
      `the payload s3://${ref.bucket}/${ref.key} answered ${res.status} to its download`,
    );
  }
  return { ...(event as unknown as TaskEvent<P>), payload: JSON.parse(await res.text()) as P };
}

/** The result could not be put in Spillway's object store. */
export class ResultUploadError extends Error {
  override readonly name = 'ResultUploadError';
}

/**
 * A result too large to return goes to the store through the attempt's pre-signed PUT URL, and the reference is
 * returned in its place; a smaller one (or any result when there is no upload slot) is returned as it is.
 */
async function placeResult(result: unknown, upload: ResultUpload | undefined): Promise<unknown> {
  if (!upload || result === undefined) return result;
  const text = JSON.stringify(result);
  const sizeBytes = new TextEncoder().encode(text).length;
  if (sizeBytes <= upload.maxInlineBytes) return result;
  const res = await fetch(upload.putUrl, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: text,
    signal: AbortSignal.timeout(60_000),
  });
  if (!res.ok) {
    throw new ResultUploadError(`the result s3://${upload.bucket}/${upload.key} answered ${res.status} to its upload`);
  }
  const { region, bucket, key } = upload;
  return markObjectRef({ region, bucket, key, sizeBytes, contentType: 'application/json' });
}

export function wrapHandler<P, R>(run: TaskHandler<P, R>) {
  return async function handler(event: LambdaTaskEvent | WarmupEvent, context: HandlerContext): Promise<unknown> {
    const wasCold = coldStart;
    coldStart = false;
    if (isWarmupEvent(event)) return { warmed: true, coldStart: wasCold };
    const started = performance.now();
    const report = (): InvocationReport => ({
      coldStart: wasCold,
      initDurationMs: wasCold ? Math.round(initDurationMs * 1000) / 1000 : undefined,
      durationMs: performance.now() - started,
      memoryMB: Number(context.memoryLimitInMB),
      maxMemoryUsedMB: Math.ceil(process.memoryUsage().rss / (1024 * 1024)),
    });
    const callback = event.callback;
    if (!callback) return placeResult(await run(await withPayload<P>(event), context), event.resultUpload);
    let result: unknown;
    try {
      result = await placeResult(await run(await withPayload<P>(event), context), event.resultUpload);
    } catch (err) {
      const error = describe(err);
      await postCallback(callback, {
        token: callback.token,
        functionName: context.functionName,
        outcome: 'failed',
        error,
        report: report(),
      });
      // The failure reached Temporal, which owns retries. Ending the invocation normally keeps Lambda's own async
      // retries from running this attempt again, whatever the function's event invoke config says.
      return { spillway: { outcome: 'failed', reported: true }, error };
    }
    await postCallback(callback, {
      token: callback.token,
      functionName: context.functionName,
      outcome: 'succeeded',
      result,
      report: report(),
    });
    return result;
  };
}
