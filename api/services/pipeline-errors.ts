// The failures of the pipeline service, each with the name Step Functions gives it. The Step Functions endpoint
// answers with that name as `__type`; Spillway's REST maps each to its SPILLWAY_* code (api/errors.ts).
import { Errors, type SpillwayError } from '../errors';

export type PipelineErrorType =
  | 'StateMachineDoesNotExist'
  | 'StateMachineAlreadyExists'
  | 'StateMachineDeleting'
  | 'StateMachineTypeNotSupported'
  | 'InvalidDefinition'
  | 'InvalidName'
  | 'InvalidArn'
  | 'InvalidExecutionInput'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'ExecutionDoesNotExist'
  | 'ExecutionAlreadyExists'
  | 'ExecutionNotRedrivable'
  | 'ResourceNotFound'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'MissingRequiredParameter'
  | 'ValidationException'
  | 'ServiceUnavailable';

/** Thrown by the pipeline service (api/services/pipeline-service.ts) for a request it refuses. */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  constructor(
    readonly type: PipelineErrorType,
    message: string,
  ) {
    super(message);
  }
}

export const pipelineError = (type: PipelineErrorType, message: string) => new PipelineError(type, message);

/** The REST API's error for a pipeline failure. */
export function restError(err: PipelineError): SpillwayError {
  switch (err.type) {
    case 'StateMachineDoesNotExist':
    case 'StateMachineDeleting':
      return Errors.pipelineNotFound(err.message);
    case 'StateMachineAlreadyExists':
      return Errors.pipelineAlreadyExists(err.message);
    case 'InvalidDefinition':
      return Errors.pipelineDefinitionInvalid(err.message);
    case 'InvalidName':
    case 'InvalidArn':
      return Errors.pipelineInvalidName(err.message);
    case 'InvalidExecutionInput':
    case 'InvalidOutput':
      return Errors.pipelineInvalidInput(err.message);
    case 'ExecutionDoesNotExist':
    case 'ResourceNotFound':
    case 'TaskDoesNotExist':
      return Errors.pipelineExecutionNotFound(err.message);
    case 'ExecutionAlreadyExists':
      return Errors.pipelineExecutionAlreadyExists(err.message);
    case 'ExecutionNotRedrivable':
      return Errors.pipelineExecutionNotRedrivable(err.message);
    case 'TaskTimedOut':
      return Errors.pipelineExecutionNotRunning(err.message);
    case 'ServiceUnavailable':
      return Errors.pipelineRemoteUnavailable(err.message);
    default:
      return Errors.validation(err.message);
  }
}
