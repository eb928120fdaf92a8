// A task's transition as the live projection records it and the live feed (GET /api/events, `task` events) sends it:
// declared once, as a schema. The worker publishes it (activities/publish-transition.ts), live/task-projection.ts
// applies it, the OpenAPI document describes it, and the generated client and the dashboard read its type.
import { Type, type Static } from '@sinclair/typebox';
import { PlacementSchema } from './attempt-record';
import { TaskStatusSchema } from './task-state';

export const TransitionEventSchema = Type.Object(
  {
    taskId: Type.String(),
    status: TaskStatusSchema,
    type: Type.String(),
    name: Type.String(),
    executionMode: Type.String(),
    tenant: Type.Optional(Type.String({ description: "The task's fairness key" })),
    placement: Type.Optional(PlacementSchema),
    placementReason: Type.Optional(Type.String()),
    attempts: Type.Optional(Type.Integer({ minimum: 0 })),
    durationMs: Type.Optional(Type.Number()),
    costUsd: Type.Optional(Type.Number()),
    coldStarts: Type.Optional(Type.Integer({ minimum: 0 })),
    warmStarts: Type.Optional(Type.Integer({ minimum: 0 })),
    error: Type.Optional(Type.String()),
    at: Type.String({ description: 'When the transition happened (ISO 8601)' }),
  },
  { $id: 'TransitionEvent', description: 'The data of a `task` event of GET /api/events' },
);
export type TransitionEvent = Static<typeof TransitionEventSchema>;
