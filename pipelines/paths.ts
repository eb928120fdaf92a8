// ASL Paths and Reference Paths: parsing, reading and ResultPath writes.
//
// Why hand-written and not jsonpath-plus: jsonpath-plus evaluates filters with Node's `vm` (or, in its browser build,
// its own script evaluator), is ESM-only in current versions with a Node ≥ 22 engine, and follows Goessner's
// semantics where AWS follows Jayway's (definite paths yield a value, indefinite ones a list; `[-1]`; `length()`).
// The ASL subset is small and is fully specified here, so a small evaluator is the safer thing to run inside the
// deterministic workflow sandbox.
//
// Supported: `$` (input), `$$` (context object), `$name` (a workflow variable), `.name`, `['name']`, `["name"]`,
// `[0]`, `[-1]`, `.*`, `[*]`, `..name`, `..*`, unions `['a','b']` / `[0,2]`, slices `[1:3]` / `[::2]`, filters
// `[?(@.price < 10 && @.tag == 'x')]` (==, !=, <, <=, >, >=, !, &&, ||, parentheses, existence `[?(@.isbn)]`), and a
// trailing `.length()`. A Reference Path allows only names and indices.

import type { JsonObject, JsonValue } from './json';
import { cloneJson, isJsonObject, jsonEquals, jsonText } from './json';
import { STATES_ERRORS, StatesError } from './errors';

export type PathRoot = { kind: 'input' } | { kind: 'context' } | { kind: 'variable'; name: string };

export type PathSegment =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'descendant'; name: string | null }
  | { kind: 'union'; members: (string | number)[] }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'filter'; predicate: FilterNode }
  | { kind: 'length' };

export type FilterNode =
  | { kind: 'or' | 'and'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; op: CompareOp; left: FilterOperand; right: FilterOperand }
  | { kind: 'exists'; operand: FilterOperand };

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type FilterOperand =
  | { kind: 'current'; segments: PathSegment[] }
  | { kind: 'root'; segments: PathSegment[] }
  | { kind: 'literal'; value: JsonValue };

export interface ParsedPath {
  readonly text: string;
  readonly root: PathRoot;
  readonly segments: readonly PathSegment[];
  /** A definite path names at most one node and yields it; an indefinite one yields a list. */
  readonly definite: boolean;
  /** Only names and indices: the Reference Path subset (ResultPath, ItemsPath, Choice Variable). */
  readonly reference: boolean;
}

/** Thrown by parsePath for text that is not a Path; the definition is wrong, not the data. */
export class InvalidPathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Invalid path "${path}": ${reason}`);
    this.name = 'InvalidPathError';
  }
}

const VARIABLE_NAME = /^[\p{L}_][\p{L}\p{N}_]*/u;
const DOT_NAME = /^[^.[\]()\s'",]+/;

class PathParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): ParsedPath {
    const root = this.parseRoot();
    const segments = this.parseSegments(false);
    if (this.pos < this.text.length) this.fail(`unexpected "${this.text.slice(this.pos)}"`);
    return finishPath(this.text, root, segments);
  }

  /** A filter's `@…` or `$…` path: segments until something that is not a segment. */
  parseEmbedded(): PathSegment[] {
    return this.parseSegments(true);
  }

  get position() {
    return this.pos;
  }

  private parseRoot(): PathRoot {
    if (this.text[0] !== '$') this.fail('a path starts with "$"');
    if (this.text[1] === '$') {
      this.pos = 2;
      return { kind: 'context' };
    }
    const name = VARIABLE_NAME.exec(this.text.slice(1));
    if (name) {
      this.pos = 1 + name[0].length;
      return { kind: 'variable', name: name[0] };
    }
    this.pos = 1;
    return { kind: 'input' };
  }

  private parseSegments(embedded: boolean): PathSegment[] {
    const segments: PathSegment[] = [];
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '.' && this.text[this.pos + 1] === '.') {
        this.pos += 2;
        if (this.text[this.pos] === '*') {
          this.pos++;
          segments.push({ kind: 'descendant', name: null });
        } else if (this.text[this.pos] === '[') {
          segments.push({ kind: 'descendant', name: null }, this.parseBracket());
        } else {
          segments.push({ kind: 'descendant', name: this.parseDotName() });
        }
      } else if (c === '.') {
        this.pos++;
        if (this.text[this.pos] === '*') {
          this.pos++;
          segments.push({ kind: 'wildcard' });
        } else {
          const name = this.parseDotName();
          if (this.text.startsWith('()', this.pos)) {
            if (name !== 'length') this.fail(`unsupported function "${name}()"; only length() is supported`);
            this.pos += 2;
            segments.push({ kind: 'length' });
          } else {
            segments.push({ kind: 'field', name });
          }
        }
      } else if (c === '[') {
        segments.push(this.parseBracket());
      } else if (embedded) {
        break;
      } else {
        this.fail(`unexpected "${c}" at position ${this.pos}`);
      }
      const last = segments[segments.length - 1];
      if (last?.kind === 'length' && this.pos < this.text.length && !embedded) this.fail('length() must come last');
    }
    return segments;
  }

  private parseDotName(): string {
    const m = DOT_NAME.exec(this.text.slice(this.pos));
    if (!m) this.fail(`a name is missing at position ${this.pos}`);
    this.pos += m[0].length;
    return m[0];
  }

  private parseBracket(): PathSegment {
    this.pos++; // [
    this.skipSpaces();
    let segment: PathSegment;
    const c = this.text[this.pos];
    if (c === '*') {
      this.pos++;
      segment = { kind: 'wildcard' };
    } else if (c === '?') {
      this.pos++;
      this.skipSpaces();
      this.expect('(');
      const predicate = this.parseOr();
      this.skipSpaces();
      this.expect(')');
      segment = { kind: 'filter', predicate };
    } else if (c === "'" || c === '"') {
      const names = [this.parseQuoted()];
      this.skipSpaces();
      while (this.text[this.pos] === ',') {
        this.pos++;
        this.skipSpaces();
        names.push(this.parseQuoted());
        this.skipSpaces();
      }
      segment = names.length === 1 ? { kind: 'field', name: names[0]! } : { kind: 'union', members: names };
    } else {
      segment = this.parseIndexOrSlice();
    }
    this.skipSpaces();
    this.expect(']');
    return segment;
  }

  private parseIndexOrSlice(): PathSegment {
    const body = /^[-\d\s:,]*/.exec(this.text.slice(this.pos))![0];
    this.pos += body.length;
    const trimmed = body.trim();
    if (trimmed === '') this.fail('an empty [] selects nothing');
    if (trimmed.includes(':')) {
      const parts = trimmed.split(':').map((p) => p.trim());
      if (parts.length > 3) this.fail(`bad slice "[${trimmed}]"`);
      const [start, end, step] = parts.map((p) => (p === '' ? undefined : this.integer(p)));
      if (step === 0) this.fail('a slice step cannot be 0');
      return { kind: 'slice', start, end, step };
    }
    const indices = trimmed.split(',').map((p) => this.integer(p.trim()));
    return indices.length === 1 ? { kind: 'index', index: indices[0]! } : { kind: 'union', members: indices };
  }

  private integer(text: string): number {
    if (!/^-?\d+$/.test(text)) this.fail(`"${text}" is not an integer index`);
    return Number(text);
  }

  private parseQuoted(): string {
    const quote = this.text[this.pos];
    if (quote !== "'" && quote !== '"') this.fail(`expected a quoted name at position ${this.pos}`);
    this.pos++;
    let out = '';
    while (this.pos < this.text.length && this.text[this.pos] !== quote) {
      if (this.text[this.pos] === '\\' && this.pos + 1 < this.text.length) this.pos++;
      out += this.text[this.pos];
      this.pos++;
    }
    if (this.text[this.pos] !== quote) this.fail('an unterminated quoted name');
    this.pos++;
    return out;
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd();
    for (;;) {
      this.skipSpaces();
      if (!this.text.startsWith('||', this.pos)) return left;
      this.pos += 2;
      left = { kind: 'or', left, right: this.parseAnd() };
    }
  }

  private parseAnd(): FilterNode {
    let left = this.parseUnary();
    for (;;) {
      this.skipSpaces();
      if (!this.text.startsWith('&&', this.pos)) return left;
      this.pos += 2;
      left = { kind: 'and', left, right: this.parseUnary() };
    }
  }

  private parseUnary(): FilterNode {
    this.skipSpaces();
    if (this.text[this.pos] === '!' && this.text[this.pos + 1] !== '=') {
      this.pos++;
      return { kind: 'not', operand: this.parseUnary() };
    }
    if (this.text[this.pos] === '(') {
      this.pos++;
      const inner = this.parseOr();
      this.skipSpaces();
      this.expect(')');
      return inner;
    }
    const left = this.parseOperand();
    this.skipSpaces();
    const op = /^(==|!=|<=|>=|<|>)/.exec(this.text.slice(this.pos))?.[0] as CompareOp | undefined;
    if (!op) {
      if (left.kind === 'literal') this.fail('a filter needs a path or a comparison');
      return { kind: 'exists', operand: left };
    }
    this.pos += op.length;
    return { kind: 'compare', op, left, right: this.parseOperand() };
  }

  private parseOperand(): FilterOperand {
    this.skipSpaces();
    const rest = this.text.slice(this.pos);
    if (rest[0] === '@' || rest[0] === '$') {
      const sub = new PathParser(rest.slice(1));
      const segments = sub.parseEmbedded();
      this.pos += 1 + sub.position;
      return { kind: rest[0] === '@' ? 'current' : 'root', segments };
    }
    if (rest[0] === "'" || rest[0] === '"') return { kind: 'literal', value: this.parseQuoted() };
    const literal = /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null)/.exec(rest);
    if (!literal) this.fail(`unexpected "${rest}" in a filter`);
    this.pos += literal[0].length;
    return { kind: 'literal', value: JSON.parse(literal[0]) as JsonValue };
  }

  private skipSpaces() {
    while (this.text[this.pos] === ' ') this.pos++;
  }

  private expect(c: string) {
    if (this.text[this.pos] !== c) this.fail(`expected "${c}" at position ${this.pos}`);
    this.pos++;
  }

  private fail(reason: string): never {
    throw new InvalidPathError(this.text, reason);
  }
}

function finishPath(text: string, root: PathRoot, segments: PathSegment[]): ParsedPath {
  const reference = segments.every((s) => s.kind === 'field' || s.kind === 'index');
  // length() yields one number whatever precedes it, so a path ending in it is definite.
  const definite = reference || segments[segments.length - 1]?.kind === 'length';
  return { text, root, segments, definite, reference };
}

/** Parses a Path; throws InvalidPathError. (No cache: parsing is cheap, and workflow code keeps no module state.) */
export function parsePath(text: string): ParsedPath {
  return new PathParser(text).parse();
}

/** Parses a Reference Path (names and indices only); throws InvalidPathError for anything else. */
export function parseReferencePath(text: string): ParsedPath {
  const parsed = parsePath(text);
  if (!parsed.reference) throw new InvalidPathError(text, "a Reference Path may use only .name, ['name'] and [index]");
  return parsed;
}

export function isPath(text: string): boolean {
  try {
    parsePath(text);
    return true;
  } catch {
    return false;
  }
}

/** What a path reads from: the state's input (`$`), the context object (`$$`), and the workflow variables. */
export interface PathData {
  readonly input: JsonValue;
  readonly context?: JsonValue;
  readonly variables?: Readonly<Record<string, JsonValue>>;
}

/**
 * Reads a path. A definite path yields its node, or undefined when it names nothing; an indefinite path yields the
 * list of nodes it matched (possibly empty), as Jayway JsonPath does in AWS.
 */
export function readPath(path: string | ParsedPath, data: PathData): JsonValue | undefined {
  const parsed = typeof path === 'string' ? parsePath(path) : path;
  let start: JsonValue | undefined;
  switch (parsed.root.kind) {
    case 'input':
      start = data.input;
      break;
    case 'context':
      start = data.context;
      break;
    case 'variable':
      start = data.variables?.[parsed.root.name];
      break;
  }
  if (start === undefined) return parsed.definite ? undefined : [];
  const nodes = walk([start], parsed.segments, data.input);
  if (!parsed.definite) return nodes;
  return nodes[0];
}

/** Reads a path that must name something; otherwise the given failure (States.Runtime by default) is thrown. */
export function readRequiredPath(
  path: string,
  data: PathData,
  describe: () => string = () => `The JSONPath ${path} could not be found in the input ${jsonText(data.input)}`,
  errorName: string = STATES_ERRORS.Runtime,
): JsonValue {
  let value: JsonValue | undefined;
  try {
    value = readPath(path, data);
  } catch (err) {
    if (err instanceof InvalidPathError) throw new StatesError(errorName, err.message);
    throw err;
  }
  if (value === undefined) throw new StatesError(errorName, describe());
  return value;
}

function walk(nodes: JsonValue[], segments: readonly PathSegment[], root: JsonValue): JsonValue[] {
  let current = nodes;
  let definite = true;
  for (const segment of segments) {
    if (segment.kind === 'length') {
      current = definite ? lengthOf(current[0]) : [current.length];
      definite = true;
      continue;
    }
    if (segment.kind !== 'field' && segment.kind !== 'index') definite = false;
    const next: JsonValue[] = [];
    for (const node of current) step(node, segment, root, next);
    current = next;
  }
  return current;
}

/** length() of one node: an array's or a string's length, an object's key count; nothing for other values. */
function lengthOf(node: JsonValue | undefined): JsonValue[] {
  if (Array.isArray(node) || typeof node === 'string') return [node.length];
  if (isJsonObject(node)) return [Object.keys(node).length];
  return [];
}

function step(node: JsonValue, segment: PathSegment, root: JsonValue, out: JsonValue[]) {
  switch (segment.kind) {
    case 'field':
      if (isJsonObject(node) && Object.prototype.hasOwnProperty.call(node, segment.name)) out.push(node[segment.name]!);
      return;
    case 'index':
      if (Array.isArray(node)) {
        const i = segment.index < 0 ? node.length + segment.index : segment.index;
        if (i >= 0 && i < node.length) out.push(node[i]!);
      }
      return;
    case 'wildcard':
      if (Array.isArray(node)) out.push(...node);
      else if (isJsonObject(node)) out.push(...Object.values(node));
      return;
    case 'descendant':
      collectDescendants(node, segment.name, out);
      return;
    case 'union':
      for (const member of segment.members) {
        step(
          node,
          typeof member === 'number' ? { kind: 'index', index: member } : { kind: 'field', name: member },
          root,
          out,
        );
      }
      return;
    case 'slice':
      if (Array.isArray(node)) out.push(...slice(node, segment));
      return;
    case 'filter':
      if (Array.isArray(node)) {
        for (const item of node) if (matchesFilter(segment.predicate, item, root)) out.push(item);
      } else if (isJsonObject(node) && matchesFilter(segment.predicate, node, root)) {
        out.push(node);
      }
      return;
    case 'length':
      return;
  }
}

/** `..name` yields every value under a `name` key at any depth; `..*` (name null) every value below the node. */
function collectDescendants(node: JsonValue, name: string | null, out: JsonValue[]) {
  if (isJsonObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (name === null || k === name) out.push(v);
      collectDescendants(v, name, out);
    }
  } else if (Array.isArray(node)) {
    for (const v of node) {
      if (name === null) out.push(v);
      collectDescendants(v, name, out);
    }
  }
}

function slice(array: JsonValue[], s: { start?: number; end?: number; step?: number }): JsonValue[] {
  const n = array.length;
  const stepBy = s.step ?? 1;
  const norm = (v: number | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    const x = v < 0 ? n + v : v;
    return stepBy > 0 ? Math.min(Math.max(x, 0), n) : Math.min(Math.max(x, -1), n - 1);
  };
  const out: JsonValue[] = [];
  if (stepBy > 0) {
    for (let i = norm(s.start, 0); i < norm(s.end, n); i += stepBy) out.push(array[i]!);
  } else {
    for (let i = norm(s.start, n - 1); i > norm(s.end, -1); i += stepBy) out.push(array[i]!);
  }
  return out;
}

function matchesFilter(node: FilterNode, current: JsonValue, root: JsonValue): boolean {
  switch (node.kind) {
    case 'or':
      return matchesFilter(node.left, current, root) || matchesFilter(node.right, current, root);
    case 'and':
      return matchesFilter(node.left, current, root) && matchesFilter(node.right, current, root);
    case 'not':
      return !matchesFilter(node.operand, current, root);
    case 'exists':
      return operandValue(node.operand, current, root) !== undefined;
    case 'compare': {
      const a = operandValue(node.left, current, root);
      const b = operandValue(node.right, current, root);
      if (a === undefined || b === undefined) return node.op === '!=' && a !== b;
      return compare(node.op, a, b);
    }
  }
}

/** `@` matches containers only ("does not match scalar values"), so `@.x` on a scalar item is absent. */
function operandValue(operand: FilterOperand, current: JsonValue, root: JsonValue): JsonValue | undefined {
  if (operand.kind === 'literal') return operand.value;
  const start = operand.kind === 'current' ? current : root;
  if (operand.kind === 'current' && operand.segments.length > 0 && !isJsonObject(start) && !Array.isArray(start)) {
    return undefined;
  }
  const nodes = walk([start], operand.segments, root);
  return nodes[0];
}

function compare(op: CompareOp, a: JsonValue, b: JsonValue): boolean {
  switch (op) {
    case '==':
      return jsonEquals(a, b);
    case '!=':
      return !jsonEquals(a, b);
  }
  const comparable =
    (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) return false;
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/**
 * Writes a state's result into its raw input at a ResultPath (a Reference Path on `$`), as the spec describes:
 * `$` replaces the input, `null` discards the result, and a deeper path creates missing intermediate objects. When
 * the path runs into a value that is not an object (or an array index that does not exist), the write fails with
 * States.ResultPathMatchFailure. Never changes `input`.
 */
export function writeResultPath(input: JsonValue, resultPath: string | null | undefined, result: JsonValue): JsonValue {
  if (resultPath === null) return input;
  if (resultPath === undefined || resultPath === '$') return result;
  let parsed: ParsedPath;
  try {
    parsed = parseReferencePath(resultPath);
  } catch (err) {
    throw new StatesError(STATES_ERRORS.ResultPathMatchFailure, (err as Error).message);
  }
  if (parsed.root.kind !== 'input') {
    throw new StatesError(STATES_ERRORS.ResultPathMatchFailure, `ResultPath "${resultPath}" must start with "$."`);
  }
  const fail = (why: string): never => {
    throw new StatesError(
      STATES_ERRORS.ResultPathMatchFailure,
      `Unable to apply ResultPath "${resultPath}" to input ${jsonText(input)}: ${why}`,
    );
  };
  if (!isJsonObject(input) && !Array.isArray(input)) fail('the input is not an object');
  const output = cloneJson(input);
  let container: JsonObject | JsonValue[] = output as JsonObject | JsonValue[];
  const segments = parsed.segments as readonly ({ kind: 'field'; name: string } | { kind: 'index'; index: number })[];
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment.kind === 'field') {
      if (!isJsonObject(container)) return fail(`"${segment.name}" cannot be set on an array`);
      if (last) {
        container[segment.name] = result;
        return;
      }
      const existing = container[segment.name];
      if (existing === undefined) {
        const created: JsonObject = {};
        container[segment.name] = created;
        container = created;
      } else if (isJsonObject(existing) || Array.isArray(existing)) {
        container = existing;
      } else {
        fail(`"${segment.name}" holds ${jsonText(existing)}, which is not an object`);
      }
    } else {
      if (!Array.isArray(container)) return fail(`[${segment.index}] needs an array`);
      const idx = segment.index < 0 ? container.length + segment.index : segment.index;
      if (idx < 0 || idx >= container.length) return fail(`index ${segment.index} is out of bounds`);
      if (last) {
        container[idx] = result;
        return;
      }
      const existing = container[idx]!;
      if (!isJsonObject(existing) && !Array.isArray(existing)) {
        fail(`[${segment.index}] holds ${jsonText(existing)}, which is not an object`);
      }
      container = existing as JsonObject | JsonValue[];
    }
  });
  return output;
}
