// Tracing across the Lambda boundary. An invocation is a client span; its context travels in the asynchronous
// event (`traceContext`, W3C traceparent/tracestate, for a function that traces itself) and in the callback URL
// (`?traceparent=`), which the function's wrapper posts to unchanged, so the callback's server span continues the
// same trace. While tracing is off the event and the URL are left exactly as they were.
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SpanAttributes, tracer, tracingEnabled } from './tracing';

export interface InvokePropagation {
  /** Fields to add to the function's event. */
  event: { traceContext?: Record<string, string> };
  /** The callback URL, carrying the invocation's trace context. */
  callbackUrl(url: string): string;
}

const UNTRACED: InvokePropagation = { event: {}, callbackUrl: (url) => url };

export interface InvokeFacts {
  taskId: string;
  taskType: string;
  functionName: string;
  functionVersion: string;
  attempt: number;
  invocationType: 'Event' | 'RequestResponse';
}

/** Runs `invoke` inside a `lambda.invoke <function>` client span, handing it what carries the span onward. */
export async function traceLambdaInvoke<T>(facts: InvokeFacts, invoke: (p: InvokePropagation) => Promise<T>) {
  if (!tracingEnabled()) return invoke(UNTRACED);
  return tracer().startActiveSpan(
    `lambda.invoke ${facts.functionName}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [SpanAttributes.taskId]: facts.taskId,
        [SpanAttributes.taskType]: facts.taskType,
        [SpanAttributes.placement]: 'LAMBDA',
        [SpanAttributes.attempt]: facts.attempt,
        [SpanAttributes.functionName]: facts.functionName,
        'faas.invoked_provider': 'aws',
        'faas.invocation_type': facts.invocationType,
        'spillway.function.version': facts.functionVersion,
      },
    },
    async (span) => {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      const propagated: InvokePropagation = {
        event: { traceContext: carrier },
        callbackUrl: (url) => {
          if (!carrier.traceparent) return url;
          const u = new URL(url);
          u.searchParams.set('traceparent', carrier.traceparent);
          if (carrier.tracestate) u.searchParams.set('tracestate', carrier.tracestate);
          return u.toString();
        },
      };
      try {
        return await invoke(propagated);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** Adds attributes to the span of the work in progress (a no-op while tracing is off). */
export function setSpanAttributes(attributes: Record<string, string | number | boolean | undefined>): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) span.setAttribute(key, value);
}
