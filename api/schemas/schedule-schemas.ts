// Request and response schemas of recurring tasks (Temporal Schedules).
import { Type, type Static } from '@sinclair/typebox';
import { DURATION_PATTERN } from '../../domain/task-options';
import { CreateTaskBody } from './task-schemas';

const OVERLAP = ['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other', 'allow-all'] as const;

export const ScheduleIdParams = Type.Object(
  { id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' }) },
  { additionalProperties: false },
);

export const CreateScheduleBody = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$', description: 'Also the schedule id' }),
    cron: Type.Optional(Type.String({ minLength: 9, maxLength: 100, description: 'A cron expression: "0 2 * * *"' })),
    every: Type.Optional(Type.String({ pattern: DURATION_PATTERN, description: 'An interval: "15m", "1h"' })),
    timezone: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone for cron, e.g. Europe/Paris' }),
    ),
    overlap: Type.Optional(
      Type.Union(
        OVERLAP.map((o) => Type.Literal(o)),
        { description: 'default skip' },
      ),
    ),
    jitterSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    paused: Type.Optional(Type.Boolean()),
    task: CreateTaskBody,
  },
  { additionalProperties: false },
);
export type CreateScheduleBody = Static<typeof CreateScheduleBody>;

export const NoteBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

export const BackfillBody = Type.Object(
  {
    start: Type.String({ format: 'date-time' }),
    end: Type.String({ format: 'date-time' }),
    overlap: Type.Optional(Type.Union(OVERLAP.map((o) => Type.Literal(o)))),
  },
  { additionalProperties: false },
);

/** A task a schedule started: its id, status and when it was due. */
const ScheduledTask = Type.Object({
  id: Type.String(),
  status: Type.String(),
  scheduledAt: Type.Optional(Type.String()),
});

export const ScheduleView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  paused: Type.Boolean(),
  note: Type.Union([Type.String(), Type.Null()]),
  spec: Type.Unknown(),
  task: Type.Unknown(),
  nextRuns: Type.Array(Type.String()),
  recentTasks: Type.Array(ScheduledTask),
  links: Type.Object({ self: Type.String(), temporalUi: Type.String() }),
});

export const ScheduleList = Type.Object({
  schedules: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      paused: Type.Boolean(),
      nextRuns: Type.Array(Type.String()),
      recentTasks: Type.Array(ScheduledTask, {
        description: 'the last tasks it started (at most 5), latest due first',
      }),
      links: Type.Object({ self: Type.String() }),
    }),
  ),
});
