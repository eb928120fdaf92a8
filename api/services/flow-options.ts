// From the flow options of a submission to what the workflow and Temporal's start call need: a start delay, a
// priority with a fairness key, normalised concurrency and rate limits (the body's own, or the ones config names
// for the key), an explicit retry schedule. Each problem a schema cannot see has its own code.
import type { SpillwayConfig } from '../../domain/config';
import { DEFAULT_PRIORITY, normalizeRate, parseDurationMs, type FlowOptions } from '../../domain/task-options';
import type { RetrySettings } from '../../domain/task-model';
import { Errors } from '../errors';
import type { CreateTaskBody } from '../schemas/task-schemas';

export interface StartOptions {
  flow: FlowOptions;
  retry: RetrySettings;
  /** Temporal's start delay, ms. */
  startDelayMs?: number;
  /** Temporal's task-queue priority for the workflow and, inherited, its activities. */
  priority?: { priorityKey: number; fairnessKey?: string; fairnessWeight?: number };
}

export function startOptions(body: CreateTaskBody, config: SpillwayConfig, nowMs: number): StartOptions {
  const flow: FlowOptions = {};
  if (body.priority !== undefined) flow.priority = body.priority;
  if (body.fairness) flow.fairness = { key: body.fairness.key, weight: body.fairness.weight ?? 1 };

  if (body.concurrency) {
    const limit = body.concurrency.limit ?? config.flow.concurrencyLimits[body.concurrency.key];
    if (limit === undefined) {
      throw Errors.unknownLimit(
        `concurrency key "${body.concurrency.key}" has no limit: give concurrency.limit, or name it in SPILLWAY_CONCURRENCY_LIMITS`,
      );
    }
    flow.concurrency = { key: body.concurrency.key, limit };
  }

  if (body.rateLimit) {
    const { key, perSecond, perMinute } = body.rateLimit;
    if (perSecond !== undefined && perMinute !== undefined) {
      throw Errors.invalidRateLimit('rateLimit takes perSecond or perMinute, not both');
    }
    const named = config.flow.rateLimits[key];
    const rate =
      perSecond !== undefined
        ? normalizeRate(perSecond, 1000)
        : perMinute !== undefined
          ? normalizeRate(perMinute, 60_000)
          : named;
    if (!rate) {
      throw Errors.unknownLimit(
        `rate limit key "${key}" has no rate: give perSecond or perMinute, or name it in SPILLWAY_TASK_RATE_LIMITS`,
      );
    }
    flow.rateLimit = { key, ...rate };
  }

  if (body.delaySeconds !== undefined && body.startAt !== undefined) {
    throw Errors.invalidStartTime('give delaySeconds or startAt, not both');
  }
  let startDelayMs: number | undefined;
  if (body.delaySeconds !== undefined && body.delaySeconds > 0) startDelayMs = body.delaySeconds * 1000;
  if (body.startAt !== undefined) startDelayMs = Math.max(0, Date.parse(body.startAt) - nowMs) || undefined;
  if (startDelayMs !== undefined) flow.startAt = new Date(nowMs + startDelayMs).toISOString();
  if (body.expiresAt !== undefined) {
    const expires = Date.parse(body.expiresAt);
    if (expires <= nowMs) throw Errors.invalidStartTime(`expiresAt ${body.expiresAt} is already past`);
    if (startDelayMs !== undefined && expires <= nowMs + startDelayMs) {
      throw Errors.invalidStartTime('expiresAt is not after the task may start (startAt or delaySeconds)');
    }
    flow.expiresAt = new Date(expires).toISOString();
  }
  if (body.debounce) {
    flow.debounce = {
      key: body.debounce.key,
      periodSeconds: body.debounce.periodSeconds,
      mode: body.debounce.mode ?? 'trailing',
    };
  }

  const { delays, ...rest } = body.retry ?? {};
  const retry: RetrySettings = { ...config.scheduler.defaultRetry, ...rest };
  if (retry.maximumIntervalMs < retry.initialIntervalMs) {
    throw Errors.invalidRetry('retry.maximumIntervalMs must not be smaller than retry.initialIntervalMs');
  }
  if (delays) {
    // One delay per retry: the schedule says how many attempts there are.
    if (rest.maximumAttempts !== undefined && rest.maximumAttempts !== delays.length + 1) {
      throw Errors.invalidRetry(
        `retry.delays gives ${delays.length} retries, so maximumAttempts would be ${delays.length + 1}, not ${rest.maximumAttempts}`,
      );
    }
    retry.delaysMs = delays.map(parseDurationMs);
    retry.maximumAttempts = delays.length + 1;
    // The longest explicit wait is also the most the policy may wait, so Temporal's own cap never cuts it short.
    retry.maximumIntervalMs = Math.max(retry.maximumIntervalMs, ...retry.delaysMs);
  }

  const priority =
    flow.priority !== undefined || flow.fairness
      ? {
          priorityKey: flow.priority ?? DEFAULT_PRIORITY,
          fairnessKey: flow.fairness?.key,
          fairnessWeight: flow.fairness?.weight,
        }
      : undefined;
  return { flow, retry, startDelayMs, priority };
}
