// Error names, ErrorEquals matching, and Retry and Catch selection, as the ASL spec and the Step Functions
// developer guide ("Handling errors in Step Functions workflows") define them. Pure: the random source for
// JitterStrategy FULL is passed in.

import type { Catcher, Retrier } from './definition';
import type { JsonObject } from './json';

/**
 * The predefined error names Spillway matches and raises (States.ALL only matches). A state's own errors must not
 * start with "States.".
 */
export const STATES_ERRORS = {
  ALL: 'States.ALL',
  TaskFailed: 'States.TaskFailed',
  Timeout: 'States.Timeout',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  ParameterPathFailure: 'States.ParameterPathFailure',
  NoChoiceMatched: 'States.NoChoiceMatched',
  IntrinsicFailure: 'States.IntrinsicFailure',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
  Runtime: 'States.Runtime',
  QueryEvaluationError: 'States.QueryEvaluationError',
} as const;

export type StatesErrorName = (typeof STATES_ERRORS)[keyof typeof STATES_ERRORS];

/**
 * Predefined names that a Retry or Catch may name, so a definition written for AWS validates unchanged, but that
 * nothing in Spillway raises:
 * - States.BranchFailed: a Parallel state fails with its failed branch's own error, as it does on AWS;
 * - States.Permissions: no IAM role stands between a pipeline and its tasks (a Lambda endpoint that refuses an
 *   invocation fails that task with the endpoint's error, which States.TaskFailed and States.ALL match);
 * - States.ItemReaderFailed, States.ResultWriterFailed: a Map has no ItemReader or ResultWriter here (the validator
 *   refuses them);
 * - States.DataLimitExceeded: payloads are bounded where they enter (the 256 KB execution input), not per state.
 */
export const MATCH_ONLY_STATES_ERRORS = [
  'States.BranchFailed',
  'States.Permissions',
  'States.ItemReaderFailed',
  'States.ResultWriterFailed',
  'States.DataLimitExceeded',
] as const;

/**
 * A state reported an error: thrown by path, intrinsic, Choice and JSONata evaluation, and turned by the
 * interpreter into retry, catch or failure. `error` is the ASL error name, `cause` the human-readable detail.
 */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
    this.name = 'StatesError';
  }
}

/** What a Catch passes on: the error output `{Error, Cause}`. */
export interface ErrorOutput extends JsonObject {
  Error: string;
  Cause: string;
}

export function errorOutput(error: string, cause: string): ErrorOutput {
  return { Error: error, Cause: cause };
}

/** Errors no retrier or catcher handles: States.Runtime always fails the execution. */
const UNCATCHABLE = new Set<string>([STATES_ERRORS.Runtime]);
/** Terminal errors the wildcards skip; only their exact name matches them. */
const SKIPPED_BY_WILDCARDS = new Set<string>(['States.DataLimitExceeded']);
const TIMEOUTS = new Set<string>([STATES_ERRORS.Timeout, STATES_ERRORS.HeartbeatTimeout]);

/**
 * Whether one ErrorEquals entry matches a reported error name. States.ALL matches any error; States.TaskFailed any
 * error except the timeouts; States.Timeout also matches States.HeartbeatTimeout (a heartbeat timeout is a
 * timeout). Neither wildcard matches States.DataLimitExceeded, and nothing matches States.Runtime.
 */
export function errorNameMatches(pattern: string, errorName: string): boolean {
  if (UNCATCHABLE.has(errorName)) return false;
  if (pattern === errorName) return true;
  if (SKIPPED_BY_WILDCARDS.has(errorName)) return false;
  if (pattern === STATES_ERRORS.ALL) return true;
  if (pattern === STATES_ERRORS.TaskFailed) return !TIMEOUTS.has(errorName);
  if (pattern === STATES_ERRORS.Timeout) return errorName === STATES_ERRORS.HeartbeatTimeout;
  return false;
}

export function errorEqualsMatches(errorEquals: readonly string[], errorName: string): boolean {
  return errorEquals.some((pattern) => errorNameMatches(pattern, errorName));
}

export const RETRY_DEFAULTS = Object.freeze({
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2.0,
  JitterStrategy: 'NONE' as const,
});

/** Retries made so far, per retrier (by its index in Retry), during one entry into a state. */
export type RetryCounters = Readonly<Record<string, number>>;
export const NO_RETRIES: RetryCounters = Object.freeze({});

export function totalRetries(counters: RetryCounters): number {
  return Object.values(counters).reduce((sum, n) => sum + n, 0);
}

/** A value in [0, 1), like Math.random; the workflow passes a deterministic one. */
export type RandomSource = () => number;

/**
 * Seconds to wait before retry number `retryNumber` (1 for the first retry) of one retrier:
 * IntervalSeconds × BackoffRate^(retryNumber−1), capped at MaxDelaySeconds, then with FULL jitter a uniform draw
 * from [0, that delay).
 */
export function retryDelaySeconds(retrier: Retrier, retryNumber: number, random: RandomSource): number {
  const interval = retrier.IntervalSeconds ?? RETRY_DEFAULTS.IntervalSeconds;
  const rate = retrier.BackoffRate ?? RETRY_DEFAULTS.BackoffRate;
  let delay = interval * Math.pow(rate, Math.max(0, retryNumber - 1));
  if (retrier.MaxDelaySeconds !== undefined) delay = Math.min(delay, retrier.MaxDelaySeconds);
  if ((retrier.JitterStrategy ?? RETRY_DEFAULTS.JitterStrategy) === 'FULL') delay = delay * random();
  return delay;
}

export type RetryDecision =
  | { kind: 'retry'; retrierIndex: number; retryNumber: number; delayMs: number; counters: RetryCounters }
  /** No retrier matched, or the first one that matched has used up its MaxAttempts: go on to Catch. */
  | { kind: 'no-retry'; retrierIndex?: number };

/**
 * Picks the retry for an error: the first retrier whose ErrorEquals matches decides alone (later retriers are not
 * consulted even when it is used up), and each retrier counts its own attempts.
 */
export function decideRetry(
  retriers: readonly Retrier[] | undefined,
  errorName: string,
  counters: RetryCounters,
  random: RandomSource,
): RetryDecision {
  const index = (retriers ?? []).findIndex((r) => errorEqualsMatches(r.ErrorEquals, errorName));
  if (index < 0) return { kind: 'no-retry' };
  const retrier = retriers![index]!;
  const done = counters[String(index)] ?? 0;
  const maxAttempts = retrier.MaxAttempts ?? RETRY_DEFAULTS.MaxAttempts;
  if (done >= maxAttempts) return { kind: 'no-retry', retrierIndex: index };
  const retryNumber = done + 1;
  const delayMs = Math.round(retryDelaySeconds(retrier, retryNumber, random) * 1000);
  return { kind: 'retry', retrierIndex: index, retryNumber, delayMs, counters: { ...counters, [index]: retryNumber } };
}

/** The first catcher whose ErrorEquals matches, with its index; undefined when none does. */
export function selectCatcher(
  catchers: readonly Catcher[] | undefined,
  errorName: string,
): { index: number; catcher: Catcher } | undefined {
  const index = (catchers ?? []).findIndex((c) => errorEqualsMatches(c.ErrorEquals, errorName));
  return index < 0 ? undefined : { index, catcher: catchers![index]! };
}
