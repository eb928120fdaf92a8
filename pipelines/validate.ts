// Definition validation, run in the API process (not the workflow sandbox): our own checks, whose messages name
// the state and the field (`State "Fetch": Next names "Nope", which is not a state`), then asl-validator's JSON
// schema as a safety net for anything ours do not cover. asl-validator's messages are terse
// ("/States/A is invalid. must match exactly one schema in oneOf"), so they are reported only for states ours
// found nothing wrong with.

import aslValidator from 'asl-validator';
import { RULE_OPERATORS, COMPARISON_OPERATORS, TYPE_TESTS } from './choice';
import type { QueryLanguage } from './definition';
import { QUERY_LANGUAGES, STATE_TYPES } from './definition';
import { MATCH_ONLY_STATES_ERRORS, STATES_ERRORS } from './errors';
import { IntrinsicSyntaxError, isIntrinsicInvocation, parseIntrinsic } from './intrinsics';
import { isJsonObject, jsonText } from './json';
import type { JsonObject } from './json';
import { compileJsonata, isJsonataString, JsonataSyntaxError } from './jsonata-eval';
import { InvalidPathError, parsePath, parseReferencePath } from './paths';
import { parseTaskResource, spillwayOptionsProblems, UnsupportedResourceError } from './task-resource';
import { isTimestamp } from './timestamps';

export interface DefinitionProblem {
  message: string;
  /** The state the problem is in (innermost, for nested machines), when there is one. */
  state?: string;
  /** The field, as a path inside the state (`Retry[0].ErrorEquals`). */
  field?: string;
  source: 'spillway' | 'asl-validator';
}

export interface ValidationResult {
  valid: boolean;
  problems: DefinitionProblem[];
}

/** AWS limits on names and numbers that the checks below apply. */
const MAX_STATE_NAME = 80;
const MAX_VARIABLE_NAME = 80;
const MAX_SECONDS = 99_999_999;
const MAX_DELAY_SECONDS = 31_622_400;
const VARIABLE_NAME = /^[\p{L}_][\p{L}\p{N}_]*$/u;
const KNOWN_STATES_ERRORS = new Set<string>([...Object.values(STATES_ERRORS), ...MATCH_ONLY_STATES_ERRORS]);

type FieldRule = 'both' | 'JSONPath' | 'JSONata';

const COMMON_FIELDS: Record<string, FieldRule> = { Type: 'both', Comment: 'both', QueryLanguage: 'both' };
const IO_FIELDS: Record<string, FieldRule> = { InputPath: 'JSONPath', OutputPath: 'JSONPath' };
const TRANSITION_FIELDS: Record<string, FieldRule> = { Next: 'both', End: 'both' };
const RESULT_FIELDS: Record<string, FieldRule> = {
  ResultSelector: 'JSONPath',
  ResultPath: 'JSONPath',
  Output: 'JSONata',
  Assign: 'both',
};
const ERROR_FIELDS: Record<string, FieldRule> = { Retry: 'both', Catch: 'both' };

/** The fields each state type may have, and in which query language. */
const STATE_FIELDS: Record<string, Record<string, FieldRule>> = {
  Task: {
    ...COMMON_FIELDS,
    ...IO_FIELDS,
    ...TRANSITION_FIELDS,
    ...RESULT_FIELDS,
    ...ERROR_FIELDS,
    Resource: 'both',
    Parameters: 'JSONPath',
    Arguments: 'JSONata',
    TimeoutSeconds: 'both',
    TimeoutSecondsPath: 'JSONPath',
    HeartbeatSeconds: 'both',
    HeartbeatSecondsPath: 'JSONPath',
    Credentials: 'both',
    Spillway: 'both',
  },
  Pass: {
    ...COMMON_FIELDS,
    ...IO_FIELDS,
    ...TRANSITION_FIELDS,
    Parameters: 'JSONPath',
    Result: 'JSONPath',
    ResultPath: 'JSONPath',
    Output: 'JSONata',
    Assign: 'both',
  },
  Choice: { ...COMMON_FIELDS, ...IO_FIELDS, Choices: 'both', Default: 'both', Output: 'JSONata', Assign: 'both' },
  Wait: {
    ...COMMON_FIELDS,
    ...IO_FIELDS,
    ...TRANSITION_FIELDS,
    Seconds: 'both',
    SecondsPath: 'JSONPath',
    Timestamp: 'both',
    TimestampPath: 'JSONPath',
    Output: 'JSONata',
    Assign: 'both',
  },
  Succeed: { ...COMMON_FIELDS, ...IO_FIELDS, Output: 'JSONata' },
  Fail: { ...COMMON_FIELDS, Error: 'both', ErrorPath: 'JSONPath', Cause: 'both', CausePath: 'JSONPath' },
  Parallel: {
    ...COMMON_FIELDS,
    ...IO_FIELDS,
    ...TRANSITION_FIELDS,
    ...RESULT_FIELDS,
    ...ERROR_FIELDS,
    Branches: 'both',
    Parameters: 'JSONPath',
    Arguments: 'JSONata',
  },
  Map: {
    ...COMMON_FIELDS,
    ...IO_FIELDS,
    ...TRANSITION_FIELDS,
    ...RESULT_FIELDS,
    ...ERROR_FIELDS,
    ItemProcessor: 'both',
    Iterator: 'both',
    ItemsPath: 'JSONPath',
    Items: 'JSONata',
    ItemSelector: 'both',
    Parameters: 'JSONPath',
    ItemReader: 'both',
    ItemBatcher: 'both',
    ResultWriter: 'both',
    Label: 'both',
    MaxConcurrency: 'both',
    MaxConcurrencyPath: 'JSONPath',
    ToleratedFailurePercentage: 'both',
    ToleratedFailurePercentagePath: 'JSONPath',
    ToleratedFailureCount: 'both',
    ToleratedFailureCountPath: 'JSONPath',
  },
};

class Checker {
  readonly problems: DefinitionProblem[] = [];
  private readonly seenNames = new Map<string, string>();

  /** `where` describes the enclosing state for nested machines, e.g. ` in Branches[0] of "Fan"`. */
  machine(def: unknown, where: string, defaultLanguage: QueryLanguage, topLevel: boolean, owner?: string) {
    const label = where ? `The machine${where}` : 'The state machine';
    // Problems of a nested machine as a whole belong to the Parallel or Map state that holds it.
    const add = (message: string) => this.add(message, owner);
    if (!isJsonObject(def)) {
      add(`${label} must be a JSON object`);
      return;
    }
    let language = defaultLanguage;
    if (topLevel && def.QueryLanguage !== undefined) {
      if (!QUERY_LANGUAGES.includes(def.QueryLanguage as QueryLanguage)) {
        add(`${label}: QueryLanguage must be JSONPath or JSONata, not ${jsonText(def.QueryLanguage)}`);
      } else {
        language = def.QueryLanguage as QueryLanguage;
      }
    }
    const states = def.States;
    if (!isJsonObject(states) || Object.keys(states).length === 0) {
      add(`${label}: States must be an object with at least one state`);
      return;
    }
    if (typeof def.StartAt !== 'string') {
      add(`${label}: StartAt must name a state`);
    } else if (!(def.StartAt in states)) {
      add(`${label}: StartAt names "${def.StartAt}", which is not a state`);
    }
    for (const [name, state] of Object.entries(states)) this.state(name, state, states, where, language);
    this.reachability(def, states, where);
    const terminal = Object.values(states).some(
      (s) => isJsonObject(s) && (s.Type === 'Succeed' || s.Type === 'Fail' || s.End === true),
    );
    if (!terminal) add(`${label} has no terminal state (End: true, Succeed or Fail)`);
  }

  private add(message: string, state?: string, field?: string) {
    this.problems.push({
      message,
      ...(state !== undefined ? { state } : {}),
      ...(field ? { field } : {}),
      source: 'spillway',
    });
  }

  private reachability(def: JsonObject, states: JsonObject, where: string) {
    if (typeof def.StartAt !== 'string' || !(def.StartAt in states)) return;
    const seen = new Set<string>([def.StartAt]);
    const queue = [def.StartAt];
    while (queue.length > 0) {
      const state = states[queue.shift()!];
      if (!isJsonObject(state)) continue;
      for (const target of transitionTargets(state)) {
        if (target in states && !seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
    }
    for (const name of Object.keys(states)) {
      if (!seen.has(name)) this.add(`State "${name}"${where}: it is not reachable from StartAt`, name);
    }
  }

  private state(name: string, state: unknown, states: JsonObject, where: string, machineLanguage: QueryLanguage) {
    const at = `State "${name}"${where}`;
    const problem = (field: string | undefined, message: string) =>
      this.add(`${at}: ${field ? `${field} ` : ''}${message}`, name, field);
    if (name.length > MAX_STATE_NAME) problem(undefined, `the name is longer than ${MAX_STATE_NAME} characters`);
    const earlier = this.seenNames.get(name);
    if (earlier !== undefined)
      problem(undefined, `the name is used twice in one state machine (also${earlier || ' at the top level'})`);
    else this.seenNames.set(name, where);
    if (!isJsonObject(state)) {
      problem(undefined, 'must be a JSON object');
      return;
    }
    if (typeof state.Type !== 'string' || !(STATE_TYPES as readonly string[]).includes(state.Type)) {
      problem('Type', `must be one of ${STATE_TYPES.join(', ')}, not ${jsonText(state.Type ?? null)}`);
      return;
    }
    let language = machineLanguage;
    if (state.QueryLanguage !== undefined) {
      if (!QUERY_LANGUAGES.includes(state.QueryLanguage as QueryLanguage)) {
        problem('QueryLanguage', `must be JSONPath or JSONata, not ${jsonText(state.QueryLanguage)}`);
      } else if (machineLanguage === 'JSONata' && state.QueryLanguage === 'JSONPath') {
        problem('QueryLanguage', 'cannot be JSONPath when the state machine is JSONata');
      } else {
        language = state.QueryLanguage as QueryLanguage;
      }
    }
    const type = state.Type;
    if (state.Comment !== undefined && typeof state.Comment !== 'string') problem('Comment', 'must be a string');
    const allowed = STATE_FIELDS[type]!;
    for (const field of Object.keys(state)) {
      const rule = allowed[field];
      if (rule === undefined) problem(field, `is not a field of a ${type} state`);
      else if (rule !== 'both' && rule !== language)
        problem(field, `is only allowed in ${rule} states; this state uses ${language}`);
    }
    const target = (field: string, value: unknown) => {
      if (typeof value !== 'string') problem(field, 'must name a state');
      else if (!(value in states)) problem(field, `names "${value}", which is not a state`);
    };
    // Transitions.
    if (type === 'Choice') {
      if (state.Default !== undefined) target('Default', state.Default);
    } else if (type !== 'Succeed' && type !== 'Fail') {
      if (state.End !== undefined && state.End !== true) problem('End', 'must be true when present');
      if (state.Next !== undefined && state.End === true)
        problem(undefined, 'has both Next and End; a state has one or the other');
      else if (state.Next !== undefined) target('Next', state.Next);
      else if (state.End !== true) problem(undefined, 'needs Next or "End": true');
    }
    // Data-flow fields.
    if (language === 'JSONPath') this.jsonPathFields(state, problem);
    else this.jsonataFields(state, problem);
    this.assign(state.Assign, 'Assign', language, problem);
    // Per type.
    switch (type) {
      case 'Task':
        this.task(state, language, problem);
        break;
      case 'Choice':
        this.choice(state, states, language, problem);
        break;
      case 'Wait':
        this.wait(state, language, problem);
        break;
      case 'Fail':
        this.fail(state, language, problem);
        break;
      case 'Parallel':
        if (!Array.isArray(state.Branches) || state.Branches.length === 0)
          problem('Branches', 'must be a non-empty array');
        else
          state.Branches.forEach((b, i) =>
            this.machine(b, ` in Branches[${i}] of "${name}"`, machineLanguage, false, name),
          );
        break;
      case 'Map':
        this.map(name, state, language, machineLanguage, problem);
        break;
    }
    if (type === 'Task' || type === 'Parallel' || type === 'Map') this.errorHandling(state, states, language, problem);
  }

  private jsonPathFields(state: JsonObject, problem: (field: string | undefined, message: string) => void) {
    for (const field of ['InputPath', 'OutputPath'] as const) {
      const v = state[field];
      if (v !== undefined && v !== null) this.path(field, v, problem);
    }
    if (state.ResultPath !== undefined && state.ResultPath !== null)
      this.resultPath('ResultPath', state.ResultPath, problem);
    for (const field of ['Parameters', 'ResultSelector', 'ItemSelector'] as const) {
      if (state[field] !== undefined) this.payloadTemplate(state[field], field, problem);
    }
    for (const field of [
      'ItemsPath',
      'TimeoutSecondsPath',
      'HeartbeatSecondsPath',
      'SecondsPath',
      'TimestampPath',
      'MaxConcurrencyPath',
      'ToleratedFailurePercentagePath',
      'ToleratedFailureCountPath',
    ]) {
      if (state[field] !== undefined) this.referencePath(field, state[field], problem);
    }
  }

  private jsonataFields(state: JsonObject, problem: (field: string | undefined, message: string) => void) {
    for (const field of [
      'Arguments',
      'Output',
      'Items',
      'ItemSelector',
      'TimeoutSeconds',
      'HeartbeatSeconds',
      'Seconds',
      'Timestamp',
      'Error',
      'Cause',
      'MaxConcurrency',
      'ToleratedFailurePercentage',
      'ToleratedFailureCount',
    ]) {
      if (state[field] !== undefined) this.jsonataValue(state[field], field, problem);
    }
  }

  private jsonataValue(value: unknown, field: string, problem: (field: string | undefined, message: string) => void) {
    if (typeof value === 'string') {
      const trimmed = value.trim();
      if (isJsonataString(value)) {
        try {
          compileJsonata(value.slice(2, -2));
        } catch (err) {
          if (!(err instanceof JsonataSyntaxError)) throw err;
          problem(field, `has a JSONata expression that does not parse: ${err.reason}`);
        }
      } else if (trimmed.startsWith('{%') || trimmed.endsWith('%}')) {
        problem(field, 'must be exactly {% expression %}, with nothing before {% or after %}');
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => this.jsonataValue(v, `${field}[${i}]`, problem));
    } else if (isJsonObject(value)) {
      for (const [k, v] of Object.entries(value)) this.jsonataValue(v, `${field}.${k}`, problem);
    }
  }

  private path(field: string, value: unknown, problem: (field: string | undefined, message: string) => void) {
    if (typeof value !== 'string') return problem(field, `must be a Path string or null, not ${jsonText(value)}`);
    try {
      parsePath(value);
    } catch (err) {
      if (!(err instanceof InvalidPathError)) throw err;
      problem(field, `is not a valid Path: ${err.reason}`);
    }
  }

  private referencePath(field: string, value: unknown, problem: (field: string | undefined, message: string) => void) {
    if (typeof value !== 'string') return problem(field, `must be a Reference Path string, not ${jsonText(value)}`);
    try {
      parseReferencePath(value);
    } catch (err) {
      if (!(err instanceof InvalidPathError)) throw err;
      problem(field, `is not a valid Reference Path: ${err.reason}`);
    }
  }

  private resultPath(field: string, value: unknown, problem: (field: string | undefined, message: string) => void) {
    this.referencePath(field, value, problem);
    if (typeof value === 'string' && (value.startsWith('$$') || /^\$[\p{L}_]/u.test(value))) {
      problem(field, 'must be a path into the state input ($…), not the context object or a variable');
    }
  }

  /** Parameters-like templates: every `key.$` holds a Path or an intrinsic that parses. */
  private payloadTemplate(
    value: unknown,
    field: string,
    problem: (field: string | undefined, message: string) => void,
  ) {
    if (Array.isArray(value)) {
      value.forEach((v, i) => this.payloadTemplate(v, `${field}[${i}]`, problem));
      return;
    }
    if (!isJsonObject(value)) return;
    for (const [key, v] of Object.entries(value)) {
      const at = `${field}.${key}`;
      if (!key.endsWith('.$')) {
        this.payloadTemplate(v, at, problem);
        continue;
      }
      if (key.slice(0, -2) in value)
        problem(at, `and ${field}.${key.slice(0, -2)} would both set "${key.slice(0, -2)}"`);
      this.dollarValue(v, at, problem);
    }
  }

  private dollarValue(v: unknown, at: string, problem: (field: string | undefined, message: string) => void) {
    if (typeof v !== 'string') return problem(at, `must be a Path or an intrinsic function, not ${jsonText(v)}`);
    if (isIntrinsicInvocation(v)) {
      try {
        parseIntrinsic(v);
      } catch (err) {
        if (!(err instanceof IntrinsicSyntaxError)) throw err;
        problem(at, `has an intrinsic function that does not parse: ${err.reason}`);
      }
      return;
    }
    try {
      parsePath(v);
    } catch (err) {
      if (!(err instanceof InvalidPathError)) throw err;
      problem(at, `is neither a Path nor an intrinsic function: ${err.reason}`);
    }
  }

  private assign(
    value: unknown,
    field: string,
    language: QueryLanguage,
    problem: (field: string | undefined, message: string) => void,
  ) {
    if (value === undefined) return;
    if (!isJsonObject(value)) return problem(field, 'must be an object of variable names and values');
    for (const key of Object.keys(value)) {
      const name = language === 'JSONPath' && key.endsWith('.$') ? key.slice(0, -2) : key;
      if (!VARIABLE_NAME.test(name) || name.length > MAX_VARIABLE_NAME) {
        problem(
          `${field}.${key}`,
          `names the variable "${name}", which is not a valid name (a letter or _, then letters, digits or _, at most ${MAX_VARIABLE_NAME})`,
        );
      } else if (name === 'states') {
        problem(`${field}.${key}`, 'cannot assign $states, which Step Functions reserves');
      }
    }
    if (language === 'JSONPath') this.payloadTemplate(value, field, problem);
    else this.jsonataValue(value, field, problem);
  }

  private task(
    state: JsonObject,
    language: QueryLanguage,
    problem: (field: string | undefined, message: string) => void,
  ) {
    if (typeof state.Resource !== 'string') {
      problem('Resource', 'must be a string');
    } else {
      try {
        parseTaskResource(state.Resource);
      } catch (err) {
        if (!(err instanceof UnsupportedResourceError)) throw err;
        problem('Resource', `is not supported: ${err.reason}`);
      }
    }
    for (const message of spillwayOptionsProblems(state.Spillway)) problem(undefined, message);
    for (const [field, pathField] of [
      ['TimeoutSeconds', 'TimeoutSecondsPath'],
      ['HeartbeatSeconds', 'HeartbeatSecondsPath'],
    ] as const) {
      const v = state[field];
      if (v !== undefined && state[pathField] !== undefined)
        problem(undefined, `has both ${field} and ${pathField}; use one`);
      if (v !== undefined && !(language === 'JSONata' && isJsonataString(v)) && !isCount(v, 1, MAX_SECONDS)) {
        problem(field, `must be an integer from 1 to ${MAX_SECONDS}, not ${jsonText(v)}`);
      }
    }
    if (typeof state.TimeoutSeconds === 'number' && typeof state.HeartbeatSeconds === 'number') {
      if (state.HeartbeatSeconds >= state.TimeoutSeconds)
        problem('HeartbeatSeconds', 'must be smaller than TimeoutSeconds');
    }
  }

  private wait(
    state: JsonObject,
    language: QueryLanguage,
    problem: (field: string | undefined, message: string) => void,
  ) {
    const given = ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath'].filter((f) => state[f] !== undefined);
    if (given.length !== 1) {
      problem(
        undefined,
        `needs exactly one of Seconds, SecondsPath, Timestamp and TimestampPath${given.length ? `, not ${given.join(' and ')}` : ''}`,
      );
    }
    const jsonata = (v: unknown) => language === 'JSONata' && isJsonataString(v);
    if (state.Seconds !== undefined && !jsonata(state.Seconds) && !isCount(state.Seconds, 0, MAX_SECONDS)) {
      problem('Seconds', `must be an integer from 0 to ${MAX_SECONDS}, not ${jsonText(state.Seconds)}`);
    }
    if (state.Timestamp !== undefined && !jsonata(state.Timestamp) && !isTimestamp(state.Timestamp)) {
      problem(
        'Timestamp',
        `must be an ISO 8601 timestamp such as 2016-03-14T01:59:00Z, not ${jsonText(state.Timestamp)}`,
      );
    }
  }

  private fail(
    state: JsonObject,
    language: QueryLanguage,
    problem: (field: string | undefined, message: string) => void,
  ) {
    for (const [field, pathField] of [
      ['Error', 'ErrorPath'],
      ['Cause', 'CausePath'],
    ] as const) {
      if (state[field] !== undefined && state[pathField] !== undefined)
        problem(undefined, `has both ${field} and ${pathField}; use one`);
      if (state[field] !== undefined && typeof state[field] !== 'string') problem(field, 'must be a string');
      if (language === 'JSONPath' && state[pathField] !== undefined)
        this.dollarValue(state[pathField], pathField, problem);
    }
  }

  private map(
    name: string,
    state: JsonObject,
    language: QueryLanguage,
    machineLanguage: QueryLanguage,
    problem: (field: string | undefined, message: string) => void,
  ) {
    const processors = ['ItemProcessor', 'Iterator'].filter((f) => state[f] !== undefined);
    if (processors.length !== 1) problem(undefined, 'needs exactly one of ItemProcessor and Iterator');
    if (state.ItemSelector !== undefined && state.Parameters !== undefined)
      problem(undefined, 'has both ItemSelector and Parameters; use ItemSelector');
    for (const field of ['ItemReader', 'ItemBatcher', 'ResultWriter']) {
      if (state[field] !== undefined)
        problem(field, 'is not supported by Spillway yet (distributed Map reads and writes items inline)');
    }
    const processorField = processors[0];
    const processor = processorField ? state[processorField] : undefined;
    if (processorField && isJsonObject(processor)) {
      const config = processor.ProcessorConfig;
      if (config !== undefined) {
        if (!isJsonObject(config)) problem(`${processorField}.ProcessorConfig`, 'must be an object');
        else if (config.Mode !== undefined && config.Mode !== 'INLINE' && config.Mode !== 'DISTRIBUTED') {
          problem(
            `${processorField}.ProcessorConfig.Mode`,
            `must be INLINE or DISTRIBUTED, not ${jsonText(config.Mode)}`,
          );
        }
      }
      const { ProcessorConfig: _config, ...machine } = processor;
      this.machine(machine, ` in ${processorField} of "${name}"`, machineLanguage, false, name);
    } else if (processorField) {
      problem(processorField, 'must be an object with StartAt and States');
    }
    const jsonata = (v: unknown) => language === 'JSONata' && isJsonataString(v);
    for (const field of ['MaxConcurrency', 'ToleratedFailureCount', 'ToleratedFailurePercentage']) {
      const v = state[field];
      if (v !== undefined && state[`${field}Path`] !== undefined)
        problem(undefined, `has both ${field} and ${field}Path; use one`);
      if (v === undefined || jsonata(v)) continue;
      const ok =
        field === 'ToleratedFailurePercentage'
          ? typeof v === 'number' && v >= 0 && v <= 100
          : isCount(v, 0, Number.MAX_SAFE_INTEGER);
      if (!ok)
        problem(
          field,
          field === 'ToleratedFailurePercentage'
            ? `must be a number from 0 to 100, not ${jsonText(v)}`
            : `must be a non-negative integer, not ${jsonText(v)}`,
        );
    }
  }

  private choice(
    state: JsonObject,
    states: JsonObject,
    language: QueryLanguage,
    problem: (field: string | undefined, message: string) => void,
  ) {
    if (!Array.isArray(state.Choices) || state.Choices.length === 0) {
      problem('Choices', 'must be a non-empty array of Choice rules');
      return;
    }
    state.Choices.forEach((rule, i) => this.rule(rule, `Choices[${i}]`, true, states, language, problem));
  }

  private rule(
    rule: unknown,
    field: string,
    top: boolean,
    states: JsonObject,
    language: QueryLanguage,
    problem: (field: string | undefined, message: string) => void,
  ) {
    if (!isJsonObject(rule)) return problem(field, 'must be a Choice rule object');
    if (top) {
      if (typeof rule.Next !== 'string') problem(`${field}.Next`, 'is required in a top-level Choice rule');
      else if (!(rule.Next in states)) problem(`${field}.Next`, `names "${rule.Next}", which is not a state`);
      this.assign(rule.Assign, `${field}.Assign`, language, problem);
    } else {
      if (rule.Next !== undefined) problem(`${field}.Next`, 'is only allowed in a top-level Choice rule');
      if (rule.Assign !== undefined) problem(`${field}.Assign`, 'is only allowed in a top-level Choice rule');
    }
    if (language === 'JSONata') {
      const allowed = new Set(['Condition', 'Next', 'Assign', 'Output', 'Comment']);
      for (const key of Object.keys(rule))
        if (!allowed.has(key)) problem(`${field}.${key}`, 'is not a field of a JSONata Choice rule (use Condition)');
      if (rule.Condition === undefined) problem(`${field}.Condition`, 'is required in a JSONata Choice rule');
      else if (typeof rule.Condition !== 'boolean' && !isJsonataString(rule.Condition))
        problem(`${field}.Condition`, 'must be a {% %} expression');
      else this.jsonataValue(rule.Condition, `${field}.Condition`, problem);
      if (rule.Output !== undefined) this.jsonataValue(rule.Output, `${field}.Output`, problem);
      return;
    }
    const operators = RULE_OPERATORS.filter((op) => op in rule);
    const allowed = new Set([...RULE_OPERATORS, 'Variable', 'Next', 'Assign', 'Comment']);
    for (const key of Object.keys(rule))
      if (!allowed.has(key)) problem(`${field}.${key}`, 'is not a field of a Choice rule');
    if (operators.length !== 1) {
      problem(
        field,
        operators.length === 0
          ? 'has no comparison operator, And, Or or Not'
          : `has ${operators.length} operators (${operators.join(', ')}); a rule has exactly one`,
      );
      return;
    }
    const op = operators[0]!;
    const value = rule[op];
    if (op === 'And' || op === 'Or') {
      if (rule.Variable !== undefined) problem(`${field}.Variable`, `is not allowed beside ${op}`);
      if (!Array.isArray(value) || value.length === 0)
        problem(`${field}.${op}`, 'must be a non-empty array of Choice rules');
      else value.forEach((r, i) => this.rule(r, `${field}.${op}[${i}]`, false, states, language, problem));
      return;
    }
    if (op === 'Not') {
      if (rule.Variable !== undefined) problem(`${field}.Variable`, 'is not allowed beside Not');
      this.rule(value, `${field}.Not`, false, states, language, problem);
      return;
    }
    if (rule.Variable === undefined) problem(`${field}.Variable`, `is required with ${op}`);
    else this.path(`${field}.Variable`, rule.Variable, problem);
    const at = `${field}.${op}`;
    if ((TYPE_TESTS as readonly string[]).includes(op)) {
      if (typeof value !== 'boolean') problem(at, `must be true or false, not ${jsonText(value)}`);
      return;
    }
    if (op === 'StringMatches') {
      if (typeof value !== 'string') problem(at, `must be a string pattern, not ${jsonText(value)}`);
      return;
    }
    const cmp = COMPARISON_OPERATORS.get(op)!;
    if (cmp.viaPath) return this.path(at, value, problem);
    const ok =
      cmp.kind === 'string'
        ? typeof value === 'string'
        : cmp.kind === 'number'
          ? typeof value === 'number'
          : cmp.kind === 'boolean'
            ? typeof value === 'boolean'
            : isTimestamp(value);
    if (!ok)
      problem(
        at,
        `must be ${cmp.kind === 'timestamp' ? 'an ISO 8601 timestamp such as 2016-08-18T17:33:00Z' : `a ${cmp.kind}`}, not ${jsonText(value)}`,
      );
  }

  private errorHandling(
    state: JsonObject,
    states: JsonObject,
    language: QueryLanguage,
    problem: (field: string | undefined, message: string) => void,
  ) {
    const errorEquals = (entries: unknown[], field: string) => {
      entries.forEach((entry, i) => {
        const at = `${field}[${i}]`;
        if (!isJsonObject(entry)) return problem(at, 'must be an object');
        const names = entry.ErrorEquals;
        if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
          return problem(`${at}.ErrorEquals`, 'must be a non-empty array of error names');
        }
        if (names.includes(STATES_ERRORS.ALL)) {
          if (names.length > 1) problem(`${at}.ErrorEquals`, 'must hold States.ALL alone');
          if (i !== entries.length - 1)
            problem(`${at}.ErrorEquals`, `has States.ALL, so it must be the last entry of ${field}`);
        }
        for (const n of names as string[]) {
          if (n.startsWith('States.') && !KNOWN_STATES_ERRORS.has(n) && !n.startsWith('States.Http.')) {
            problem(
              `${at}.ErrorEquals`,
              `names "${n}", which is not a predefined error; only those may start with "States."`,
            );
          }
        }
      });
    };
    if (state.Retry !== undefined) {
      if (!Array.isArray(state.Retry)) problem('Retry', 'must be an array of retriers');
      else {
        errorEquals(state.Retry, 'Retry');
        state.Retry.forEach((r, i) => {
          if (!isJsonObject(r)) return;
          const at = `Retry[${i}]`;
          const allowed = new Set([
            'ErrorEquals',
            'IntervalSeconds',
            'MaxAttempts',
            'BackoffRate',
            'MaxDelaySeconds',
            'JitterStrategy',
            'Comment',
          ]);
          for (const key of Object.keys(r))
            if (!allowed.has(key)) problem(`${at}.${key}`, 'is not a field of a retrier');
          if (r.IntervalSeconds !== undefined && !isCount(r.IntervalSeconds, 1, MAX_SECONDS))
            problem(
              `${at}.IntervalSeconds`,
              `must be an integer from 1 to ${MAX_SECONDS}, not ${jsonText(r.IntervalSeconds)}`,
            );
          if (r.MaxAttempts !== undefined && !isCount(r.MaxAttempts, 0, MAX_SECONDS))
            problem(`${at}.MaxAttempts`, `must be an integer from 0 to ${MAX_SECONDS}, not ${jsonText(r.MaxAttempts)}`);
          if (r.BackoffRate !== undefined && !(typeof r.BackoffRate === 'number' && r.BackoffRate >= 1))
            problem(`${at}.BackoffRate`, `must be a number of at least 1.0, not ${jsonText(r.BackoffRate)}`);
          if (r.MaxDelaySeconds !== undefined && !isCount(r.MaxDelaySeconds, 1, MAX_DELAY_SECONDS - 1))
            problem(
              `${at}.MaxDelaySeconds`,
              `must be an integer from 1 to ${MAX_DELAY_SECONDS - 1}, not ${jsonText(r.MaxDelaySeconds)}`,
            );
          if (r.JitterStrategy !== undefined && r.JitterStrategy !== 'FULL' && r.JitterStrategy !== 'NONE')
            problem(`${at}.JitterStrategy`, `must be FULL or NONE, not ${jsonText(r.JitterStrategy)}`);
        });
      }
    }
    if (state.Catch !== undefined) {
      if (!Array.isArray(state.Catch)) problem('Catch', 'must be an array of catchers');
      else {
        errorEquals(state.Catch, 'Catch');
        state.Catch.forEach((c, i) => {
          if (!isJsonObject(c)) return;
          const at = `Catch[${i}]`;
          const allowed: Record<string, FieldRule> = {
            ErrorEquals: 'both',
            Next: 'both',
            Comment: 'both',
            Assign: 'both',
            ResultPath: 'JSONPath',
            Output: 'JSONata',
          };
          for (const key of Object.keys(c)) {
            const rule = allowed[key];
            if (rule === undefined) problem(`${at}.${key}`, 'is not a field of a catcher');
            else if (rule !== 'both' && rule !== language)
              problem(`${at}.${key}`, `is only allowed in ${rule} states; this state uses ${language}`);
          }
          if (typeof c.Next !== 'string') problem(`${at}.Next`, 'must name a state');
          else if (!(c.Next in states)) problem(`${at}.Next`, `names "${c.Next}", which is not a state`);
          if (language === 'JSONPath' && c.ResultPath !== undefined && c.ResultPath !== null)
            this.resultPath(`${at}.ResultPath`, c.ResultPath, problem);
          if (language === 'JSONata' && c.Output !== undefined) this.jsonataValue(c.Output, `${at}.Output`, problem);
          this.assign(c.Assign, `${at}.Assign`, language, problem);
        });
      }
    }
  }
}

function isCount(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** Every state a state can move to: Next, the Choice rules' Next and Default, the catchers' Next. */
function transitionTargets(state: JsonObject): string[] {
  const out: string[] = [];
  if (typeof state.Next === 'string') out.push(state.Next);
  if (typeof state.Default === 'string') out.push(state.Default);
  for (const list of [state.Choices, state.Catch]) {
    if (Array.isArray(list))
      for (const item of list) if (isJsonObject(item) && typeof item.Next === 'string') out.push(item.Next);
  }
  return out;
}

/** A deep copy without the Spillway extension fields, which asl-validator's schema does not know. */
function withoutExtensions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutExtensions);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'Spillway' && isJsonObject(value) && value.Type === 'Task') continue;
    out[k] = withoutExtensions(v) as JsonObject[string];
  }
  return out;
}

interface AslValidatorError {
  'Error code': string;
  Message: string;
  schemaError?: { instancePath: string };
}

/** The innermost state an asl-validator instance path points into (`/States/P/Branches/0/States/B/Next` → B). */
function stateOfInstancePath(instancePath: string): { state?: string; rest: string } {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let state: string | undefined;
  let restFrom = 0;
  for (let i = 0; i < parts.length - 1; i++) {
    if (parts[i] === 'States') {
      state = parts[i + 1];
      restFrom = i + 2;
    }
  }
  return { ...(state !== undefined ? { state } : {}), rest: parts.slice(restFrom).join('.') };
}

function fromAslValidator(
  errors: AslValidatorError[],
  flagged: Set<string>,
  machineFlagged: boolean,
): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  // Transition targets, reachability and terminal states are checked above, with clearer messages.
  const schemaErrors = errors
    .filter((e) => e['Error code'] === 'SCHEMA_VALIDATION_FAILED')
    .map((e) => ({ error: e, ...stateOfInstancePath(e.schemaError?.instancePath ?? '') }));
  for (const { error, state, rest } of schemaErrors) {
    // The schema's oneOf over state types adds "Type must be equal to one of the allowed values" to every error.
    // Its oneOf over state types and query languages adds "Type (or QueryLanguage) must be equal to one of the
    // allowed values" to every real error; those say nothing on their own.
    const noise = (r: string) => r === 'Type' || r === 'QueryLanguage';
    if (noise(rest) && schemaErrors.some((o) => o.state === state && !noise(o.rest))) continue;
    const detail = error.Message.replace(/^\S* is invalid\. /, '');
    if (state === undefined) {
      if (!machineFlagged)
        out.push({
          message: `The state machine: ${rest ? `${rest} ` : ''}${detail} (asl-validator)`,
          source: 'asl-validator',
        });
      continue;
    }
    if (flagged.has(state)) continue;
    out.push({
      message: `State "${state}": ${rest ? `${rest} ` : ''}${detail} (asl-validator)`,
      state,
      ...(rest ? { field: rest } : {}),
      source: 'asl-validator',
    });
  }
  return out;
}

/**
 * Validates a state machine definition and returns every problem found, each naming the state and the field.
 * Accepts what AWS accepts, plus Spillway task type names as Resource and the `Spillway` Task extension.
 */
export function validateDefinition(definition: unknown): ValidationResult {
  const checker = new Checker();
  checker.machine(definition, '', 'JSONPath', true);
  const problems = [...checker.problems];
  if (isJsonObject(definition)) {
    const flagged = new Set(problems.map((p) => p.state).filter((s): s is string => s !== undefined));
    const machineFlagged = problems.some((p) => p.state === undefined);
    let result: { errors: AslValidatorError[] } | undefined;
    try {
      result = aslValidator(withoutExtensions(definition) as object, { checkPaths: true, checkArn: false });
    } catch {
      // asl-validator throws on shapes it cannot walk; ours have reported them already.
    }
    if (result) problems.push(...fromAslValidator(result.errors, flagged, machineFlagged));
  }
  return { valid: problems.length === 0, problems };
}
