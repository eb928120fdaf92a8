// Flow-control options of a task, declared once: the API's body schema uses these, and the normalised forms travel
// in TaskInput to the workflow and its activities. Priority, fairness and start delays are Temporal's own; only what
// Temporal lacks (concurrency keys, rate limits per key, debounce) is built, on Redis leases.
import { Type, type Static } from '@sinclair/typebox';

/** A key names a tenant, a customer, a partner API…: printable, no quotes or spaces (it goes into queries). */
export const FLOW_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}$';
const FlowKey = Type.String({ pattern: FLOW_KEY_PATTERN, maxLength: 128 });

export const DEFAULT_PRIORITY = 3;

export const PriorityOption = Type.Integer({
  minimum: 1,
  maximum: 5,
  description: "1 runs first, 5 last; default 3 (Temporal's task-queue priority)",
});

export const FairnessOption = Type.Object(
  {
    /** The task's tenant: fair shares of dispatch between keys, and the tenant in cost and stats breakdowns. */
    key: FlowKey,
    weight: Type.Optional(Type.Number({ minimum: 0.001, maximum: 1000, description: 'default 1.0' })),
  },
  { additionalProperties: false },
);

export const ConcurrencyOption = Type.Object(
  {
    key: FlowKey,
    /** At most this many tasks of the key run at once; default: the limit named for the key in config. */
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
);

export const RateLimitOption = Type.Object(
  {
    key: FlowKey,
    perSecond: Type.Optional(Type.Number({ minimum: 0.0001, maximum: 100_000 })),
    perMinute: Type.Optional(Type.Number({ minimum: 0.0001, maximum: 6_000_000 })),
  },
  { additionalProperties: false },
);

export const DebounceOption = Type.Object(
  {
    key: FlowKey,
    periodSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
    /** trailing (default): the task runs once the period has passed, with the last payload; leading: the first. */
    mode: Type.Optional(Type.Union([Type.Literal('trailing'), Type.Literal('leading')])),
  },
  { additionalProperties: false },
);

/** `20s`, `5m`, `1h`, `250ms`: one retry interval of an explicit schedule. */
export const DURATION_PATTERN = '^[0-9]{1,9}(ms|s|m|h)$';

export type Fairness = Static<typeof FairnessOption>;
export type Debounce = Static<typeof DebounceOption>;

/**
 * The normalised options as TaskInput carries them, and as GET /api/tasks/:id shows them (`options`): the values in
 * force, whether the body gave them or config named them for the key.
 */
export const FlowOptionsSchema = Type.Object({
  priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
  fairness: Type.Optional(Type.Object({ key: Type.String(), weight: Type.Number() })),
  concurrency: Type.Optional(Type.Object({ key: Type.String(), limit: Type.Integer() })),
  rateLimit: Type.Optional(
    Type.Object({
      key: Type.String(),
      limit: Type.Integer({ description: 'permits per period' }),
      periodMs: Type.Integer(),
    }),
  ),
  startAt: Type.Optional(Type.String({ description: 'when the task may start at the earliest (start delay), ISO' })),
  expiresAt: Type.Optional(Type.String({ description: 'a task not started by then ends EXPIRED, ISO' })),
  debounce: Type.Optional(
    Type.Object({
      key: Type.String(),
      periodSeconds: Type.Integer(),
      mode: Type.Union([Type.Literal('trailing'), Type.Literal('leading')]),
    }),
  ),
});
export type FlowOptions = Static<typeof FlowOptionsSchema>;

export function parseDurationMs(text: string): number {
  const match = /^([0-9]{1,9})(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration like 20s, 5m or 1h`);
  const n = Number(match[1]);
  const unit = match[2];
  return unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
}

/** `name=3,other=10` → a map; for the named concurrency limits and rate limits of config. */
export function parseNamedLimits(raw: string, what: string): Map<string, string> {
  const limits = new Map<string, string>();
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const key = part.slice(0, eq).trim();
    if (eq <= 0 || !new RegExp(FLOW_KEY_PATTERN).test(key)) throw new Error(`${what}: "${part}" is not key=value`);
    limits.set(key, part.slice(eq + 1).trim());
  }
  return limits;
}

/** `n` per period as whole permits: 0.5 per second is 1 per 2 s. */
export function normalizeRate(perPeriod: number, periodMs: number): { limit: number; periodMs: number } {
  if (Number.isInteger(perPeriod)) return { limit: perPeriod, periodMs };
  // Rounded to a microsecond first, so a rate given back as a fraction (1/3 per second) keeps its period exactly.
  return { limit: 1, periodMs: Math.ceil(Math.round((periodMs / perPeriod) * 1000) / 1000) };
}

/** `10/s`, `600/m` or a bare number (per second) → a limit per period. */
export function parseRate(text: string): { limit: number; periodMs: number } {
  const match = /^([0-9]+(?:\.[0-9]+)?)(?:\/(s|m))?$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0) throw new Error(`"${text}" is not a rate like 10/s or 600/m`);
  return normalizeRate(Number(match[1]), match[2] === 'm' ? 60_000 : 1000);
}
