// The bookkeeping of one run of a (sub-)machine as a reducer: the interpreter workflow keeps a RunState, feeds it
// each Completion the stepping core returns, and builds the next step's env from it. Plain data, so it can sit in
// a workflow's state, cross a query, and be replayed.

import type { StateMachineDefinition } from './definition';
import type { RandomSource, RetryCounters } from './errors';
import { NO_RETRIES, totalRetries } from './errors';
import type { Variables } from './data-flow';
import type { Completion, ExecutionInfo, StateMachineInfo, StepEnv } from './interpreter';
import { contextObject } from './interpreter';
import type { JsonValue } from './json';
import { millisToIso } from './timestamps';

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface RunState {
  /** Bumped only when a field changes meaning; new optional fields do not bump it. */
  readonly version: 1;
  readonly status: RunStatus;
  /** The state being run (or, once finished, the last one). */
  readonly stateName: string;
  /** That state's raw input. */
  readonly input: JsonValue;
  readonly variables: Variables;
  /** Retries made so far in the current state entry, per retrier. */
  readonly retryCounters: RetryCounters;
  /** When the current state was entered (epoch ms); a retry does not re-enter. */
  readonly enteredAtMs: number;
  /** State transitions so far. */
  readonly transitions: number;
  readonly output?: JsonValue;
  readonly error?: string;
  readonly cause?: string;
}

/** Thrown by advanceRun when a finished run is handed another event: a bug in the caller's loop. */
export class RunFinishedError extends Error {
  constructor(status: RunStatus) {
    super(`The run has already ${status}`);
    this.name = 'RunFinishedError';
  }
}

export function startRun(
  machine: StateMachineDefinition,
  input: JsonValue,
  nowMs: number,
  variables: Variables = {},
): RunState {
  return {
    version: 1,
    status: 'running',
    stateName: machine.StartAt,
    input,
    variables,
    retryCounters: NO_RETRIES,
    enteredAtMs: nowMs,
    transitions: 0,
  };
}

/** Folds one Completion into the run: a transition moves on, a retry updates the counters, an end finishes it. */
export function advanceRun(run: RunState, event: Completion, nowMs: number): RunState {
  if (run.status !== 'running') throw new RunFinishedError(run.status);
  switch (event.kind) {
    case 'next':
      return {
        ...run,
        stateName: event.next,
        input: event.output,
        variables: event.variables,
        retryCounters: NO_RETRIES,
        enteredAtMs: nowMs,
        transitions: run.transitions + 1,
      };
    case 'retry':
      return { ...run, retryCounters: event.counters };
    case 'succeed':
      return { ...run, status: 'succeeded', output: event.output, variables: event.variables };
    case 'fail':
      return { ...run, status: 'failed', error: event.error, cause: event.cause };
  }
}

/** The env for the run's current state: its context object, variables, and the caller's clock and sources. */
export function runEnv(
  run: RunState,
  base: {
    execution: ExecutionInfo;
    stateMachine: StateMachineInfo;
    nowMs: number;
    random: RandomSource;
    uuid: () => string;
    taskToken?: string;
  },
): StepEnv {
  return {
    context: contextObject({
      execution: base.execution,
      stateMachine: base.stateMachine,
      stateName: run.stateName,
      enteredTime: millisToIso(run.enteredAtMs),
      retryCount: totalRetries(run.retryCounters),
      ...(base.taskToken !== undefined ? { taskToken: base.taskToken } : {}),
    }),
    variables: run.variables,
    nowMs: base.nowMs,
    random: base.random,
    uuid: base.uuid,
  };
}
