// Request reading and response writing for the node:http server, in the shapes the Lambda REST API uses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LambdaApiError } from './errors';
import { InvalidRequestContentError } from './errors';

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and buffers as they are. */
  body?: unknown;
  /** A body written as it is produced (chunked), after the status and headers have gone out. */
  stream?: (write: (chunk: Buffer) => void) => Promise<void>;
}

export interface RequestBody {
  /** Holds at most `keep` bytes; `size` says how big the request really was. */
  data: Buffer;
  size: number;
}

/**
 * Reads the whole request but keeps only the first `keep` bytes: an oversized payload still has to be drained
 * so the client reads a clean 413 instead of a reset connection.
 */
export function readBody(req: IncomingMessage, keep: number): Promise<RequestBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (kept < keep) {
        const part = chunk.subarray(0, keep - kept);
        chunks.push(part);
        kept += part.length;
      }
    });
    req.on('end', () => resolve({ data: Buffer.concat(chunks), size }));
    req.on('error', reject);
  });
}

export function parseJsonObject(body: RequestBody | Buffer): Record<string, unknown> {
  const data = Buffer.isBuffer(body) ? body : body.data;
  if (data.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new InvalidRequestContentError(`Could not parse request body into json: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRequestContentError('Could not parse request body into json: expected an object');
  }
  return value as Record<string, unknown>;
}

export function send(res: ServerResponse, response: ApiResponse, requestId: string): void {
  const headers: Record<string, string> = { 'x-amzn-RequestId': requestId, ...response.headers };
  let body: Buffer | undefined;
  if (Buffer.isBuffer(response.body)) body = response.body;
  else if (typeof response.body === 'string') body = Buffer.from(response.body);
  else if (response.body !== undefined) body = Buffer.from(JSON.stringify(response.body));
  if (body) {
    headers['Content-Type'] ??= 'application/json';
    headers['Content-Length'] = String(body.length);
  } else if (response.status !== 204) {
    headers['Content-Length'] = '0';
  }
  res.writeHead(response.status, headers);
  res.end(body);
}

/** Sends the status and headers at once, then the body as the producer writes it. */
export async function sendStream(res: ServerResponse, response: ApiResponse, requestId: string): Promise<void> {
  res.writeHead(response.status, { 'x-amzn-RequestId': requestId, ...response.headers });
  res.flushHeaders();
  try {
    await response.stream?.((chunk) => {
      if (!res.destroyed) res.write(chunk);
    });
  } finally {
    res.end();
  }
}

export function errorResponse(err: LambdaApiError): ApiResponse {
  return {
    status: err.status,
    headers: { 'x-amzn-ErrorType': err.errorType, ...err.headers },
    body: err.body(),
  };
}
