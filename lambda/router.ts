// Routes of the service: a method, a path template with {placeholders} (one URL-encoded segment each, so full
// ARNs arrive with their colons encoded), how large a body the operation takes, and whether SigV4 guards it.
import type { IncomingHttpHeaders } from 'node:http';
import type { LambdaApiError } from './errors';
import type { ApiResponse, RequestBody } from './http-io';

export interface RouteContext {
  /** The raw (still URL-encoded) path. */
  pathname: string;
  params: string[];
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: RequestBody;
  requestId: string;
  /** Where clients reach this service (LAMBDA_PUBLIC_URL, or the request's Host), for URLs handed back to them. */
  baseUrl: string;
}

export type Handler = (ctx: RouteContext) => Promise<ApiResponse> | ApiResponse;

export interface Route {
  method: string;
  pattern: RegExp;
  /** The AWS operation name, for messages. */
  operation: string;
  handler: Handler;
  /** Bytes of body the operation accepts; a larger one is answered with tooLarge(). */
  maxBodyBytes: number;
  tooLarge: (operation: string, maxBodyBytes: number) => LambdaApiError;
  /** False for routes with their own check (pre-signed code URLs) or none (the status document). */
  signed: boolean;
}

export interface RouteOptions {
  maxBodyBytes?: number;
  tooLarge?: Route['tooLarge'];
  signed?: boolean;
}

/** The body limit of operations that carry only settings. */
export const DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024;

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function makeRouter(defaultTooLarge: Route['tooLarge']) {
  return (method: string, path: string, operation: string, handler: Handler, options: RouteOptions = {}): Route => ({
    method,
    pattern: new RegExp(`^${path.replace(/\{[A-Za-z]+\}/g, '([^/]+)')}$`),
    operation,
    handler,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    tooLarge: options.tooLarge ?? defaultTooLarge,
    signed: options.signed ?? true,
  });
}
