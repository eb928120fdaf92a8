import { Type } from '@sinclair/typebox';
import { TASK_ID_PATTERN } from '../../domain/task-id';

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'Stable SPILLWAY_* error code' }),
    error: Type.String(),
    message: Type.String(),
  },
  { $id: 'ErrorResponse', additionalProperties: false },
);

/** Every error status a route may answer with, so each one is documented and serialised the same way. */
export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, Type.Ref(ErrorResponse)]));

/** A task id in a path: the one pattern of domain/task-id.ts (a mismatch is 400 SPILLWAY_INVALID_TASK_ID). */
export const TaskId = Type.String({ pattern: TASK_ID_PATTERN.source, description: 'A task id (its workflow id)' });

export const TaskIdParams = Type.Object({ id: TaskId }, { additionalProperties: false });
