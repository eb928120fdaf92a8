// The pre-signed URL GetFunction hands out as Code.Location, in the manner of S3's: it names the package, expires
// after ten minutes (as AWS's does) and carries an HMAC-SHA256 of both, keyed by a secret kept in the data
// directory, so it survives restarts and needs no other credentials to download.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LambdaApiError } from './errors';
import { codeKey } from './code-store';

export const CODE_URL_TTL_SECONDS = 600;
export const CODE_URL_PREFIX = '/_spillway/code/';

/** A code URL that expired, was altered or was never issued by this service (S3's error name). */
export class CodeUrlDeniedError extends LambdaApiError {
  override readonly name = 'CodeUrlDeniedError';
  readonly status = 403;
  readonly errorType = 'AccessDenied';
}

/** Reads the secret, or creates it on first start; readable by the owner only. */
export function loadCodeUrlSecret(dataDir: string): Buffer {
  const file = path.join(dataDir, 'code-url-secret');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32);
  writeFileSync(file, secret.toString('hex'), { mode: 0o600, flag: 'wx' });
  return secret;
}

export interface CodeUrlTarget {
  functionName: string;
  version: string;
  codeSha256: string;
}

export class CodeUrlSigner {
  constructor(
    private readonly secret: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  url(baseUrl: string, target: CodeUrlTarget): string {
    const pathname = `${CODE_URL_PREFIX}${target.functionName}/${encodeURIComponent(target.version)}/${codeKey(target.codeSha256)}.zip`;
    const expires = Math.floor(this.now() / 1000) + CODE_URL_TTL_SECONDS;
    return `${baseUrl}${pathname}?X-Spillway-Expires=${expires}&X-Spillway-Signature=${this.sign(pathname, expires)}`;
  }

  /** Checks a request for a code URL; returns the CodeSha256 of the package it names. */
  verify(pathname: string, query: URLSearchParams): string {
    const expires = Number(query.get('X-Spillway-Expires'));
    const signature = query.get('X-Spillway-Signature') ?? '';
    const expected = Buffer.from(this.sign(pathname, expires));
    const given = Buffer.from(signature);
    if (!Number.isInteger(expires) || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new CodeUrlDeniedError('The request signature we calculated does not match the signature you provided.');
    }
    if (expires * 1000 < this.now()) throw new CodeUrlDeniedError('Request has expired');
    const match = /\/([0-9a-f]{64})\.zip$/.exec(pathname);
    if (!match?.[1]) throw new CodeUrlDeniedError('Not a code location of this service.');
    return Buffer.from(match[1], 'hex').toString('base64');
  }

  private sign(pathname: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`GET\n${pathname}\n${expires}`).digest('hex');
  }
}
