// A server span for every API request, the parent of everything the request starts (a workflow, through the
// Temporal client's interceptor). A request that carries W3C trace context continues its trace: in the headers, or,
// for the Lambda callback, in the `traceparent` query parameter that the invocation put into the callback URL.
// Registered on the app always; it adds no hook while tracing is off.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { SpanAttributes, tracer, tracingEnabled } from './tracing';

declare module 'fastify' {
  interface FastifyRequest {
    otelSpan?: Span;
  }
}

function carrierOf(request: FastifyRequest): Record<string, string> {
  const carrier: Record<string, string> = {};
  const header = request.headers.traceparent;
  if (typeof header === 'string') {
    carrier.traceparent = header;
    if (typeof request.headers.tracestate === 'string') carrier.tracestate = request.headers.tracestate;
    return carrier;
  }
  const query = request.query as Record<string, unknown> | undefined;
  if (typeof query?.traceparent === 'string') carrier.traceparent = query.traceparent;
  if (typeof query?.tracestate === 'string') carrier.tracestate = query.tracestate;
  return carrier;
}

async function tracing(app: FastifyInstance) {
  if (!tracingEnabled()) return;
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url ?? request.url.split('?')[0] ?? '/';
    const parent = propagation.extract(ROOT_CONTEXT, carrierOf(request));
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': request.url.split('?')[0],
        },
      },
      parent,
    );
    const params = request.params as { id?: unknown } | undefined;
    if (route.startsWith('/api/tasks/') && typeof params?.id === 'string')
      span.setAttribute(SpanAttributes.taskId, params.id);
    request.otelSpan = span;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', reply.raw.statusCode);
      if (reply.raw.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    reply.raw.once('finish', end);
    reply.raw.once('close', end);
    const active = trace.setSpan(parent, span);
    // The body arrives in later events of the request stream: bound, its listeners run in this request's context.
    context.bind(active, request.raw);
    context.with(active, done);
  });
  app.addHook('onError', async (request, _reply, error) => {
    request.otelSpan?.recordException(error);
  });
  // A created task's id and type, on the span of the request that created it.
  app.addHook('onSend', async (request, reply, payload) => {
    const span = request.otelSpan;
    if (!span || request.method !== 'POST' || request.routeOptions.url !== '/api/tasks') return payload;
    if (reply.statusCode < 300 && typeof payload === 'string') {
      try {
        const task = JSON.parse(payload) as { id?: string; type?: string; executionMode?: string };
        if (task.id) span.setAttribute(SpanAttributes.taskId, task.id);
        if (task.type) span.setAttribute(SpanAttributes.taskType, task.type);
        if (task.executionMode) span.setAttribute(SpanAttributes.executionMode, task.executionMode);
      } catch {
        // Not JSON: nothing to add.
      }
    }
    return payload;
  });
}

export const tracingPlugin = fp(tracing, { name: 'spillway-tracing', fastify: '5.x' });
