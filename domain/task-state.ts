// The whole state of one task, as the workflow's `status` query answers it and its result carries it: declared once,
// as schemas. domain/task-model.ts re-exports the derived types (the workflow imports those, never this module), and
// the API's Task response (api/schemas/task-schemas.ts) is this schema plus what the API adds to it.
import { Type, type Static } from '@sinclair/typebox';
import { AttemptRecordSchema, PlacementSchema, TaskErrorSchema } from './attempt-record';
import { ObjectRefSchema } from './object-ref';
import { PlacementExplanationSchema } from './placement-predictor';
import { EXECUTION_MODES, TASK_STATUSES } from './task-model';
import { FlowOptionsSchema } from './task-options';

export const TaskStatusSchema = Type.Union(TASK_STATUSES.map((s) => Type.Literal(s)));
export const ExecutionModeSchema = Type.Union(EXECUTION_MODES.map((m) => Type.Literal(m)));

/** Why a task that has not started yet is waiting, and since when. */
export const TaskWaitSchema = Type.Object({
  reason: Type.Union(['concurrency', 'rate-limit', 'paused', 'debounce'].map((r) => Type.Literal(r))),
  detail: Type.String(),
  since: Type.String(),
});
export type TaskWait = Static<typeof TaskWaitSchema>;

/** Who paused a task, when and why; cleared when it resumes. */
export const PauseRecordSchema = Type.Object({
  by: Type.String(),
  at: Type.String(),
  reason: Type.String(),
  scope: Type.Optional(Type.String({ description: 'type:<t> or tenant:<k> when a scope pause paused the task' })),
});
export type PauseRecord = Static<typeof PauseRecordSchema>;

/**
 * Where a task runs and why. A predictive AUTO decision also carries its explanation (every target's estimate, the
 * runner-up and the margin); those fields are optional, so older histories still parse.
 */
export const PlacementDecisionSchema = Type.Composite([
  Type.Object({
    placement: PlacementSchema,
    reason: Type.String(),
    inputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** For AUTO tasks placed on Lambda: run LOCAL instead when Lambda throttles the attempt. */
    fallbackToLocalOnThrottle: Type.Optional(Type.Boolean()),
  }),
  PlacementExplanationSchema,
]);
export type PlacementDecision = Static<typeof PlacementDecisionSchema>;

export const TaskStateSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  executionMode: ExecutionModeSchema,
  functionName: Type.String(),
  functionQualifier: Type.Optional(Type.String()),
  status: TaskStatusSchema,
  placement: Type.Optional(PlacementDecisionSchema),
  attempts: Type.Array(AttemptRecordSchema),
  /** Where the payload is kept when it was too large for an event (no pre-signed URL: those are secrets). */
  payloadObject: Type.Optional(ObjectRefSchema),
  /** The limit of each attempt. */
  timeoutSeconds: Type.Optional(Type.Number()),
  /** Attempts made before the activity that runs now counts its own: set when a task falls back to LOCAL. */
  attemptOffset: Type.Optional(Type.Integer()),
  submittedAt: Type.String(),
  startedAt: Type.Optional(Type.String()),
  finishedAt: Type.Optional(Type.String()),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(TaskErrorSchema),
  costUsd: Type.Optional(Type.Number()),
  priority: Type.Optional(Type.Integer()),
  tenant: Type.Optional(Type.String()),
  batchId: Type.Optional(Type.String()),
  redriveOf: Type.Optional(Type.String()),
  scheduleId: Type.Optional(Type.String()),
  startAt: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.String()),
  concurrencyKey: Type.Optional(Type.String()),
  rateLimitKey: Type.Optional(Type.String()),
  debounceKey: Type.Optional(Type.String()),
  /** The flow options in force for the task, with their values (the keys above are kept for older readers). */
  options: Type.Optional(FlowOptionsSchema),
  /** When the task took its rate-limit permit. */
  permitGrantedAt: Type.Optional(Type.String()),
  /** Set while the task waits for a slot, a permit, its debounce window or a resume. */
  waiting: Type.Optional(TaskWaitSchema),
  paused: Type.Optional(PauseRecordSchema),
});
export type TaskState = Static<typeof TaskStateSchema>;
