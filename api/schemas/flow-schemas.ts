// Schemas of dead letters, redrive, batches and operator controls.
import { Type } from '@sinclair/typebox';
import { FLOW_KEY_PATTERN } from '../../domain/task-options';
import { EXECUTION_MODES, TASK_STATUSES } from '../../domain/task-model';
import { CreatedTaskResponse } from './task-schemas';

const Mode = Type.Union(EXECUTION_MODES.map((m) => Type.Literal(m)));
const Actor = {
  by: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Who (default: the API key, or "api")' })),
  reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why: kept in the audit' }),
};

export const RedriveBody = Type.Object({ executionMode: Type.Optional(Mode) }, { additionalProperties: false });

export const ActorBody = Type.Object(Actor, { additionalProperties: false });

export const BatchParams = Type.Object(
  { id: Type.String({ pattern: '^batch-[0-9a-f-]{36}$' }) },
  { additionalProperties: false },
);

const ErrorBodySchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
});

export const RedriveResults = Type.Object({
  redriven: Type.Integer(),
  failed: Type.Integer(),
  results: Type.Array(
    Type.Object({
      id: Type.String({ description: 'The task re-run' }),
      ok: Type.Boolean(),
      statusCode: Type.Integer(),
      task: Type.Optional(Type.Composite([CreatedTaskResponse, Type.Object({ redriveOf: Type.String() })])),
      error: Type.Optional(ErrorBodySchema),
    }),
  ),
});

export const RedrivenTask = Type.Composite([CreatedTaskResponse, Type.Object({ redriveOf: Type.String() })]);

export const BatchView = Type.Object({
  id: Type.String(),
  total: Type.Integer(),
  counts: Type.Object(Object.fromEntries(TASK_STATUSES.map((s) => [s, Type.Integer()]))),
  redriven: Type.Integer(),
  items: Type.Array(Type.Object({ id: Type.String(), latestId: Type.String(), status: Type.String() })),
});

export const DeadLetters = Type.Object({
  groups: Type.Array(
    Type.Object({
      type: Type.String(),
      errorType: Type.String(),
      count: Type.Integer(),
      examples: Type.Array(
        Type.Object({
          id: Type.String(),
          name: Type.String(),
          status: Type.String(),
          finishedAt: Type.Optional(Type.String()),
          lastError: Type.Optional(Type.String()),
        }),
      ),
    }),
  ),
});

export const DeadLetterRedriveBody = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64 }),
    errorType: Type.String({ minLength: 1, maxLength: 100 }),
    executionMode: Type.Optional(Mode),
  },
  { additionalProperties: false },
);

export const ScopePauseBody = Type.Object(
  {
    type: Type.Optional(Type.String({ pattern: FLOW_KEY_PATTERN, description: 'Every task of this type' })),
    tenant: Type.Optional(Type.String({ pattern: FLOW_KEY_PATTERN, description: 'Every task of this tenant' })),
    ...Actor,
  },
  { additionalProperties: false },
);

export const PlacementOverrideBody = Type.Object(
  {
    mode: Type.Union([Type.Literal('drain-lambda'), Type.Literal('force-lambda'), Type.Literal('none')], {
      description: 'drain-lambda: AUTO and LAMBDA tasks go LOCAL; force-lambda: AUTO tasks go to Lambda; none: clear',
    }),
    ...Actor,
  },
  { additionalProperties: false },
);

const Record_ = Type.Object({ by: Type.String(), at: Type.String(), reason: Type.String() });
export const ControlsView = Type.Object({
  pauses: Type.Record(Type.String(), Record_),
  placementOverride: Type.Optional(Type.Composite([Record_, Type.Object({ mode: Type.String() })])),
  audit: Type.Array(Type.Composite([Record_, Type.Object({ action: Type.String(), target: Type.String() })])),
});

export const ScopePauseResult = Type.Object({ controls: ControlsView, affected: Type.Integer() });
export const TaskPauseResult = Type.Object({ id: Type.String(), paused: Type.Boolean() });
