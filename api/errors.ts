// The one registry of API errors and the one place that maps failures to HTTP. Every error body is
// { statusCode, code, error, message }, and codes are stable: clients may branch on them.
import { STATUS_CODES } from 'node:http';
import {
  NamespaceNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ServiceError } from '@temporalio/client';
import type { FastifyError } from 'fastify';
import { ObjectNotFoundError } from '../clients/object-store';
import { BUDGET_EXCEEDED_CODE, BudgetExceededError } from '../domain/budget-policy';
import type { TaskInputError } from '../domain/task-input';
import { TASK_ID_PATTERN } from '../domain/task-id';

export class SpillwayError extends Error {
  override readonly name = 'SpillwayError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const define = (statusCode: number, code: string) => (message: string) => new SpillwayError(statusCode, code, message);

export const Errors = {
  validation: define(400, 'SPILLWAY_VALIDATION_FAILED'),
  invalidJson: define(400, 'SPILLWAY_INVALID_JSON'),
  unknownTaskType: define(400, 'SPILLWAY_UNKNOWN_TASK_TYPE'),
  unknownFunction: define(400, 'SPILLWAY_UNKNOWN_FUNCTION'),
  functionTypeMismatch: define(400, 'SPILLWAY_FUNCTION_TYPE_MISMATCH'),
  ambiguousTaskType: define(400, 'SPILLWAY_AMBIGUOUS_TASK_TYPE'),
  payloadInvalid: define(400, 'SPILLWAY_PAYLOAD_INVALID'),
  modeNotAvailable: define(400, 'SPILLWAY_MODE_NOT_AVAILABLE'),
  invalidRetry: define(400, 'SPILLWAY_INVALID_RETRY'),
  invalidStartTime: define(400, 'SPILLWAY_INVALID_START_TIME'),
  invalidRateLimit: define(400, 'SPILLWAY_INVALID_RATE_LIMIT'),
  unknownLimit: define(400, 'SPILLWAY_UNKNOWN_LIMIT'),
  /** POST /api/placement/simulate asked for something the simulator cannot replay (api/services/simulate-service.ts). */
  invalidSimulation: define(400, 'SPILLWAY_INVALID_SIMULATION'),
  redriveNotAllowed: define(409, 'SPILLWAY_TASK_NOT_REDRIVABLE'),
  /** A redrive of a task that is a pipeline's step: its execution redrives it (RedriveExecution). */
  redrivePipelineStep: define(409, 'SPILLWAY_TASK_IS_PIPELINE_STEP'),
  /** The task was already redriven with other options (another execution mode): its redrive is that task. */
  redriveConflict: define(409, 'SPILLWAY_REDRIVE_CONFLICT'),
  taskNotPausable: define(409, 'SPILLWAY_TASK_NOT_PAUSABLE'),
  batchNotFound: define(404, 'SPILLWAY_BATCH_NOT_FOUND'),
  scheduleNotFound: define(404, 'SPILLWAY_SCHEDULE_NOT_FOUND'),
  scheduleExists: define(409, 'SPILLWAY_SCHEDULE_ALREADY_EXISTS'),
  invalidSchedule: define(400, 'SPILLWAY_INVALID_SCHEDULE'),
  invalidControl: define(400, 'SPILLWAY_INVALID_CONTROL'),
  invalidTimeout: define(400, 'SPILLWAY_INVALID_TIMEOUT'),
  unknownRegion: define(400, 'SPILLWAY_UNKNOWN_REGION'),
  residencyViolation: define(400, 'SPILLWAY_RESIDENCY_VIOLATION'),
  payloadTooDeep: define(400, 'SPILLWAY_PAYLOAD_TOO_DEEP'),
  payloadTooLarge: define(400, 'SPILLWAY_PAYLOAD_TOO_LARGE'),
  invalidTaskId: define(400, 'SPILLWAY_INVALID_TASK_ID'),
  invalidCursor: define(400, 'SPILLWAY_INVALID_CURSOR'),
  invalidCallback: define(400, 'SPILLWAY_INVALID_CALLBACK'),
  unauthorizedCallback: define(401, 'SPILLWAY_CALLBACK_UNAUTHORIZED'),
  unauthorized: define(401, 'SPILLWAY_UNAUTHORIZED'),
  taskNotFound: define(404, 'SPILLWAY_TASK_NOT_FOUND'),
  routeNotFound: define(404, 'SPILLWAY_ROUTE_NOT_FOUND'),
  idempotencyConflict: define(409, 'SPILLWAY_IDEMPOTENCY_CONFLICT'),
  taskAlreadyExists: define(409, 'SPILLWAY_TASK_ALREADY_EXISTS'),
  taskNotCancellable: define(409, 'SPILLWAY_TASK_NOT_CANCELLABLE'),
  taskResultNotReady: define(409, 'SPILLWAY_TASK_RESULT_NOT_READY'),
  bodyTooLarge: define(413, 'SPILLWAY_BODY_TOO_LARGE'),
  /** A budget at its limit whose action is `refuse` (domain/budget-policy.ts). */
  budgetExceeded: define(402, BUDGET_EXCEEDED_CODE),
  unsupportedMediaType: define(415, 'SPILLWAY_UNSUPPORTED_MEDIA_TYPE'),
  rateLimited: define(429, 'SPILLWAY_RATE_LIMITED'),
  temporalUnavailable: define(503, 'SPILLWAY_TEMPORAL_UNAVAILABLE'),
  redisUnavailable: define(503, 'SPILLWAY_REDIS_UNAVAILABLE'),
  lambdaUnavailable: define(503, 'SPILLWAY_LAMBDA_UNAVAILABLE'),
  objectStoreUnavailable: define(503, 'SPILLWAY_OBJECT_STORE_UNAVAILABLE'),
  objectNotFound: define(404, 'SPILLWAY_OBJECT_NOT_FOUND'),
  functionNotFound: define(404, 'SPILLWAY_FUNCTION_NOT_FOUND'),
  internal: define(500, 'SPILLWAY_INTERNAL_ERROR'),
  // Pipelines (api/routes/pipelines.ts)
  pipelineNotFound: define(404, 'SPILLWAY_PIPELINE_NOT_FOUND'),
  pipelineAlreadyExists: define(409, 'SPILLWAY_PIPELINE_ALREADY_EXISTS'),
  pipelineDefinitionInvalid: define(400, 'SPILLWAY_PIPELINE_DEFINITION_INVALID'),
  pipelineExecutionNotFound: define(404, 'SPILLWAY_PIPELINE_EXECUTION_NOT_FOUND'),
  pipelineExecutionAlreadyExists: define(409, 'SPILLWAY_PIPELINE_EXECUTION_ALREADY_EXISTS'),
  pipelineExecutionNotRedrivable: define(409, 'SPILLWAY_PIPELINE_EXECUTION_NOT_REDRIVABLE'),
  pipelineExecutionNotRunning: define(409, 'SPILLWAY_PIPELINE_EXECUTION_NOT_RUNNING'),
  pipelineInvalidName: define(400, 'SPILLWAY_PIPELINE_INVALID_NAME'),
  pipelineInvalidInput: define(400, 'SPILLWAY_PIPELINE_INVALID_INPUT'),
  pipelineRemoteUnavailable: define(503, 'SPILLWAY_PIPELINE_REMOTE_UNAVAILABLE'),
} as const;

/** The API error for a task request that domain/task-input.ts refused. */
export function taskInputProblem(err: TaskInputError): SpillwayError {
  switch (err.problem) {
    case 'UNKNOWN_TASK_TYPE':
      return Errors.unknownTaskType(err.message);
    case 'UNKNOWN_FUNCTION':
      return Errors.unknownFunction(err.message);
    case 'FUNCTION_TYPE_MISMATCH':
      return Errors.functionTypeMismatch(err.message);
    case 'AMBIGUOUS_TASK_TYPE':
      return Errors.ambiguousTaskType(err.message);
    case 'LAMBDA_UNAVAILABLE':
      return Errors.lambdaUnavailable(err.message);
    case 'MODE_NOT_AVAILABLE':
      return Errors.modeNotAvailable(err.message);
    case 'INVALID_RETRY':
      return Errors.invalidRetry(err.message);
    case 'PAYLOAD_TOO_DEEP':
      return Errors.payloadTooDeep(err.message);
    case 'PAYLOAD_INVALID':
      return Errors.payloadInvalid(err.message);
    case 'INVALID_TIMEOUT':
      return Errors.invalidTimeout(err.message);
    case 'UNKNOWN_REGION':
      return Errors.unknownRegion(err.message);
    case 'RESIDENCY_VIOLATION':
      return Errors.residencyViolation(err.message);
  }
}

export interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
}

export function errorBody(err: SpillwayError): ErrorBody {
  return {
    statusCode: err.statusCode,
    code: err.code,
    error: STATUS_CODES[err.statusCode] ?? 'Error',
    message: err.message,
  };
}

// gRPC status codes that mean "the server is not there right now", as opposed to "you asked for something wrong".
const GRPC_UNAVAILABLE = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/** Maps anything thrown in a request to a SpillwayError. Unknown failures become a 500 that hides internals. */
export function toSpillwayError(err: unknown): SpillwayError {
  if (err instanceof SpillwayError) return err;
  if (err instanceof BudgetExceededError) return Errors.budgetExceeded(err.message);
  if (err instanceof WorkflowNotFoundError) return Errors.taskNotFound(`no task with id "${err.workflowId}"`);
  // A stored result the bucket no longer holds (deleted by a lifecycle rule, say).
  if (err instanceof ObjectNotFoundError) return Errors.objectNotFound(err.message);
  // The namespace exists (the stack created it); Temporal cannot see it when its database is down.
  if (err instanceof NamespaceNotFoundError) {
    return Errors.temporalUnavailable(`Temporal cannot read namespace "${err.namespace}" now: is its database down?`);
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return Errors.taskAlreadyExists(`a task with id "${err.workflowId}" already exists`);
  }
  // An update's validator refused it: the request asked for something the workflow does not allow.
  if (err instanceof WorkflowUpdateFailedError) return Errors.invalidControl(err.cause?.message ?? err.message);
  if (err instanceof ServiceError) {
    const code = (err.cause as { code?: number } | undefined)?.code;
    if (code === 5 /* NOT_FOUND */) return Errors.taskNotFound(err.message);
    if (code !== undefined && GRPC_UNAVAILABLE.has(code))
      return Errors.temporalUnavailable('Temporal is not reachable');
  }
  const fastifyError = err as Partial<FastifyError> & { validation?: unknown };
  if (fastifyError.validation) {
    // A task id that does not match its pattern keeps its own code, whichever schema (TaskId) caught it.
    const badTaskId = (fastifyError.validation as Array<{ keyword?: string; params?: { pattern?: string } }>).some(
      (v) => v.keyword === 'pattern' && v.params?.pattern === TASK_ID_PATTERN.source,
    );
    if (badTaskId) return Errors.invalidTaskId(fastifyError.message ?? 'not a valid task id');
    return Errors.validation(fastifyError.message ?? 'the request is not valid');
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return Errors.unsupportedMediaType(fastifyError.message ?? 'unsupported media type');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return Errors.bodyTooLarge('the request body is larger than this route accepts');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return Errors.invalidJson('the body is empty but the content type says JSON');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return Errors.invalidJson(fastifyError.message ?? 'the body is not valid JSON');
    default:
      break;
  }
  if (err instanceof SyntaxError) return Errors.invalidJson('the body is not valid JSON');
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode === 429) {
    return Errors.rateLimited(fastifyError.message ?? 'too many requests');
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new SpillwayError(fastifyError.statusCode, 'SPILLWAY_BAD_REQUEST', fastifyError.message ?? 'bad request');
  }
  return Errors.internal('an unexpected error occurred; it has been logged');
}
