// The stepping core: pure functions that say, as data, what a state does next, so that the interpreter workflow
// only performs the effects (activities, timers, child branches) and feeds the outcomes back.
//
//   enterState(machine, name, input, env, counters)  → task | wait | parallel | map | next | succeed | fail | retry
//   completeTask / completeParallel / completeMap    → next | succeed | fail | retry (or a Catch's next)
//
// `env` carries the context object, the variables as of state entry, the caller's clock reading and the random and
// UUID sources. Nothing here reads a clock, a random generator or the network.

import type { ExecutionMode } from '../domain/task-model';
import type {
  Catcher,
  ChoiceState,
  FailState,
  MapState,
  ParallelState,
  PassState,
  QueryLanguage,
  State,
  StateMachineDefinition,
  SucceedState,
  TaskState,
  WaitState,
} from './definition';
import { mapItemMachine, queryLanguageOf } from './definition';
import type { EvalScope, Variables } from './data-flow';
import {
  applyAssignments,
  applyInputPath,
  applyOutputPath,
  applyPayloadTemplate,
  assignJsonPath,
  branchVariables,
  evaluateJsonataField,
  finishJsonata,
  finishJsonPath,
  jsonataScope,
  prepareJsonPath,
} from './data-flow';
import { selectChoice } from './choice';
import type { RetryCounters } from './errors';
import { decideRetry, errorOutput, NO_RETRIES, selectCatcher, StatesError, STATES_ERRORS } from './errors';
import { evaluateIntrinsic, isIntrinsicInvocation } from './intrinsics';
import type { JsonObject, JsonValue } from './json';
import { jsonText } from './json';
import { readRequiredPath, writeResultPath } from './paths';
import type { LambdaInvokeRequest, TaskResource } from './task-resource';
import {
  InvalidLambdaInvokeError,
  lambdaInvokeRequest,
  parseTaskResource,
  UnsupportedResourceError,
} from './task-resource';
import { instantToMillis, millisToIso, parseTimestamp } from './timestamps';

/** What one step may read: the context object, the variables at state entry, a clock reading, random and UUIDs. */
export type StepEnv = EvalScope;

/** A state ends its (sub-)machine's run with this output: End: true, or a Succeed state. */
export interface SucceedAction {
  kind: 'succeed';
  output: JsonValue;
  variables: Variables;
}

export interface NextAction {
  kind: 'next';
  next: string;
  output: JsonValue;
  variables: Variables;
  /** Set when a Catch chose this transition. */
  caught?: { error: string; cause: string; catcherIndex: number };
}

export interface FailAction {
  kind: 'fail';
  error: string;
  cause: string;
}

/** Wait `delayMs`, then enter the same state again with `counters` (its raw input unchanged). */
export interface RetryAction {
  kind: 'retry';
  stateName: string;
  delayMs: number;
  counters: RetryCounters;
  retrierIndex: number;
  retryNumber: number;
  error: string;
  cause: string;
}

export type Transition = NextAction | SucceedAction | FailAction;
export type Completion = Transition | RetryAction;

export interface TaskAction {
  kind: 'task';
  stateName: string;
  resource: TaskResource;
  /** The evaluated Parameters (JSONPath) or Arguments (JSONata); the state's effective input without them. */
  payload: JsonValue;
  /** For arn:aws:states:::lambda:invoke: the function and payload read from `payload`. */
  lambda?: LambdaInvokeRequest;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  /** The Spillway extension `"Spillway": {"ExecutionMode": …}`. */
  executionMode?: ExecutionMode;
  waitForTaskToken: boolean;
  credentials?: JsonValue;
}

export interface WaitAction {
  kind: 'wait';
  stateName: string;
  /** Either a duration… */
  seconds?: number;
  /** …or an instant to wait until (ISO text and epoch milliseconds). */
  untilIso?: string;
  untilMs?: number;
  /** What happens once the wait is over. */
  then: Transition;
}

/** A sub-machine to run: a Parallel branch or a Map iteration. */
export interface BranchRun {
  machine: StateMachineDefinition;
  input: JsonValue;
  /** The variables the branch starts with (a copy of the outer ones). */
  variables: Variables;
}

export interface ParallelAction {
  kind: 'parallel';
  stateName: string;
  branches: BranchRun[];
}

export interface MapItemRun extends BranchRun {
  index: number;
  value: JsonValue;
}

export interface MapAction {
  kind: 'map';
  stateName: string;
  mode: 'INLINE' | 'DISTRIBUTED';
  items: MapItemRun[];
  itemMachine: StateMachineDefinition;
  /** 0 means no limit. */
  maxConcurrency: number;
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
  label?: string;
}

export type StepAction = TaskAction | WaitAction | ParallelAction | MapAction | Completion;

export type TaskOutcome =
  { status: 'succeeded'; result: JsonValue } | { status: 'failed'; error: string; cause: string };
export type BranchOutcome =
  { status: 'succeeded'; output: JsonValue } | { status: 'failed'; error: string; cause: string };
export type ParallelOutcome =
  { status: 'succeeded'; outputs: JsonValue[] } | { status: 'failed'; error: string; cause: string };
export type MapOutcome = ParallelOutcome;

/** Thrown when a machine has no state of the given name: the caller's bug, since validation checks every Next. */
export class UnknownStateError extends Error {
  constructor(readonly stateName: string) {
    super(`The state machine has no state named "${stateName}"`);
    this.name = 'UnknownStateError';
  }
}

/** Thrown by a complete* function handed a state of another type. */
export class StateTypeMismatchError extends Error {
  constructor(stateName: string, expected: string, actual: string) {
    super(`State "${stateName}" is a ${actual} state, not a ${expected} state`);
    this.name = 'StateTypeMismatchError';
  }
}

function stateOf(machine: StateMachineDefinition, name: string): State {
  const state = Object.prototype.hasOwnProperty.call(machine.States, name) ? machine.States[name] : undefined;
  if (!state) throw new UnknownStateError(name);
  return state;
}

function stateOfType<T extends State['Type']>(
  machine: StateMachineDefinition,
  name: string,
  type: T,
): Extract<State, { Type: T }> {
  const state = stateOf(machine, name);
  if (state.Type !== type) throw new StateTypeMismatchError(name, type, state.Type);
  return state as Extract<State, { Type: T }>;
}

function transition(state: { Next?: string; End?: boolean }, output: JsonValue, variables: Variables): Transition {
  if (state.End === true || state.Next === undefined) return { kind: 'succeed', output, variables };
  return { kind: 'next', next: state.Next, output, variables };
}

function asFail(err: unknown): FailAction {
  if (err instanceof StatesError) return { kind: 'fail', error: err.error, cause: err.cause };
  throw err;
}

/** A sub-machine as the interpreter runs it: with the query language its states default to made explicit. */
function subMachine(definition: StateMachineDefinition, parent: StateMachineDefinition): StateMachineDefinition {
  return { ...definition, QueryLanguage: definition.QueryLanguage ?? parent.QueryLanguage ?? 'JSONPath' };
}

/**
 * What entering `stateName` with raw input `input` leads to. `counters` are the retries made so far in this entry
 * (from an earlier RetryAction); errors while preparing a Task, Parallel or Map state go through its Retry and
 * Catch like errors of the work itself.
 */
export async function enterState(
  machine: StateMachineDefinition,
  stateName: string,
  input: JsonValue,
  env: StepEnv,
  counters: RetryCounters = NO_RETRIES,
): Promise<StepAction> {
  const state = stateOf(machine, stateName);
  const language = queryLanguageOf(state, machine);
  try {
    switch (state.Type) {
      case 'Task':
        return await enterTask(stateName, state, language, input, env);
      case 'Pass':
        return await enterPass(state, language, input, env);
      case 'Choice':
        return await enterChoice(stateName, state, language, input, env);
      case 'Wait':
        return await enterWait(stateName, state, language, input, env);
      case 'Succeed':
        return await enterSucceed(state, language, input, env);
      case 'Fail':
        return await enterFail(state, language, input, env);
      case 'Parallel':
        return await enterParallel(machine, stateName, state, language, input, env);
      case 'Map':
        return await enterMap(machine, stateName, state, language, input, env);
    }
  } catch (err) {
    if (!(err instanceof StatesError)) throw err;
    if (state.Type === 'Task' || state.Type === 'Parallel' || state.Type === 'Map') {
      return handleError(stateName, state, language, input, err.error, err.cause, counters, env);
    }
    return asFail(err);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Entering each type of state

async function enterTask(
  stateName: string,
  state: TaskState,
  language: QueryLanguage,
  input: JsonValue,
  env: StepEnv,
): Promise<TaskAction> {
  let resource: TaskResource;
  try {
    resource = parseTaskResource(state.Resource);
  } catch (err) {
    if (err instanceof UnsupportedResourceError) throw new StatesError(STATES_ERRORS.Runtime, err.message);
    throw err;
  }
  let payload: JsonValue;
  let effectiveInput: JsonValue;
  if (language === 'JSONPath') {
    ({ payload, effectiveInput } = prepareJsonPath(state, input, env));
  } else {
    effectiveInput = input;
    payload =
      state.Arguments === undefined ? input : await evaluateJsonataField(state.Arguments, env, { input }, 'Arguments');
  }
  const timeoutSeconds = await secondsField(state, 'TimeoutSeconds', language, effectiveInput, input, env);
  const heartbeatSeconds = await secondsField(state, 'HeartbeatSeconds', language, effectiveInput, input, env);
  let lambda: LambdaInvokeRequest | undefined;
  if (resource.kind === 'lambda-invoke') {
    try {
      lambda = lambdaInvokeRequest(payload);
    } catch (err) {
      if (err instanceof InvalidLambdaInvokeError) throw new StatesError(STATES_ERRORS.Runtime, err.message);
      throw err;
    }
  }
  return {
    kind: 'task',
    stateName,
    resource,
    payload,
    ...(lambda ? { lambda } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    ...(heartbeatSeconds !== undefined ? { heartbeatSeconds } : {}),
    ...(state.Spillway?.ExecutionMode ? { executionMode: state.Spillway.ExecutionMode } : {}),
    waitForTaskToken: resource.waitForTaskToken,
    ...(state.Credentials !== undefined ? { credentials: state.Credentials } : {}),
  };
}

/** TimeoutSeconds/HeartbeatSeconds: a number, a `…Path` on the effective input, or a JSONata expression. */
async function secondsField(
  state: TaskState,
  field: 'TimeoutSeconds' | 'HeartbeatSeconds',
  language: QueryLanguage,
  effectiveInput: JsonValue,
  rawInput: JsonValue,
  env: StepEnv,
): Promise<number | undefined> {
  const pathField = `${field}Path` as const;
  let value: JsonValue | undefined = state[field];
  if (language === 'JSONPath' && state[pathField] !== undefined) {
    value = readRequiredPath(state[pathField]!, {
      input: effectiveInput,
      context: env.context,
      variables: env.variables,
    });
  } else if (typeof value === 'string') {
    value = await evaluateJsonataField(value, env, { input: rawInput }, field);
  }
  if (value === undefined) return undefined;
  return positiveInteger(value, field, language);
}

function positiveInteger(value: JsonValue, field: string, language: QueryLanguage, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new StatesError(
      language === 'JSONata' ? STATES_ERRORS.QueryEvaluationError : STATES_ERRORS.Runtime,
      `The value of ${field} must be a ${allowZero ? 'non-negative' : 'positive'} integer, not ${jsonText(value)}`,
    );
  }
  return value;
}

async function enterPass(
  state: PassState,
  language: QueryLanguage,
  input: JsonValue,
  env: StepEnv,
): Promise<Transition> {
  if (language === 'JSONata') {
    const { output, assigned } = await finishJsonata(state, { input }, input, env);
    return transition(state, output, applyAssignments(env.variables, assigned));
  }
  const { payload } = prepareJsonPath(state, input, env);
  const result = state.Result !== undefined ? state.Result : payload;
  const assigned = assignJsonPath(state.Assign, result, env);
  const output = applyOutputPath(writeResultPath(input, state.ResultPath, result), state.OutputPath, env);
  return transition(state, output, applyAssignments(env.variables, assigned));
}

async function enterChoice(
  stateName: string,
  state: ChoiceState,
  language: QueryLanguage,
  input: JsonValue,
  env: StepEnv,
): Promise<NextAction> {
  const effectiveInput = language === 'JSONPath' ? applyInputPath(input, state.InputPath, env) : input;
  const outcome = await selectChoice(
    stateName,
    state,
    language,
    { input: effectiveInput, context: env.context, variables: env.variables },
    jsonataScope(env, { input }),
  );
  // A matched rule's Assign and Output apply; the state's own apply when the Default is taken.
  const source = outcome.rule ?? state;
  if (language === 'JSONata') {
    const { output, assigned } = await finishJsonata(source, { input }, input, env);
    return { kind: 'next', next: outcome.next, output, variables: applyAssignments(env.variables, assigned) };
  }
  const assigned = assignJsonPath(source.Assign, effectiveInput, env);
  const output = applyOutputPath(effectiveInput, state.OutputPath, env);
  return { kind: 'next', next: outcome.next, output, variables: applyAssignments(env.variables, assigned) };
}

async function enterWait(
  stateName: string,
  state: WaitState,
  language: QueryLanguage,
  input: JsonValue,
  env: StepEnv,
): Promise<WaitAction> {
  let seconds: JsonValue | undefined;
  let timestamp: JsonValue | undefined;
  let then: Transition;
  if (language === 'JSONPath') {
    const effectiveInput = applyInputPath(input, state.InputPath, env);
    const data = { input: effectiveInput, context: env.context, variables: env.variables };
    seconds = state.SecondsPath !== undefined ? readRequiredPath(state.SecondsPath, data) : state.Seconds;
    timestamp = state.TimestampPath !== undefined ? readRequiredPath(state.TimestampPath, data) : state.Timestamp;
    const assigned = assignJsonPath(state.Assign, effectiveInput, env);
    then = transition(
      state,
      applyOutputPath(effectiveInput, state.OutputPath, env),
      applyAssignments(env.variables, assigned),
    );
  } else {
    seconds =
      state.Seconds === undefined ? undefined : await evaluateJsonataField(state.Seconds, env, { input }, 'Seconds');
    timestamp =
      state.Timestamp === undefined
        ? undefined
        : await evaluateJsonataField(state.Timestamp, env, { input }, 'Timestamp');
    const { output, assigned } = await finishJsonata(state, { input }, input, env);
    then = transition(state, output, applyAssignments(env.variables, assigned));
  }
  if (seconds !== undefined) {
    return { kind: 'wait', stateName, seconds: positiveInteger(seconds, 'Seconds', language, true), then };
  }
  const instant = parseTimestamp(timestamp);
  if (!instant) {
    throw new StatesError(
      language === 'JSONata' ? STATES_ERRORS.QueryEvaluationError : STATES_ERRORS.Runtime,
      `The Timestamp of a Wait state must be an ISO 8601 timestamp such as 2016-03-14T01:59:00Z, not ${jsonText(timestamp ?? null)}`,
    );
  }
  const untilMs = instantToMillis(instant);
  return { kind: 'wait', stateName, untilIso: millisToIso(untilMs), untilMs, then };
}

async function enterSucceed(
  state: SucceedState,
  language: QueryLanguage,
  input: JsonValue,
  env: StepEnv,
): Promise<SucceedAction> {
  if (language === 'JSONata') {
    const output =
      state.Output === undefined ? input : await evaluateJsonataField(state.Output, env, { input }, 'Output');
    return { kind: 'succeed', output, variables: env.variables };
  }
  const output = applyOutputPath(applyInputPath(input, state.InputPath, env), state.OutputPath, env);
  return { kind: 'succeed', output, variables: env.variables };
}

async function enterFail(
  state: FailState,
  language: QueryLanguage,
  input: JsonValue,
  env: StepEnv,
): Promise<FailAction> {
  const text = async (field: 'Error' | 'Cause'): Promise<string> => {
    const pathField = `${field}Path` as const;
    let value: JsonValue | undefined = state[field];
    if (language === 'JSONPath' && state[pathField] !== undefined) {
      const expression = state[pathField]!;
      value = isIntrinsicInvocation(expression)
        ? evaluateIntrinsic(expression, {
            input,
            context: env.context,
            variables: env.variables,
            random: env.random,
            uuid: env.uuid,
          })
        : readRequiredPath(expression, { input, context: env.context, variables: env.variables });
    } else if (language === 'JSONata' && typeof value === 'string') {
      value = await evaluateJsonataField(value, env, { input }, field);
    }
    if (value === undefined) return '';
    if (typeof value !== 'string') {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `The ${field} of a Fail state must be a string, not ${jsonText(value)}`,
      );
    }
    return value;
  };
  return { kind: 'fail', error: await text('Error'), cause: await text('Cause') };
}

async function enterParallel(
  machine: StateMachineDefinition,
  stateName: string,
  state: ParallelState,
  language: QueryLanguage,
  input: JsonValue,
  env: StepEnv,
): Promise<ParallelAction> {
  const branchInput =
    language === 'JSONPath'
      ? prepareJsonPath(state, input, env).payload
      : state.Arguments === undefined
        ? input
        : await evaluateJsonataField(state.Arguments, env, { input }, 'Arguments');
  return {
    kind: 'parallel',
    stateName,
    branches: state.Branches.map((branch) => ({
      machine: subMachine(branch, machine),
      input: branchInput,
      variables: branchVariables(env.variables),
    })),
  };
}

const UNSUPPORTED_MAP_FIELDS = ['ItemReader', 'ItemBatcher', 'ResultWriter'] as const;

async function enterMap(
  machine: StateMachineDefinition,
  stateName: string,
  state: MapState,
  language: QueryLanguage,
  input: JsonValue,
  env: StepEnv,
): Promise<MapAction> {
  for (const field of UNSUPPORTED_MAP_FIELDS) {
    if (state[field] !== undefined) {
      throw new StatesError(STATES_ERRORS.Runtime, `State "${stateName}": Map ${field} is not supported by Spillway`);
    }
  }
  const processor = mapItemMachine(state);
  const mode = processor.ProcessorConfig?.Mode ?? 'INLINE';
  const selector = state.ItemSelector ?? state.Parameters;
  let effectiveInput: JsonValue;
  let itemsValue: JsonValue;
  if (language === 'JSONPath') {
    effectiveInput = applyInputPath(input, state.InputPath, env);
    itemsValue =
      state.ItemsPath === undefined
        ? effectiveInput
        : readRequiredPath(state.ItemsPath, { input: effectiveInput, context: env.context, variables: env.variables });
  } else {
    effectiveInput = input;
    itemsValue = state.Items === undefined ? input : await evaluateJsonataField(state.Items, env, { input }, 'Items');
  }
  if (!Array.isArray(itemsValue)) {
    throw new StatesError(
      language === 'JSONata' ? STATES_ERRORS.QueryEvaluationError : STATES_ERRORS.Runtime,
      `State "${stateName}": the Map items must be a JSON array, not ${jsonText(itemsValue)}`,
    );
  }
  const items: MapItemRun[] = [];
  const variables = branchVariables(env.variables, mode === 'DISTRIBUTED');
  for (let index = 0; index < itemsValue.length; index++) {
    const value = itemsValue[index]!;
    const itemEnv: StepEnv = { ...env, context: { ...env.context, Map: { Item: { Index: index, Value: value } } } };
    let itemInput: JsonValue = value;
    if (selector !== undefined) {
      itemInput =
        language === 'JSONPath'
          ? applyPayloadTemplate(selector, effectiveInput, itemEnv, 'ItemSelector')
          : await evaluateJsonataField(selector, itemEnv, { input }, 'ItemSelector');
    }
    items.push({ index, value, input: itemInput, machine: subMachine(processor, machine), variables });
  }
  const numeric = async (field: 'MaxConcurrency' | 'ToleratedFailureCount' | 'ToleratedFailurePercentage') => {
    const pathField = `${field}Path` as const;
    let value: JsonValue | undefined = state[field];
    if (language === 'JSONPath' && state[pathField] !== undefined) {
      value = readRequiredPath(state[pathField]!, {
        input: effectiveInput,
        context: env.context,
        variables: env.variables,
      });
    } else if (typeof value === 'string') {
      value = await evaluateJsonataField(value, env, { input }, field);
    }
    if (value === undefined) return undefined;
    if (
      typeof value !== 'number' ||
      value < 0 ||
      (field !== 'ToleratedFailurePercentage' && !Number.isInteger(value))
    ) {
      throw new StatesError(
        language === 'JSONata' ? STATES_ERRORS.QueryEvaluationError : STATES_ERRORS.Runtime,
        `State "${stateName}": ${field} must be a non-negative ${field === 'ToleratedFailurePercentage' ? 'number' : 'integer'}, not ${jsonText(value)}`,
      );
    }
    if (field === 'ToleratedFailurePercentage' && value > 100) {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `State "${stateName}": ToleratedFailurePercentage cannot exceed 100`,
      );
    }
    return value;
  };
  const maxConcurrency = (await numeric('MaxConcurrency')) ?? 0;
  const toleratedFailureCount = await numeric('ToleratedFailureCount');
  const toleratedFailurePercentage = await numeric('ToleratedFailurePercentage');
  return {
    kind: 'map',
    stateName,
    mode,
    items,
    itemMachine: subMachine(processor, machine),
    maxConcurrency,
    ...(toleratedFailureCount !== undefined ? { toleratedFailureCount } : {}),
    ...(toleratedFailurePercentage !== undefined ? { toleratedFailurePercentage } : {}),
    ...(state.Label !== undefined ? { label: state.Label } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Completing the states that do work

/** A Task's outcome: its result through ResultSelector, Assign, ResultPath and OutputPath, or its error handling. */
export async function completeTask(
  machine: StateMachineDefinition,
  stateName: string,
  input: JsonValue,
  outcome: TaskOutcome,
  counters: RetryCounters,
  env: StepEnv,
): Promise<Completion> {
  const state = stateOfType(machine, stateName, 'Task');
  const result =
    outcome.status === 'succeeded' ? { ok: outcome.result } : { error: outcome.error, cause: outcome.cause };
  return complete(machine, stateName, state, input, result, counters, env);
}

/** A Parallel state's outcome: the array of branch outputs, in branch order, or the error of the failed branch. */
export async function completeParallel(
  machine: StateMachineDefinition,
  stateName: string,
  input: JsonValue,
  outcome: ParallelOutcome,
  counters: RetryCounters,
  env: StepEnv,
): Promise<Completion> {
  const state = stateOfType(machine, stateName, 'Parallel');
  const result =
    outcome.status === 'succeeded' ? { ok: outcome.outputs } : { error: outcome.error, cause: outcome.cause };
  return complete(machine, stateName, state, input, result, counters, env);
}

/** A Map state's outcome: the array of item outputs, in item order, or the failure (see foldMapItems). */
export async function completeMap(
  machine: StateMachineDefinition,
  stateName: string,
  input: JsonValue,
  outcome: MapOutcome,
  counters: RetryCounters,
  env: StepEnv,
): Promise<Completion> {
  const state = stateOfType(machine, stateName, 'Map');
  const result =
    outcome.status === 'succeeded' ? { ok: outcome.outputs } : { error: outcome.error, cause: outcome.cause };
  return complete(machine, stateName, state, input, result, counters, env);
}

async function complete(
  machine: StateMachineDefinition,
  stateName: string,
  state: TaskState | ParallelState | MapState,
  input: JsonValue,
  result: { ok: JsonValue } | { error: string; cause: string },
  counters: RetryCounters,
  env: StepEnv,
): Promise<Completion> {
  const language = queryLanguageOf(state, machine);
  if ('error' in result)
    return handleError(stateName, state, language, input, result.error, result.cause, counters, env);
  try {
    const { output, assigned } =
      language === 'JSONPath'
        ? finishJsonPath(state, input, result.ok, env)
        : await finishJsonata(state, { input, result: result.ok }, result.ok, env);
    return transition(state, output, applyAssignments(env.variables, assigned));
  } catch (err) {
    if (!(err instanceof StatesError)) throw err;
    return handleError(stateName, state, language, input, err.error, err.cause, counters, env);
  }
}

/**
 * An error in a Task, Parallel or Map state: the first matching retrier retries (until its MaxAttempts), else the
 * first matching catcher moves on with the error output `{Error, Cause}` (ResultPath `$` by default in JSONPath,
 * Output `$states.errorOutput` by default in JSONata), else the state fails.
 */
export async function handleError(
  stateName: string,
  state: TaskState | ParallelState | MapState,
  language: QueryLanguage,
  input: JsonValue,
  error: string,
  cause: string,
  counters: RetryCounters,
  env: StepEnv,
): Promise<Completion> {
  const retry = decideRetry(state.Retry, error, counters, env.random);
  if (retry.kind === 'retry') {
    return {
      kind: 'retry',
      stateName,
      delayMs: retry.delayMs,
      counters: retry.counters,
      retrierIndex: retry.retrierIndex,
      retryNumber: retry.retryNumber,
      error,
      cause,
    };
  }
  const caught = selectCatcher(state.Catch, error);
  if (!caught) return { kind: 'fail', error, cause };
  try {
    const { output, assigned } = await catchOutput(caught.catcher, language, input, errorOutput(error, cause), env);
    return {
      kind: 'next',
      next: caught.catcher.Next,
      output,
      variables: applyAssignments(env.variables, assigned),
      caught: { error, cause, catcherIndex: caught.index },
    };
  } catch (err) {
    return asFail(err);
  }
}

async function catchOutput(
  catcher: Catcher,
  language: QueryLanguage,
  input: JsonValue,
  errorOut: JsonObject,
  env: StepEnv,
): Promise<{ output: JsonValue; assigned: Variables }> {
  if (language === 'JSONata') return finishJsonata(catcher, { input, errorOutput: errorOut }, errorOut, env);
  const assigned = assignJsonPath(catcher.Assign, errorOut, env);
  return { output: writeResultPath(input, catcher.ResultPath, errorOut), assigned };
}

// ---------------------------------------------------------------------------------------------------------------
// Folding the outcomes of branches and items

/** Parallel: all branches succeeded (outputs in branch order), or the first failed branch's error. */
export function foldBranches(outcomes: readonly BranchOutcome[]): ParallelOutcome {
  const failed = outcomes.find((o) => o.status === 'failed');
  if (failed && failed.status === 'failed') return { status: 'failed', error: failed.error, cause: failed.cause };
  return { status: 'succeeded', outputs: outcomes.map((o) => (o.status === 'succeeded' ? o.output : null)) };
}

/**
 * Map: without a tolerated-failure setting, any failed item fails the state with that item's error (the first in
 * item order). With ToleratedFailureCount/Percentage, the state fails with States.ExceedToleratedFailureThreshold
 * once the failures exceed either threshold; below it, a failed item's slot in the output holds its error output.
 */
export function foldMapItems(action: MapAction, outcomes: readonly BranchOutcome[]): MapOutcome {
  const failures = outcomes.filter((o) => o.status === 'failed');
  const tolerant = action.toleratedFailureCount !== undefined || action.toleratedFailurePercentage !== undefined;
  const first = failures[0];
  if (first && first.status === 'failed' && !tolerant)
    return { status: 'failed', error: first.error, cause: first.cause };
  if (tolerant && failures.length > 0) {
    const total = outcomes.length;
    const overCount = action.toleratedFailureCount !== undefined && failures.length > action.toleratedFailureCount;
    const overPercent =
      action.toleratedFailurePercentage !== undefined &&
      (failures.length / total) * 100 > action.toleratedFailurePercentage;
    if (overCount || overPercent) {
      return {
        status: 'failed',
        error: STATES_ERRORS.ExceedToleratedFailureThreshold,
        cause: `The specified tolerated failure threshold was exceeded: ${failures.length} of ${total} items failed`,
      };
    }
  }
  return {
    status: 'succeeded',
    outputs: outcomes.map((o) => (o.status === 'succeeded' ? o.output : errorOutput(o.error, o.cause))),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The context object

export interface ExecutionInfo {
  Id: string;
  Name: string;
  /** ISO 8601. */
  StartTime: string;
  Input: JsonValue;
  RoleArn?: string;
  RedriveCount?: number;
}

export interface StateMachineInfo {
  Id: string;
  Name: string;
}

/** The context object ($$ / $states.context) for one state entry, as Step Functions lays it out. */
export function contextObject(args: {
  execution: ExecutionInfo;
  stateMachine: StateMachineInfo;
  stateName: string;
  enteredTime: string;
  retryCount: number;
  taskToken?: string;
}): JsonObject {
  const context: JsonObject = {
    Execution: { ...args.execution },
    State: { Name: args.stateName, EnteredTime: args.enteredTime, RetryCount: args.retryCount },
    StateMachine: { ...args.stateMachine },
  };
  if (args.taskToken !== undefined) context.Task = { Token: args.taskToken };
  return context;
}
