// Definition validation: every problem, each naming the state and the field; valid definitions (from the developer
// guide and our own extensions) pass, and nothing is changed in the definition handed in.
import { validateDefinition } from '../../../pipelines/validate';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:f';

function messages(definition: unknown): string[] {
  return validateDefinition(definition).problems.map((p) => p.message);
}

describe('valid definitions', () => {
  test.each<[string, unknown]>([
    [
      "the guide's Choice example",
      {
        StartAt: 'ChoiceStateX',
        States: {
          ChoiceStateX: {
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
          },
          Public: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Foo', Next: 'NextState' },
          ValueIsZero: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Zero',
            Next: 'NextState',
          },
          ValueInTwenties: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Bar',
            Next: 'NextState',
          },
          DefaultState: { Type: 'Fail', Cause: 'No Matches!' },
          NextState: { Type: 'Succeed' },
        },
      },
    ],
    [
      "the guide's complex retry example",
      {
        StartAt: 'X',
        States: {
          X: {
            Type: 'Task',
            Resource: 'arn:aws:states:us-east-1:123456789012:task:X'
              .replace('states', 'lambda')
              .replace('task:X', 'function:X'),
            Next: 'Y',
            Retry: [
              { ErrorEquals: ['ErrorA', 'ErrorB'], IntervalSeconds: 1, BackoffRate: 2.0, MaxAttempts: 2 },
              { ErrorEquals: ['ErrorC'], IntervalSeconds: 5 },
            ],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Z' }],
          },
          Y: { Type: 'Succeed' },
          Z: { Type: 'Fail', Error: 'Caught' },
        },
      },
    ],
    [
      'every JSONPath state type, with Spillway task types and the Spillway extension',
      {
        StartAt: 'A',
        States: {
          A: {
            Type: 'Task',
            Resource: 'image-processing',
            Spillway: { ExecutionMode: 'AUTO' },
            Parameters: { 'url.$': '$.url', 'id.$': 'States.UUID()' },
            Retry: [{ ErrorEquals: ['States.ALL'], JitterStrategy: 'FULL', MaxDelaySeconds: 10 }],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'F', ResultPath: '$.e' }],
            TimeoutSeconds: 60,
            HeartbeatSeconds: 10,
            Next: 'C',
          },
          C: {
            Type: 'Choice',
            Choices: [{ Variable: '$.x', StringMatches: 'a*', Next: 'W', Assign: { 'v.$': '$.x' } }],
            Default: 'W',
          },
          W: { Type: 'Wait', Seconds: 1, Next: 'M' },
          M: {
            Type: 'Map',
            ItemsPath: '$.xs',
            ItemSelector: { 'v.$': '$$.Map.Item.Value' },
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              StartAt: 'I',
              States: { I: { Type: 'Pass', End: true } },
            },
            MaxConcurrency: 2,
            ToleratedFailurePercentage: 5,
            Next: 'P',
          },
          P: { Type: 'Parallel', Branches: [{ StartAt: 'B', States: { B: { Type: 'Succeed' } } }], Next: 'T' },
          T: { Type: 'Pass', Result: { a: 1 }, ResultPath: '$.r', Next: 'U' },
          U: { Type: 'Wait', TimestampPath: '$.t', Next: 'S' },
          S: { Type: 'Succeed' },
          F: { Type: 'Fail', ErrorPath: '$.e.Error', CausePath: "States.Format('failed: {}', $.e.Cause)" },
        },
      },
    ],
    [
      'a JSONata machine',
      {
        QueryLanguage: 'JSONata',
        StartAt: 'A',
        States: {
          A: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Arguments: { FunctionName: 'f', Payload: '{% $states.input %}' },
            Output: '{% $states.result.Payload %}',
            Assign: { x: '{% $states.result %}' },
            TimeoutSeconds: '{% 5 %}',
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'C', Output: '{% $states.errorOutput %}' }],
            Next: 'C',
          },
          C: {
            Type: 'Choice',
            Choices: [{ Condition: '{% $x = 1 %}', Next: 'M', Assign: { y: 1 }, Output: { a: 1 } }],
            Default: 'M',
          },
          M: {
            Type: 'Map',
            Items: '{% [1, 2] %}',
            ItemSelector: { v: '{% $states.context.Map.Item.Value %}' },
            ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
            Next: 'W',
          },
          W: { Type: 'Wait', Seconds: '{% 1 %}', Next: 'F' },
          F: { Type: 'Fail', Error: "{% 'E' %}", Cause: 'c' },
        },
      },
    ],
    [
      'a JSONPath machine with one JSONata state',
      {
        StartAt: 'A',
        States: { A: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input %}', End: true } },
      },
    ],
  ])('%s', (_label, definition) => {
    expect(validateDefinition(definition)).toEqual({ valid: true, problems: [] });
  });

  test('the definition handed in is not changed (asl-validator fills in QueryLanguage on what it is given)', () => {
    const definition = { StartAt: 'A', States: { A: { Type: 'Task', Resource: LAMBDA, Spillway: {}, End: true } } };
    const before = JSON.stringify(definition);
    validateDefinition(definition);
    expect(JSON.stringify(definition)).toBe(before);
  });
});

describe('problems', () => {
  test.each<[string, unknown, string[]]>([
    ['not an object', 'nope', ['The state machine must be a JSON object']],
    ['no States', {}, ['The state machine: States must be an object with at least one state']],
    [
      'a Next that names no state',
      { StartAt: 'Fetch', States: { Fetch: { Type: 'Task', Resource: LAMBDA, Next: 'Nope' } } },
      [
        'State "Fetch": Next names "Nope", which is not a state',
        'The state machine has no terminal state (End: true, Succeed or Fail)',
      ],
    ],
    [
      'a StartAt that names no state',
      { StartAt: 'X', States: { A: { Type: 'Pass', End: true } } },
      ['The state machine: StartAt names "X", which is not a state'],
    ],
    [
      'an unreachable state (AWS rejects these too)',
      { StartAt: 'A', States: { A: { Type: 'Pass', End: true }, B: { Type: 'Pass', End: true } } },
      ['State "B": it is not reachable from StartAt'],
    ],
    [
      'neither Next nor End',
      { StartAt: 'A', States: { A: { Type: 'Pass' } } },
      ['State "A": needs Next or "End": true', 'The state machine has no terminal state (End: true, Succeed or Fail)'],
    ],
    [
      'both Next and End',
      { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'A', End: true } } },
      ['State "A": has both Next and End; a state has one or the other'],
    ],
    [
      'no terminal state',
      { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'A' } } },
      ['The state machine has no terminal state (End: true, Succeed or Fail)'],
    ],
    [
      'an unknown Type',
      { StartAt: 'A', States: { A: { Type: 'Nope', End: true } } },
      ['State "A": Type must be one of Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map, not "Nope"'],
    ],
    [
      'a field of another state type',
      { StartAt: 'A', States: { A: { Type: 'Pass', Resource: 'x', End: true } } },
      ['State "A": Resource is not a field of a Pass state'],
    ],
    [
      'a Comment that is not a string (asl-validator finds it too)',
      { StartAt: 'A', States: { A: { Type: 'Pass', Comment: 5, End: true } } },
      ['State "A": Comment must be a string'],
    ],
    [
      'JSONPath fields in a JSONata state',
      {
        QueryLanguage: 'JSONata',
        StartAt: 'A',
        States: { A: { Type: 'Pass', InputPath: '$.a', Parameters: {}, End: true } },
      },
      [
        'State "A": InputPath is only allowed in JSONPath states; this state uses JSONata',
        'State "A": Parameters is only allowed in JSONPath states; this state uses JSONata',
      ],
    ],
    [
      'a JSONata field in a JSONPath state',
      { StartAt: 'A', States: { A: { Type: 'Pass', Output: {}, End: true } } },
      ['State "A": Output is only allowed in JSONata states; this state uses JSONPath'],
    ],
    [
      'a JSONPath state in a JSONata machine',
      { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', QueryLanguage: 'JSONPath', End: true } } },
      ['State "A": QueryLanguage cannot be JSONPath when the state machine is JSONata'],
    ],
    [
      'JSONata expressions that do not parse or are not delimited exactly',
      {
        QueryLanguage: 'JSONata',
        StartAt: 'A',
        States: { A: { Type: 'Pass', Output: { x: '{% $states.input. %}', y: ' {% 1 %}' }, End: true } },
      },
      [
        'State "A": Output.x has a JSONata expression that does not parse: Unexpected end of expression (S0207 at position 16)',
        'State "A": Output.y must be exactly {% expression %}, with nothing before {% or after %}',
      ],
    ],
    [
      'bad Paths, payload templates and intrinsics',
      {
        StartAt: 'A',
        States: {
          A: {
            Type: 'Pass',
            InputPath: 'x',
            OutputPath: 5,
            ResultPath: '$.a[*]',
            Parameters: { 'a.$': 'nope', 'b.$': 3, 'c.$': "States.Format('{}')", c: 1 },
            End: true,
          },
        },
      },
      [
        'State "A": InputPath is not a valid Path: a path starts with "$"',
        'State "A": OutputPath must be a Path string or null, not 5',
        'State "A": ResultPath is not a valid Reference Path: a Reference Path may use only .name, [\'name\'] and [index]',
        'State "A": Parameters.a.$ is neither a Path nor an intrinsic function: a path starts with "$"',
        'State "A": Parameters.b.$ must be a Path or an intrinsic function, not 3',
        'State "A": Parameters.c.$ and Parameters.c would both set "c"',
        'State "A": Parameters.c.$ has an intrinsic function that does not parse: the template has 1 {} placeholder(s) but 0 value(s) follow it',
      ],
    ],
    [
      'a ResultPath into the context object',
      { StartAt: 'A', States: { A: { Type: 'Pass', ResultPath: '$$.x', End: true } } },
      ['State "A": ResultPath must be a path into the state input ($…), not the context object or a variable'],
    ],
    [
      'malformed Choice rules',
      {
        StartAt: 'C',
        States: {
          C: {
            Type: 'Choice',
            Choices: [
              { Variable: '$.x', StringEquals: 5, Next: 'D' },
              { Variable: '$.x', NumericEquals: 1, StringEquals: 'a', Next: 'D' },
              { And: [{ Variable: '$.x', IsNull: true, Next: 'D' }], Next: 'D' },
              { Variable: '$.t', TimestampEquals: 'yesterday', Next: 'D' },
              { Not: { IsNull: true }, Next: 'Nowhere' },
              { Variable: '$.x', IsPresent: 'yes' },
              { And: [], Next: 'D' },
            ],
            Default: 'Nowhere',
          },
          D: { Type: 'Succeed' },
        },
      },
      [
        'State "C": Default names "Nowhere", which is not a state',
        'State "C": Choices[0].StringEquals must be a string, not 5',
        'State "C": Choices[1] has 2 operators (StringEquals, NumericEquals); a rule has exactly one',
        'State "C": Choices[2].And[0].Next is only allowed in a top-level Choice rule',
        'State "C": Choices[3].TimestampEquals must be an ISO 8601 timestamp such as 2016-08-18T17:33:00Z, not "yesterday"',
        'State "C": Choices[4].Next names "Nowhere", which is not a state',
        'State "C": Choices[4].Not.Variable is required with IsNull',
        'State "C": Choices[5].Next is required in a top-level Choice rule',
        'State "C": Choices[5].IsPresent must be true or false, not "yes"',
        'State "C": Choices[6].And must be a non-empty array of Choice rules',
      ],
    ],
    [
      'JSONPath rules in a JSONata Choice',
      {
        QueryLanguage: 'JSONata',
        StartAt: 'C',
        States: {
          C: {
            Type: 'Choice',
            Choices: [
              { Variable: '$.x', StringEquals: 'a', Next: 'D' },
              { Condition: '$x = 1', Next: 'D' },
            ],
          },
          D: { Type: 'Succeed' },
        },
      },
      [
        'State "C": Choices[0].Variable is not a field of a JSONata Choice rule (use Condition)',
        'State "C": Choices[0].StringEquals is not a field of a JSONata Choice rule (use Condition)',
        'State "C": Choices[0].Condition is required in a JSONata Choice rule',
        'State "C": Choices[1].Condition must be a {% %} expression',
      ],
    ],
    [
      'bad retriers and catchers',
      {
        StartAt: 'A',
        States: {
          A: {
            Type: 'Task',
            Resource: LAMBDA,
            Retry: [
              { ErrorEquals: ['States.ALL', 'X'] },
              { ErrorEquals: [] },
              {
                ErrorEquals: ['States.Nope'],
                IntervalSeconds: 0,
                MaxAttempts: -1,
                BackoffRate: 0.5,
                MaxDelaySeconds: 0,
                JitterStrategy: 'HALF',
                Extra: 1,
              },
            ],
            Catch: [
              { ErrorEquals: ['States.ALL'], Next: 'Z' },
              { ErrorEquals: ['X'], Next: 'A', Output: {} },
            ],
            End: true,
          },
        },
      },
      [
        'State "A": Retry[0].ErrorEquals must hold States.ALL alone',
        'State "A": Retry[0].ErrorEquals has States.ALL, so it must be the last entry of Retry',
        'State "A": Retry[1].ErrorEquals must be a non-empty array of error names',
        'State "A": Retry[2].ErrorEquals names "States.Nope", which is not a predefined error; only those may start with "States."',
        'State "A": Retry[2].Extra is not a field of a retrier',
        'State "A": Retry[2].IntervalSeconds must be an integer from 1 to 99999999, not 0',
        'State "A": Retry[2].MaxAttempts must be an integer from 0 to 99999999, not -1',
        'State "A": Retry[2].BackoffRate must be a number of at least 1.0, not 0.5',
        'State "A": Retry[2].MaxDelaySeconds must be an integer from 1 to 31622399, not 0',
        'State "A": Retry[2].JitterStrategy must be FULL or NONE, not "HALF"',
        'State "A": Catch[0].ErrorEquals has States.ALL, so it must be the last entry of Catch',
        'State "A": Catch[0].Next names "Z", which is not a state',
        'State "A": Catch[1].Output is only allowed in JSONata states; this state uses JSONPath',
      ],
    ],
    [
      'an unsupported Resource, a bad Spillway block and bad timeouts',
      {
        StartAt: 'A',
        States: {
          A: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sqs:sendMessage',
            Spillway: { ExecutionMode: 'CLOUD' },
            TimeoutSeconds: 10,
            HeartbeatSeconds: 10,
            HeartbeatSecondsPath: '$.h',
            End: true,
          },
        },
      },
      [
        'State "A": Resource is not supported: only Lambda functions, arn:aws:states:::lambda:invoke[.waitForTaskToken] and Spillway task types are supported',
        'State "A": Spillway.ExecutionMode must be one of LOCAL, LAMBDA, AUTO, not "CLOUD"',
        'State "A": has both HeartbeatSeconds and HeartbeatSecondsPath; use one',
        'State "A": HeartbeatSeconds must be smaller than TimeoutSeconds',
      ],
    ],
    [
      'a Wait with two durations',
      { StartAt: 'A', States: { A: { Type: 'Wait', Seconds: -1, Timestamp: '2020-01-01', End: true } } },
      [
        'State "A": needs exactly one of Seconds, SecondsPath, Timestamp and TimestampPath, not Seconds and Timestamp',
        'State "A": Seconds must be an integer from 0 to 99999999, not -1',
        'State "A": Timestamp must be an ISO 8601 timestamp such as 2016-03-14T01:59:00Z, not "2020-01-01"',
      ],
    ],
    [
      'a Wait with none',
      { StartAt: 'A', States: { A: { Type: 'Wait', End: true } } },
      ['State "A": needs exactly one of Seconds, SecondsPath, Timestamp and TimestampPath'],
    ],
    [
      'a bad Map, and a processor that leaves its machine',
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            ItemReader: {},
            ItemSelector: {},
            Parameters: {},
            ToleratedFailurePercentage: 101,
            MaxConcurrency: 1.5,
            ItemProcessor: {
              ProcessorConfig: { Mode: 'HUGE' },
              StartAt: 'I',
              States: { I: { Type: 'Pass', Next: 'Out' } },
            },
            End: true,
          },
          Out: { Type: 'Succeed' },
        },
      },
      [
        'State "M": has both ItemSelector and Parameters; use ItemSelector',
        'State "M": ItemReader is not supported by Spillway yet (distributed Map reads and writes items inline)',
        'State "M": ItemProcessor.ProcessorConfig.Mode must be INLINE or DISTRIBUTED, not "HUGE"',
        'State "I" in ItemProcessor of "M": Next names "Out", which is not a state',
        'The machine in ItemProcessor of "M" has no terminal state (End: true, Succeed or Fail)',
        'State "M": MaxConcurrency must be a non-negative integer, not 1.5',
        'State "M": ToleratedFailurePercentage must be a number from 0 to 100, not 101',
        'State "Out": it is not reachable from StartAt',
      ],
    ],
    [
      'bad Parallel branches',
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'B', States: { B: { Type: 'Pass', Next: 'P' } } }, {}],
            End: true,
          },
        },
      },
      [
        'State "B" in Branches[0] of "P": Next names "P", which is not a state',
        'The machine in Branches[0] of "P" has no terminal state (End: true, Succeed or Fail)',
        'The machine in Branches[1] of "P": States must be an object with at least one state',
      ],
    ],
    [
      'a JSONPath state inside a branch of a JSONata machine',
      {
        QueryLanguage: 'JSONata',
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'B', States: { B: { Type: 'Pass', QueryLanguage: 'JSONPath', End: true } } }],
            End: true,
          },
        },
      },
      ['State "B" in Branches[0] of "P": QueryLanguage cannot be JSONPath when the state machine is JSONata'],
    ],
    [
      'a legacy Map Parameters template is checked once',
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            Parameters: { 'v.$': 'oops' },
            Iterator: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      ['State "M": Parameters.v.$ is neither a Path nor an intrinsic function: a path starts with "$"'],
    ],
    [
      'a state name used twice',
      {
        StartAt: 'P',
        States: {
          P: { Type: 'Parallel', Branches: [{ StartAt: 'P', States: { P: { Type: 'Succeed' } } }], End: true },
        },
      },
      ['State "P" in Branches[0] of "P": the name is used twice in one state machine (also at the top level)'],
    ],
    [
      'bad variable names in Assign',
      { StartAt: 'A', States: { A: { Type: 'Pass', Assign: { '1x': 1, states: 2, 'ok.$': '$.nope[' }, End: true } } },
      [
        'State "A": Assign.1x names the variable "1x", which is not a valid name (a letter or _, then letters, digits or _, at most 80)',
        'State "A": Assign.states cannot assign $states, which Step Functions reserves',
        'State "A": Assign.ok.$ is neither a Path nor an intrinsic function: an empty [] selects nothing',
      ],
    ],
    [
      'a Fail with both Error and ErrorPath, and a bad CausePath',
      { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'E', ErrorPath: '$.e', CausePath: 'States.Nope()' } } },
      [
        'State "F": has both Error and ErrorPath; use one',
        'State "F": CausePath has an intrinsic function that does not parse: unknown intrinsic function States.Nope',
      ],
    ],
  ])('%s', (_label, definition, expected) => {
    expect(messages(definition)).toEqual(expected);
  });

  test('asl-validator reports what our checks do not cover', () => {
    expect(
      validateDefinition({ Comment: 5, StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }).problems,
    ).toEqual([{ message: 'The state machine: Comment must be string (asl-validator)', source: 'asl-validator' }]);
  });

  test('each problem names its state and field', () => {
    expect(
      validateDefinition({
        StartAt: 'Fetch',
        States: { Fetch: { Type: 'Task', Resource: LAMBDA, Next: 'Nope', Retry: [{ ErrorEquals: [] }] } },
      }).problems,
    ).toEqual([
      {
        message: 'State "Fetch": Next names "Nope", which is not a state',
        state: 'Fetch',
        field: 'Next',
        source: 'spillway',
      },
      {
        message: 'State "Fetch": Retry[0].ErrorEquals must be a non-empty array of error names',
        state: 'Fetch',
        field: 'Retry[0].ErrorEquals',
        source: 'spillway',
      },
      { message: 'The state machine has no terminal state (End: true, Succeed or Fail)', source: 'spillway' },
    ]);
  });
});
