// OpenTelemetry tracing for every Spillway process: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set, and then the
// OpenTelemetry Node SDK exports spans over OTLP (HTTP/protobuf, the SDK's default; the standard OTEL_* variables
// apply). Off, nothing of the SDK is even loaded: the OpenTelemetry API stays a no-op, so tracing costs nothing.
//
// One trace follows a task from the API request that submits it through the workflow and its activities
// (Temporal's OpenTelemetry interceptors carry the context in workflow and activity headers) to the Lambda
// invocation, whose asynchronous event carries the context on to the function's callback.
import { trace, type Tracer } from '@opentelemetry/api';
import type * as OtlpProto from '@opentelemetry/exporter-trace-otlp-proto';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkNode from '@opentelemetry/sdk-node';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type * as TemporalOtel from '@temporalio/interceptors-opentelemetry';

/** Spillway's span attributes, beside OpenTelemetry's own (http.*, faas.*). */
export const SpanAttributes = {
  taskId: 'spillway.task.id',
  taskType: 'spillway.task.type',
  executionMode: 'spillway.task.execution_mode',
  status: 'spillway.task.status',
  placement: 'spillway.placement',
  placementReason: 'spillway.placement.reason',
  attempt: 'spillway.attempt',
  attempts: 'spillway.attempts',
  coldStart: 'spillway.cold_start',
  coldStarts: 'spillway.cold_starts',
  warmStarts: 'spillway.warm_starts',
  costUsd: 'spillway.cost_usd',
  durationMs: 'spillway.duration_ms',
  functionName: 'faas.invoked_name',
} as const;

const TRACER_NAME = 'spillway';

interface Running {
  serviceName: string;
  spanProcessor: SpanProcessor;
  resource: Resources.Resource;
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

let running: Running | undefined;

/** Loads a module when first needed, so that the tracing SDK stays unloaded in a process that does not trace. */
export function load<T>(id: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(id) as T;
}

/** True when this process exports traces (startTracing ran with an OTLP endpoint configured). */
export function tracingEnabled(): boolean {
  return running !== undefined;
}

/** Spillway's tracer: a no-op one while tracing is off. */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is buffered now (tests, and a process about to exit). */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts tracing for this process as `serviceName` when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; otherwise does nothing. Call it once, first thing in main().
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  if (running) return handle();
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true')
    return { enabled: false, forceFlush: async () => {}, shutdown: async () => {} };
  // Loaded only now: a process that does not trace never loads the SDK.
  const { NodeSDK } = load<typeof SdkNode>('@opentelemetry/sdk-node');
  const { BatchSpanProcessor } = load<typeof SdkTraceBase>('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = load<typeof OtlpProto>('@opentelemetry/exporter-trace-otlp-proto');
  const { Resource } = load<typeof Resources>('@opentelemetry/resources');
  const resource = new Resource({
    'service.name': env.OTEL_SERVICE_NAME || serviceName,
    'service.namespace': 'spillway',
  });
  // The exporter reads the endpoint, headers and timeouts from the standard OTEL_EXPORTER_OTLP_* variables.
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1_000 });
  const sdk = new NodeSDK({
    resource,
    spanProcessors: [spanProcessor],
    instrumentations: [],
    autoDetectResources: false,
  });
  sdk.start();
  running = {
    serviceName,
    spanProcessor,
    resource,
    forceFlush: () => spanProcessor.forceFlush(),
    shutdown: async () => {
      running = undefined;
      await sdk.shutdown();
    },
  };
  return handle();
}

function handle(): Tracing {
  return {
    enabled: true,
    forceFlush: async () => running?.forceFlush(),
    shutdown: async () => running?.shutdown(),
  };
}

/** Interceptors for a Temporal Client: starting a workflow carries the active trace into it. None while off. */
export function clientInterceptors(): { workflow: WorkflowClientInterceptor[] } | undefined {
  if (!running) return undefined;
  const otel = load<typeof TemporalOtel>('@temporalio/interceptors-opentelemetry');
  return { workflow: [new otel.OpenTelemetryWorkflowClientInterceptor()] };
}

/** What a traced process's span processor and resource are, for the workflow span sink (telemetry/worker.ts). */
export function runningTracing(): Pick<Running, 'spanProcessor' | 'resource'> | undefined {
  return running;
}
