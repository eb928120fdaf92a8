// How a task request becomes the TaskInput that TaskWorkflow runs: the function that serves it, the retry and
// timeout defaults, and the checks a schema cannot express. POST /api/tasks (api/services/task-service.ts) and the
// pipeline Task states (activities/pipeline-tasks.ts) both build their tasks here, so a task is the same task
// whichever way it was submitted. Failures are TaskInputError with a code each caller maps to its own error shape.
import type { SpillwayConfig } from './config';
import {
  AmbiguousTaskTypeError,
  FunctionTypeMismatchError,
  UnknownFunctionError,
  UnknownTaskTypeError,
  type DeployedFunction,
} from './deployed-function';
import { parseFunctionRef } from './function-manifest';
import { invokeTarget } from './placement-inputs';
import { chooseRegion, RegionRuleError, type RegionChoice } from './task-regions';
import { TASK_WORKFLOW_REVISION } from './task-model';
import type { ExecutionMode, RetrySettings, TaskInput } from './task-model';

export const MAX_PAYLOAD_DEPTH = 32;
/** Lambda cannot run a function for longer than this. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

export type TaskInputProblem =
  | 'UNKNOWN_TASK_TYPE'
  | 'UNKNOWN_FUNCTION'
  | 'FUNCTION_TYPE_MISMATCH'
  | 'AMBIGUOUS_TASK_TYPE'
  | 'LAMBDA_UNAVAILABLE'
  | 'MODE_NOT_AVAILABLE'
  | 'INVALID_RETRY'
  | 'PAYLOAD_TOO_DEEP'
  | 'PAYLOAD_INVALID'
  | 'INVALID_TIMEOUT'
  | 'UNKNOWN_REGION'
  | 'RESIDENCY_VIOLATION';

/** Thrown by buildTaskInput when a request cannot become a task; `problem` says which check refused it. */
export class TaskInputError extends Error {
  override readonly name = 'TaskInputError';
  constructor(
    readonly problem: TaskInputProblem,
    message: string,
  ) {
    super(message);
  }
}

/** A task as a caller asks for it. Either `type` or `functionName` must be given; the other is looked up. */
export interface TaskRequest {
  id: string;
  name: string;
  type?: string;
  executionMode: ExecutionMode;
  /** `name` or `name:qualifier`. */
  functionName?: string;
  payload?: unknown;
  retry?: Partial<RetrySettings>;
  timeoutSeconds?: number;
  idempotencyKey?: string;
  invocation?: 'async' | 'sync';
  region?: string;
  allowedRegions?: string[];
  dataRegion?: string;
  deadlineMs?: number;
}

/** The part of the function directory that building a task needs. */
export interface TaskFunctionLookup {
  resolve(ref: string): Promise<DeployedFunction>;
  forTask(type: string, functionRef?: string): Promise<DeployedFunction>;
  taskTypes(): Promise<Map<string, DeployedFunction[]>>;
  validatePayload(fn: DeployedFunction, payload: unknown): { path: string; message: string }[];
}

export interface TaskInputDeps {
  functions: TaskFunctionLookup;
  config: Pick<SpillwayConfig, 'scheduler' | 'lambda' | 'placement'>;
  /** Modes this deployment can run; others are refused with MODE_NOT_AVAILABLE. */
  availableModes: ReadonlySet<ExecutionMode>;
  now?: () => Date;
  log?: (message: string) => void;
}

function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit || typeof value !== 'object' || value === null) return depth;
  let max = depth;
  for (const inner of Object.values(value)) {
    max = Math.max(max, depthOf(inner, limit, depth + 1));
    if (max > limit) break;
  }
  return max;
}

/** The deployed function a request runs, with each way of not finding one mapped to its own problem. */
async function functionFor(request: TaskRequest, deps: TaskInputDeps): Promise<DeployedFunction> {
  try {
    if (request.type === undefined) {
      if (!request.functionName) throw new UnknownTaskTypeError('a task names neither a type nor a function');
      return await deps.functions.resolve(request.functionName);
    }
    return await deps.functions.forTask(request.type, request.functionName);
  } catch (err) {
    if (err instanceof UnknownTaskTypeError) {
      const known = [...(await deps.functions.taskTypes().catch(() => new Map())).keys()].sort();
      throw new TaskInputError(
        'UNKNOWN_TASK_TYPE',
        `${err.message}; known types: ${known.length ? known.join(', ') : 'none (deploy a function first)'}`,
      );
    }
    if (err instanceof UnknownFunctionError) throw new TaskInputError('UNKNOWN_FUNCTION', err.message);
    if (err instanceof FunctionTypeMismatchError) throw new TaskInputError('FUNCTION_TYPE_MISMATCH', err.message);
    if (err instanceof AmbiguousTaskTypeError) throw new TaskInputError('AMBIGUOUS_TASK_TYPE', err.message);
    (deps.log ?? console.warn)(`the deployed functions could not be read: ${(err as Error).message}`);
    throw new TaskInputError(
      'LAMBDA_UNAVAILABLE',
      'the Lambda endpoint, which holds the deployed functions, is not reachable',
    );
  }
}

/** Resolves the function, applies the defaults and checks what a schema cannot; throws TaskInputError. */
export async function buildTaskInput(
  request: TaskRequest,
  deps: TaskInputDeps,
): Promise<{ input: TaskInput; fn: DeployedFunction }> {
  const { config } = deps;
  const fn = await functionFor(request, deps);
  if (!deps.availableModes.has(request.executionMode)) {
    throw new TaskInputError(
      'MODE_NOT_AVAILABLE',
      `executionMode ${request.executionMode} is not available yet; available: ${[...deps.availableModes].join(', ')}`,
    );
  }
  const retry = { ...config.scheduler.defaultRetry, ...request.retry };
  if (retry.maximumIntervalMs < retry.initialIntervalMs) {
    throw new TaskInputError(
      'INVALID_RETRY',
      'retry.maximumIntervalMs must not be smaller than retry.initialIntervalMs',
    );
  }
  const payload = request.payload ?? {};
  if (depthOf(payload, MAX_PAYLOAD_DEPTH) > MAX_PAYLOAD_DEPTH) {
    throw new TaskInputError('PAYLOAD_TOO_DEEP', `payload nests deeper than ${MAX_PAYLOAD_DEPTH} levels`);
  }
  const problems = deps.functions.validatePayload(fn, payload);
  if (problems.length > 0) {
    throw new TaskInputError(
      'PAYLOAD_INVALID',
      `the payload does not match the schema of ${fn.name}:${fn.version}: ` +
        problems.map((p) => `payload${p.path === '/' ? '' : p.path} ${p.message}`).join('; '),
    );
  }
  if (
    request.executionMode === 'LAMBDA' &&
    request.timeoutSeconds !== undefined &&
    request.timeoutSeconds > LAMBDA_MAX_TIMEOUT_SECONDS
  ) {
    throw new TaskInputError('INVALID_TIMEOUT', "a LAMBDA task cannot run longer than Lambda's 900-second limit");
  }
  const regions = regionChoice(request, config);
  const lambdaTimeout = fn.timeoutSeconds + config.lambda.callbackMarginSeconds;
  const input: TaskInput = {
    version: 1,
    workflowRevision: TASK_WORKFLOW_REVISION,
    id: request.id,
    name: request.name,
    type: request.type ?? fn.spillway.taskTypes[0] ?? fn.name,
    executionMode: request.executionMode,
    functionName: fn.name,
    functionQualifier: request.functionName ? parseFunctionRef(request.functionName).qualifier : undefined,
    payload,
    retry,
    timeoutSeconds:
      request.timeoutSeconds ??
      (request.executionMode === 'LOCAL' ? config.scheduler.defaultTimeoutSeconds : lambdaTimeout),
    idempotencyKey: request.idempotencyKey,
    invocation: request.invocation,
    submittedAt: (deps.now?.() ?? new Date()).toISOString(),
    ...(request.region !== undefined ? { region: request.region } : {}),
    ...(request.allowedRegions !== undefined ? { allowedRegions: request.allowedRegions } : {}),
    ...(request.dataRegion !== undefined ? { dataRegion: request.dataRegion } : {}),
    ...(request.deadlineMs !== undefined ? { deadlineMs: request.deadlineMs } : {}),
    ...regions,
  };
  return { input, fn };
}

function regionChoice(request: TaskRequest, config: Pick<SpillwayConfig, 'lambda' | 'placement'>): RegionChoice {
  try {
    return chooseRegion(request, request.executionMode, {
      localRegion: config.placement.localRegion,
      targets: config.placement.lambdaTargets,
      preferredTarget: invokeTarget(config.placement.lambdaTargets, config.lambda.endpoint)?.name,
    });
  } catch (err) {
    if (err instanceof RegionRuleError) throw new TaskInputError(err.problem, err.message);
    throw err;
  }
}
