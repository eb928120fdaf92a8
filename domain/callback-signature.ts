// HMAC signing shared by the three parties of an asynchronous Lambda attempt: the activity that issues a
// completion token, the function wrapper that signs its callback, and the API that verifies both.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-spillway-signature';

/** What a completion token identifies: one attempt of one activity of one workflow. */
export interface CompletionClaims {
  /** Temporal's task token for this attempt, base64. Temporal rejects it once the attempt is superseded. */
  taskToken: string;
  workflowId: string;
  activityId: string;
  attempt: number;
  /** Issued-at, Unix seconds. */
  iat: number;
  /** Expires-at, Unix seconds. */
  exp: number;
  /** The function, version and CodeSha256 the attempt invoked, so the callback records what really ran. */
  fn?: string;
  fv?: string;
  sha?: string;
  /** The function's architecture and memory, for the attempt's cost. */
  arch?: 'x86_64' | 'arm64';
  /** The explicit retry schedule's wait after this attempt fails, ms (retry.delays). */
  nrd?: number;
  /** When the activity sent the Invoke, epoch ms, and to which Lambda target: the callback's delay is measured from it. */
  iam?: number;
  tgt?: string;
  /** The function's Spillway invocations in flight when this one was sent, itself included: the load it met. */
  ild?: number;
  /** How much the load stretched a cold start's init on the target (domain/placement-predictor.ts initContention). */
  icn?: number;
  /** The payload kept in the object store: its bucket's region and its size, for the transfer's cost. */
  po?: { r: string; b: number };
}

function hmac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function signCompletionToken(secret: string, claims: CompletionClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${hmac(secret, body).toString('base64url')}`;
}

export type TokenCheck =
  | { ok: true; claims: CompletionClaims }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' | 'not-yet-valid' };

export function verifyCompletionToken(
  secret: string,
  token: string,
  nowSeconds: number,
  skewSeconds: number,
): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { ok: false, reason: 'malformed' };
  const [body, sig] = parts as [string, string];
  if (!safeEqual(hmac(secret, body), Buffer.from(sig, 'base64url'))) return { ok: false, reason: 'bad-signature' };
  let claims: CompletionClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CompletionClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (
    typeof claims !== 'object' ||
    claims === null ||
    typeof claims.taskToken !== 'string' ||
    typeof claims.workflowId !== 'string' ||
    typeof claims.activityId !== 'string' ||
    typeof claims.attempt !== 'number' ||
    typeof claims.iat !== 'number' ||
    typeof claims.exp !== 'number'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  if (claims.iat > nowSeconds + skewSeconds) return { ok: false, reason: 'not-yet-valid' };
  if (claims.exp + skewSeconds < nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

/** Signs a callback body as `t=<unix seconds>,v1=<hex hmac of "t.body">`, so a replay outside the skew fails. */
export function signCallbackBody(secret: string, body: string, nowSeconds: number): string {
  return `t=${nowSeconds},v1=${hmac(secret, `${nowSeconds}.${body}`).toString('hex')}`;
}

export type BodyCheck = { ok: true } | { ok: false; reason: 'malformed' | 'bad-signature' | 'stale' };

export function verifyCallbackBody(
  secret: string,
  body: string,
  header: string | undefined,
  nowSeconds: number,
  skewSeconds: number,
): BodyCheck {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return { ok: false, reason: 'malformed' };
  const t = Number(match[1]);
  if (!safeEqual(hmac(secret, `${t}.${body}`), Buffer.from(match[2] as string, 'hex'))) {
    return { ok: false, reason: 'bad-signature' };
  }
  if (Math.abs(nowSeconds - t) > skewSeconds) return { ok: false, reason: 'stale' };
  return { ok: true };
}
