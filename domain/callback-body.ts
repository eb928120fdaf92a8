// The body a function posts to POST /api/callbacks when an asynchronous attempt ends: declared once, as the schema the
// API validates with; the SDK that builds it (sdk/wrap-handler.ts) uses the type derived from it.
import { Type, type Static } from '@sinclair/typebox';

/** What the function measured about its own invocation. */
export const InvocationReport = Type.Object({
  coldStart: Type.Boolean(),
  durationMs: Type.Number({ minimum: 0, maximum: 86_400_000 }),
  /** Process start to handler module loaded, on cold starts only. */
  initDurationMs: Type.Optional(Type.Number({ minimum: 0, maximum: 600_000 })),
  memoryMB: Type.Number({ minimum: 0, maximum: 10_240 }),
  maxMemoryUsedMB: Type.Number({ minimum: 0, maximum: 1_000_000 }),
});
export type InvocationReport = Static<typeof InvocationReport>;

export const CallbackBody = Type.Object(
  {
    token: Type.String({ minLength: 10, maxLength: 8192 }),
    outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
    functionName: Type.Optional(Type.String({ maxLength: 140 })),
    result: Type.Optional(Type.Unknown()),
    error: Type.Optional(
      Type.Object({
        type: Type.String({ maxLength: 200 }),
        message: Type.String({ maxLength: 10_000 }),
        /** The function's own ask for when its next attempt should run. */
        retryAfterSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
      }),
    ),
    report: InvocationReport,
  },
  { additionalProperties: false },
);
export type CallbackBody = Static<typeof CallbackBody>;
