// Getting the source bytes: http(s) URLs are fetched, data: URLs decoded. Failures are sorted by whether a retry
// could help: network trouble and 5xx are retryable, a 4xx or an oversized image is not, a bad data: URL is a bad
// payload.
import { InvalidPayloadError, PermanentTaskError, TaskCancelledError } from '../../../domain/handler-contract';

export const MAX_IMAGE_BYTES = 25 * 1024 * 1024;
export const FETCH_TIMEOUT_MS = 10_000;

/**
 * Retryable: the image could not be fetched for a reason that may go away (network, timeout, HTTP 5xx). When the
 * server said when to come back (429 or 503 with Retry-After), retryAfterSeconds carries it, and Spillway schedules
 * the next attempt then.
 */
export class ImageFetchError extends Error {
  override readonly name = 'ImageFetchError';
  readonly retryAfterSeconds?: number;
  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Retry-After as seconds: a number of seconds, or an HTTP date. */
function retryAfterSeconds(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 86_400);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.min(86_400, Math.max(0, (date - Date.now()) / 1000)) : undefined;
}

/** A URL fit for results and messages: data: URLs can be megabytes long, so they are cut short. */
export function abbreviateUrl(url: string): string {
  if (!isDataUrl(url) || url.length <= 64) return url;
  return `${url.slice(0, 48)}…(${url.length} chars)`;
}

export function isDataUrl(url: string): boolean {
  return url.slice(0, 5).toLowerCase() === 'data:';
}

function tooLarge(url: string): PermanentTaskError {
  return new PermanentTaskError(`the image at ${abbreviateUrl(url)} is larger than the ${MAX_IMAGE_BYTES} byte limit`);
}

/** Percent-decodes to bytes (not to text), since a non-base64 data: URL may carry any bytes. */
function percentDecode(text: string): Buffer {
  const parts: Buffer[] = [];
  let last = 0;
  for (const match of text.matchAll(/%([0-9a-fA-F]{2})/g)) {
    const at = match.index ?? 0;
    parts.push(Buffer.from(text.slice(last, at), 'utf8'), Buffer.from([parseInt(match[1] as string, 16)]));
    last = at + 3;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

export function decodeDataUrl(url: string): Buffer {
  const comma = url.indexOf(',');
  if (comma < 0) throw new InvalidPayloadError(`imageUrl is not a valid data: URL (no comma): ${abbreviateUrl(url)}`);
  const meta = url.slice(5, comma).toLowerCase();
  const body = url.slice(comma + 1);
  let bytes: Buffer;
  if (meta.endsWith(';base64')) {
    // Buffer.from silently skips characters that are not base64, so check first rather than decode garbage.
    const compact = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) {
      throw new InvalidPayloadError(`imageUrl is not a valid data: URL (bad base64): ${abbreviateUrl(url)}`);
    }
    bytes = Buffer.from(compact, 'base64');
  } else {
    bytes = percentDecode(body);
  }
  if (bytes.length === 0) throw new InvalidPayloadError(`imageUrl is a data: URL with no data: ${abbreviateUrl(url)}`);
  if (bytes.length > MAX_IMAGE_BYTES) throw tooLarge(url);
  return bytes;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

// Duck-typed rather than instanceof: fetch's errors may come from another realm (e.g. under test runners).
function asErrorLike(value: unknown): ErrorLike | undefined {
  return typeof value === 'object' && value !== null ? (value as ErrorLike) : undefined;
}

function describeCause(err: unknown): string {
  const error = asErrorLike(err);
  if (!error) return String(err);
  if (error.name === 'TimeoutError') return `timed out after ${FETCH_TIMEOUT_MS / 1000} s`;
  // undici reports every network failure as "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND...) is the
  // cause, which for a host with several addresses is an AggregateError whose own message may be empty.
  const cause = asErrorLike(error.cause);
  if (cause && typeof cause.message === 'string' && cause.message) return cause.message;
  const first = Array.isArray(cause?.errors) ? asErrorLike(cause.errors[0]) : undefined;
  if (first && typeof first.message === 'string' && first.message) return first.message;
  return typeof error.message === 'string' && error.message ? error.message : String(err);
}

function fetchFailure(url: string, err: unknown, cancelled: AbortSignal | undefined): Error {
  if (cancelled?.aborted) return new TaskCancelledError('the task was cancelled while fetching the image');
  if (err instanceof PermanentTaskError) return err;
  return new ImageFetchError(`could not fetch the image from ${url}: ${describeCause(err)}`, { cause: err });
}

export async function fetchImage(url: string, cancelled: AbortSignal | undefined): Promise<Buffer> {
  const timeout = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  const signal = cancelled ? AbortSignal.any([timeout, cancelled]) : timeout;
  try {
    const response = await fetch(url, { signal, headers: { accept: 'image/*' } });
    if (!response.ok) {
      // Free the connection; the error body is of no use.
      await response.body?.cancel().catch(() => undefined);
      const message = `could not fetch the image from ${url}: HTTP ${response.status}`;
      // 408 and 429 are the 4xx answers that mean "try again later"; every other 4xx will not change on retry.
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      if (response.status >= 400 && !retryable) throw new PermanentTaskError(message);
      const after =
        response.status === 429 || response.status === 503
          ? retryAfterSeconds(response.headers.get('retry-after'))
          : undefined;
      throw new ImageFetchError(after === undefined ? message : `${message}, retry after ${after} s`, {
        retryAfterSeconds: after,
      });
    }
    const declared = Number(response.headers.get('content-length'));
    if (declared > MAX_IMAGE_BYTES) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(url);
    }
    return await readCapped(url, response);
  } catch (err) {
    if (err instanceof ImageFetchError) throw err;
    throw fetchFailure(url, err, cancelled);
  }
}

/** Reads the body but stops at the cap: content-length may be absent or wrong. */
async function readCapped(url: string, response: Response): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_IMAGE_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(url);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}
