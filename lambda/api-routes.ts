// Invoke and the function settings around it (reserved concurrency, event invoke config, account settings), with
// the paths, headers and shapes of AWS's API model (Invoke$, PutFunctionConcurrency$... in @aws-sdk/client-lambda),
// plus the Spillway status extension.
import { randomUUID } from 'node:crypto';
import type { ConcurrencySlots } from './concurrency-slots';
import {
  InvalidParameterValueError,
  InvalidRequestContentError,
  RequestTooLargeError,
  ResourceNotFoundError,
  TooManyRequestsError,
} from './errors';
import type { EventQueue } from './event-queue';
import type { EventInvokeConfig, FunctionRegistry, FunctionState } from './function-registry';
import { parseJsonObject } from './http-io';
import { logTail } from './invocation-log';
import type { Invoker } from './invoker';
import { combineQualifier, LATEST, parseFunctionRef } from './qualifiers';
import type { Handler, Route, RouteContext } from './router';
import { header, makeRouter } from './router';
import type { RuntimeHost } from './runtime-host';
import { buildStatus } from './status-report';

/** Lambda's payload limits: 6 MB for a synchronous request, 1 MB for an asynchronous event. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const MAX_EVENT_PAYLOAD_BYTES = 1024 * 1024;

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

function payloadTooLarge(operation: string, max: number): RequestTooLargeError {
  return new RequestTooLargeError(`Request must be smaller than ${max} bytes for the ${operation} operation`);
}

export function buildRoutes(parts: ServiceParts): Route[] {
  const { registry, host, slots, queue, invoker } = parts;
  const route = makeRouter(payloadTooLarge);

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
    if (payload.trim() !== '') {
      try {
        JSON.parse(payload);
      } catch (err) {
        throw new InvalidRequestContentError(`Could not parse request body into json: ${(err as Error).message}`);
      }
    }
    const { state } = target;
    if (type === 'DryRun') return { status: 204 };
    if (type === 'Event') {
      queue.enqueue(state, target.qualifier, ctx.requestId, payload);
      return { status: 202 };
    }

    const reason = slots.tryAcquire(state);
    if (reason) {
      state.stats.throttles++;
      state.stats.lastThrottleAt = new Date().toISOString();
      throw new TooManyRequestsError(reason);
    }
    let completed;
    try {
      completed = await invoker.invoke(target, ctx.requestId, payload);
    } finally {
      slots.release(state);
    }
    const headers: Record<string, string> = { 'X-Amz-Executed-Version': completed.executedVersion };
    if (header(ctx.headers, 'X-Amz-Log-Type') === 'Tail') headers['X-Amz-Log-Result'] = logTail(completed.log);
    const { outcome } = completed;
    if (outcome.kind === 'success') return { status: 200, headers, body: outcome.result };
    headers['X-Amz-Function-Error'] = outcome.unhandled ? 'Unhandled' : 'Handled';
    return { status: 200, headers, body: outcome.error };
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

  const eventInvokeConfigBody = (state: FunctionState, qualifier: string, config: EventInvokeConfig) => ({
    ...config,
    FunctionArn: registry.arn(state.record.name, qualifier),
  });

  const putEventInvokeConfig =
    (merge: boolean): Handler =>
    (ctx) => {
      const { state, qualifier } = eventConfigTarget(ctx);
      const body = parseJsonObject(ctx.body);
      const previous = merge ? state.record.eventInvokeConfigs[qualifier] : undefined;
      const retries = intInRange(body, 'MaximumRetryAttempts', 0, 2);
      const age = intInRange(body, 'MaximumEventAgeInSeconds', 60, 21_600);
      const config: EventInvokeConfig = {
        LastModified: Date.now() / 1000,
        MaximumRetryAttempts: retries ?? previous?.MaximumRetryAttempts,
        MaximumEventAgeInSeconds: age ?? previous?.MaximumEventAgeInSeconds,
        // Stored and echoed so clients round-trip; the service does not deliver to destinations.
        DestinationConfig: body.DestinationConfig ?? previous?.DestinationConfig,
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
      if (!config) {
        throw new ResourceNotFoundError(
          `The function ${registry.arn(state.record.name, qualifier)} doesn't have an EventInvokeConfig`,
        );
      }
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
