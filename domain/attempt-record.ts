// One attempt of a task and the error a task or attempt ends with: declared once, as the schemas the API answers
// with; domain/task-model.ts, the workflow and the activities use the types derived from them.
import { Type, type Static } from '@sinclair/typebox';

export const TaskErrorSchema = Type.Object({
  type: Type.String(),
  message: Type.String(),
  nonRetryable: Type.Boolean(),
  /** How long the function (or Lambda) asked to wait before the next attempt. */
  retryAfterMs: Type.Optional(Type.Number({ description: 'When the function (or Lambda) asked to be tried again' })),
});
export type TaskError = Static<typeof TaskErrorSchema>;

export const PlacementSchema = Type.Union([Type.Literal('LOCAL'), Type.Literal('LAMBDA')]);

export const AttemptRecordSchema = Type.Object(
  {
    attempt: Type.Integer(),
    placement: PlacementSchema,
    functionVersion: Type.Optional(Type.String({ description: 'The function version the attempt ran' })),
    codeSha256: Type.Optional(Type.String({ description: "The package's CodeSha256 the attempt ran" })),
    startedAt: Type.String(),
    finishedAt: Type.Optional(Type.String()),
    durationMs: Type.Optional(Type.Number()),
    outcome: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
    error: Type.Optional(TaskErrorSchema),
    /** Time Temporal waited before this attempt, from the retry policy's backoff. */
    backoffMs: Type.Optional(Type.Number()),
    coldStart: Type.Optional(Type.Boolean()),
    initDurationMs: Type.Optional(Type.Number()),
    /**
     * How much the invocations started with it stretched the init (≥ 1; on a target whose environments share cores).
     * Placement learns initDurationMs ÷ initContention, the init alone.
     */
    initContention: Type.Optional(
      Type.Number({ minimum: 1, description: 'How much concurrent cold starts stretched the init' }),
    ),
    billedDurationMs: Type.Optional(Type.Number()),
    memoryMB: Type.Optional(Type.Number()),
    maxMemoryUsedMB: Type.Optional(Type.Number()),
    cpuTimeMs: Type.Optional(Type.Number()),
    costUsd: Type.Optional(Type.Number()),
    /** Part of costUsd: moving the payload from its region's bucket and the result to it (inter-region transfer). */
    transferUsd: Type.Optional(Type.Number({ description: 'Inter-region transfer of a stored payload and result' })),
  },
  // Attempts recorded by older workers may carry fields this version no longer names.
  { additionalProperties: true },
);
export type AttemptRecord = Static<typeof AttemptRecordSchema>;
