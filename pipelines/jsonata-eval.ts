// JSONata for JSONata-mode states: `{% … %}` strings, the `$states` variable, workflow variables, and the
// functions Step Functions adds ($partition, $range, $hash, $random, $uuid, $parse). The clock and the random and
// UUID sources are injected, so $now(), $millis(), $random() and $uuid() are deterministic in a workflow. $eval is
// not available, as in Step Functions. Evaluation is asynchronous (jsonata 2.x), which a workflow can await.

import jsonata from 'jsonata';
import { hashHex, HASH_ALGORITHMS, isHashAlgorithm } from './encoding';
import type { RandomSource } from './errors';
import { StatesError, STATES_ERRORS } from './errors';
import type { JsonObject, JsonValue } from './json';
import { isJsonObject, jsonText, toJson } from './json';
import { seededRandom } from './random';

/** The reserved `$states` variable. */
export interface StatesVariable {
  input: JsonValue;
  context: JsonValue;
  result?: JsonValue;
  errorOutput?: JsonValue;
}

export interface JsonataScope {
  readonly states: StatesVariable;
  readonly variables: Readonly<Record<string, JsonValue>>;
  /** The caller's clock reading, in epoch milliseconds: what $now() and $millis() return. */
  readonly nowMs: number;
  readonly random: RandomSource;
  readonly uuid: () => string;
}

/** Thrown by compileJsonata for an expression JSONata cannot parse; the definition is wrong, not the data. */
export class JsonataSyntaxError extends Error {
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`Invalid JSONata expression "${expression}": ${reason}`);
    this.name = 'JsonataSyntaxError';
  }
}

/** A JSONata string is exactly `{%` … `%}`, with no characters outside the delimiters. */
export function isJsonataString(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('{%') && value.endsWith('%}') && value.length >= 4;
}

export function jsonataBody(text: string): string {
  return text.slice(2, -2);
}

interface JsonataError {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

function describeJsonataError(err: unknown): string {
  const e = err as JsonataError;
  if (e && typeof e === 'object' && typeof e.message === 'string') {
    const where = e.code ? ` (${e.code}${typeof e.position === 'number' ? ` at position ${e.position}` : ''})` : '';
    return `${e.message}${where}`;
  }
  return String(err);
}

/** Compiles the body of a `{% %}` string (or a bare expression); throws JsonataSyntaxError. */
export function compileJsonata(body: string): jsonata.Expression {
  try {
    return jsonata(body);
  } catch (err) {
    throw new JsonataSyntaxError(body, describeJsonataError(err));
  }
}

function queryError(field: string, detail: string): StatesError {
  return new StatesError(
    STATES_ERRORS.QueryEvaluationError,
    `The JSONata expression in the field '${field}' ${detail}`,
  );
}

function integerArg(fn: string, value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${fn}: ${what} must be a number, not ${jsonText(value)}`);
  }
  return Math.round(value);
}

/** The bindings one evaluation sees: workflow variables, $states, and Step Functions' functions. */
function bindings(scope: JsonataScope): Record<string, unknown> {
  return {
    ...scope.variables,
    states: scope.states,
    now: (picture?: string, timezone?: string) =>
      picture === undefined && timezone === undefined
        ? new Date(scope.nowMs).toISOString()
        : jsonata('$fromMillis($ms, $picture, $timezone)').evaluate(undefined, { ms: scope.nowMs, picture, timezone }),
    millis: () => scope.nowMs,
    random: (seed?: number) =>
      seed === undefined ? scope.random() : seededRandom(integerArg('$random', seed, 'the seed'))(),
    uuid: () => scope.uuid(),
    parse: (text: unknown) => {
      if (typeof text !== 'string') throw new Error(`$parse: the argument must be a string, not ${jsonText(text)}`);
      return JSON.parse(text) as unknown;
    },
    hash: (value: unknown, algorithm: unknown) => {
      if (typeof value !== 'string') throw new Error(`$hash: the value must be a string, not ${jsonText(value)}`);
      if (!isHashAlgorithm(algorithm)) {
        throw new Error(
          `$hash: the algorithm must be one of ${HASH_ALGORITHMS.join(', ')}, not ${jsonText(algorithm)}`,
        );
      }
      return hashHex(value, algorithm);
    },
    partition: (array: unknown, size: unknown) => {
      if (!Array.isArray(array)) throw new Error(`$partition: the first argument must be an array`);
      const n = integerArg('$partition', size, 'the chunk size');
      if (n <= 0) throw new Error(`$partition: the chunk size must be positive, not ${n}`);
      const out: unknown[] = [];
      for (let i = 0; i < array.length; i += n) out.push(array.slice(i, i + n));
      return out;
    },
    range: (start: unknown, end: unknown, step: unknown) => {
      const a = integerArg('$range', start, 'the start');
      const b = integerArg('$range', end, 'the end');
      const s = integerArg('$range', step ?? 1, 'the step');
      if (s === 0) throw new Error('$range: the step must not be 0');
      const count = Math.max(0, Math.floor((b - a) / s) + 1);
      if (count > 1000) throw new Error(`$range: ${count} items are more than the 1000 allowed`);
      return Array.from({ length: count }, (_, i) => a + i * s);
    },
    eval: () => {
      throw new Error('$eval is not supported in Step Functions');
    },
  };
}

/**
 * Evaluates one JSONata string (`{% expr %}`). An expression that does not parse, fails, or yields nothing
 * (undefined, which JSON cannot hold) is a States.QueryEvaluationError naming the field.
 */
export async function evaluateJsonataString(text: string, scope: JsonataScope, field: string): Promise<JsonValue> {
  let expression: jsonata.Expression;
  try {
    expression = compileJsonata(jsonataBody(text));
  } catch (err) {
    throw queryError(field, `could not be parsed: ${(err as JsonataSyntaxError).reason}`);
  }
  let raw: unknown;
  try {
    raw = await expression.evaluate(undefined, bindings(scope));
  } catch (err) {
    throw queryError(field, `failed: ${describeJsonataError(err)}`);
  }
  const value = toJson(raw);
  if (value === undefined) throw queryError(field, `returned nothing (undefined): ${text}`);
  return value;
}

/**
 * Evaluates a JSONata-mode field value: a `{% %}` string is an expression, objects and arrays are walked, and every
 * other value is taken literally.
 */
export async function evaluateJsonataTemplate(
  value: JsonValue,
  scope: JsonataScope,
  field: string,
): Promise<JsonValue> {
  if (isJsonataString(value)) return evaluateJsonataString(value, scope, field);
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) out.push(await evaluateJsonataTemplate(value[i]!, scope, `${field}[${i}]`));
    return out;
  }
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = await evaluateJsonataTemplate(v, scope, `${field}.${k}`);
    return out;
  }
  return value;
}
