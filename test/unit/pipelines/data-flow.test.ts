// Data flow through a state, JSONPath and JSONata, with the developer guide's examples ("InputPath, Parameters and
// ResultSelector", "InputPath, ResultPath and OutputPath Examples", "Passing data between states with variables",
// "Transforming data with JSONata").
import { createHash } from 'node:crypto';
import type { EvalScope } from '../../../pipelines/data-flow';
import {
  applyAssignments,
  applyInputPath,
  applyOutputPath,
  applyPayloadTemplate,
  assignJsonata,
  assignJsonPath,
  branchVariables,
  evaluateJsonataField,
  finishJsonata,
  finishJsonPath,
  prepareJsonPath,
} from '../../../pipelines/data-flow';
import type { JsonValue } from '../../../pipelines/json';
import { countingUuid, fixedRandom, statesErrorOf, statesErrorOfAsync } from './helpers';

const NOW = Date.UTC(2026, 10, 27, 12, 30, 0, 250);

function scope(overrides: Partial<EvalScope> = {}): EvalScope {
  return {
    context: {
      Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:orders:run-1', Name: 'run-1', Input: {} },
      State: { Name: 'Step', EnteredTime: '2026-11-27T12:30:00.000Z', RetryCount: 0 },
      StateMachine: { Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:orders', Name: 'orders' },
    },
    variables: { customer: { id: 'c-7', tier: 'gold' }, count: 1 },
    nowMs: NOW,
    random: fixedRandom(0.5),
    uuid: countingUuid(),
    ...overrides,
  };
}

describe('JSONPath', () => {
  test("the guide's InputPath example", () => {
    const input = {
      comment: 'Example for InputPath.',
      dataset1: { val1: 1, val2: 2, val3: 3 },
      dataset2: { val1: 'a', val2: 'b', val3: 'c' },
    };
    expect(applyInputPath(input, '$.dataset2', scope())).toEqual({ val1: 'a', val2: 'b', val3: 'c' });
  });

  test("the guide's Parameters example", () => {
    const input = {
      comment: 'Example for Parameters.',
      product: {
        details: { color: 'blue', size: 'small', material: 'cotton' },
        availability: 'in stock',
        sku: '2317',
        cost: '$23',
      },
    };
    const parameters = {
      comment: 'Selecting what I care about.',
      MyDetails: { 'size.$': '$.product.details.size', 'exists.$': '$.product.availability', StaticValue: 'foo' },
    };
    expect(prepareJsonPath({ Parameters: parameters }, input, scope())).toEqual({
      effectiveInput: input,
      payload: {
        comment: 'Selecting what I care about.',
        MyDetails: { size: 'small', exists: 'in stock', StaticValue: 'foo' },
      },
    });
  });

  test("the guide's ResultSelector example", () => {
    const result = {
      resourceType: 'elasticmapreduce',
      resource: 'createCluster.sync',
      output: {
        SdkHttpMetadata: { HttpHeaders: { 'x-amzn-RequestId': '1234-5678-9012' }, HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: '1234-5678-9012' },
        ClusterId: 'AKIAIOSFODNN7EXAMPLE',
      },
    };
    const state = {
      ResultSelector: { 'ClusterId.$': '$.output.ClusterId', 'ResourceType.$': '$.resourceType' },
      ResultPath: '$.EMROutput',
    };
    expect(finishJsonPath(state, { OtherDataFromInput: {} }, result, scope())).toEqual({
      output: {
        OtherDataFromInput: {},
        EMROutput: { ResourceType: 'elasticmapreduce', ClusterId: 'AKIAIOSFODNN7EXAMPLE' },
      },
      assigned: {},
    });
  });

  test("the guide's InputPath, ResultPath and OutputPath example", () => {
    const state = { InputPath: '$.lambda', ResultPath: '$.data.lambdaresult', OutputPath: '$.data' };
    const input = {
      comment: 'An input comment.',
      data: { val1: 23, val2: 17 },
      extra: 'foo',
      lambda: { who: 'AWS Step Functions' },
    };
    const { payload } = prepareJsonPath(state, input, scope());
    expect({
      payload,
      finished: finishJsonPath(state, input, 'Hello, AWS Step Functions!', scope()),
    }).toEqual({
      payload: { who: 'AWS Step Functions' },
      finished: { output: { val1: 23, val2: 17, lambdaresult: 'Hello, AWS Step Functions!' }, assigned: {} },
    });
  });

  test.each<[string, string | null | undefined, JsonValue]>([
    ['absent InputPath is $', undefined, { a: 1 }],
    ['InputPath $ is the input', '$', { a: 1 }],
    ['InputPath null is {}', null, {}],
    ['InputPath into the context object', '$$.StateMachine.Name', 'orders'],
    ['InputPath to a variable', '$customer.tier', 'gold'],
  ])('%s', (_label, path, expected) => {
    expect(applyInputPath({ a: 1 }, path, scope())).toEqual(expected);
  });

  test.each<[string, string | null | undefined, JsonValue]>([
    ['absent OutputPath is $', undefined, { a: { b: 2 } }],
    ['OutputPath null is {}', null, {}],
    ['OutputPath selects', '$.a', { b: 2 }],
  ])('%s', (_label, path, expected) => {
    expect(applyOutputPath({ a: { b: 2 } }, path, scope())).toEqual(expected);
  });

  test('a payload template reads the input, the context object, variables and intrinsics, at any depth', () => {
    const template: JsonValue = {
      'execution.$': '$$.Execution.Id',
      'tier.$': '$customer.tier',
      'label.$': "States.Format('{} ({})', $.name, $customer.id)",
      nested: [{ 'first.$': '$.items[0]' }, 'literal', 3, { deeper: { 'all.$': '$.items[*]' } }],
      'whole.$': '$',
      'token.$': '$$.Task.Token',
    };
    const s = scope({ context: { ...scope().context, Task: { Token: 'tok-1' } } });
    expect(applyPayloadTemplate(template, { name: 'Ada', items: [1, 2] }, s, 'Parameters')).toEqual({
      execution: 'arn:aws:states:us-east-1:123456789012:execution:orders:run-1',
      tier: 'gold',
      label: 'Ada (c-7)',
      nested: [{ first: 1 }, 'literal', 3, { deeper: { all: [1, 2] } }],
      whole: { name: 'Ada', items: [1, 2] },
      token: 'tok-1',
    });
  });

  test.each<[string, () => unknown, { error: string; cause: string }]>([
    [
      'a Parameters path that names nothing (the spec: States.ParameterPathFailure)',
      () => applyPayloadTemplate({ 'x.$': '$.missing' }, { a: 1 }, scope(), 'Parameters'),
      {
        error: 'States.ParameterPathFailure',
        cause: 'The JSONPath $.missing specified for the field x.$ could not be found in the input {"a":1}',
      },
    ],
    [
      'a nested Parameters path that names nothing',
      () => applyPayloadTemplate({ deep: [{ 'x.$': '$.missing' }] }, { a: 1 }, scope(), 'Parameters'),
      {
        error: 'States.ParameterPathFailure',
        cause: 'The JSONPath $.missing specified for the field x.$ could not be found in the input {"a":1}',
      },
    ],
    [
      'an ItemSelector context path that names nothing',
      () => applyPayloadTemplate({ 'v.$': '$$.Map.Item.Nope' }, { a: 1 }, scope(), 'ItemSelector'),
      {
        error: 'States.ParameterPathFailure',
        cause: 'The JSONPath $$.Map.Item.Nope specified for the field v.$ could not be found in the input {"a":1}',
      },
    ],
    [
      'a ResultSelector path that names nothing',
      () => finishJsonPath({ ResultSelector: { 'b.$': '$.body' } }, {}, { status: 200 }, scope()),
      {
        error: 'States.ParameterPathFailure',
        cause: 'The JSONPath $.body specified for the field b.$ could not be found in the input {"status":200}',
      },
    ],
    [
      'a Parameters variable that is not set',
      () => prepareJsonPath({ Parameters: { 'who.$': '$nobody' } }, {}, scope()),
      {
        error: 'States.ParameterPathFailure',
        cause: 'The JSONPath $nobody specified for the field who.$ could not be found in the input {}',
      },
    ],
    [
      'an Assign path that names nothing (not a parameter: States.Runtime)',
      () => assignJsonPath({ 'x.$': '$.missing' }, { a: 1 }, scope()),
      {
        error: 'States.Runtime',
        cause: 'The JSONPath $.missing specified for the field x.$ could not be found in the input {"a":1}',
      },
    ],
    [
      'an InputPath that names nothing',
      () => applyInputPath({ a: 1 }, '$.b', scope()),
      {
        error: 'States.Runtime',
        cause: 'Invalid path \'$.b\' : The InputPath $.b could not be found in the input {"a":1}',
      },
    ],
    [
      'an OutputPath that names nothing',
      () => applyOutputPath({ a: 1 }, '$.b', scope()),
      { error: 'States.Runtime', cause: 'Invalid path \'$.b\' : The OutputPath $.b could not be found in {"a":1}' },
    ],
    [
      'an intrinsic that fails',
      () => applyPayloadTemplate({ 'x.$': 'States.ArrayLength($.a)' }, { a: 1 }, scope(), 'Parameters'),
      { error: 'States.IntrinsicFailure', cause: 'States.ArrayLength: its argument must be an array, not 1' },
    ],
    [
      'a ResultPath that cannot be applied',
      () => finishJsonPath({ ResultPath: '$.a.b' }, { a: 'x' }, 1, scope()),
      {
        error: 'States.ResultPathMatchFailure',
        cause: 'Unable to apply ResultPath "$.a.b" to input {"a":"x"}: "a" holds "x", which is not an object',
      },
    ],
  ])('%s', (_label, fn, expected) => {
    expect(statesErrorOf(fn)).toEqual(expected);
  });

  test('Assign sees the result after ResultSelector, and the variables of state entry', () => {
    const state = {
      ResultSelector: { 'total.$': '$.Payload.total' },
      Assign: { 'total.$': '$.total', 'previous.$': '$count', 'who.$': '$customer.id', literal: { a: [1] } },
      ResultPath: null,
    };
    expect(finishJsonPath(state, { keep: true }, { Payload: { total: 42 } }, scope())).toEqual({
      output: { keep: true },
      assigned: { total: 42, previous: 1, who: 'c-7', literal: { a: [1] } },
    });
  });

  test('assignJsonPath with no Assign assigns nothing', () => {
    expect(assignJsonPath(undefined, { a: 1 }, scope())).toEqual({});
  });
});

describe('JSONata', () => {
  const states = {
    input: {
      order: {
        id: 'o-1',
        lines: [
          { qty: 2, price: 5 },
          { qty: 1, price: 3 },
        ],
      },
    },
  };

  test.each<[string, JsonValue, JsonValue]>([
    ['a literal is taken as it is', 'plain text', 'plain text'],
    ['numbers, booleans and null too', [1, true, null], [1, true, null]],
    ['an expression', '{% $states.input.order.id %}', 'o-1'],
    [
      'expressions inside objects and arrays',
      { id: '{% $states.input.order.id %}', n: ['{% 1 + 1 %}'] },
      { id: 'o-1', n: [2] },
    ],
    ['an aggregate', '{% $sum($states.input.order.lines.(qty * price)) %}', 13],
    ['a workflow variable', "{% $customer.tier & '!' %}", 'gold!'],
    ['the context object', '{% $states.context.Execution.Name %}', 'run-1'],
    ['a string that only looks like one is literal', ' {% 1 %}', ' {% 1 %}'],
    [
      "Step Functions' $partition",
      '{% $partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) %}',
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
    ],
    ["Step Functions' $range", '{% $range(0, 10, 2) %}', [0, 2, 4, 6, 8, 10]],
    ['$range counting down', '{% $range(3, 1, -1) %}', [3, 2, 1]],
    ["Step Functions' $hash", "{% $hash('input data', 'SHA-1') %}", 'aaff4a450a104cd177d28d18d74485e8cae074b7'],
    ["Step Functions' $parse", '{% $parse(\'{"a": [1, 2]}\').a[1] %}', 2],
    ["Step Functions' $uuid, from the injected source", '{% $uuid() %}', '00000000-0000-4000-8000-000000000001'],
    ['$random() from the injected source', '{% $random() %}', 0.5],
    ['$now() is the injected clock', '{% $now() %}', '2026-11-27T12:30:00.250Z'],
    ['$millis() too', '{% $millis() %}', NOW],
    ['$now() with a picture', "{% $now('[Y0001]-[M01]-[D01]') %}", '2026-11-27'],
  ])('%s', async (_label, value, expected) => {
    expect(await evaluateJsonataField(value, scope(), states, 'Output')).toEqual(expected);
  });

  test('$random(seed) gives the same number for the same seed', async () => {
    const [a, b, c] = await Promise.all(
      ['{% $random(7) %}', '{% $random(7) %}', '{% $random(8) %}'].map((e) =>
        evaluateJsonataField(e, scope(), states, 'Output'),
      ),
    );
    expect({ same: a === b, differs: a !== c, inRange: typeof a === 'number' && a >= 0 && a < 1 }).toEqual({
      same: true,
      differs: true,
      inRange: true,
    });
  });

  test('$hash agrees with Node for every algorithm', async () => {
    const out = await evaluateJsonataField(
      "{% [$hash('héllo', 'MD5'), $hash('héllo', 'SHA-256'), $hash('héllo', 'SHA-384'), $hash('héllo', 'SHA-512')] %}",
      scope(),
      states,
      'Output',
    );
    expect(out).toEqual(['md5', 'sha256', 'sha384', 'sha512'].map((a) => createHash(a).update('héllo').digest('hex')));
  });

  test.each<[string, JsonValue, string]>([
    [
      'an undefined result',
      '{% $states.input.nope %}',
      "The JSONata expression in the field 'Output' returned nothing (undefined): {% $states.input.nope %}",
    ],
    [
      'undefined inside an object names the field',
      { a: { b: '{% $nope %}' } },
      "The JSONata expression in the field 'Output.a.b' returned nothing (undefined): {% $nope %}",
    ],
    ['a syntax error', '{% $states.input. %}', "The JSONata expression in the field 'Output' could not be parsed: "],
    ['a type error', "{% 1 + 'a' %}", "The JSONata expression in the field 'Output' failed: "],
    [
      '$eval is not available',
      "{% $eval('1') %}",
      "The JSONata expression in the field 'Output' failed: $eval is not supported in Step Functions",
    ],
    [
      '$hash with an unknown algorithm',
      "{% $hash('x', 'SHA-3') %}",
      'The JSONata expression in the field \'Output\' failed: $hash: the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, not "SHA-3"',
    ],
    [
      '$partition with a bad size',
      '{% $partition([1], 0) %}',
      "The JSONata expression in the field 'Output' failed: $partition: the chunk size must be positive, not 0",
    ],
    ['$parse of bad JSON', "{% $parse('{') %}", "The JSONata expression in the field 'Output' failed: "],
  ])('%s is States.QueryEvaluationError', async (_label, value, causeStart) => {
    const failure = await statesErrorOfAsync(() => evaluateJsonataField(value, scope(), states, 'Output'));
    expect(failure).toEqual({ error: 'States.QueryEvaluationError', cause: expect.stringContaining(causeStart) });
  });

  test('Output and Assign both see the variables of state entry, not each other (evaluated "in parallel")', async () => {
    const state = {
      Assign: { count: '{% $count + 1 %}', lastOrder: '{% $states.result.orderId %}' },
      Output: { countSeen: '{% $count %}', result: '{% $states.result %}' },
    };
    expect(await finishJsonata(state, { input: {}, result: { orderId: 'o-9' } }, null, scope())).toEqual({
      output: { countSeen: 1, result: { orderId: 'o-9' } },
      assigned: { count: 2, lastOrder: 'o-9' },
    });
  });

  test('without Output the default is used', async () => {
    expect(await finishJsonata({}, { input: { a: 1 }, result: 'r' }, 'r', scope())).toEqual({
      output: 'r',
      assigned: {},
    });
  });

  test("the guide's Assign example sets plain values", async () => {
    expect(
      await assignJsonata({ productName: 'product1', count: 42, available: true }, scope(), { input: {} }),
    ).toEqual({
      productName: 'product1',
      count: 42,
      available: true,
    });
  });
});

describe('variables', () => {
  test.each<[string, Record<string, JsonValue>, Record<string, JsonValue>, Record<string, JsonValue>]>([
    ['new names are added', { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
    ['existing names are replaced', { a: 1, b: 2 }, { a: 3 }, { a: 3, b: 2 }],
    ['nothing assigned keeps the same object', { a: 1 }, {}, { a: 1 }],
  ])('%s', (_label, before, assigned, after) => {
    expect(applyAssignments(before, assigned)).toEqual(after);
  });

  test('a branch starts with a copy of the outer variables; a distributed Map child with none', () => {
    const outer = { a: 1 };
    const copy = branchVariables(outer);
    expect({ copy, isCopy: copy !== outer, distributed: branchVariables(outer, true) }).toEqual({
      copy: { a: 1 },
      isCopy: true,
      distributed: {},
    });
  });
});
