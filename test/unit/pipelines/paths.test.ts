// Paths and Reference Paths, with cases from the ASL spec and the Step Functions developer guide ("Paths",
// "InputPath, Parameters and ResultSelector", "ResultPath") plus Jayway JsonPath behaviour AWS relies on.
import type { JsonValue } from '../../../pipelines/json';
import {
  InvalidPathError,
  parsePath,
  parseReferencePath,
  readPath,
  readRequiredPath,
  writeResultPath,
} from '../../../pipelines/paths';
import { statesErrorOf } from './helpers';

const guideInput: JsonValue = {
  foo: 123,
  bar: ['a', 'b', 'c'],
  car: { cdr: true },
  jar: [{ a: 1 }, { a: 5 }, { a: 2 }, { a: 7 }, { a: 3 }],
};

const store: JsonValue = {
  store: {
    book: [
      { category: 'reference', author: 'Nigel Rees', title: 'Sayings of the Century', price: 8.95 },
      { category: 'fiction', author: 'Evelyn Waugh', title: 'Sword of Honour', price: 12.99 },
      { category: 'fiction', author: 'Herman Melville', title: 'Moby Dick', isbn: '0-553-21311-3', price: 8.99 },
    ],
    bicycle: { color: 'red', price: 19.95 },
  },
  'weird key': { 'a.b': 1 },
};

describe('readPath', () => {
  test.each<[string, JsonValue, JsonValue | undefined]>([
    // The guide's "Reference Paths" examples.
    ['$.foo', guideInput, 123],
    ['$.bar', guideInput, ['a', 'b', 'c']],
    ['$.car.cdr', guideInput, true],
    ['$.jar[?(@.a >= 5)]', guideInput, [{ a: 5 }, { a: 7 }]],
    // The guide's InputPath examples.
    ['$.a[0:2]', { a: [1, 2, 3, 4] }, [1, 2]],
    ['$.dataset2', { dataset2: { val1: 'a' } }, { val1: 'a' }],
    ['$', { x: 1 }, { x: 1 }],
    // Bracket notation, indices, negative indices.
    ["$['weird key']['a.b']", store, 1],
    ['$["weird key"]["a.b"]', store, 1],
    ['$.store.book[0].title', store, 'Sayings of the Century'],
    ['$.store.book[-1].author', store, 'Herman Melville'],
    ['$.store.book[5]', store, undefined],
    ['$.nope', store, undefined],
    ['$.store.bicycle.color.deeper', store, undefined],
    // Wildcards, unions, slices, descendants and filters yield lists.
    ['$.store.book[*].author', store, ['Nigel Rees', 'Evelyn Waugh', 'Herman Melville']],
    ['$.store.bicycle.*', store, ['red', 19.95]],
    ['$.store.book[0,2].price', store, [8.95, 8.99]],
    ["$.store.bicycle['color','price']", store, ['red', 19.95]],
    ['$.store.book[1:].price', store, [12.99, 8.99]],
    ['$.store.book[::2].price', store, [8.95, 8.99]],
    ['$.store.book[-2:].price', store, [12.99, 8.99]],
    ['$..price', store, [8.95, 12.99, 8.99, 19.95]],
    ['$.store..author', store, ['Nigel Rees', 'Evelyn Waugh', 'Herman Melville']],
    ['$.store.book[?(@.isbn)].title', store, ['Moby Dick']],
    ['$.store.book[?(@.price < 10)].title', store, ['Sayings of the Century', 'Moby Dick']],
    ["$.store.book[?(@.category == 'fiction' && @.price > 10)].title", store, ['Sword of Honour']],
    ["$.store.book[?(@.category != 'fiction' || @.price > 12)].price", store, [8.95, 12.99]],
    ['$.store.book[?(!(@.price < 10))].price', store, [12.99]],
    ['$.store.book[?(@.price <= $.store.bicycle.price)].price', store, [8.95, 12.99, 8.99]],
    ['$.store.book[?(@.price > 100)]', store, []],
    ['$.missing[*]', store, []],
    // "@ does not match scalar values".
    ['$.xs[?(@.a)]', { xs: [1, { a: 0 }, 'a'] }, [{ a: 0 }]],
    // length() yields one number.
    ['$.store.book.length()', store, 3],
    ['$.store.book[*].length()', store, 3],
    ['$.s.length()', { s: 'héllo' }, 5],
  ])('%s', (path, input, expected) => {
    expect(readPath(path, { input })).toEqual(expected);
  });

  test('$$ reads the context object and $name a variable', () => {
    const data = {
      input: {},
      context: { Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:sm:run-1' } },
      variables: { order: { id: 'o-1', lines: [{ sku: 'a' }] } },
    };
    expect([
      readPath('$$.Execution.Id', data),
      readPath('$$', data),
      readPath('$order.id', data),
      readPath('$order.lines[0].sku', data),
      readPath('$order', data),
      readPath('$unknown', data),
    ]).toEqual([
      'arn:aws:states:us-east-1:123456789012:execution:sm:run-1',
      data.context,
      'o-1',
      'a',
      data.variables.order,
      undefined,
    ]);
  });

  test('readRequiredPath fails with States.Runtime when the path names nothing', () => {
    expect(statesErrorOf(() => readRequiredPath('$.x', { input: { y: 1 } }))).toEqual({
      error: 'States.Runtime',
      cause: 'The JSONPath $.x could not be found in the input {"y":1}',
    });
  });
});

describe('parsePath', () => {
  test.each([
    ['x.y', 'a path starts with "$"'],
    ['$.', 'a name is missing at position 2'],
    ['$[', 'an empty [] selects nothing'],
    ['$.a[', 'an empty [] selects nothing'],
    ["$['a", 'an unterminated quoted name'],
    ['$.a[1:2:0]', 'a slice step cannot be 0'],
    ['$.a.keys()', 'unsupported function "keys()"; only length() is supported'],
    ['$.a.length().b', 'length() must come last'],
    ['$.a b', 'unexpected " " at position 3'],
  ])('%s is rejected: %s', (path, reason) => {
    expect(() => parsePath(path)).toThrow(new InvalidPathError(path, reason));
  });

  test.each([
    ['$', true, true],
    ['$.a.b[0]', true, true],
    ["$['a'][1]", true, true],
    ['$.a[*]', false, false],
    ['$..a', false, false],
    ['$.a[0,1]', false, false],
    ['$.a[?(@.x)]', false, false],
    ['$.a.length()', true, false],
  ])('%s: definite %s, reference %s', (path, definite, reference) => {
    const parsed = parsePath(path);
    expect({ definite: parsed.definite, reference: parsed.reference }).toEqual({ definite, reference });
  });

  test('a Reference Path allows only names and indices', () => {
    expect(() => parseReferencePath('$.a[*]')).toThrow(
      new InvalidPathError('$.a[*]', "a Reference Path may use only .name, ['name'] and [index]"),
    );
    expect(parseReferencePath('$.a[2]').segments).toEqual([
      { kind: 'field', name: 'a' },
      { kind: 'index', index: 2 },
    ]);
  });
});

describe('writeResultPath', () => {
  const lambdaInput = {
    comment: 'This is a test of the input and output of a Task state.',
    details: 'Default example',
    who: 'AWS Step Functions',
  };
  const result = 'Hello, AWS Step Functions!';

  test.each<[string, JsonValue, string | null | undefined, JsonValue, JsonValue]>([
    ['absent replaces the input', lambdaInput, undefined, result, result],
    ['$ replaces the input', lambdaInput, '$', result, result],
    ['null keeps the input', lambdaInput, null, result, lambdaInput],
    ['a new node is added', lambdaInput, '$.taskresult', result, { ...lambdaInput, taskresult: result }],
    ['an existing node is replaced', lambdaInput, '$.comment', result, { ...lambdaInput, comment: result }],
    [
      'a child node is added',
      { strings: { string1: 'foo' }, who: 'x' },
      '$.strings.lambdaresult',
      result,
      { strings: { string1: 'foo', lambdaresult: result }, who: 'x' },
    ],
    ['missing intermediate objects are created', {}, '$.a.b.c', 1, { a: { b: { c: 1 } } }],
    ["a dashed name, as in the guide's Catch example", { a: 1 }, '$.error-info', 'e', { a: 1, 'error-info': 'e' }],
    ['an array element is replaced', { xs: [1, 2, 3] }, '$.xs[1]', 'two', { xs: [1, 'two', 3] }],
    ['a field inside an array element', { xs: [{ a: 1 }] }, "$.xs[0]['b']", 2, { xs: [{ a: 1, b: 2 }] }],
    [
      'the Catch example keeps the input',
      { foo: 'bar' },
      '$.error',
      { Error: 'Error here' },
      { foo: 'bar', error: { Error: 'Error here' } },
    ],
  ])('%s', (_label, input, path, value, expected) => {
    const before = JSON.stringify(input);
    expect(writeResultPath(input, path, value)).toEqual(expected);
    expect(JSON.stringify(input)).toBe(before);
  });

  test.each<[string, JsonValue, string, string]>([
    [
      'a scalar input',
      'just a string',
      '$.a',
      'Unable to apply ResultPath "$.a" to input "just a string": the input is not an object',
    ],
    [
      'a scalar on the way',
      { a: 5 },
      '$.a.b',
      'Unable to apply ResultPath "$.a.b" to input {"a":5}: "a" holds 5, which is not an object',
    ],
    [
      'an index out of bounds',
      { xs: [] },
      '$.xs[0]',
      'Unable to apply ResultPath "$.xs[0]" to input {"xs":[]}: index 0 is out of bounds',
    ],
    [
      'a field on an array',
      { xs: [] },
      '$.xs.a',
      'Unable to apply ResultPath "$.xs.a" to input {"xs":[]}: "a" cannot be set on an array',
    ],
    ['a wildcard', {}, '$.a[*]', 'Invalid path "$.a[*]": a Reference Path may use only .name, [\'name\'] and [index]'],
    ['the context object', {}, '$$.Execution', 'ResultPath "$$.Execution" must start with "$."'],
  ])('%s fails with States.ResultPathMatchFailure', (_label, input, path, cause) => {
    expect(statesErrorOf(() => writeResultPath(input, path, 1))).toEqual({
      error: 'States.ResultPathMatchFailure',
      cause,
    });
  });
});
