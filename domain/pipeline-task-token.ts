// The `.waitForTaskToken` token of a pipeline Task state: which execution run and which state entry waits for it,
// signed with HMAC-SHA256 under the callback secret, so that SendTaskSuccess/Failure/Heartbeat cannot be forged
// and a token of one entry never completes another. Issued by activities/pipeline-tasks.ts, checked by the API.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TaskTokenClaims } from './pipeline-model';

const DOMAIN = 'spillway-sfn-task-token.v1.';

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret)
    .update(DOMAIN + body)
    .digest();
}

export function signTaskToken(secret: string, claims: TaskTokenClaims): string {
  const body = Buffer.from(JSON.stringify({ w: claims.w, r: claims.r, e: claims.e })).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/** The claims of a token this deployment signed, or undefined for anything else (forged, truncated, malformed). */
export function verifyTaskToken(secret: string, token: unknown): TaskTokenClaims | undefined {
  if (typeof token !== 'string' || token.length > 2048) return undefined;
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  const expected = mac(secret, parts[0]);
  const given = Buffer.from(parts[1], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as TaskTokenClaims;
    if (typeof claims.w !== 'string' || typeof claims.r !== 'string' || typeof claims.e !== 'string') return undefined;
    return claims;
  } catch {
    return undefined;
  }
}
