// What a Task state's Resource names, and how a Lambda result is shaped the way Step Functions shapes it.
//
// Spillway runs three kinds of Task resource:
// - a Lambda function ARN, `arn:aws:lambda:region:account:function:name[:qualifier]` (the result is the payload);
// - the optimised integration `arn:aws:states:::lambda:invoke` (function and payload from `FunctionName` and
//   `Payload`; the result is `{ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode}`), with
//   `.waitForTaskToken` for the callback pattern;
// - a bare Spillway task type name such as `image-processing`, run like a task submitted to POST /api/tasks.

import { EXECUTION_MODES } from '../domain/task-model';
import type { JsonObject, JsonValue } from './json';
import { isJsonObject } from './json';

export type TaskResource =
  | {
      kind: 'lambda-function';
      functionName: string;
      qualifier?: string;
      region: string;
      accountId: string;
      waitForTaskToken: false;
    }
  /** The callback pattern (`.waitForTaskToken`): the task ends when someone returns $$.Task.Token, not on return. */
  | { kind: 'lambda-invoke'; waitForTaskToken: boolean }
  | { kind: 'spillway-task'; taskType: string; waitForTaskToken: boolean };

const WAIT_FOR_TASK_TOKEN = '.waitForTaskToken';

/** Thrown by parseTaskResource for a Resource Spillway cannot run (another AWS service, `.sync`, a bad ARN). */
export class UnsupportedResourceError extends Error {
  constructor(
    readonly resource: string,
    readonly reason: string,
  ) {
    super(`Unsupported Task Resource "${resource}": ${reason}`);
    this.name = 'UnsupportedResourceError';
  }
}

const LAMBDA_FUNCTION_ARN =
  /^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9-_]{1,64})(?::(\$LATEST|[a-zA-Z0-9-_]{1,128}))?$/;
const LAMBDA_INVOKE = /^arn:aws[a-zA-Z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/;
/** Task type names as the function catalog spells them. */
const TASK_TYPE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Parses a Task Resource; throws UnsupportedResourceError for one Spillway cannot run. */
export function parseTaskResource(resource: string): TaskResource {
  const fn = LAMBDA_FUNCTION_ARN.exec(resource);
  if (fn) {
    return {
      kind: 'lambda-function',
      region: fn[1]!,
      accountId: fn[2]!,
      functionName: fn[3]!,
      ...(fn[4] !== undefined ? { qualifier: fn[4] } : {}),
      waitForTaskToken: false,
    };
  }
  const invoke = LAMBDA_INVOKE.exec(resource);
  if (invoke) return { kind: 'lambda-invoke', waitForTaskToken: invoke[1] !== undefined };
  if (resource.startsWith('arn:')) {
    if (/^arn:aws[a-zA-Z-]*:states:::lambda:invoke\.sync$/.test(resource)) {
      throw new UnsupportedResourceError(resource, 'lambda:invoke has no .sync pattern; use lambda:invoke');
    }
    if (/:lambda:/.test(resource)) {
      throw new UnsupportedResourceError(
        resource,
        'not a Lambda function ARN (arn:aws:lambda:region:account:function:name[:qualifier])',
      );
    }
    throw new UnsupportedResourceError(
      resource,
      'only Lambda functions, arn:aws:states:::lambda:invoke[.waitForTaskToken] and Spillway task types are supported',
    );
  }
  const waitForTaskToken = resource.endsWith(WAIT_FOR_TASK_TOKEN);
  const taskType = waitForTaskToken ? resource.slice(0, -WAIT_FOR_TASK_TOKEN.length) : resource;
  if (!TASK_TYPE.test(taskType)) {
    throw new UnsupportedResourceError(resource, 'a Spillway task type is lower-case letters, digits, ".", "_", "-"');
  }
  return { kind: 'spillway-task', taskType, waitForTaskToken };
}

/** The function a lambda:invoke task calls: its FunctionName (a name, or a full or partial ARN) and qualifier. */
export interface LambdaInvokeRequest {
  functionName: string;
  qualifier?: string;
  payload: JsonValue;
  invocationType?: string;
}

/** Thrown by lambdaInvokeRequest when the evaluated Parameters/Arguments lack a usable FunctionName. */
export class InvalidLambdaInvokeError extends Error {
  constructor(reason: string) {
    super(`lambda:invoke: ${reason}`);
    this.name = 'InvalidLambdaInvokeError';
  }
}

/**
 * Reads lambda:invoke's evaluated Parameters (JSONPath) or Arguments (JSONata): FunctionName and Payload. Without
 * a Payload the function receives `{}`. A qualifier in a full ARN or after `name:` is split off.
 */
export function lambdaInvokeRequest(parameters: JsonValue): LambdaInvokeRequest {
  if (!isJsonObject(parameters)) throw new InvalidLambdaInvokeError('Parameters must be an object with FunctionName');
  const name = parameters.FunctionName;
  if (typeof name !== 'string' || name === '') throw new InvalidLambdaInvokeError('FunctionName must be a string');
  const qualifier = typeof parameters.Qualifier === 'string' ? parameters.Qualifier : undefined;
  const arn = LAMBDA_FUNCTION_ARN.exec(name);
  let functionName = name;
  let arnQualifier: string | undefined;
  if (arn) {
    functionName = arn[3]!;
    arnQualifier = arn[4];
  } else if (/^[a-zA-Z0-9-_]+:[a-zA-Z0-9-_$]+$/.test(name)) {
    [functionName, arnQualifier] = name.split(':') as [string, string];
  } else if (!/^[a-zA-Z0-9-_]{1,64}$/.test(name)) {
    throw new InvalidLambdaInvokeError(`"${name}" is not a function name or ARN`);
  }
  const q = qualifier ?? arnQualifier;
  return {
    functionName,
    ...(q !== undefined ? { qualifier: q } : {}),
    payload: parameters.Payload === undefined ? {} : parameters.Payload,
    ...(typeof parameters.InvocationType === 'string' ? { invocationType: parameters.InvocationType } : {}),
  };
}

export interface LambdaInvokeResult extends JsonObject {
  ExecutedVersion: string;
  Payload: JsonValue;
  SdkHttpMetadata: JsonObject;
  SdkResponseMetadata: JsonObject;
  StatusCode: number;
}

/**
 * The result of an `arn:aws:states:::lambda:invoke` task as Step Functions returns it, so that definitions written
 * for AWS (`"ResultSelector": {"body.$": "$.Payload"}`) work unchanged. Direct function ARNs return the payload alone.
 */
export function lambdaInvokeResult(
  payload: JsonValue,
  meta: { executedVersion?: string; statusCode?: number; requestId?: string } = {},
): LambdaInvokeResult {
  const statusCode = meta.statusCode ?? 200;
  return {
    ExecutedVersion: meta.executedVersion ?? '$LATEST',
    Payload: payload,
    SdkHttpMetadata: {
      HttpHeaders: meta.requestId ? { 'X-Amzn-Requestid': meta.requestId } : {},
      HttpStatusCode: statusCode,
    },
    SdkResponseMetadata: { RequestId: meta.requestId ?? '' },
    StatusCode: statusCode,
  };
}

/** A function error as a Task reports it: the error name is the errorType, the cause the error JSON (as AWS). */
export function lambdaFunctionError(failure: { errorType?: string; errorMessage?: string; trace?: string[] }): {
  error: string;
  cause: string;
} {
  const errorType = failure.errorType || 'Lambda.Unknown';
  const body: JsonObject = { errorType, errorMessage: failure.errorMessage ?? '' };
  if (failure.trace) body.trace = failure.trace;
  return { error: errorType, cause: JSON.stringify(body) };
}

/** Validates the Spillway extension block of a Task state; returns the problems, each naming the field. */
export function spillwayOptionsProblems(value: unknown): string[] {
  if (value === undefined) return [];
  if (!isJsonObject(value)) return ['Spillway must be an object'];
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (key !== 'ExecutionMode') problems.push(`Spillway.${key} is not a known field (only ExecutionMode)`);
  }
  const mode = value.ExecutionMode;
  if (mode !== undefined && !(EXECUTION_MODES as readonly unknown[]).includes(mode)) {
    problems.push(`Spillway.ExecutionMode must be one of ${EXECUTION_MODES.join(', ')}, not ${JSON.stringify(mode)}`);
  }
  return problems;
}
