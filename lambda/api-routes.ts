// The Lambda REST API operations the service implements, with the paths, headers and shapes of AWS's API model
// (see Invoke$, PutFunctionConcurrency$... in @aws-sdk/client-lambda), plus the Spillway status extension.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { EnvironmentPool } from './environment-pool';
import {
  InvalidParameterValueError,
  InvalidRequestContentError,
  RequestTooLargeError,
  ResourceNotFoundError,
  TooManyRequestsError,
} from './errors';
import type { EventQueue } from './event-queue';
import type { EventInvokeConfig, FunctionRegistry, FunctionState } from './function-registry';
import type { ApiResponse, RequestBody } from './http-io';
import { parseJsonObject } from './http-io';
import { logTail } from './invocation-log';
import type { Invoker } from './invoker';
import { buildStatus } from './status-report';

/** Lambda's payload limits: 6 MB for a synchronous request, 1 MB for an asynchronous event. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const MAX_EVENT_PAYLOAD_BYTES = 1024 * 1024;

export interface RouteContext {
  params: string[];
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: RequestBody;
  requestId: string;
}

export interface ServiceParts {
  registry: FunctionRegistry;
  pool: EnvironmentPool;
  queue: EventQueue;
  invoker: Invoker;
}

type Handler = (ctx: RouteContext) => Promise<ApiResponse> | ApiResponse;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function intInRange(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParameterValueError(
      `1 validation error detected: Value '${String(value)}' at '${key}' failed to satisfy constraint: ` +
        `Member must be an integer between ${min} and ${max}`,
    );
  }
  return value;
}

export function buildRoutes(parts: ServiceParts): Route[] {
  const { registry, pool, queue, invoker } = parts;
  const fn = (ctx: RouteContext): FunctionState =>
    registry.get(ctx.params[0] ?? '', ctx.query.get('Qualifier') ?? undefined);

  const invoke: Handler = async (ctx) => {
    const state = fn(ctx);
    const type = header(ctx.headers, 'X-Amz-Invocation-Type') ?? 'RequestResponse';
    if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
      throw new InvalidParameterValueError(`Unsupported invocation type: ${type}`);
    }
    const limit = type === 'Event' ? MAX_EVENT_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
    if (ctx.body.size > limit) {
      const operation = type === 'Event' ? 'InvokeAsync' : 'InvokeFunction';
      throw new RequestTooLargeError(`Request must be smaller than ${limit} bytes for the ${operation} operation`);
    }
    const payload = ctx.body.data.toString('utf8');
    if (payload.trim() !== '') {
      try {
        JSON.parse(payload);
      } catch (err) {
        throw new InvalidRequestContentError(`Could not parse request body into json: ${(err as Error).message}`);
      }
    }
    if (type === 'DryRun') return { status: 204 };
    if (type === 'Event') {
      queue.enqueue(state, ctx.requestId, payload);
      return { status: 202 };
    }

    const reason = pool.tryAcquireSlot(state);
    if (reason) {
      state.stats.throttles++;
      state.stats.lastThrottleAt = new Date().toISOString();
      throw new TooManyRequestsError(reason);
    }
    let completed;
    try {
      completed = await invoker.invoke(state, ctx.requestId, payload);
    } finally {
      pool.releaseSlot(state);
    }
    const headers: Record<string, string> = { 'X-Amz-Executed-Version': '$LATEST' };
    if (header(ctx.headers, 'X-Amz-Log-Type') === 'Tail') headers['X-Amz-Log-Result'] = logTail(completed.log);
    const { outcome } = completed;
    if (outcome.kind === 'success') return { status: 200, headers, body: outcome.result };
    headers['X-Amz-Function-Error'] = outcome.unhandled ? 'Unhandled' : 'Handled';
    return { status: 200, headers, body: outcome.error };
  };

  const listFunctions: Handler = (ctx) => {
    const all = registry.all();
    const marker = Number(ctx.query.get('Marker') ?? '0') || 0;
    const maxItems = Math.min(50, Math.max(1, Number(ctx.query.get('MaxItems') ?? '50') || 50));
    const page = all.slice(marker, marker + maxItems);
    const next = marker + maxItems < all.length ? String(marker + maxItems) : undefined;
    return {
      status: 200,
      body: { Functions: page.map((f) => registry.functionConfiguration(f)), ...(next ? { NextMarker: next } : {}) },
    };
  };

  const concurrencyBody = (state: FunctionState) =>
    state.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: state.reservedConcurrency };

  const eventInvokeConfigBody = (state: FunctionState, config: EventInvokeConfig) => ({
    ...config,
    FunctionArn: `${registry.arn(state.spec.name)}:$LATEST`,
  });

  const putEventInvokeConfig =
    (merge: boolean): Handler =>
    (ctx) => {
      const state = fn(ctx);
      const body = parseJsonObject(ctx.body.data);
      const previous = merge ? state.eventInvokeConfig : undefined;
      const retries = intInRange(body, 'MaximumRetryAttempts', 0, 2);
      const age = intInRange(body, 'MaximumEventAgeInSeconds', 60, 21_600);
      const config: EventInvokeConfig = {
        LastModified: Date.now() / 1000,
        MaximumRetryAttempts: retries ?? previous?.MaximumRetryAttempts,
        MaximumEventAgeInSeconds: age ?? previous?.MaximumEventAgeInSeconds,
        // Stored and echoed so clients round-trip; the service does not deliver to destinations.
        DestinationConfig: body.DestinationConfig ?? previous?.DestinationConfig,
      };
      state.eventInvokeConfig = config;
      queue.pump();
      return { status: 200, body: eventInvokeConfigBody(state, config) };
    };

  const route = (method: string, path: string, handler: Handler): Route => ({
    method,
    // {name} captures one URL-encoded segment; full ARNs arrive with their colons encoded.
    pattern: new RegExp(`^${path.replace('{name}', '([^/]+)')}$`),
    handler,
  });

  return [
    route('POST', '/2015-03-31/functions/{name}/invocations', invoke),
    route('GET', '/2015-03-31/functions/?', listFunctions),
    route('GET', '/2015-03-31/functions/{name}/configuration', (ctx) => ({
      status: 200,
      body: registry.functionConfiguration(fn(ctx)),
    })),
    route('GET', '/2015-03-31/functions/{name}', (ctx) => {
      const state = fn(ctx);
      return {
        status: 200,
        body: {
          Configuration: registry.functionConfiguration(state),
          Code: { RepositoryType: 'Local', Location: `file://${state.spec.handler}` },
          ...(state.reservedConcurrency === undefined
            ? {}
            : { Concurrency: { ReservedConcurrentExecutions: state.reservedConcurrency } }),
        },
      };
    }),
    route('PUT', '/2017-10-31/functions/{name}/concurrency', (ctx) => {
      const state = fn(ctx);
      registry.setReservedConcurrency(state, parseJsonObject(ctx.body.data).ReservedConcurrentExecutions);
      pool.trimIdle(state);
      queue.pump();
      return { status: 200, body: concurrencyBody(state) };
    }),
    route('GET', '/2019-09-30/functions/{name}/concurrency', (ctx) => ({
      status: 200,
      body: concurrencyBody(fn(ctx)),
    })),
    route('DELETE', '/2017-10-31/functions/{name}/concurrency', (ctx) => {
      registry.clearReservedConcurrency(fn(ctx));
      queue.pump();
      return { status: 204 };
    }),
    route('PUT', '/2019-09-25/functions/{name}/event-invoke-config', putEventInvokeConfig(false)),
    route('POST', '/2019-09-25/functions/{name}/event-invoke-config', putEventInvokeConfig(true)),
    route('GET', '/2019-09-25/functions/{name}/event-invoke-config', (ctx) => {
      const state = fn(ctx);
      if (!state.eventInvokeConfig) {
        throw new ResourceNotFoundError(
          `The function ${registry.arn(state.spec.name)} doesn't have an EventInvokeConfig`,
        );
      }
      return { status: 200, body: eventInvokeConfigBody(state, state.eventInvokeConfig) };
    }),
    route('DELETE', '/2019-09-25/functions/{name}/event-invoke-config', (ctx) => {
      fn(ctx).eventInvokeConfig = undefined;
      return { status: 204 };
    }),
    route('GET', '/2016-08-19/account-settings/?', () => ({
      status: 200,
      body: {
        AccountLimit: {
          ConcurrentExecutions: registry.accountConcurrencyLimit,
          UnreservedConcurrentExecutions: registry.unreservedConcurrency(),
        },
        AccountUsage: { FunctionCount: registry.all().length, TotalCodeSize: 0 },
      },
    })),
    route('GET', '/_spillway/status', () => ({ status: 200, body: buildStatus(registry, pool, queue) })),
  ];
}

export function newRequestId(): string {
  return randomUUID();
}
