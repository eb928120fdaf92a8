// Request and response schemas of the placement routes: POST /api/placement/simulate (the policy simulator over
// recorded tasks, as `spillway simulate` runs it) and GET /api/placement/targets (each Lambda target's monitor).
import { Type, type Static } from '@sinclair/typebox';
import { AUTO_OBJECTIVES } from '../../domain/placement-predictor';
import { SimulationSummarySchema } from '../../domain/placement-simulator';

export const SIMULATE_POLICIES = ['local', 'lambda', 'threshold', 'predictive'] as const;

export const SimulateBody = Type.Object(
  {
    since: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,4}(s|m|h|d)$',
        description: 'The period to replay, back from now: 90m, 24h, 7d (default 24h)',
      }),
    ),
    policies: Type.Optional(
      Type.Array(Type.Union(SIMULATE_POLICIES.map((p) => Type.Literal(p))), {
        minItems: 1,
        maxItems: SIMULATE_POLICIES.length,
        uniqueItems: true,
        description: 'Default: all four; results come in this order',
      }),
    ),
    threshold: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 100_000, description: 'Default SCHEDULER_LAMBDA_TASK_THRESHOLD' }),
    ),
    objective: Type.Optional(
      Type.Union(
        AUTO_OBJECTIVES.map((o) => Type.Literal(o)),
        { description: 'Default SCHEDULER_AUTO_OBJECTIVE' },
      ),
    ),
    type: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'Only this task type' }),
    ),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[^\'"\\\\]+$',
        description: 'Only tasks submitted with this name (a burst, a batch)',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000, description: 'Tasks read at most (default 5000)' }),
    ),
    exact: Type.Optional(
      Type.Boolean({ description: "Read each task's attempts for its run time, not only visibility (default false)" }),
    ),
    calibrate: Type.Optional(
      Type.Boolean({
        description:
          "Fit the local pool's overhead per task to the recorded LOCAL tasks, so replaying them ends when they did (default true)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type SimulateBody = Static<typeof SimulateBody>;

export const SimulateResponse = Type.Object(
  {
    since: Type.String({ format: 'date-time' }),
    tasks: Type.Integer({ description: 'Finished tasks replayed' }),
    exact: Type.Boolean(),
    settings: Type.Object(
      {
        localPoolSize: Type.Integer(),
        localOverheadMs: Type.Number({ description: 'Per task beyond its run; fitted when calibrate is on' }),
        calibrated: Type.Boolean(),
        lambda: Type.Object(
          {
            concurrency: Type.Integer(),
            initMs: Type.Number(),
            overheadMs: Type.Number(),
            idleLifetimeMs: Type.Number(),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    actual: Type.Union([SimulationSummarySchema, Type.Null()], { description: 'What really happened; null: nothing' }),
    results: Type.Array(SimulationSummarySchema),
  },
  { additionalProperties: false },
);
export type SimulateResponse = Static<typeof SimulateResponse>;

const Series = Type.Object(
  {
    ewmaMs: Type.Union([Type.Number(), Type.Null()]),
    p95Ms: Type.Union([Type.Number(), Type.Null()]),
    samples: Type.Integer(),
  },
  { additionalProperties: false },
);

export const TargetView = Type.Object(
  {
    name: Type.String(),
    region: Type.String(),
    endpoint: Type.Union([Type.String(), Type.Null()], { description: "null: AWS's own endpoint of the region" }),
    /** True for a Lambda service on this machine. */
    local: Type.Boolean(),
    concurrency: Type.Union([Type.Integer(), Type.Null()]),
    coldStartConcurrency: Type.Union([Type.Integer(), Type.Null()], { description: 'null: no limit (AWS)' }),
    invoke: Type.Intersect([Series], {
      description: "Round trips of asynchronous Invokes and probes (the freshest worker's)",
    }),
    callback: Type.Intersect([Series], {
      description:
        'From the Invoke to its callback reaching the API, less the run and the init, as the API measured it',
    }),
    healthy: Type.Union([Type.Boolean(), Type.Null()], { description: 'null: no worker has reported yet' }),
    consecutiveFailures: Type.Integer(),
    throttled: Type.Boolean(),
    lastThrottleAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    lastSuccessAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    reportedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    workers: Type.Integer({ description: 'Workers that reported a monitor of this target in the last minute' }),
  },
  { additionalProperties: false },
);
export type TargetView = Static<typeof TargetView>;

export const TargetsResponse = Type.Object(
  { at: Type.String({ format: 'date-time' }), targets: Type.Array(TargetView) },
  { additionalProperties: false },
);
export type TargetsResponse = Static<typeof TargetsResponse>;
