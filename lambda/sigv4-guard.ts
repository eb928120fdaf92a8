// Checks the AWS Signature Version 4 of a request against the configured access keys, by signing the request
// again with @smithy/signature-v4 (the signer the AWS SDK itself uses) and comparing signatures. Answers in AWS's
// 403 shapes: MissingAuthenticationTokenException (no signature), UnrecognizedClientException (unknown key id),
// InvalidSignatureException (bad signature, wrong scope, too old or too new).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { InvalidSignatureError, MissingAuthenticationTokenError, UnrecognizedClientError } from './errors';

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedRequest {
  method: string;
  /** The path exactly as it arrived, still URL-encoded. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** AWS accepts a request signed up to five minutes before or after its own clock. */
const MAX_SKEW_MS = 5 * 60_000;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'lambda';

/** The hash @smithy/signature-v4 needs (the SDK's own comes from a package that is not ours to import). */
class NodeSha256 {
  private hash;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
  private fresh() {
    if (this.secret === undefined) return createHash('sha256');
    const s = this.secret;
    const key =
      typeof s === 'string'
        ? s
        : ArrayBuffer.isView(s)
          ? Buffer.from(s.buffer, s.byteOffset, s.byteLength)
          : Buffer.from(s);
    return createHmac('sha256', key);
  }
}

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAuthorization(value: string): ParsedAuthorization | undefined {
  if (!value.startsWith(`${ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || credential.length !== 5 || credential[4] !== 'aws4_request' || !signedHeaders || !signature) {
    return undefined;
  }
  const [accessKeyId = '', date = '', region = '', service = ''] = credential;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** 20240101T000000Z → Date */
function parseAmzDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

const BAD_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access ' +
  'Key and signing method. Consult the service documentation for details.';

export class SigV4Guard {
  private readonly keys: ReadonlyMap<string, string>;

  constructor(
    keys: readonly AccessKey[],
    private readonly region: string,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = new Map(keys.map((k) => [k.accessKeyId, k.secretAccessKey]));
  }

  /** Resolves when the request is signed by one of the keys; throws the AWS error otherwise. */
  async check(request: SignedRequest): Promise<void> {
    const authorization = headerValue(request.headers, 'authorization');
    if (!authorization) throw new MissingAuthenticationTokenError('Missing Authentication Token');
    const auth = parseAuthorization(authorization);
    if (!auth) {
      throw new InvalidSignatureError(
        `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization.split(' ')[0] ?? ''}`,
      );
    }
    const secret = this.keys.get(auth.accessKeyId);
    if (secret === undefined)
      throw new UnrecognizedClientError('The security token included in the request is invalid.');
    if (auth.service !== SERVICE) {
      throw new InvalidSignatureError(`Credential should be scoped to correct service: '${SERVICE}'.`);
    }
    if (auth.region !== this.region) {
      throw new InvalidSignatureError(`Credential should be scoped to a valid region, not '${auth.region}'.`);
    }
    const rawDate = headerValue(request.headers, 'x-amz-date');
    const signingDate = parseAmzDate(rawDate);
    if (!signingDate || !auth.signedHeaders.includes('x-amz-date')) {
      throw new InvalidSignatureError(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      );
    }
    const now = this.now();
    if (Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS) {
      const nowText = amzDate(new Date(now));
      const bound = amzDate(new Date(now + (signingDate.getTime() < now ? -MAX_SKEW_MS : MAX_SKEW_MS)));
      throw new InvalidSignatureError(
        signingDate.getTime() < now
          ? `Signature expired: ${rawDate ?? ''} is now earlier than ${bound} (${nowText} - 5 min.)`
          : `Signature not yet current: ${rawDate ?? ''} is still later than ${bound} (${nowText} + 5 min.)`,
      );
    }
    if (auth.date !== rawDate?.slice(0, 8)) throw new InvalidSignatureError(BAD_SIGNATURE);

    const contentSha = headerValue(request.headers, 'x-amz-content-sha256');
    if (contentSha !== undefined && contentSha !== 'UNSIGNED-PAYLOAD') {
      // The signature covers this header, not the body, so the body must match it.
      if (createHash('sha256').update(request.body).digest('hex') !== contentSha) {
        throw new InvalidSignatureError(BAD_SIGNATURE);
      }
    }

    const headers: Record<string, string> = {};
    for (const name of auth.signedHeaders) {
      const value = headerValue(request.headers, name);
      if (value === undefined) throw new InvalidSignatureError(BAD_SIGNATURE);
      headers[name] = value;
    }
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(request.query.keys())) {
      const values = request.query.getAll(key);
      query[key] = values.length === 1 ? (values[0] ?? '') : values;
    }
    const host = headers.host ?? 'localhost';
    const signer = new SignatureV4({
      service: SERVICE,
      region: this.region,
      credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: secret },
      sha256: NodeSha256,
      // The client decided whether to sign x-amz-content-sha256; signing it again here would change the result.
      applyChecksum: false,
    });
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: 'http:',
        hostname: host.replace(/:\d+$/, ''),
        path: request.rawPath,
        query,
        headers,
        body: request.body,
      },
      { signingDate, signableHeaders: new Set(auth.signedHeaders) },
    );
    const computed = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
    const given = Buffer.from(auth.signature);
    const expected = Buffer.from(computed);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidSignatureError(BAD_SIGNATURE);
    }
  }
}

/** Parses LAMBDA_ACCESS_KEYS: `AKID:SECRET,AKID2:SECRET2`. */
export function parseAccessKeys(raw: string | undefined): AccessKey[] {
  if (!raw || raw.trim() === '') return [];
  return raw.split(',').map((pair) => {
    const colon = pair.indexOf(':');
    const accessKeyId = pair.slice(0, colon).trim();
    const secretAccessKey = pair.slice(colon + 1).trim();
    if (colon <= 0 || accessKeyId === '' || secretAccessKey === '') {
      throw new InvalidAccessKeysError('LAMBDA_ACCESS_KEYS must be AKID:SECRET pairs separated by commas');
    }
    return { accessKeyId, secretAccessKey };
  });
}

/** LAMBDA_ACCESS_KEYS is set but malformed; the service refuses to start rather than run unguarded. */
export class InvalidAccessKeysError extends Error {
  override readonly name = 'InvalidAccessKeysError';
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
