// Task Resource parsing, lambda:invoke requests and results, and the Spillway extension block.
import type { TaskResource } from '../../../pipelines/task-resource';
import {
  InvalidLambdaInvokeError,
  lambdaFunctionError,
  lambdaInvokeRequest,
  lambdaInvokeResult,
  parseTaskResource,
  spillwayOptionsProblems,
  UnsupportedResourceError,
} from '../../../pipelines/task-resource';

describe('parseTaskResource', () => {
  test.each<[string, TaskResource]>([
    [
      'arn:aws:lambda:us-east-1:123456789012:function:HelloFunction',
      {
        kind: 'lambda-function',
        functionName: 'HelloFunction',
        region: 'us-east-1',
        accountId: '123456789012',
        waitForTaskToken: false,
      },
    ],
    [
      'arn:aws:lambda:eu-west-2:123456789012:function:my_fn-2:prod',
      {
        kind: 'lambda-function',
        functionName: 'my_fn-2',
        qualifier: 'prod',
        region: 'eu-west-2',
        accountId: '123456789012',
        waitForTaskToken: false,
      },
    ],
    [
      'arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST',
      {
        kind: 'lambda-function',
        functionName: 'f',
        qualifier: '$LATEST',
        region: 'us-east-1',
        accountId: '123456789012',
        waitForTaskToken: false,
      },
    ],
    [
      'arn:aws-cn:lambda:cn-north-1:123456789012:function:f',
      {
        kind: 'lambda-function',
        functionName: 'f',
        region: 'cn-north-1',
        accountId: '123456789012',
        waitForTaskToken: false,
      },
    ],
    ['arn:aws:states:::lambda:invoke', { kind: 'lambda-invoke', waitForTaskToken: false }],
    ['arn:aws:states:::lambda:invoke.waitForTaskToken', { kind: 'lambda-invoke', waitForTaskToken: true }],
    ['image-processing', { kind: 'spillway-task', taskType: 'image-processing', waitForTaskToken: false }],
    ['noop.waitForTaskToken', { kind: 'spillway-task', taskType: 'noop', waitForTaskToken: true }],
  ])('%s', (resource, expected) => {
    expect(parseTaskResource(resource)).toEqual(expected);
  });

  test.each([
    ['arn:aws:states:::lambda:invoke.sync', 'lambda:invoke has no .sync pattern; use lambda:invoke'],
    [
      'arn:aws:lambda:us-east-1:123:function:f',
      'not a Lambda function ARN (arn:aws:lambda:region:account:function:name[:qualifier])',
    ],
    [
      'arn:aws:states:::sqs:sendMessage',
      'only Lambda functions, arn:aws:states:::lambda:invoke[.waitForTaskToken] and Spillway task types are supported',
    ],
    ['Image Processing', 'a Spillway task type is lower-case letters, digits, ".", "_", "-"'],
    ['', 'a Spillway task type is lower-case letters, digits, ".", "_", "-"'],
  ])('%j is unsupported: %s', (resource, reason) => {
    expect(() => parseTaskResource(resource)).toThrow(new UnsupportedResourceError(resource, reason));
  });
});

describe('lambdaInvokeRequest', () => {
  test.each([
    [
      { FunctionName: 'f', Payload: { a: 1 } },
      { functionName: 'f', payload: { a: 1 } },
    ],
    [{ FunctionName: 'f:live' }, { functionName: 'f', qualifier: 'live', payload: {} }],
    [
      { FunctionName: 'f', Qualifier: '3', Payload: 'x' },
      { functionName: 'f', qualifier: '3', payload: 'x' },
    ],
    [
      { FunctionName: 'arn:aws:lambda:us-east-2:111122223333:function:check-address:$LATEST', Payload: null },
      { functionName: 'check-address', qualifier: '$LATEST', payload: null },
    ],
    [
      { FunctionName: 'f', InvocationType: 'Event' },
      { functionName: 'f', payload: {}, invocationType: 'Event' },
    ],
  ])('%j', (parameters, expected) => {
    expect(lambdaInvokeRequest(parameters)).toEqual(expected);
  });

  test.each([
    [[], 'lambda:invoke: Parameters must be an object with FunctionName'],
    [{ Payload: {} }, 'lambda:invoke: FunctionName must be a string'],
    [{ FunctionName: 'not a name!' }, 'lambda:invoke: "not a name!" is not a function name or ARN'],
  ])('%j is refused', (parameters, message) => {
    expect(() => lambdaInvokeRequest(parameters)).toThrow(
      new InvalidLambdaInvokeError(message.replace('lambda:invoke: ', '')),
    );
  });
});

test('lambdaInvokeResult has the shape Step Functions returns for lambda:invoke', () => {
  expect(lambdaInvokeResult({ body: 'hi' }, { executedVersion: '7', requestId: 'req-1' })).toEqual({
    ExecutedVersion: '7',
    Payload: { body: 'hi' },
    SdkHttpMetadata: { HttpHeaders: { 'X-Amzn-Requestid': 'req-1' }, HttpStatusCode: 200 },
    SdkResponseMetadata: { RequestId: 'req-1' },
    StatusCode: 200,
  });
});

test.each([
  [
    { errorType: 'CustomError', errorMessage: 'nope', trace: ['at x'] },
    { error: 'CustomError', cause: '{"errorType":"CustomError","errorMessage":"nope","trace":["at x"]}' },
  ],
  [
    { errorMessage: 'crashed' },
    { error: 'Lambda.Unknown', cause: '{"errorType":"Lambda.Unknown","errorMessage":"crashed"}' },
  ],
])('lambdaFunctionError(%j)', (failure, expected) => {
  expect(lambdaFunctionError(failure)).toEqual(expected);
});

test.each<[unknown, string[]]>([
  [undefined, []],
  [{ ExecutionMode: 'LOCAL' }, []],
  [{ ExecutionMode: 'AUTO' }, []],
  [{ ExecutionMode: 'lambda' }, ['Spillway.ExecutionMode must be one of LOCAL, LAMBDA, AUTO, not "lambda"']],
  [{ Mode: 'LOCAL' }, ['Spillway.Mode is not a known field (only ExecutionMode)']],
  ['LOCAL', ['Spillway must be an object']],
])('spillwayOptionsProblems(%j)', (value, problems) => {
  expect(spillwayOptionsProblems(value)).toEqual(problems);
});
