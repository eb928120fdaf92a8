// Choice rules: every comparison operator of the ASL spec with its `…Path` form, And/Or/Not, the Is* type tests and
// StringMatches; and `Condition` for JSONata-mode states. The first matching top-level rule wins; with no match
// the Default is taken, and without a Default the state fails with States.NoChoiceMatched.

import type { ChoiceRule, ChoiceState, QueryLanguage } from './definition';
import { StatesError, STATES_ERRORS } from './errors';
import type { JsonValue } from './json';
import { jsonText } from './json';
import type { JsonataScope } from './jsonata-eval';
import { evaluateJsonataString, isJsonataString } from './jsonata-eval';
import type { PathData } from './paths';
import { InvalidPathError, readPath } from './paths';
import type { Instant } from './timestamps';
import { compareInstants, isTimestamp, parseTimestamp } from './timestamps';

type ValueKind = 'string' | 'number' | 'boolean' | 'timestamp';
type Relation = 'Equals' | 'LessThan' | 'GreaterThan' | 'LessThanEquals' | 'GreaterThanEquals';

interface Comparison {
  kind: ValueKind;
  relation: Relation;
  viaPath: boolean;
}

const RELATIONS: readonly Relation[] = ['Equals', 'LessThan', 'GreaterThan', 'LessThanEquals', 'GreaterThanEquals'];

function comparisonTable(): Map<string, Comparison> {
  const table = new Map<string, Comparison>();
  const prefixes: [string, ValueKind][] = [
    ['String', 'string'],
    ['Numeric', 'number'],
    ['Timestamp', 'timestamp'],
  ];
  for (const [prefix, kind] of prefixes) {
    for (const relation of RELATIONS) {
      table.set(`${prefix}${relation}`, { kind, relation, viaPath: false });
      table.set(`${prefix}${relation}Path`, { kind, relation, viaPath: true });
    }
  }
  table.set('BooleanEquals', { kind: 'boolean', relation: 'Equals', viaPath: false });
  table.set('BooleanEqualsPath', { kind: 'boolean', relation: 'Equals', viaPath: true });
  return table;
}

/** Every comparison operator name, e.g. StringEquals, NumericLessThanPath, TimestampGreaterThanEquals. */
export const COMPARISON_OPERATORS: ReadonlyMap<string, Comparison> = comparisonTable();

/** The type tests; each takes a boolean: `"IsNull": false` holds when the value is not null. */
export const TYPE_TESTS = ['IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'] as const;
export type TypeTest = (typeof TYPE_TESTS)[number];

/** The operator fields a rule may hold, besides Variable, Next, Comment, Assign and Output. */
export const RULE_OPERATORS: readonly string[] = [
  ...COMPARISON_OPERATORS.keys(),
  ...TYPE_TESTS,
  'StringMatches',
  'And',
  'Or',
  'Not',
];

/** The operator a JSONPath rule uses, or undefined when it has none. */
export function ruleOperator(rule: ChoiceRule): string | undefined {
  return RULE_OPERATORS.find((op) => op in rule);
}

/**
 * StringMatches: `*` matches any run of characters, `\*` a literal star and `\\` a literal backslash; nothing else
 * is special.
 */
export function stringMatches(value: string, pattern: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      source += `\\${pattern[i + 1]}`;
      i++;
    } else if (c === '*') {
      source += '[\\s\\S]*';
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`).test(value);
}

function runtimeError(path: string): StatesError {
  return new StatesError(
    STATES_ERRORS.Runtime,
    `Invalid path '${path}': The choice state's condition path references an invalid value.`,
  );
}

function read(path: string, data: PathData): JsonValue | undefined {
  try {
    return readPath(path, data);
  } catch (err) {
    if (err instanceof InvalidPathError) throw new StatesError(STATES_ERRORS.Runtime, err.message);
    throw err;
  }
}

function holds(relation: Relation, order: number): boolean {
  switch (relation) {
    case 'Equals':
      return order === 0;
    case 'LessThan':
      return order < 0;
    case 'GreaterThan':
      return order > 0;
    case 'LessThanEquals':
      return order <= 0;
    case 'GreaterThanEquals':
      return order >= 0;
  }
}

/** Compares a value with an operand of the operator's type; a value of another type never matches. */
function compareTyped(cmp: Comparison, value: JsonValue, operand: JsonValue): boolean {
  switch (cmp.kind) {
    case 'string':
      // UTF-16 code unit order, as Java's String.compareTo.
      if (typeof value !== 'string' || typeof operand !== 'string') return false;
      return holds(cmp.relation, value < operand ? -1 : value > operand ? 1 : 0);
    case 'number':
      if (typeof value !== 'number' || typeof operand !== 'number') return false;
      return holds(cmp.relation, value - operand);
    case 'boolean':
      return typeof value === 'boolean' && typeof operand === 'boolean' && value === operand;
    case 'timestamp': {
      const a: Instant | undefined = parseTimestamp(value);
      const b: Instant | undefined = parseTimestamp(operand);
      if (!a || !b) return false;
      return holds(cmp.relation, compareInstants(a, b));
    }
  }
}

function typeTest(test: TypeTest, present: boolean, value: JsonValue | undefined): boolean {
  switch (test) {
    case 'IsPresent':
      return present;
    case 'IsNull':
      return value === null;
    case 'IsNumeric':
      return typeof value === 'number';
    case 'IsString':
      return typeof value === 'string';
    case 'IsBoolean':
      return typeof value === 'boolean';
    case 'IsTimestamp':
      return isTimestamp(value);
  }
}

/**
 * Evaluates one JSONPath Choice rule against the state's effective input. And/Or short-circuit, so an IsPresent
 * test guards the comparisons after it. A Variable (or `…Path` operand) that names nothing is a States.Runtime
 * error, except for IsPresent.
 */
export function evaluateChoiceRule(rule: ChoiceRule, data: PathData): boolean {
  if (rule.And) return rule.And.every((r) => evaluateChoiceRule(r, data));
  if (rule.Or) return rule.Or.some((r) => evaluateChoiceRule(r, data));
  if (rule.Not) return !evaluateChoiceRule(rule.Not, data);
  const operator = ruleOperator(rule);
  if (operator === undefined || rule.Variable === undefined) {
    throw new StatesError(STATES_ERRORS.Runtime, `The Choice rule ${jsonText(rule)} has no Variable or no operator`);
  }
  const value = read(rule.Variable, data);
  const record = rule as unknown as Record<string, JsonValue>;
  const expected = record[operator]!;
  if ((TYPE_TESTS as readonly string[]).includes(operator)) {
    if (operator !== 'IsPresent' && value === undefined) throw runtimeError(rule.Variable);
    return typeTest(operator as TypeTest, value !== undefined, value) === expected;
  }
  if (value === undefined) throw runtimeError(rule.Variable);
  if (operator === 'StringMatches') return typeof value === 'string' && stringMatches(value, String(expected));
  const cmp = COMPARISON_OPERATORS.get(operator)!;
  let operand: JsonValue = expected;
  if (cmp.viaPath) {
    const resolved = read(String(expected), data);
    if (resolved === undefined) throw runtimeError(String(expected));
    operand = resolved;
  }
  return compareTyped(cmp, value, operand);
}

/** Evaluates a JSONata rule's Condition, which must yield a boolean. */
export async function evaluateCondition(rule: ChoiceRule, scope: JsonataScope, field: string): Promise<boolean> {
  const condition = rule.Condition;
  if (typeof condition === 'boolean') return condition;
  if (!isJsonataString(condition)) {
    throw new StatesError(STATES_ERRORS.QueryEvaluationError, `The field '${field}' must be a {% %} expression`);
  }
  const result = await evaluateJsonataString(condition, scope, field);
  if (typeof result !== 'boolean') {
    throw new StatesError(
      STATES_ERRORS.QueryEvaluationError,
      `The JSONata expression in the field '${field}' returned ${jsonText(result)}, not a boolean`,
    );
  }
  return result;
}

export interface ChoiceOutcome {
  next: string;
  /** The matched rule and its index; absent when the Default was taken. */
  rule?: ChoiceRule;
  ruleIndex?: number;
}

/**
 * Picks the next state: the first top-level rule that matches, else the Default, else States.NoChoiceMatched.
 * JSONPath rules read `data` (the effective input); JSONata rules evaluate their Condition in `scope`.
 */
export async function selectChoice(
  stateName: string,
  state: ChoiceState,
  language: QueryLanguage,
  data: PathData,
  scope: JsonataScope,
): Promise<ChoiceOutcome> {
  for (let i = 0; i < state.Choices.length; i++) {
    const rule = state.Choices[i]!;
    const matched =
      language === 'JSONata'
        ? await evaluateCondition(rule, scope, `Choices[${i}].Condition`)
        : evaluateChoiceRule(rule, data);
    if (matched) {
      if (rule.Next === undefined) {
        throw new StatesError(STATES_ERRORS.Runtime, `State "${stateName}": Choices[${i}] matched but has no Next`);
      }
      return { next: rule.Next, rule, ruleIndex: i };
    }
  }
  if (state.Default !== undefined) return { next: state.Default };
  throw new StatesError(
    STATES_ERRORS.NoChoiceMatched,
    `State "${stateName}": no Choice rule matched the input ${jsonText(data.input)} and there is no Default`,
  );
}
