// What a warm-pool run reports, per function and in all: declared once, as the schema POST /api/tasks/warm-pool
// answers with; the warmPool workflow and its activities use the types derived from it.
import { Type, type Static } from '@sinclair/typebox';

export const WarmResultSchema = Type.Object({
  name: Type.String(),
  requested: Type.Integer(),
  warmed: Type.Integer(),
  coldStarts: Type.Integer(),
  durationMs: Type.Number(),
  costUsd: Type.Number(),
  errors: Type.Array(Type.String()),
  reason: Type.Optional(Type.String({ description: 'Why this many: the sizing of SCHEDULER_WARM_POOL_MODE' })),
});
export type WarmResult = Static<typeof WarmResultSchema>;

export const WarmPoolResultSchema = Type.Object({
  trigger: Type.Union([Type.Literal('schedule'), Type.Literal('manual')]),
  startedAt: Type.String(),
  finishedAt: Type.String(),
  functions: Type.Array(WarmResultSchema),
  totalCostUsd: Type.Number(),
});
export type WarmPoolResult = Static<typeof WarmPoolResultSchema>;
