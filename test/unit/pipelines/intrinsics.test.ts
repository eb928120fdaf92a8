// Intrinsic functions, with the examples of the Step Functions developer guide ("Intrinsic functions for JSONPath
// states") and its input-validation rules; hashes and Base64 are checked against Node's own implementations.
import { createHash } from 'node:crypto';
import type { JsonValue } from '../../../pipelines/json';
import type { IntrinsicScope } from '../../../pipelines/intrinsics';
import {
  evaluateIntrinsic,
  IntrinsicSyntaxError,
  isIntrinsicInvocation,
  parseIntrinsic,
} from '../../../pipelines/intrinsics';
import { base64Decode, base64Encode, hashHex, utf8Decode, utf8Encode } from '../../../pipelines/encoding';
import { countingUuid, fixedRandom, statesErrorOf } from './helpers';

function scope(input: JsonValue, extra: Partial<IntrinsicScope> = {}): IntrinsicScope {
  return {
    input,
    context: { Execution: { Name: 'run-1' } },
    variables: { greeting: 'Hi', cfg: { sep: '-' } },
    random: fixedRandom(0.5),
    uuid: countingUuid(),
    ...extra,
  };
}

const nine = [1, 2, 3, 4, 5, 6, 7, 8, 9];

describe('the guide examples', () => {
  test.each<[string, JsonValue, JsonValue]>([
    ["States.Format('Hello, my name is {}.', $.name)", { name: 'Arnav' }, 'Hello, my name is Arnav.'],
    [
      'States.Format($.template, $.name)',
      { name: 'Arnav', template: 'Hello, my name is {}.' },
      'Hello, my name is Arnav.',
    ],
    ['States.StringToJson($.escapedJsonString)', { escapedJsonString: '{"foo": "bar"}' }, { foo: 'bar' }],
    ['States.JsonToString($.unescapedJson)', { unescapedJson: { foo: 'bar' } }, '{"foo":"bar"}'],
    ['States.Array($.Id)', { Id: 123456 }, [123456]],
    ['States.ArrayPartition($.inputArray,4)', { inputArray: nine }, [[1, 2, 3, 4], [5, 6, 7, 8], [9]]],
    ['States.ArrayContains($.inputArray, $.lookingFor)', { inputArray: nine, lookingFor: 5 }, true],
    ['States.ArrayRange(1, 9, 2)', {}, [1, 3, 5, 7, 9]],
    ['States.ArrayGetItem($.inputArray, $.index)', { inputArray: nine, index: 5 }, 6],
    ['States.ArrayLength($.inputArray)', { inputArray: nine }, 9],
    ['States.ArrayUnique($.inputArray)', { inputArray: [1, 2, 3, 3, 3, 3, 3, 3, 4] }, [1, 2, 3, 4]],
    ['States.Base64Encode($.input)', { input: 'Data to encode' }, 'RGF0YSB0byBlbmNvZGU='],
    ['States.Base64Decode($.base64)', { base64: 'RGF0YSB0byBlbmNvZGU=' }, 'Data to encode'],
    [
      'States.Hash($.Data, $.Algorithm)',
      { Data: 'input data', Algorithm: 'SHA-1' },
      'aaff4a450a104cd177d28d18d74485e8cae074b7',
    ],
    [
      'States.JsonMerge($.json1, $.json2, false)',
      { json1: { a: { a1: 1, a2: 2 }, b: 2 }, json2: { a: { a3: 1, a4: 2 }, c: 3 } },
      { a: { a3: 1, a4: 2 }, b: 2, c: 3 },
    ],
    ['States.MathAdd($.value1, $.step)', { value1: 111, step: -1 }, 110],
    [
      'States.StringSplit($.inputString, $.splitter)',
      { inputString: '1,2,3,4,5', splitter: ',' },
      ['1', '2', '3', '4', '5'],
    ],
    [
      'States.StringSplit($.inputString, $.splitter)',
      { inputString: 'This.is+a,test=string', splitter: '.+,=' },
      ['This', 'is', 'a', 'test', 'string'],
    ],
  ])('%s', (expression, input, expected) => {
    expect(evaluateIntrinsic(expression, scope(input))).toEqual(expected);
  });

  test("the guide's nested example, with the template's third {} dropped so the counts agree", () => {
    // The guide's own version has three {} and two values, which AWS rejects as it stands.
    const expression =
      "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))";
    const input = { ImageRecipe: { Arn: 'arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.2.3' } };
    expect(evaluateIntrinsic(expression, scope(input))).toBe('1.2');
  });
});

describe('arguments', () => {
  test.each<[string, JsonValue, JsonValue]>([
    // Escapes in string literals; \{ and \} are literal braces, not placeholders.
    ["States.Format('It\\'s {}', $.x)", { x: 'mine' }, "It's mine"],
    ["States.Format('\\{\\} is {}', 'empty')", {}, '{} is empty'],
    ["States.Format('a\\\\b {}', 1)", {}, 'a\\b 1'],
    ["States.Array('a,b', 'c)d', ' spaced ')", {}, ['a,b', 'c)d', ' spaced ']],
    // Literals of every type.
    ['States.Array(1, -2.5, 1e3, true, false, null)', {}, [1, -2.5, 1000, true, false, null]],
    ['States.Array()', {}, []],
    // Paths: input, context, variables, brackets with commas and filters inside.
    ['States.Array($$.Execution.Name, $greeting, $cfg.sep)', {}, ['run-1', 'Hi', '-']],
    ["States.Array($['a,b'], $.xs[?(@.n > 1)])", { 'a,b': 1, xs: [{ n: 1 }, { n: 2 }] }, [1, [{ n: 2 }]]],
    ['  States.Array( $.a ,$.b )  ', { a: 1, b: 2 }, [1, 2]],
    // States.Format renders non-strings the way Step Functions does.
    [
      "States.Format('{} {} {} {} {}', 1, true, null, $.o, $.a)",
      { o: { k: 'v', n: [1] }, a: ['x', 2] },
      '1 true null {k=v, n=[1]} [x, 2]',
    ],
  ])('%s', (expression, input, expected) => {
    expect(evaluateIntrinsic(expression, scope(input))).toEqual(expected);
  });

  test('nested calls evaluate inside out', () => {
    expect(
      evaluateIntrinsic(
        "States.Format('{}-{}', States.ArrayLength(States.ArrayRange(0, 4, 1)), States.Hash(States.JsonToString($.o), 'MD5'))",
        scope({ o: { a: 1 } }),
      ),
    ).toBe(`5-${createHash('md5').update('{"a":1}').digest('hex')}`);
  });

  test('isIntrinsicInvocation tells intrinsics from paths', () => {
    expect(['States.Array()', ' States.UUID()', '$.States', 'States.Nope', '$'].map(isIntrinsicInvocation)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

describe('syntax errors', () => {
  test.each([
    ['States.Nope()', 'unknown intrinsic function States.Nope'],
    ['States.Array(', 'unexpected argument ""'],
    ["States.Array('x)", 'an unterminated string literal'],
    ["States.Array('\\n')", 'an open escape "\\n" in a string literal; only \\\', \\{, \\} and \\\\ are escapes'],
    ['States.Array(foo)', 'unexpected argument "foo"'],
    ['States.Array($.a[)', 'Invalid path "$.a[)": an empty [] selects nothing'],
    ['States.Array(1) extra', 'unexpected "extra" after the invocation'],
    ['States.UUID(1)', 'States.UUID takes 0 arguments, not 1'],
    ['States.ArrayRange(1, 2)', 'States.ArrayRange takes 3 arguments, not 2'],
    ['States.MathRandom(1)', 'States.MathRandom takes 2 to 3 arguments, not 1'],
    ['States.Format()', 'States.Format takes at least 1 argument, not 0'],
    ["States.Format('{} {}', 1)", 'the template has 2 {} placeholder(s) but 1 value(s) follow it'],
    ['States.Format(1)', 'the first argument of States.Format must be a string'],
    [
      'States.JsonMerge($.a, $.b, true)',
      'the third argument of States.JsonMerge must be false: only shallow merging is supported',
    ],
    ["States.Hash('x', 'SHA-3')", 'States.Hash supports MD5, SHA-1, SHA-256, SHA-384, SHA-512, not "SHA-3"'],
    [
      'States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array())))))))))))',
      'more than 10 intrinsic functions in one field',
    ],
  ])('%s: %s', (expression, reason) => {
    expect(() => parseIntrinsic(expression)).toThrow(new IntrinsicSyntaxError(expression, reason));
    expect(statesErrorOf(() => evaluateIntrinsic(expression, scope({})))).toEqual({
      error: 'States.IntrinsicFailure',
      cause: `Invalid intrinsic function "${expression}": ${reason}`,
    });
  });

  test('ten calls in one field are allowed', () => {
    const ten = 'States.Array('.repeat(10) + ')'.repeat(10);
    expect(evaluateIntrinsic(ten, scope({}))).toEqual([[[[[[[[[[]]]]]]]]]]);
  });
});

describe('run-time failures are States.IntrinsicFailure', () => {
  test.each<[string, JsonValue, string]>([
    ['States.Array($.missing)', { a: 1 }, 'States.Array: the path $.missing could not be found in {"a":1}'],
    ['States.StringToJson($.s)', { s: '{nope' }, 'States.StringToJson: "{nope" is not JSON text'],
    ['States.StringToJson($.s)', { s: 5 }, 'States.StringToJson: its argument must be a string, not 5'],
    [
      'States.ArrayPartition($.a, 0)',
      { a: [1] },
      'States.ArrayPartition: the chunk size must be a positive integer, not 0',
    ],
    [
      'States.ArrayPartition($.a, 2)',
      { a: 'x' },
      'States.ArrayPartition: the first argument must be an array, not "x"',
    ],
    ['States.ArrayRange(1, 5, 0)', {}, 'States.ArrayRange: the step must not be 0'],
    [
      'States.ArrayRange(0, 1000, 1)',
      {},
      'States.ArrayRange: the range would have 1001 items, more than the 1000 allowed',
    ],
    [
      'States.ArrayGetItem($.a, 3)',
      { a: [1, 2, 3] },
      'States.ArrayGetItem: index 3 is out of bounds for an array of length 3',
    ],
    [
      'States.ArrayGetItem($.a, -1)',
      { a: [1] },
      'States.ArrayGetItem: index -1 is out of bounds for an array of length 1',
    ],
    ['States.ArrayLength($.a)', { a: {} }, 'States.ArrayLength: its argument must be an array, not {}'],
    [
      'States.Base64Encode($.s)',
      { s: 'x'.repeat(10_001) },
      'States.Base64Encode: its argument has 10001 characters, more than the 10000 allowed',
    ],
    ['States.Base64Decode($.s)', { s: 'a$==' }, 'States.Base64Decode: not valid Base64: "$" is not in the alphabet'],
    ['States.Base64Decode($.s)', { s: 'abcde' }, 'States.Base64Decode: not valid Base64: a length of 5 is impossible'],
    [
      'States.Hash($.d, $.alg)',
      { d: 'x', alg: 'sha-1' },
      'States.Hash: the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, not "sha-1"',
    ],
    ["States.Hash($.d, 'MD5')", { d: { x: 1 } }, 'States.Hash: the data must be a string, not {"x":1}'],
    [
      'States.JsonMerge($.a, $.b, $.deep)',
      { a: {}, b: {}, deep: true },
      'States.JsonMerge: the deep-merge flag must be false (only shallow merging is supported), not true',
    ],
    [
      'States.JsonMerge($.a, $.b, false)',
      { a: [], b: {} },
      'States.JsonMerge: the first argument must be a JSON object, not []',
    ],
    [
      'States.MathAdd($.a, 1)',
      { a: 2147483648 },
      'States.MathAdd: the first argument (2147483648) is outside the range -2147483648 to 2147483647',
    ],
    ['States.MathAdd($.a, 1)', { a: '1' }, 'States.MathAdd: the first argument must be a number, not "1"'],
    ['States.MathRandom(5, 5)', {}, 'States.MathRandom: the end (5) must be greater than the start (5)'],
    [
      'States.Format($.t, 1)',
      { t: 'no placeholders' },
      'States.Format: the template has 0 {} placeholder(s) but 1 value(s) were given',
    ],
    ['States.Format($.t)', { t: 3 }, 'States.Format: the template must be a string, not 3'],
  ])('%s', (expression, input, cause) => {
    expect(statesErrorOf(() => evaluateIntrinsic(expression, scope(input)))).toEqual({
      error: 'States.IntrinsicFailure',
      cause,
    });
  });
});

describe('numbers', () => {
  test.each<[string, JsonValue]>([
    // Non-integers are rounded to the nearest integer.
    ['States.MathAdd(1.4, 1.6)', 3],
    ['States.ArrayRange(0.6, 3.4, 1)', [1, 2, 3]],
    ['States.ArrayRange(5, 1, -2)', [5, 3, 1]],
    ['States.ArrayRange(1, 0, 1)', []],
    ['States.ArrayPartition(States.Array(1, 2, 3), 1.6)', [[1, 2], [3]]],
    ['States.ArrayRange(1, 1000, 1)', Array.from({ length: 1000 }, (_, i) => i + 1)],
  ])('%s', (expression, expected) => {
    expect(evaluateIntrinsic(expression, scope({}))).toEqual(expected);
  });

  test('MathRandom draws from [start, end) with the injected source, or from its seed', () => {
    const draws = [0, 0.5, 0.999999].map((r) =>
      evaluateIntrinsic('States.MathRandom(1, 999)', scope({}, { random: fixedRandom(r) })),
    );
    const seeded = [1, 2].map(() => evaluateIntrinsic('States.MathRandom(1, 999, 42)', scope({})));
    const otherSeed = evaluateIntrinsic('States.MathRandom(1, 999, 43)', scope({}));
    expect({ draws, sameSeedSame: seeded[0] === seeded[1], otherSeedDiffers: otherSeed !== seeded[0] }).toEqual({
      draws: [1, 500, 998],
      sameSeedSame: true,
      otherSeedDiffers: true,
    });
  });

  test('UUID comes from the injected source', () => {
    const s = scope({});
    expect([evaluateIntrinsic('States.UUID()', s), evaluateIntrinsic('States.UUID()', s)]).toEqual([
      '00000000-0000-4000-8000-000000000001',
      '00000000-0000-4000-8000-000000000002',
    ]);
  });
});

describe('encoding and hashing agree with Node', () => {
  const samples = [
    '',
    'a',
    'Data to encode',
    'héllo wörld',
    '日本語テキスト',
    'emoji 🎉🚀 and 𝄞',
    '\u0000\u007f\u0080\u07ff\u0800\uffff',
  ];

  test.each(samples)('Base64 of %j', (text) => {
    const encoded = base64Encode(utf8Encode(text));
    expect({ encoded, decoded: utf8Decode(base64Decode(encoded)) }).toEqual({
      encoded: Buffer.from(text, 'utf8').toString('base64'),
      decoded: text,
    });
  });

  test.each(samples)('every States.Hash algorithm of %j', (text) => {
    const ours = (['MD5', 'SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'] as const).map((a) => hashHex(text, a));
    const node = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'].map((a) =>
      createHash(a).update(text, 'utf8').digest('hex'),
    );
    expect(ours).toEqual(node);
  });

  test('malformed UTF-8 decodes to U+FFFD as WHATWG decoders do', () => {
    const bytes = Uint8Array.from([0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x62, 0xf0, 0x9f, 0x98, 0x80]);
    expect(utf8Decode(bytes)).toBe(new TextDecoder().decode(bytes));
  });

  test('a lone surrogate encodes as U+FFFD', () => {
    expect(Array.from(utf8Encode('a\ud800b'))).toEqual(Array.from(new TextEncoder().encode('a\ud800b')));
  });
});
