// The activities of the pipeline workflows: turning a Task state's resource and payload into the TaskInput of a
// child `runTask` (resolved and validated exactly as POST /api/tasks does, domain/task-input.ts), and signing the
// `.waitForTaskToken` token of a state entry (the secret never enters workflow history).
import type { FunctionDirectory } from '../clients/function-directory';
import type { SpillwayConfig } from '../domain/config';
import { signTaskToken } from '../domain/pipeline-task-token';
import type { PreparedTask, PrepareTaskRequest, SignTaskTokenRequest } from '../domain/pipeline-model';
import { buildTaskInput, TaskInputError, type TaskRequest } from '../domain/task-input';
import type { ExecutionMode } from '../domain/task-model';

export interface PipelineActivities {
  /** The TaskInput a Task state attempt runs as, or the ASL error that fails the state before it starts. */
  preparePipelineTask(request: PrepareTaskRequest): Promise<PreparedTask>;
  /** Signs the token a `.waitForTaskToken` state hands out in $$.Task.Token. */
  signPipelineTaskToken(request: SignTaskTokenRequest): Promise<string>;
}

export interface PipelineActivityDeps {
  functions: FunctionDirectory;
  config: SpillwayConfig;
}

const ALL_MODES: ReadonlySet<ExecutionMode> = new Set(['LOCAL', 'LAMBDA', 'AUTO']);

/** The ASL error of a task that could not be built, named as Step Functions names the Lambda error where it can. */
function errorName(err: TaskInputError): string {
  switch (err.problem) {
    case 'UNKNOWN_FUNCTION':
      return 'Lambda.ResourceNotFoundException';
    case 'UNKNOWN_TASK_TYPE':
    case 'FUNCTION_TYPE_MISMATCH':
    case 'AMBIGUOUS_TASK_TYPE':
      return 'States.Runtime';
    case 'LAMBDA_UNAVAILABLE':
      return 'Lambda.ServiceException';
    case 'PAYLOAD_INVALID':
    case 'PAYLOAD_TOO_DEEP':
      return 'InvalidPayloadError';
    default:
      return 'States.TaskFailed';
  }
}

export function createPipelineActivities(deps: PipelineActivityDeps): PipelineActivities {
  return {
    async preparePipelineTask(request) {
      const r = request.resource;
      const base = {
        id: request.taskId,
        name: request.name,
        executionMode: request.executionMode,
        // ASL's Retry owns the retries: one ASL attempt is one task attempt.
        retry: { maximumAttempts: 1 },
        ...(request.timeoutSeconds !== undefined ? { timeoutSeconds: request.timeoutSeconds } : {}),
      };
      let task: TaskRequest;
      if (r.kind === 'spillway-task') {
        task = { ...base, type: r.taskType, payload: request.payload };
      } else if (r.kind === 'lambda-function') {
        task = {
          ...base,
          functionName: r.qualifier ? `${r.functionName}:${r.qualifier}` : r.functionName,
          payload: request.payload,
        };
      } else {
        const lambda = request.lambda;
        if (!lambda)
          return { ok: false, error: 'States.Runtime', cause: 'lambda:invoke needs Parameters.FunctionName' };
        task = {
          ...base,
          functionName: lambda.qualifier ? `${lambda.functionName}:${lambda.qualifier}` : lambda.functionName,
          payload: lambda.payload,
          ...(lambda.invocationType === 'RequestResponse' ? { invocation: 'sync' as const } : {}),
        };
      }
      // The state's TimeoutSeconds covers the whole state; a LAMBDA attempt cannot outlast Lambda's own limit.
      if (task.timeoutSeconds !== undefined && task.executionMode !== 'LOCAL' && task.timeoutSeconds > 900) {
        delete task.timeoutSeconds;
      }
      try {
        const { input, fn } = await buildTaskInput(task, {
          functions: deps.functions,
          config: deps.config,
          availableModes: ALL_MODES,
        });
        return { ok: true, task: input, functionArn: fn.arn };
      } catch (err) {
        if (err instanceof TaskInputError) {
          if (err.problem === 'LAMBDA_UNAVAILABLE') throw err; // retried by the activity's policy
          return { ok: false, error: errorName(err), cause: err.message };
        }
        throw err;
      }
    },
    async signPipelineTaskToken(request) {
      return signTaskToken(deps.config.lambda.callbackSecret, request.claims);
    },
  };
}
