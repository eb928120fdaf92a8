// One deployed function version as Spillway sees it: Lambda's configuration of that version plus Spillway's facts.
// The Lambda API (the local service, LocalStack or AWS) is the registry; this is only what it answered, so that
// placement, cost, validation, the API and the dashboard read one shape, declared here once.
import { Type, type Static } from '@sinclair/typebox';
import { SpillwayFactsSchema } from './function-manifest';

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const DeployedFunctionSchema = Type.Object({
  name: Type.String(),
  /** The unqualified function ARN. */
  arn: Type.String(),
  /** `$LATEST` or a published version number. */
  version: Type.String(),
  codeSha256: Type.String(),
  codeSize: Type.Integer(),
  runtime: Type.String(),
  handler: Type.String(),
  memoryMB: Type.Integer(),
  timeoutSeconds: Type.Integer(),
  architecture: Type.Union(ARCHITECTURES.map((a) => Type.Literal(a))),
  description: Type.String(),
  lastModified: Type.String(),
  /** Lambda's State: Pending, Active, Inactive or Failed. */
  state: Type.String(),
  environment: Type.Record(Type.String(), Type.String()),
  spillway: SpillwayFactsSchema,
});
export type DeployedFunction = Static<typeof DeployedFunctionSchema>;

/** A function with its published versions and aliases, for GET /api/functions/:name. */
export const FunctionDetailSchema = Type.Composite([
  DeployedFunctionSchema,
  Type.Object({
    versions: Type.Array(
      Type.Object({
        version: Type.String(),
        codeSha256: Type.String(),
        description: Type.String(),
        lastModified: Type.String(),
      }),
    ),
    aliases: Type.Array(
      Type.Object({ name: Type.String(), functionVersion: Type.String(), description: Type.String() }),
    ),
    tags: Type.Record(Type.String(), Type.String()),
  }),
]);
export type FunctionDetail = Static<typeof FunctionDetailSchema>;

/** Thrown by the function directory when a task names a function (or version, or alias) that is not deployed. */
export class UnknownFunctionError extends Error {
  override readonly name = 'UnknownFunctionError';
}

/** Thrown when a task type is served by no deployed function. */
export class UnknownTaskTypeError extends Error {
  override readonly name = 'UnknownTaskTypeError';
}

/** Thrown when a task type is served by more than one function and the task does not say which. */
export class AmbiguousTaskTypeError extends Error {
  override readonly name = 'AmbiguousTaskTypeError';
}

/** Thrown when a task names a function that does not serve the task's type. */
export class FunctionTypeMismatchError extends Error {
  override readonly name = 'FunctionTypeMismatchError';
}
