// Choice rules, with the examples of the Step Functions developer guide ("Choice workflow state") and the ASL spec.
import type { ChoiceRule, ChoiceState } from '../../../pipelines/definition';
import { evaluateChoiceRule, selectChoice, stringMatches } from '../../../pipelines/choice';
import type { JsonataScope } from '../../../pipelines/jsonata-eval';
import type { JsonValue } from '../../../pipelines/json';
import { countingUuid, fixedRandom, statesErrorOf, statesErrorOfAsync } from './helpers';

const input = {
  foo: 1,
  bar: 'MyStringABD',
  baz: 'MyString',
  flag: true,
  nothing: null,
  when: '2001-01-01T12:00:00Z',
  later: '2001-01-01T13:00:00.5+01:00',
  file: 'log-2024.txt',
  star: 'a*b',
  type: 'Private',
  value: 22,
  other: 1,
  list: [1],
};
const data = { input, context: { Execution: { Name: 'run-1' } }, variables: { limit: 20 } };

describe('comparison operators', () => {
  test.each<[string, ChoiceRule, boolean]>([
    ['NumericEquals', { Variable: '$.foo', NumericEquals: 1 }, true],
    ['NumericEquals on another value', { Variable: '$.foo', NumericEquals: 2 }, false],
    ['NumericLessThan', { Variable: '$.foo', NumericLessThan: 2 }, true],
    ['NumericGreaterThan', { Variable: '$.foo', NumericGreaterThan: 1 }, false],
    ['NumericLessThanEquals', { Variable: '$.foo', NumericLessThanEquals: 1 }, true],
    ['NumericGreaterThanEquals', { Variable: '$.foo', NumericGreaterThanEquals: 1.5 }, false],
    ['a string never equals a number', { Variable: '$.bar', NumericEquals: 1 }, false],
    ['StringEquals', { Variable: '$.baz', StringEquals: 'MyString' }, true],
    ['StringGreaterThan (the guide)', { Variable: '$.bar', StringGreaterThan: 'MyStringABC' }, true],
    ['StringLessThan', { Variable: '$.bar', StringLessThan: 'MyStringABC' }, false],
    ['StringLessThanEquals', { Variable: '$.baz', StringLessThanEquals: 'MyString' }, true],
    ['StringGreaterThanEquals', { Variable: '$.baz', StringGreaterThanEquals: 'MyStringA' }, false],
    ['a number never equals a string', { Variable: '$.foo', StringEquals: '1' }, false],
    ['BooleanEquals', { Variable: '$.flag', BooleanEquals: true }, true],
    ['BooleanEquals false', { Variable: '$.flag', BooleanEquals: false }, false],
    ['TimestampEquals (the guide)', { Variable: '$.when', TimestampEquals: '2001-01-01T12:00:00Z' }, true],
    ['TimestampEquals across offsets', { Variable: '$.when', TimestampEquals: '2001-01-01T13:00:00+01:00' }, true],
    ['TimestampLessThan with fractions', { Variable: '$.when', TimestampLessThan: '2001-01-01T12:00:00.001Z' }, true],
    ['TimestampGreaterThan', { Variable: '$.later', TimestampGreaterThan: '2001-01-01T12:00:00Z' }, true],
    ['TimestampLessThanEquals', { Variable: '$.when', TimestampLessThanEquals: '2001-01-01T12:00:00Z' }, true],
    ['TimestampGreaterThanEquals', { Variable: '$.when', TimestampGreaterThanEquals: '2001-01-02T00:00:00Z' }, false],
    ['a timestamp is a string too', { Variable: '$.when', StringEquals: '2001-01-01T12:00:00Z' }, true],
    [
      'a non-timestamp never matches a Timestamp operator',
      { Variable: '$.bar', TimestampEquals: '2001-01-01T12:00:00Z' },
      false,
    ],
    // The …Path forms compare with another value from the input, the context or a variable.
    ['StringEqualsPath (the guide)', { Variable: '$.baz', StringEqualsPath: '$.baz' }, true],
    ['NumericEqualsPath', { Variable: '$.foo', NumericEqualsPath: '$.other' }, true],
    ['NumericLessThanPath to a variable', { Variable: '$.value', NumericLessThanPath: '$limit' }, false],
    ['NumericGreaterThanEqualsPath', { Variable: '$.value', NumericGreaterThanEqualsPath: '$limit' }, true],
    ['StringEqualsPath to the context object', { Variable: '$$.Execution.Name', StringEqualsPath: '$.baz' }, false],
    ['BooleanEqualsPath', { Variable: '$.flag', BooleanEqualsPath: '$.flag' }, true],
    ['TimestampLessThanPath', { Variable: '$.when', TimestampLessThanPath: '$.later' }, true],
    ['TimestampEqualsPath', { Variable: '$.when', TimestampEqualsPath: '$.when' }, true],
    ['StringLessThanPath', { Variable: '$.baz', StringLessThanPath: '$.bar' }, true],
    ['…Path operand of the wrong type', { Variable: '$.foo', NumericEqualsPath: '$.bar' }, false],
  ])('%s', (_label, rule, expected) => {
    expect(evaluateChoiceRule(rule, data)).toBe(expected);
  });
});

describe('type tests', () => {
  test.each<[string, ChoiceRule, boolean]>([
    ['IsNull (the guide)', { Variable: '$.nothing', IsNull: true }, true],
    ['IsNull false', { Variable: '$.foo', IsNull: false }, true],
    ['IsPresent', { Variable: '$.foo', IsPresent: true }, true],
    ['IsPresent on a missing field', { Variable: '$.keyThatMightNotExist', IsPresent: true }, false],
    ['IsPresent false on a missing field', { Variable: '$.keyThatMightNotExist', IsPresent: false }, true],
    ['IsPresent on a null field', { Variable: '$.nothing', IsPresent: true }, true],
    ['IsNumeric', { Variable: '$.foo', IsNumeric: true }, true],
    ['IsNumeric on a numeric string', { Variable: '$.bar', IsNumeric: true }, false],
    ['IsString', { Variable: '$.bar', IsString: true }, true],
    ['IsBoolean', { Variable: '$.flag', IsBoolean: true }, true],
    ['IsBoolean on null', { Variable: '$.nothing', IsBoolean: true }, false],
    ['IsTimestamp', { Variable: '$.when', IsTimestamp: true }, true],
    ['IsTimestamp on a plain string', { Variable: '$.bar', IsTimestamp: true }, false],
    ['IsTimestamp on an array', { Variable: '$.list', IsTimestamp: false }, true],
  ])('%s', (_label, rule, expected) => {
    expect(evaluateChoiceRule(rule, data)).toBe(expected);
  });

  test.each([
    ['2016-08-18T17:33:00Z', true],
    ['2016-08-18T17:33:00.123456789Z', true],
    ['2016-08-18T17:33:00+05:30', true],
    ['2016-08-18t17:33:00Z', false],
    ['2016-08-18T17:33:00z', false],
    ['2016-08-18 17:33:00Z', false],
    ['2016-08-18T17:33:00', false],
    ['2016-02-30T00:00:00Z', false],
    ['2016-02-29T00:00:00Z', true],
    ['2015-02-29T00:00:00Z', false],
    ['2016-08-18T24:00:00Z', false],
    ['2016-08-18', false],
  ])('IsTimestamp %s is %s', (value, expected) => {
    expect(evaluateChoiceRule({ Variable: '$.t', IsTimestamp: true }, { input: { t: value } })).toBe(expected);
  });
});

describe('StringMatches', () => {
  test.each([
    ['log-2024.txt', 'log-*.txt', true],
    ['log-.txt', 'log-*.txt', true],
    ['log-2024.txt.gz', 'log-*.txt', false],
    ['LOG-1.txt', 'log-*.txt', false],
    ['a*b', 'a\\*b', true],
    ['axb', 'a\\*b', false],
    ['a\\b', 'a\\\\b', true],
    ['anything', '*', true],
    ['', '*', true],
    ['a.b', 'a.b', true],
    ['axb', 'a.b', false],
    ['(x)+[y]', '(x)+[y]', true],
    ['multi\nline', 'multi*line', true],
    ['start-middle-end', '*middle*', true],
  ])('%j matches %j: %s', (value, pattern, expected) => {
    expect(stringMatches(value, pattern)).toBe(expected);
  });

  test('as a rule', () => {
    expect(evaluateChoiceRule({ Variable: '$.file', StringMatches: 'log-*.txt' }, data)).toBe(true);
  });
});

describe('And, Or, Not', () => {
  test.each<[string, ChoiceRule, boolean]>([
    [
      'And (the guide: value in the twenties)',
      {
        And: [
          { Variable: '$.value', NumericGreaterThanEquals: 20 },
          { Variable: '$.value', NumericLessThan: 30 },
        ],
      },
      true,
    ],
    ['Not (the guide)', { Not: { Variable: '$.type', StringEquals: 'Private' } }, false],
    [
      'Or',
      {
        Or: [
          { Variable: '$.foo', NumericEquals: 5 },
          { Variable: '$.flag', BooleanEquals: true },
        ],
      },
      true,
    ],
    [
      'nested',
      { Not: { Or: [{ And: [{ Variable: '$.foo', IsNumeric: true }] }, { Variable: '$.flag', IsNull: true }] } },
      false,
    ],
    // IsPresent guards the comparison after it, because And stops at the first false (the guide's example).
    [
      'IsPresent guards a comparison',
      {
        And: [
          { Variable: '$.keyThatMightNotExist', IsPresent: true },
          { Variable: '$.keyThatMightNotExist', StringEquals: 'foo' },
        ],
      },
      false,
    ],
  ])('%s', (_label, rule, expected) => {
    expect(evaluateChoiceRule(rule, data)).toBe(expected);
  });
});

describe('a missing Variable is a States.Runtime error', () => {
  test.each<[ChoiceRule, string]>([
    [{ Variable: '$.missing', StringEquals: 'x' }, '$.missing'],
    [{ Variable: '$.missing', IsNull: true }, '$.missing'],
    [{ Variable: '$.foo', NumericEqualsPath: '$.missing' }, '$.missing'],
  ])('%j', (rule, path) => {
    expect(statesErrorOf(() => evaluateChoiceRule(rule, data))).toEqual({
      error: 'States.Runtime',
      cause: `Invalid path '${path}': The choice state's condition path references an invalid value.`,
    });
  });
});

function jsonata(stateInput: JsonValue, variables: Record<string, JsonValue> = {}): JsonataScope {
  return {
    states: { input: stateInput, context: {} },
    variables,
    nowMs: Date.UTC(2026, 0, 1),
    random: fixedRandom(0.25),
    uuid: countingUuid(),
  };
}

describe('selectChoice', () => {
  // The guide's example state, entered with {"type": "Private", "value": 22}.
  const guideState: ChoiceState = {
    Type: 'Choice',
    Choices: [
      { Not: { Variable: '$.type', StringEquals: 'Private' }, Next: 'Public' },
      { Variable: '$.value', NumericEquals: 0, Next: 'ValueIsZero' },
      {
        And: [
          { Variable: '$.value', NumericGreaterThanEquals: 20 },
          { Variable: '$.value', NumericLessThan: 30 },
        ],
        Next: 'ValueInTwenties',
      },
    ],
    Default: 'DefaultState',
  };

  test.each<[JsonValue, string]>([
    [{ type: 'Private', value: 22 }, 'ValueInTwenties'],
    [{ type: 'Public', value: 22 }, 'Public'],
    [{ type: 'Private', value: 0 }, 'ValueIsZero'],
    [{ type: 'Private', value: 50 }, 'DefaultState'],
  ])('the guide example with %j goes to %s', async (stateInput, next) => {
    const outcome = await selectChoice(
      'ChoiceStateX',
      guideState,
      'JSONPath',
      { input: stateInput },
      jsonata(stateInput),
    );
    expect(outcome.next).toBe(next);
  });

  test('no match and no Default is States.NoChoiceMatched', async () => {
    const { Default: _none, ...noDefault } = guideState;
    expect(
      await statesErrorOfAsync(() =>
        selectChoice('ChoiceStateX', noDefault, 'JSONPath', { input: { type: 'Private', value: 50 } }, jsonata({})),
      ),
    ).toEqual({
      error: 'States.NoChoiceMatched',
      cause:
        'State "ChoiceStateX": no Choice rule matched the input {"type":"Private","value":50} and there is no Default',
    });
  });

  const jsonataState: ChoiceState = {
    Type: 'Choice',
    QueryLanguage: 'JSONata',
    Choices: [
      { Condition: '{% $states.input.foo = 1 %}', Next: 'NumericMatchState' },
      { Condition: "{% $type = 'local' %}", Next: 'StringMatchState' },
      { Condition: "{% $states.input.foo > 'MyStringABC' %}", Next: 'StringGreaterMatchState' },
      { Condition: '{% $possiblyNullValue != null and $possiblyNullValue = 42 %}', Next: 'NotNullAnd42' },
    ],
    Default: 'Other',
  };

  test.each<[JsonValue, Record<string, JsonValue>, string]>([
    [{ foo: 1 }, {}, 'NumericMatchState'],
    [{ foo: 2 }, { type: 'local' }, 'StringMatchState'],
    [{ foo: 'MyStringABD' }, {}, 'StringGreaterMatchState'],
    [{ foo: 'A' }, { possiblyNullValue: 42 }, 'NotNullAnd42'],
    [{ foo: 'A' }, { possiblyNullValue: null }, 'Other'],
  ])('JSONata Condition with input %j and variables %j goes to %s', async (stateInput, variables, next) => {
    const outcome = await selectChoice(
      'C',
      jsonataState,
      'JSONata',
      { input: stateInput },
      jsonata(stateInput, variables),
    );
    expect(outcome.next).toBe(next);
  });

  test('a JSONata Condition that is not a boolean is States.QueryEvaluationError', async () => {
    const state: ChoiceState = { Type: 'Choice', Choices: [{ Condition: '{% $states.input.foo %}', Next: 'X' }] };
    expect(
      await statesErrorOfAsync(() => selectChoice('C', state, 'JSONata', { input: {} }, jsonata({ foo: 'yes' }))),
    ).toEqual({
      error: 'States.QueryEvaluationError',
      cause: 'The JSONata expression in the field \'Choices[0].Condition\' returned "yes", not a boolean',
    });
  });
});
