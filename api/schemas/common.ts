import { Type } from '@sinclair/typebox';

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

export const TaskIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
