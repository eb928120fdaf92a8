// Intrinsic functions (JSONPath states): a parser for `States.Name(arg, …)` and an evaluator, following the Step
// Functions developer guide ("Intrinsic functions for JSONPath states"). Arguments are string literals with the
// `\'`, `\{`, `\}` and `\\` escapes, numbers, true/false/null, Paths (`$.x`, `$$.Execution.Id`, `$var`) and nested
// intrinsics, at most 10 deep. Every run-time failure is a StatesError named States.IntrinsicFailure.

import { StatesError, STATES_ERRORS } from './errors';
import type { RandomSource } from './errors';
import {
  base64Decode,
  base64Encode,
  hashHex,
  HASH_ALGORITHMS,
  isHashAlgorithm,
  utf8Decode,
  utf8Encode,
} from './encoding';
import type { JsonObject, JsonValue } from './json';
import { isJsonObject, jsonEquals, jsonText } from './json';
import type { PathData } from './paths';
import { InvalidPathError, parsePath, readPath } from './paths';
import { randomIntBetween, seededRandom } from './random';

/** A string literal keeps where its unescaped `{}` placeholders were, for States.Format. */
export type IntrinsicArg =
  | { kind: 'literal'; value: JsonValue; formatParts?: (string | null)[] }
  | { kind: 'path'; path: string }
  | { kind: 'call'; name: IntrinsicName; args: IntrinsicArg[] };

export type IntrinsicCall = Extract<IntrinsicArg, { kind: 'call' }>;

/** Argument counts: [min, max]. */
const ARITY = {
  'States.Format': [1, Infinity],
  'States.StringToJson': [1, 1],
  'States.JsonToString': [1, 1],
  'States.Array': [0, Infinity],
  'States.ArrayPartition': [2, 2],
  'States.ArrayContains': [2, 2],
  'States.ArrayRange': [3, 3],
  'States.ArrayGetItem': [2, 2],
  'States.ArrayLength': [1, 1],
  'States.ArrayUnique': [1, 1],
  'States.Base64Encode': [1, 1],
  'States.Base64Decode': [1, 1],
  'States.Hash': [2, 2],
  'States.JsonMerge': [3, 3],
  'States.MathRandom': [2, 3],
  'States.MathAdd': [2, 2],
  'States.StringSplit': [2, 2],
  'States.UUID': [0, 0],
} as const satisfies Record<string, readonly [number, number]>;

export type IntrinsicName = keyof typeof ARITY;
export const INTRINSIC_NAMES = Object.keys(ARITY) as IntrinsicName[];

/**
 * AWS allows "up to 10 intrinsic functions nested within a field"; its own example of nine counts every call in
 * the field (one Format around two chains of four), so the limit is on calls, not depth.
 */
export const MAX_INTRINSIC_CALLS = 10;
/** Limits the guide gives for the encoding and hashing intrinsics, in characters. */
export const MAX_ENCODE_INPUT = 10_000;
export const MAX_ARRAY_RANGE_ITEMS = 1000;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Thrown by parseIntrinsic for text that is not a well-formed intrinsic invocation. */
export class IntrinsicSyntaxError extends Error {
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`Invalid intrinsic function "${expression}": ${reason}`);
    this.name = 'IntrinsicSyntaxError';
  }
}

/** Whether a `.$` value is an intrinsic invocation rather than a Path. */
export function isIntrinsicInvocation(text: string): boolean {
  return /^\s*States\.[A-Za-z0-9]+\s*\(/.test(text);
}

class IntrinsicParser {
  private pos = 0;
  private calls = 0;
  constructor(private readonly text: string) {}

  parse(): IntrinsicCall {
    this.skipSpaces();
    const call = this.parseCall();
    this.skipSpaces();
    if (this.pos < this.text.length) this.fail(`unexpected "${this.text.slice(this.pos)}" after the invocation`);
    return call;
  }

  private parseCall(): IntrinsicCall {
    if (++this.calls > MAX_INTRINSIC_CALLS)
      this.fail(`more than ${MAX_INTRINSIC_CALLS} intrinsic functions in one field`);
    const m = /^States\.[A-Za-z0-9]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected an intrinsic function name at position ${this.pos}`);
    const name = m[0];
    if (!(name in ARITY)) this.fail(`unknown intrinsic function ${name}`);
    this.pos += name.length;
    this.skipSpaces();
    this.expect('(');
    const args: IntrinsicArg[] = [];
    this.skipSpaces();
    if (this.text[this.pos] !== ')') {
      for (;;) {
        args.push(this.parseArg());
        this.skipSpaces();
        if (this.text[this.pos] === ',') {
          this.pos++;
          this.skipSpaces();
          continue;
        }
        break;
      }
    }
    this.expect(')');
    const fn = name as IntrinsicName;
    const [min, max] = ARITY[fn];
    if (args.length < min || args.length > max) {
      const wanted = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      this.fail(`${fn} takes ${wanted} argument${(max === Infinity ? min : max) === 1 ? '' : 's'}, not ${args.length}`);
    }
    const call: IntrinsicCall = { kind: 'call', name: fn, args };
    checkStaticArguments(call, (reason) => this.fail(reason));
    return call;
  }

  private parseArg(): IntrinsicArg {
    const rest = this.text.slice(this.pos);
    if (rest.startsWith('States.')) return this.parseCall();
    if (rest[0] === "'") return this.parseString();
    if (rest[0] === '$') return this.parsePathArg();
    const literal = /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null)(?=\s*[,)])/.exec(rest);
    if (literal) {
      this.pos += literal[1]!.length;
      return { kind: 'literal', value: JSON.parse(literal[1]!) as JsonValue };
    }
    return this.fail(`unexpected argument "${rest.split(/[,)]/)[0]}"`);
  }

  private parseString(): IntrinsicArg {
    this.pos++; // opening quote
    let value = '';
    const parts: (string | null)[] = [];
    let part = '';
    while (this.pos < this.text.length && this.text[this.pos] !== "'") {
      const c = this.text[this.pos]!;
      if (c === '\\') {
        const next = this.text[this.pos + 1];
        if (next !== "'" && next !== '{' && next !== '}' && next !== '\\') {
          this.fail(`an open escape "\\${next ?? ''}" in a string literal; only \\', \\{, \\} and \\\\ are escapes`);
        }
        value += next;
        part += next;
        this.pos += 2;
        continue;
      }
      if (c === '{' && this.text[this.pos + 1] === '}') {
        value += '{}';
        parts.push(part, null);
        part = '';
        this.pos += 2;
        continue;
      }
      value += c;
      part += c;
      this.pos++;
    }
    if (this.text[this.pos] !== "'") this.fail('an unterminated string literal');
    this.pos++;
    parts.push(part);
    return { kind: 'literal', value, formatParts: parts };
  }

  private parsePathArg(): IntrinsicArg {
    const start = this.pos;
    let depth = 0;
    let quote: string | null = null;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos]!;
      if (quote) {
        if (c === '\\') this.pos++;
        else if (c === quote) quote = null;
      } else if (c === "'" || c === '"') {
        quote = c;
      } else if (c === '[' || c === '(') {
        depth++;
      } else if (c === ']' || (c === ')' && depth > 0)) {
        depth--;
      } else if (depth === 0 && (c === ',' || c === ')')) {
        break;
      }
      this.pos++;
    }
    const path = this.text.slice(start, this.pos).trim();
    try {
      parsePath(path);
    } catch (err) {
      if (err instanceof InvalidPathError) this.fail(err.message);
      throw err;
    }
    return { kind: 'path', path };
  }

  private skipSpaces() {
    while (/\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private expect(c: string) {
    if (this.text[this.pos] !== c) this.fail(`expected "${c}" at position ${this.pos}`);
    this.pos++;
  }

  private fail(reason: string): never {
    throw new IntrinsicSyntaxError(this.text, reason);
  }
}

/** Checks that need no input: literal arguments of the wrong type, Format placeholder counts, JsonMerge's flag. */
function checkStaticArguments(call: IntrinsicCall, fail: (reason: string) => never) {
  const first = call.args[0];
  if (call.name === 'States.Format' && first?.kind === 'literal') {
    if (typeof first.value !== 'string') fail('the first argument of States.Format must be a string');
    const placeholders = (first.formatParts ?? []).filter((p) => p === null).length;
    if (placeholders !== call.args.length - 1) {
      fail(`the template has ${placeholders} {} placeholder(s) but ${call.args.length - 1} value(s) follow it`);
    }
  }
  const third = call.args[2];
  if (call.name === 'States.JsonMerge' && third?.kind === 'literal' && third.value !== false) {
    fail('the third argument of States.JsonMerge must be false: only shallow merging is supported');
  }
  const second = call.args[1];
  if (call.name === 'States.Hash' && second?.kind === 'literal' && !isHashAlgorithm(second.value)) {
    fail(`States.Hash supports ${HASH_ALGORITHMS.join(', ')}, not ${jsonText(second.value)}`);
  }
}

/** Parses an intrinsic invocation; throws IntrinsicSyntaxError. */
export function parseIntrinsic(text: string): IntrinsicCall {
  return new IntrinsicParser(text).parse();
}

/** What an intrinsic reads (input, context, variables) and the injected sources for MathRandom and UUID. */
export interface IntrinsicScope extends PathData {
  readonly random: RandomSource;
  readonly uuid: () => string;
}

function failure(call: IntrinsicCall | string, message: string): never {
  const name = typeof call === 'string' ? call : call.name;
  throw new StatesError(STATES_ERRORS.IntrinsicFailure, `${name}: ${message}`);
}

/** Evaluates an intrinsic invocation (text or parsed); any failure is a States.IntrinsicFailure StatesError. */
export function evaluateIntrinsic(expression: string | IntrinsicCall, scope: IntrinsicScope): JsonValue {
  let call: IntrinsicCall;
  if (typeof expression === 'string') {
    try {
      call = parseIntrinsic(expression);
    } catch (err) {
      if (err instanceof IntrinsicSyntaxError) throw new StatesError(STATES_ERRORS.IntrinsicFailure, err.message);
      throw err;
    }
  } else {
    call = expression;
  }
  return evaluateCall(call, scope);
}

function evaluateArg(arg: IntrinsicArg, scope: IntrinsicScope, call: IntrinsicCall): JsonValue {
  switch (arg.kind) {
    case 'literal':
      return arg.value;
    case 'call':
      return evaluateCall(arg, scope);
    case 'path': {
      const value = readPath(arg.path, scope);
      if (value === undefined) failure(call, `the path ${arg.path} could not be found in ${jsonText(scope.input)}`);
      return value;
    }
  }
}

function evaluateCall(call: IntrinsicCall, scope: IntrinsicScope): JsonValue {
  const args = call.args.map((a) => evaluateArg(a, scope, call));
  const arg = (i: number) => args[i]!;
  switch (call.name) {
    case 'States.Format':
      return format(call, args);
    case 'States.StringToJson': {
      const text = requireString(call, arg(0), 'its argument');
      try {
        return JSON.parse(text) as JsonValue;
      } catch {
        return failure(call, `${jsonText(text)} is not JSON text`);
      }
    }
    case 'States.JsonToString':
      return JSON.stringify(arg(0));
    case 'States.Array':
      return args;
    case 'States.ArrayPartition': {
      const array = requireArray(call, arg(0), 'the first argument');
      const size = requireInteger(call, arg(1), 'the chunk size');
      if (size <= 0) failure(call, `the chunk size must be a positive integer, not ${size}`);
      const chunks: JsonValue[] = [];
      for (let i = 0; i < array.length; i += size) chunks.push(array.slice(i, i + size));
      return chunks;
    }
    case 'States.ArrayContains': {
      const array = requireArray(call, arg(0), 'the first argument');
      return array.some((v) => jsonEquals(v, arg(1)));
    }
    case 'States.ArrayRange': {
      const start = requireInteger(call, arg(0), 'the first element');
      const end = requireInteger(call, arg(1), 'the last element');
      const step = requireInteger(call, arg(2), 'the step');
      if (step === 0) failure(call, 'the step must not be 0');
      const count = Math.max(0, Math.floor((end - start) / step) + 1);
      if (count > MAX_ARRAY_RANGE_ITEMS) {
        failure(call, `the range would have ${count} items, more than the ${MAX_ARRAY_RANGE_ITEMS} allowed`);
      }
      return Array.from({ length: count }, (_, i) => start + i * step);
    }
    case 'States.ArrayGetItem': {
      const array = requireArray(call, arg(0), 'the first argument');
      const index = requireInteger(call, arg(1), 'the index');
      if (index < 0 || index >= array.length) {
        failure(call, `index ${index} is out of bounds for an array of length ${array.length}`);
      }
      return array[index]!;
    }
    case 'States.ArrayLength':
      return requireArray(call, arg(0), 'its argument').length;
    case 'States.ArrayUnique': {
      const out: JsonValue[] = [];
      for (const v of requireArray(call, arg(0), 'its argument')) if (!out.some((u) => jsonEquals(u, v))) out.push(v);
      return out;
    }
    case 'States.Base64Encode': {
      const text = requireString(call, arg(0), 'its argument', MAX_ENCODE_INPUT);
      return base64Encode(utf8Encode(text));
    }
    case 'States.Base64Decode': {
      const text = requireString(call, arg(0), 'its argument', MAX_ENCODE_INPUT);
      try {
        return utf8Decode(base64Decode(text));
      } catch (err) {
        return failure(call, (err as Error).message);
      }
    }
    case 'States.Hash': {
      const text = requireString(call, arg(0), 'the data', MAX_ENCODE_INPUT);
      const algorithm = arg(1);
      if (!isHashAlgorithm(algorithm)) {
        failure(call, `the algorithm must be one of ${HASH_ALGORITHMS.join(', ')}, not ${jsonText(algorithm)}`);
      }
      return hashHex(text, algorithm);
    }
    case 'States.JsonMerge': {
      const a = requireObject(call, arg(0), 'the first argument');
      const b = requireObject(call, arg(1), 'the second argument');
      if (arg(2) !== false) {
        failure(call, `the deep-merge flag must be false (only shallow merging is supported), not ${jsonText(arg(2))}`);
      }
      return { ...a, ...b };
    }
    case 'States.MathRandom': {
      const start = requireInteger(call, arg(0), 'the start');
      const end = requireInteger(call, arg(1), 'the end');
      if (end <= start) failure(call, `the end (${end}) must be greater than the start (${start})`);
      const random = args.length === 3 ? seededRandom(requireInteger(call, arg(2), 'the seed')) : scope.random;
      return randomIntBetween(start, end, random);
    }
    case 'States.MathAdd': {
      const a = requireInteger(call, arg(0), 'the first argument', true);
      const b = requireInteger(call, arg(1), 'the second argument', true);
      return a + b;
    }
    case 'States.StringSplit': {
      const text = requireString(call, arg(0), 'the first argument');
      const delimiters = requireString(call, arg(1), 'the delimiter');
      if (delimiters === '') return [text];
      // Every character of the second argument delimits, and empty pieces are dropped.
      const pieces: string[] = [];
      let piece = '';
      for (const ch of text) {
        if (delimiters.includes(ch)) {
          if (piece) pieces.push(piece);
          piece = '';
        } else {
          piece += ch;
        }
      }
      if (piece) pieces.push(piece);
      return pieces;
    }
    case 'States.UUID':
      return scope.uuid();
  }
}

function format(call: IntrinsicCall, args: JsonValue[]): string {
  const template = args[0];
  if (typeof template !== 'string') return failure(call, `the template must be a string, not ${jsonText(template)}`);
  const first = call.args[0]!;
  const parts =
    first.kind === 'literal' && first.formatParts
      ? first.formatParts
      : template.split('{}').flatMap((p, i) => (i === 0 ? [p] : [null, p]));
  const values = args.slice(1);
  const placeholders = parts.filter((p) => p === null).length;
  if (placeholders !== values.length) {
    failure(call, `the template has ${placeholders} {} placeholder(s) but ${values.length} value(s) were given`);
  }
  let i = 0;
  return parts.map((p) => (p === null ? formatValue(values[i++]!) : p)).join('');
}

/** How Step Functions renders a non-string in States.Format: JSON for scalars, Java's Map/List style otherwise. */
function formatValue(value: JsonValue): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (isJsonObject(value)) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

function requireString(call: IntrinsicCall, value: JsonValue, what: string, maxLength?: number): string {
  if (typeof value !== 'string') failure(call, `${what} must be a string, not ${jsonText(value)}`);
  if (maxLength !== undefined && value.length > maxLength) {
    failure(call, `${what} has ${value.length} characters, more than the ${maxLength} allowed`);
  }
  return value;
}

function requireArray(call: IntrinsicCall, value: JsonValue, what: string): JsonValue[] {
  if (!Array.isArray(value)) failure(call, `${what} must be an array, not ${jsonText(value)}`);
  return value;
}

function requireObject(call: IntrinsicCall, value: JsonValue, what: string): JsonObject {
  if (!isJsonObject(value)) failure(call, `${what} must be a JSON object, not ${jsonText(value)}`);
  return value;
}

/**
 * A number used as an integer. The guide says non-integers are rounded to the nearest integer; with `int32` the
 * value must also lie in [-2147483648, 2147483647], as States.MathAdd requires.
 */
function requireInteger(call: IntrinsicCall, value: JsonValue, what: string, int32 = false): number {
  if (typeof value !== 'number') failure(call, `${what} must be a number, not ${jsonText(value)}`);
  const n = Math.round(value);
  if (int32 && (n < INT32_MIN || n > INT32_MAX)) {
    failure(call, `${what} (${n}) is outside the range ${INT32_MIN} to ${INT32_MAX}`);
  }
  return n;
}
