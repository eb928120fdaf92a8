// Request and response schemas of /api/pipelines. Shapes of records come from domain/pipeline-model.ts and
// pipelines/execution-record.ts; these schemas say what the routes accept and answer.
import { Type, type Static } from '@sinclair/typebox';
import { EXECUTION_MODES } from '../../domain/task-model';
import { EXECUTION_STATUSES } from '../../pipelines/execution-record';

const Name = Type.String({ minLength: 1, maxLength: 80, pattern: '^[^\\s<>{}\\[\\]?*"\'#%\\\\^|~`$&,;:/]+$' });
const Mode = Type.Union(EXECUTION_MODES.map((m) => Type.Literal(m)));
const Definition = Type.Union([
  Type.String({ minLength: 1, maxLength: 1_048_576 }),
  Type.Object({}, { additionalProperties: true }),
]);

export const PipelineParams = Type.Object({ name: Name }, { additionalProperties: false });
export const ExecutionParams = Type.Object({ name: Name, execution: Name }, { additionalProperties: false });

export const CreatePipelineBody = Type.Object(
  {
    name: Name,
    definition: Definition,
    roleArn: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    type: Type.Optional(Type.Union([Type.Literal('STANDARD'), Type.Literal('EXPRESS')])),
    defaultExecutionMode: Type.Optional(Mode),
    description: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type CreatePipelineBody = Static<typeof CreatePipelineBody>;

export const UpdatePipelineBody = Type.Object(
  {
    definition: Type.Optional(Definition),
    roleArn: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    defaultExecutionMode: Type.Optional(Mode),
    description: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const ValidateBody = Type.Object({ definition: Definition }, { additionalProperties: false });

export const StartExecutionBody = Type.Object(
  { name: Type.Optional(Name), input: Type.Optional(Type.Unknown()) },
  { additionalProperties: false },
);

export const StopBody = Type.Object(
  { error: Type.Optional(Type.String({ maxLength: 256 })), cause: Type.Optional(Type.String({ maxLength: 32768 })) },
  { additionalProperties: false },
);

export const ListExecutionsQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(EXECUTION_STATUSES.map((s) => Type.Literal(s)))),
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
    cursor: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);

export const ListPipelinesQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$' })),
    cursor: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);

const Problem = Type.Object({
  message: Type.String(),
  state: Type.Optional(Type.String()),
  field: Type.Optional(Type.String()),
  source: Type.String(),
});

export const ValidationResponse = Type.Object({ valid: Type.Boolean(), problems: Type.Array(Problem) });

export const PipelineResponse = Type.Object({
  name: Type.String(),
  arn: Type.String(),
  type: Type.String(),
  definition: Type.Unknown(),
  roleArn: Type.String(),
  defaultExecutionMode: Type.String(),
  creationDate: Type.String(),
  updateDate: Type.String(),
  revisionId: Type.String(),
  revisions: Type.Integer(),
  description: Type.Optional(Type.String()),
  status: Type.String(),
  links: Type.Object({ self: Type.String(), executions: Type.String() }),
});

export const PipelineListResponse = Type.Object({
  pipelines: Type.Array(
    Type.Object({ name: Type.String(), arn: Type.String(), type: Type.String(), creationDate: Type.String() }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

const ExecutionLinks = Type.Object({
  self: Type.String(),
  history: Type.String(),
  stop: Type.String(),
  redrive: Type.String(),
  temporalUi: Type.String(),
});

const ExecutionSummary = Type.Object({
  name: Type.String(),
  executionArn: Type.String(),
  stateMachineArn: Type.String(),
  status: Type.String(),
  startDate: Type.String(),
  stopDate: Type.Optional(Type.String()),
  redriveCount: Type.Integer(),
  links: ExecutionLinks,
});

export const ExecutionListResponse = Type.Object({
  executions: Type.Array(ExecutionSummary),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const StartedExecutionResponse = Type.Object({
  name: Type.String(),
  executionArn: Type.String(),
  startDate: Type.String(),
  idempotentReplay: Type.Boolean(),
  links: ExecutionLinks,
});

export const ExecutionResponse = Type.Object({
  name: Type.String(),
  executionArn: Type.String(),
  stateMachineArn: Type.String(),
  status: Type.String(),
  temporalStatus: Type.String(),
  startDate: Type.String(),
  stopDate: Type.Optional(Type.String()),
  input: Type.Unknown(),
  output: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
  cause: Type.Optional(Type.String()),
  redriveCount: Type.Integer(),
  redriveDate: Type.Optional(Type.String()),
  redriveStatus: Type.String(),
  definition: Type.Optional(Type.Unknown()),
  defaultExecutionMode: Type.Optional(Type.String()),
  transitions: Type.Optional(Type.Integer()),
  states: Type.Record(Type.String(), Type.Unknown()),
  costUsd: Type.Optional(
    Type.Number({
      description: "What the execution's task attempts cost, in US dollars: its states' costUsd added up",
    }),
  ),
  mapRuns: Type.Array(Type.Unknown()),
  revision: Type.Optional(
    Type.Integer({
      description:
        "How many changes the execution's record has taken in; the live stream's `pipeline` events carry it too",
    }),
  ),
  historyDropped: Type.Optional(Type.Integer()),
  links: ExecutionLinks,
});

export const HistoryResponse = Type.Object({
  events: Type.Array(Type.Unknown()),
  dropped: Type.Integer(),
});

export const ActionResponse = Type.Object({
  name: Type.String(),
  executionArn: Type.String(),
  action: Type.String(),
  at: Type.String(),
  links: ExecutionLinks,
});

export const RemoteStartBody = Type.Object(
  {
    stateMachineArn: Type.String({ minLength: 1, maxLength: 2048 }),
    name: Type.Optional(Name),
    input: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export const RemoteExecutionResponse = Type.Object({
  executionArn: Type.String(),
  workflowId: Type.String(),
  status: Type.String(),
  startDate: Type.Optional(Type.String()),
  stopDate: Type.Optional(Type.String()),
  output: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
  cause: Type.Optional(Type.String()),
  polls: Type.Optional(Type.Integer()),
  endpoint: Type.Optional(Type.String()),
});
