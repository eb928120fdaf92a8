// Tracing for Temporal workers: Temporal's OpenTelemetry interceptors (workflow spans through a sink, activity
// spans around every activity) and Spillway's attributes on the activity spans. Nothing while tracing is off.
import { context as otelContext, trace } from '@opentelemetry/api';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next, WorkerOptions } from '@temporalio/worker';
import type { AttemptRecord, PlacementDecision, TaskInput, TaskState } from '../domain/task-model';
import type * as TemporalOtel from '@temporalio/interceptors-opentelemetry';
import { load, runningTracing, SpanAttributes } from './tracing';

type Attributes = Record<string, string | number | boolean>;

const PLACEMENT_OF: Record<string, string> = { runLocalTask: 'LOCAL', invokeLambda: 'LAMBDA' };

function isTaskInput(value: unknown): value is TaskInput {
  const v = value as Partial<TaskInput> | undefined;
  return typeof v?.id === 'string' && typeof v.type === 'string' && typeof v.executionMode === 'string';
}

/** The attributes of an activity's arguments: the task it works on. */
export function inputAttributes(activityType: string, attempt: number, args: unknown[]): Attributes {
  const [first] = args;
  const attrs: Attributes = {};
  if (isTaskInput(first)) {
    attrs[SpanAttributes.taskId] = first.id;
    attrs[SpanAttributes.taskType] = first.type;
    attrs[SpanAttributes.executionMode] = first.executionMode;
    const placement = PLACEMENT_OF[activityType];
    if (placement) {
      attrs[SpanAttributes.placement] = placement;
      attrs[SpanAttributes.attempt] = attempt + (first.attemptOffset ?? 0);
    }
    return attrs;
  }
  const transition = first as { taskId?: unknown; state?: TaskState } | undefined;
  if (typeof transition?.taskId === 'string' && transition.state) {
    const { state } = transition;
    attrs[SpanAttributes.taskId] = transition.taskId;
    attrs[SpanAttributes.taskType] = state.type;
    attrs[SpanAttributes.executionMode] = state.executionMode;
    attrs[SpanAttributes.status] = state.status;
    attrs[SpanAttributes.attempts] = state.attempts.length;
    if (state.placement) attrs[SpanAttributes.placement] = state.placement.placement;
    if (state.costUsd !== undefined) attrs[SpanAttributes.costUsd] = state.costUsd;
    attrs[SpanAttributes.coldStarts] = state.attempts.filter((a) => a.coldStart === true).length;
    attrs[SpanAttributes.warmStarts] = state.attempts.filter((a) => a.coldStart === false).length;
  }
  return attrs;
}

/** The attributes of an activity's result: where an attempt ran, cold or warm, what it cost; or a placement. */
export function resultAttributes(result: unknown): Attributes {
  const attrs: Attributes = {};
  const attempt = (result as { attempt?: AttemptRecord } | undefined)?.attempt;
  if (attempt && typeof attempt === 'object' && typeof attempt.placement === 'string') {
    attrs[SpanAttributes.placement] = attempt.placement;
    attrs[SpanAttributes.attempt] = attempt.attempt;
    if (attempt.coldStart !== undefined) attrs[SpanAttributes.coldStart] = attempt.coldStart;
    if (attempt.costUsd !== undefined) attrs[SpanAttributes.costUsd] = attempt.costUsd;
    if (attempt.durationMs !== undefined) attrs[SpanAttributes.durationMs] = attempt.durationMs;
    // The attempt that ended the task told the projection so itself: its span carries what a publish span would.
    if ((result as { published?: boolean }).published === true) {
      attrs[SpanAttributes.status] = 'COMPLETED';
      attrs[SpanAttributes.attempts] = attempt.attempt;
    }
  }
  const decision = result as Partial<PlacementDecision> | undefined;
  if (typeof decision?.placement === 'string' && typeof decision.reason === 'string') {
    attrs[SpanAttributes.placement] = decision.placement;
    attrs[SpanAttributes.placementReason] = decision.reason;
  }
  return attrs;
}

/** Sets Spillway's attributes on the activity span that Temporal's interceptor (the outer one) made active. */
class SpillwayActivityAttributes implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: ActivityContext) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
    const span = trace.getSpan(otelContext.active());
    const { activityType, attempt } = this.ctx.info;
    span?.setAttributes(inputAttributes(activityType, attempt, input.args));
    const result = await next(input);
    span?.setAttributes(resultAttributes(result));
    return result;
  }
}

/**
 * `options` with tracing: Temporal's OpenTelemetryPlugin (workflow spans through a sink, a span around every
 * activity, the context carried in headers) and then Spillway's attributes, inside Temporal's activity span.
 * Traced workers bundle their workflows at start, since the workflow interceptors must be in the bundle, so the
 * prebuilt bundle serves only untraced workers. While tracing is off, `options` itself.
 */
export function tracedWorkerOptions(options: WorkerOptions, workflowsPath?: string): WorkerOptions {
  const tracing = runningTracing();
  if (!tracing) return options;
  const otel = load<typeof TemporalOtel>('@temporalio/interceptors-opentelemetry');
  const plugin = new otel.OpenTelemetryPlugin({ spanProcessor: tracing.spanProcessor, resource: tracing.resource });
  const source: WorkerOptions = { ...options };
  if (workflowsPath && source.workflowBundle) {
    delete source.workflowBundle;
    source.workflowsPath = workflowsPath;
  }
  const traced = plugin.configureWorker(source);
  // Appended after Temporal's interceptor, so it runs inside it, while Temporal's span is the active one.
  traced.interceptors = {
    ...traced.interceptors,
    activity: [...(traced.interceptors?.activity ?? []), (ctx) => ({ inbound: new SpillwayActivityAttributes(ctx) })],
  };
  return traced;
}
