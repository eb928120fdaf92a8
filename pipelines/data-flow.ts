// How data flows through a state, in both query languages.
//
// JSONPath (the default): raw input → InputPath → Parameters (payload template: `key.$` values are Paths, context
// paths `$$…`, variables `$name…` or intrinsics) → the state's work → ResultSelector → ResultPath (into the raw
// input) → OutputPath. `InputPath: null` and `OutputPath: null` mean `{}`; `ResultPath: null` keeps the raw input and
// discards the result. A `key.$` Path of Parameters, ItemSelector or ResultSelector that names nothing is
// States.ParameterPathFailure, as the ASL spec names it (a state's Catch can handle it); an InputPath, OutputPath or
// Assign Path that names nothing is States.Runtime.
//
// JSONata (`QueryLanguage: "JSONata"` on the machine or the state): `Arguments` → the state's work → `Output`, with
// `{% … %}` expressions that see `$states.input`, `$states.result`, `$states.errorOutput`, `$states.context` and the
// workflow variables.
//
// Assign (both languages) sets workflow variables. Every expression of a state, Assign and Output alike, reads the
// variables as they were when the state was entered; the new values are visible from the next state on. In JSONPath
// Assign, `$` is the state's result after ResultSelector (Task, Parallel, Map), the Pass result, the effective input
// (Choice, Wait), or the error output (Catch).

import type { AssignBlock } from './definition';
import type { RandomSource } from './errors';
import { StatesError, STATES_ERRORS } from './errors';
import type { IntrinsicScope } from './intrinsics';
import { evaluateIntrinsic, isIntrinsicInvocation } from './intrinsics';
import type { JsonObject, JsonValue } from './json';
import { isJsonObject, jsonText } from './json';
import type { JsonataScope, StatesVariable } from './jsonata-eval';
import { evaluateJsonataTemplate } from './jsonata-eval';
import { readRequiredPath, writeResultPath } from './paths';

export type Variables = Readonly<Record<string, JsonValue>>;

/** What every evaluation in one state may read, besides the data it works on. */
export interface EvalScope {
  /** The context object ($$ in JSONPath, $states.context in JSONata). */
  readonly context: JsonObject;
  /** Workflow variables as they were when the state was entered. */
  readonly variables: Variables;
  /** The caller's clock reading, in epoch milliseconds. */
  readonly nowMs: number;
  readonly random: RandomSource;
  readonly uuid: () => string;
}

function intrinsicScope(scope: EvalScope, input: JsonValue): IntrinsicScope {
  return { input, context: scope.context, variables: scope.variables, random: scope.random, uuid: scope.uuid };
}

/** The JSONata view of a scope: `$states` gets the context object, variables and sources carry over. */
export function jsonataScope(scope: EvalScope, states: Omit<StatesVariable, 'context'>): JsonataScope {
  return {
    states: { ...states, context: scope.context },
    variables: scope.variables,
    nowMs: scope.nowMs,
    random: scope.random,
    uuid: scope.uuid,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// JSONPath

/** InputPath: absent means `$`, null means `{}`, otherwise the Path's value (States.Runtime if it names nothing). */
export function applyInputPath(rawInput: JsonValue, inputPath: string | null | undefined, scope: EvalScope): JsonValue {
  if (inputPath === undefined) return rawInput;
  if (inputPath === null) return {};
  return readRequiredPath(
    inputPath,
    { input: rawInput, context: scope.context, variables: scope.variables },
    () =>
      `Invalid path '${inputPath}' : The InputPath ${inputPath} could not be found in the input ${jsonText(rawInput)}`,
  );
}

/** OutputPath: absent means `$`, null means `{}`, otherwise the Path's value (States.Runtime if it names nothing). */
export function applyOutputPath(output: JsonValue, outputPath: string | null | undefined, scope: EvalScope): JsonValue {
  if (outputPath === undefined) return output;
  if (outputPath === null) return {};
  return readRequiredPath(
    outputPath,
    { input: output, context: scope.context, variables: scope.variables },
    () => `Invalid path '${outputPath}' : The OutputPath ${outputPath} could not be found in ${jsonText(output)}`,
  );
}

/** The templates whose failed `key.$` Paths the spec names States.ParameterPathFailure; Assign's are States.Runtime. */
const PARAMETER_TEMPLATES = new Set(['Parameters', 'ItemSelector', 'ResultSelector']);

/**
 * Evaluates a payload template (Parameters, ResultSelector, ItemSelector, JSONPath Assign) with `$` bound to
 * `input`: every `key.$` value is replaced, under `key`, by the value of its Path or intrinsic; everything else is
 * copied, walking nested objects and arrays. `field` names the template in error messages (its first segment says
 * which template it is).
 */
export function applyPayloadTemplate(
  template: JsonValue,
  input: JsonValue,
  scope: EvalScope,
  field: string,
): JsonValue {
  const pathError = PARAMETER_TEMPLATES.has(field.split(/[.[]/)[0]!)
    ? STATES_ERRORS.ParameterPathFailure
    : STATES_ERRORS.Runtime;
  return fillTemplate(template, input, scope, field, pathError);
}

function fillTemplate(
  template: JsonValue,
  input: JsonValue,
  scope: EvalScope,
  field: string,
  pathError: string,
): JsonValue {
  if (Array.isArray(template)) {
    return template.map((v, i) => fillTemplate(v, input, scope, `${field}[${i}]`, pathError));
  }
  if (!isJsonObject(template)) return template;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(template)) {
    if (!key.endsWith('.$')) {
      out[key] = fillTemplate(value, input, scope, `${field}.${key}`, pathError);
      continue;
    }
    const name = key.slice(0, -2);
    if (typeof value !== 'string') {
      throw new StatesError(STATES_ERRORS.Runtime, `The value of the field '${key}' in ${field} must be a string`);
    }
    out[name] = resolveDollarValue(value, key, input, scope, pathError);
  }
  return out;
}

function resolveDollarValue(
  expression: string,
  key: string,
  input: JsonValue,
  scope: EvalScope,
  pathError: string,
): JsonValue {
  if (isIntrinsicInvocation(expression)) return evaluateIntrinsic(expression, intrinsicScope(scope, input));
  return readRequiredPath(
    expression,
    { input, context: scope.context, variables: scope.variables },
    () =>
      `The JSONPath ${expression} specified for the field ${key} could not be found in the input ${jsonText(input)}`,
    pathError,
  );
}

/** JSONPath Assign: a payload template whose top-level keys (without `.$`) are the variables it sets. */
export function assignJsonPath(assign: AssignBlock | undefined, dollar: JsonValue, scope: EvalScope): Variables {
  if (assign === undefined) return {};
  return applyPayloadTemplate(assign, dollar, scope, 'Assign') as Variables;
}

/** The values that a JSONPath state with a result hands on: Assign, then ResultPath, then OutputPath. */
export function finishJsonPath(
  state: { ResultSelector?: JsonValue; ResultPath?: string | null; OutputPath?: string | null; Assign?: AssignBlock },
  rawInput: JsonValue,
  rawResult: JsonValue,
  scope: EvalScope,
): { output: JsonValue; assigned: Variables } {
  const result =
    state.ResultSelector === undefined
      ? rawResult
      : applyPayloadTemplate(state.ResultSelector, rawResult, scope, 'ResultSelector');
  const assigned = assignJsonPath(state.Assign, result, scope);
  const combined = writeResultPath(rawInput, state.ResultPath, result);
  return { output: applyOutputPath(combined, state.OutputPath, scope), assigned };
}

/** The effective input and the payload of a JSONPath state: InputPath, then Parameters (if any). */
export function prepareJsonPath(
  state: { InputPath?: string | null; Parameters?: JsonValue },
  rawInput: JsonValue,
  scope: EvalScope,
  parametersField = 'Parameters',
): { effectiveInput: JsonValue; payload: JsonValue } {
  const effectiveInput = applyInputPath(rawInput, state.InputPath, scope);
  const payload =
    state.Parameters === undefined
      ? effectiveInput
      : applyPayloadTemplate(state.Parameters, effectiveInput, scope, parametersField);
  return { effectiveInput, payload };
}

// ---------------------------------------------------------------------------------------------------------------
// JSONata

/** Evaluates a JSONata-mode field (literal, `{% %}` string, or an object/array holding them). */
export function evaluateJsonataField(
  value: JsonValue,
  scope: EvalScope,
  states: Omit<StatesVariable, 'context'>,
  field: string,
): Promise<JsonValue> {
  return evaluateJsonataTemplate(value, jsonataScope(scope, states), field);
}

/** JSONata Assign: each key is a variable; every value is evaluated against the variables of state entry. */
export async function assignJsonata(
  assign: AssignBlock | undefined,
  scope: EvalScope,
  states: Omit<StatesVariable, 'context'>,
): Promise<Variables> {
  if (assign === undefined) return {};
  const out: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(assign)) {
    out[name] = await evaluateJsonataField(value, scope, states, `Assign.${name}`);
  }
  return out;
}

/** A JSONata state's Output (default: `dflt`) and Assign, both evaluated against the variables of state entry. */
export async function finishJsonata(
  state: { Output?: JsonValue; Assign?: AssignBlock },
  states: Omit<StatesVariable, 'context'>,
  dflt: JsonValue,
  scope: EvalScope,
): Promise<{ output: JsonValue; assigned: Variables }> {
  const assigned = await assignJsonata(state.Assign, scope, states);
  const output = state.Output === undefined ? dflt : await evaluateJsonataField(state.Output, scope, states, 'Output');
  return { output, assigned };
}

// ---------------------------------------------------------------------------------------------------------------
// Variables

/** New values take effect after the state: later states see them, the state that assigned them does not. */
export function applyAssignments(variables: Variables, assigned: Variables): Variables {
  return Object.keys(assigned).length === 0 ? variables : { ...variables, ...assigned };
}

/**
 * The variables a Parallel branch or Map iteration starts with: a copy of the outer ones (a distributed Map's
 * child executions start with none). What a branch assigns stays in the branch; only the Parallel or Map state's
 * own Assign and Output carry data out.
 */
export function branchVariables(outer: Variables, distributed = false): Variables {
  return distributed ? {} : { ...outer };
}
