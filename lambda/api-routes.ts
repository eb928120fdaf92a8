// Invoke and the function settings around it (reserved concurrency, event invoke config, account settings), with
// the paths, headers and shapes of AWS's API model (Invoke$, PutFunctionConcurrency$... in @aws-sdk/client-lambda),
// plus the Spillway status extension.
import { randomUUID } from 'node:crypto';
import type { ConcurrencySlots } from './concurrency-slots';
import { parseDestinationConfig } from './destinations';
import {
  InvalidParameterValueError,
  InvalidRequestContentError,
  RequestEntityTooLargeError,
  ResourceNotFoundError,
  TooManyRequestsError,
} from './errors';
import type { EventQueue } from './event-queue';
import { invokeCompleteEvent, payloadChunkEvent } from './event-stream';
import type { EventInvokeConfig, FunctionRegistry, FunctionState, InvokeTarget } from './function-registry';
import type { ApiResponse } from './http-io';
import { parseJsonObject } from './http-io';
import { logTail } from './invocation-log';
import type { CompletedInvocation, InvokeExtras, Invoker } from './invoker';
import { combineQualifier, LATEST, parseFunctionRef } from './qualifiers';
import type { Handler, Route, RouteContext } from './router';
import { header, makeRouter } from './router';
import { MAX_EVENT_PAYLOAD_BYTES, MAX_SYNC_PAYLOAD_BYTES } from './runtime-api-limits';
import type { RuntimeHost } from './runtime-host';
import { buildStatus } from './status-report';

export { MAX_EVENT_PAYLOAD_BYTES, MAX_SYNC_PAYLOAD_BYTES } from './runtime-api-limits';

/** X-Amz-Function-Error: AWS now reports every function error as Unhandled. */
export const FUNCTION_ERROR = 'Unhandled';

export interface ServiceParts {
  registry: FunctionRegistry;
  host: RuntimeHost;
  slots: ConcurrencySlots;
  queue: EventQueue;
  invoker: Invoker;
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

function payloadTooLarge(operation: string, max: number): RequestEntityTooLargeError {
  return new RequestEntityTooLargeError(`Request must be smaller than ${max} bytes for the ${operation} operation`);
}

/** The Invoke response body of a function error: what the runtime posted, byte for byte. */
export function functionErrorBody(completed: CompletedInvocation): string {
  const { outcome } = completed;
  if (outcome.kind === 'success') return outcome.result;
  return outcome.payload ?? JSON.stringify(outcome.error);
}

/** X-Amz-Client-Context is base64 JSON on the wire; the runtime gets the JSON. */
function clientContext(ctx: RouteContext): string | undefined {
  const raw = header(ctx.headers, 'X-Amz-Client-Context');
  if (raw === undefined || raw === '') return undefined;
  const text = Buffer.from(raw, 'base64').toString('utf8');
  try {
    JSON.parse(text);
  } catch {
    throw new InvalidRequestContentError('Client context must be a valid Base64-encoded JSON object.');
  }
  return text;
}

function checkPayload(payload: string): void {
  if (payload.trim() === '') return;
  try {
    JSON.parse(payload);
  } catch (err) {
    throw new InvalidRequestContentError(`Could not parse request body into json: ${(err as Error).message}`);
  }
}

export function buildRoutes(parts: ServiceParts): Route[] {
  const { registry, host, slots, queue, invoker } = parts;
  const route = makeRouter(payloadTooLarge);

  /** Takes a concurrency slot for a synchronous call, or throttles as AWS does. */
  const acquire = (state: FunctionState): void => {
    const reason = slots.tryAcquire(state);
    if (!reason) return;
    state.stats.throttles++;
    state.stats.lastThrottleAt = new Date().toISOString();
    throw new TooManyRequestsError(reason);
  };

  const extrasOf = (ctx: RouteContext): InvokeExtras => ({
    clientContext: clientContext(ctx),
    traceId: header(ctx.headers, 'X-Amzn-Trace-Id'),
  });

  const invoke: Handler = async (ctx) => {
    const type = header(ctx.headers, 'X-Amz-Invocation-Type') ?? 'RequestResponse';
    if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
      throw new InvalidParameterValueError(`Unsupported invocation type: ${type}`);
    }
    const target = registry.invokeTarget(ctx.params[0] ?? '', ctx.query.get('Qualifier'));
    const limit = type === 'Event' ? MAX_EVENT_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES;
    if (ctx.body.size > limit) {
      throw payloadTooLarge(type === 'Event' ? 'InvokeAsync' : 'InvokeFunction', limit);
    }
    const payload = ctx.body.data.toString('utf8');
    checkPayload(payload);
    const extras = extrasOf(ctx);
    const { state } = target;
    if (type === 'DryRun') return { status: 204 };
    if (type === 'Event') {
      queue.enqueue(state, target.qualifier, ctx.requestId, payload);
      return { status: 202 };
    }
    acquire(state);
    let completed;
    try {
      completed = await invoker.invoke(target, ctx.requestId, payload, extras);
    } finally {
      slots.release(state);
    }
    const headers: Record<string, string> = { 'X-Amz-Executed-Version': completed.executedVersion };
    if (header(ctx.headers, 'X-Amz-Log-Type') === 'Tail') headers['X-Amz-Log-Result'] = logTail(completed.log);
    if (completed.outcome.kind === 'error') headers['X-Amz-Function-Error'] = FUNCTION_ERROR;
    return { status: 200, headers, body: functionErrorBody(completed) };
  };

  /**
   * InvokeWithResponseStream: the response as AWS's event stream, PayloadChunk by PayloadChunk as the function
   * writes it (awslambda.streamifyResponse), or in one chunk from a function that answers at once, then an
   * InvokeComplete with the error, if any, and the log tail when asked for.
   */
  const invokeWithResponseStream: Handler = (ctx) => {
    const type = header(ctx.headers, 'X-Amz-Invocation-Type') ?? 'RequestResponse';
    if (type !== 'RequestResponse' && type !== 'DryRun') {
      throw new InvalidParameterValueError(
        `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must ` +
          'satisfy enum value set: [RequestResponse, DryRun]',
      );
    }
    const target: InvokeTarget = registry.invokeTarget(ctx.params[0] ?? '', ctx.query.get('Qualifier'));
    if (ctx.body.size > MAX_SYNC_PAYLOAD_BYTES)
      throw payloadTooLarge('InvokeWithResponseStream', MAX_SYNC_PAYLOAD_BYTES);
    const payload = ctx.body.data.toString('utf8');
    checkPayload(payload);
    const extras = extrasOf(ctx);
    if (type === 'DryRun') return { status: 204 };
    const { state } = target;
    acquire(state);
    const tail = header(ctx.headers, 'X-Amz-Log-Type') === 'Tail';
    const response: ApiResponse = {
      status: 200,
      headers: {
        'X-Amz-Executed-Version': target.executedVersion,
        'Content-Type': 'application/vnd.amazon.eventstream',
      },
      stream: async (write) => {
        let streamed = false;
        let completed: CompletedInvocation;
        try {
          completed = await invoker.invoke(target, ctx.requestId, payload, {
            ...extras,
            onResponseStart: (info) => (streamed = info.streaming),
            onChunk: (chunk) => write(payloadChunkEvent(chunk)),
          });
        } finally {
          slots.release(state);
        }
        const { outcome } = completed;
        if (outcome.kind === 'success' && !streamed && outcome.result !== '') {
          write(payloadChunkEvent(Buffer.from(outcome.result)));
        }
        const complete =
          outcome.kind === 'error'
            ? { ErrorCode: outcome.error.errorType, ErrorDetails: outcome.error.errorMessage }
            : {};
        write(invokeCompleteEvent({ ...complete, ...(tail ? { LogResult: logTail(completed.log) } : {}) }));
      },
    };
    return response;
  };

  const concurrencyBody = (state: FunctionState) =>
    state.record.reservedConcurrency === undefined
      ? {}
      : { ReservedConcurrentExecutions: state.record.reservedConcurrency };

  /** Event invoke configs are kept per qualifier ($LATEST, a version or an alias), as on AWS. */
  const eventConfigTarget = (ctx: RouteContext): { state: FunctionState; qualifier: string } => {
    const { state, qualifier } = registry.resolve(ctx.params[0] ?? '', ctx.query.get('Qualifier'));
    return { state, qualifier };
  };

  const noEventInvokeConfig = (state: FunctionState, qualifier: string) =>
    new ResourceNotFoundError(
      `The function ${registry.arn(state.record.name, qualifier)} doesn't have an EventInvokeConfig`,
    );

  const eventInvokeConfigBody = (state: FunctionState, qualifier: string, config: EventInvokeConfig) => ({
    ...config,
    FunctionArn: registry.arn(state.record.name, qualifier),
  });

  const putEventInvokeConfig =
    (merge: boolean): Handler =>
    (ctx) => {
      const { state, qualifier } = eventConfigTarget(ctx);
      const body = parseJsonObject(ctx.body);
      const previous = state.record.eventInvokeConfigs[qualifier];
      // Update merges into a config that must exist, as on AWS; Put replaces whatever was there.
      if (merge && !previous) throw noEventInvokeConfig(state, qualifier);
      const base = merge ? previous : undefined;
      const retries = intInRange(body, 'MaximumRetryAttempts', 0, 2);
      const age = intInRange(body, 'MaximumEventAgeInSeconds', 60, 21_600);
      const destinations = parseDestinationConfig(body.DestinationConfig);
      const config: EventInvokeConfig = {
        LastModified: Date.now() / 1000,
        MaximumRetryAttempts: retries ?? base?.MaximumRetryAttempts,
        MaximumEventAgeInSeconds: age ?? base?.MaximumEventAgeInSeconds,
        DestinationConfig: destinations ?? base?.DestinationConfig,
      };
      state.record.eventInvokeConfigs[qualifier] = config;
      registry.save(state);
      queue.pump();
      return { status: 200, body: eventInvokeConfigBody(state, qualifier, config) };
    };

  /** Concurrency is a setting of the function; AWS refuses it on a version or alias. */
  const unqualified = (ctx: RouteContext): FunctionState => {
    const ref = combineQualifier(parseFunctionRef(ctx.params[0] ?? ''), ctx.query.get('Qualifier'));
    if (ref.qualifier !== undefined && ref.qualifier !== LATEST) {
      throw new InvalidParameterValueError('Concurrency settings can only be set on the unqualified function.');
    }
    return registry.getFunction(ref.name);
  };

  return [
    route('POST', '/2015-03-31/functions/{name}/invocations', 'Invoke', invoke, {
      maxBodyBytes: MAX_SYNC_PAYLOAD_BYTES,
      tooLarge: (_operation, max) => payloadTooLarge('InvokeFunction', max),
    }),
    route(
      'POST',
      '/2021-11-15/functions/{name}/response-streaming-invocations',
      'InvokeWithResponseStream',
      invokeWithResponseStream,
      { maxBodyBytes: MAX_SYNC_PAYLOAD_BYTES },
    ),
    route('PUT', '/2017-10-31/functions/{name}/concurrency', 'PutFunctionConcurrency', (ctx) => {
      const state = unqualified(ctx);
      registry.setReservedConcurrency(state, parseJsonObject(ctx.body).ReservedConcurrentExecutions);
      const reserved = state.record.reservedConcurrency;
      if (reserved !== undefined) host.trim(state.record.name, reserved);
      queue.pump();
      return { status: 200, body: concurrencyBody(state) };
    }),
    route('GET', '/2019-09-30/functions/{name}/concurrency', 'GetFunctionConcurrency', (ctx) => ({
      status: 200,
      body: concurrencyBody(unqualified(ctx)),
    })),
    route('DELETE', '/2017-10-31/functions/{name}/concurrency', 'DeleteFunctionConcurrency', (ctx) => {
      registry.clearReservedConcurrency(unqualified(ctx));
      queue.pump();
      return { status: 204 };
    }),
    route(
      'PUT',
      '/2019-09-25/functions/{name}/event-invoke-config',
      'PutFunctionEventInvokeConfig',
      putEventInvokeConfig(false),
    ),
    route(
      'POST',
      '/2019-09-25/functions/{name}/event-invoke-config',
      'UpdateFunctionEventInvokeConfig',
      putEventInvokeConfig(true),
    ),
    route('GET', '/2019-09-25/functions/{name}/event-invoke-config', 'GetFunctionEventInvokeConfig', (ctx) => {
      const { state, qualifier } = eventConfigTarget(ctx);
      const config = state.record.eventInvokeConfigs[qualifier];
      if (!config) throw noEventInvokeConfig(state, qualifier);
      return { status: 200, body: eventInvokeConfigBody(state, qualifier, config) };
    }),
    route('DELETE', '/2019-09-25/functions/{name}/event-invoke-config', 'DeleteFunctionEventInvokeConfig', (ctx) => {
      const { state, qualifier } = eventConfigTarget(ctx);
      delete state.record.eventInvokeConfigs[qualifier];
      registry.save(state);
      return { status: 204 };
    }),
    route('GET', '/2016-08-19/account-settings/?', 'GetAccountSettings', () => ({
      status: 200,
      body: {
        AccountLimit: {
          TotalCodeSize: 80_530_636_800,
          CodeSizeUnzipped: 262_144_000,
          CodeSizeZipped: 52_428_800,
          ConcurrentExecutions: registry.accountConcurrencyLimit,
          UnreservedConcurrentExecutions: registry.unreservedConcurrency(),
        },
        AccountUsage: { FunctionCount: registry.all().length, TotalCodeSize: registry.totalCodeSize() },
      },
    })),
    route(
      'GET',
      '/_spillway/status',
      'SpillwayStatus',
      () => ({ status: 200, body: buildStatus(registry, host, queue) }),
      {
        signed: false,
      },
    ),
  ];
}

export function newRequestId(): string {
  return randomUUID();
}
