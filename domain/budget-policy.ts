// Cost budgets that act. A budget caps the spend of the whole deployment, of one tenant or of one task type, per
// UTC day or month. At 75 % and 90 % it warns; at 100 % its action applies to new tasks: run them LOCAL (stop paying
// for Lambda), hold them until the next period starts, or refuse them with 402 SPILLWAY_BUDGET_EXCEEDED.
// Pure: the spend comes from live/budget-spend.ts and `now` is passed in.
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

export const BUDGET_ACTIONS = ['force-local', 'hold', 'refuse'] as const;
export type BudgetAction = (typeof BUDGET_ACTIONS)[number];
export const BUDGET_PERIODS = ['day', 'month'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
/** The fractions of a budget at which it warns, in order. */
export const WARN_LEVELS = [0.75, 0.9] as const;

export const BudgetScopeSchema = Type.Union([
  Type.Object({ kind: Type.Literal('deployment') }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('tenant'), tenant: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object(
    { kind: Type.Literal('taskType'), taskType: Type.String({ minLength: 1 }) },
    { additionalProperties: false },
  ),
]);
export type BudgetScope = Static<typeof BudgetScopeSchema>;

export const BudgetSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    scope: BudgetScopeSchema,
    period: Type.Union(BUDGET_PERIODS.map((p) => Type.Literal(p))),
    limitUsd: Type.Number({ exclusiveMinimum: 0 }),
    /** What happens to new tasks once spend plus committed spend reaches the limit. */
    onExceeded: Type.Union(BUDGET_ACTIONS.map((a) => Type.Literal(a))),
  },
  { additionalProperties: false },
);
export type Budget = Static<typeof BudgetSchema>;
/** config/budgets.json, or SPILLWAY_BUDGETS (inline JSON or a file). */
export const BudgetsFileSchema = Type.Object(
  { budgets: Type.Array(BudgetSchema, { maxItems: 200 }) },
  { additionalProperties: false },
);

/** The stable API code of a task refused by a budget at 100 % whose action is `refuse`. */
export const BUDGET_EXCEEDED_CODE = 'SPILLWAY_BUDGET_EXCEEDED';

/** Thrown at admission (POST /api/tasks) when a budget refuses the task; the API answers 402 with its message. */
export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
  readonly code = BUDGET_EXCEEDED_CODE;
  readonly statusCode = 402;
  constructor(readonly verdict: BudgetVerdict) {
    super(verdict.message);
  }
}

/** Thrown by parseBudgets when the budgets are not valid JSON, do not match the schema, or repeat an id. */
export class BudgetConfigError extends Error {
  override readonly name = 'BudgetConfigError';
}

const budgetsCheck = TypeCompiler.Compile(BudgetsFileSchema);

export function parseBudgets(text: string | undefined, source = 'SPILLWAY_BUDGETS'): Budget[] {
  if (text === undefined || text.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BudgetConfigError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (!budgetsCheck.Check(raw)) {
    const problems = [...budgetsCheck.Errors(raw)].slice(0, 3).map((e) => `${e.path || '/'} ${e.message}`);
    throw new BudgetConfigError(`${source} is not a valid budget list: ${problems.join('; ')}`);
  }
  const ids = new Set<string>();
  for (const b of raw.budgets) {
    if (ids.has(b.id)) throw new BudgetConfigError(`${source} names the budget "${b.id}" twice`);
    ids.add(b.id);
  }
  return raw.budgets;
}

/** The UTC period a moment falls in: its key (for Redis), start and end (exclusive), in epoch ms. */
export function periodOf(period: BudgetPeriod, now: number): { key: string; start: number; end: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === 'day') {
    const start = Date.UTC(y, m, d.getUTCDate());
    return { key: `d${new Date(start).toISOString().slice(0, 10)}`, start, end: start + 86_400_000 };
  }
  const start = Date.UTC(y, m, 1);
  return { key: `m${new Date(start).toISOString().slice(0, 7)}`, start, end: Date.UTC(y, m + 1, 1) };
}

/** The scope key spend is counted under: one counter per scope and period, shared by every budget on it. */
export function scopeKey(scope: BudgetScope): string {
  switch (scope.kind) {
    case 'deployment':
      return 'deployment';
    case 'tenant':
      return `tenant:${scope.tenant}`;
    case 'taskType':
      return `type:${scope.taskType}`;
  }
}

/** The task facts a budget looks at. */
export interface BudgetSubject {
  tenant?: string;
  type: string;
}

export function budgetApplies(budget: Budget, task: BudgetSubject): boolean {
  switch (budget.scope.kind) {
    case 'deployment':
      return true;
    case 'tenant':
      return task.tenant === budget.scope.tenant;
    case 'taskType':
      return task.type === budget.scope.taskType;
  }
}

/** Every counter a finished or placed task adds to: the scopes of all budgets it falls under, for both periods. */
export function spendScopes(budgets: readonly Budget[], task: BudgetSubject): string[] {
  return [...new Set(budgets.filter((b) => budgetApplies(b, task)).map((b) => scopeKey(b.scope)))];
}

/** Spend of one scope in one period, as live/budget-spend.ts reads it. */
export interface ScopeSpend {
  /** Actual cost of the tasks that finished in the period. */
  spentUsd: number;
  /** Estimated cost of the tasks placed and not yet finished. */
  committedUsd: number;
}

export type BudgetLevel = 'ok' | 'warn75' | 'warn90' | 'exceeded';

export interface BudgetStatus {
  budgetId: string;
  scope: BudgetScope;
  period: BudgetPeriod;
  periodKey: string;
  limitUsd: number;
  spentUsd: number;
  committedUsd: number;
  /** (spent + committed) / limit. */
  used: number;
  level: BudgetLevel;
  /** Spent + committed + the period's run rate so far × the time left. */
  forecastUsd: number;
  /** When the period ends and a held task may start. */
  resetsAt: string;
  onExceeded: BudgetAction;
}

export function levelOf(used: number): BudgetLevel {
  if (used >= 1) return 'exceeded';
  if (used >= WARN_LEVELS[1]) return 'warn90';
  if (used >= WARN_LEVELS[0]) return 'warn75';
  return 'ok';
}

export function budgetStatus(budget: Budget, spend: ScopeSpend, now: number): BudgetStatus {
  const p = periodOf(budget.period, now);
  const used = (spend.spentUsd + spend.committedUsd) / budget.limitUsd;
  const elapsed = Math.max(1, now - p.start);
  const rate = spend.spentUsd / elapsed;
  return {
    budgetId: budget.id,
    scope: budget.scope,
    period: budget.period,
    periodKey: p.key,
    limitUsd: budget.limitUsd,
    spentUsd: spend.spentUsd,
    committedUsd: spend.committedUsd,
    used,
    level: levelOf(used),
    forecastUsd: spend.spentUsd + spend.committedUsd + rate * Math.max(0, p.end - now),
    resetsAt: new Date(p.end).toISOString(),
    onExceeded: budget.onExceeded,
  };
}

/** What the budgets say about one new task. */
export interface BudgetVerdict {
  /** The worst level among the budgets the task falls under. */
  level: BudgetLevel;
  /** Set when a budget is exceeded: the strictest action among the exceeded ones (refuse > hold > force-local). */
  action?: BudgetAction;
  /** For `hold`: when the latest-resetting exceeded budget's period ends. */
  holdUntil?: string;
  /** The budget that decided, for the message and the 402 body. */
  budgetId?: string;
  /** The most the task may still spend before some budget reaches its limit; undefined without budgets. */
  remainingUsd?: number;
  message: string;
  statuses: BudgetStatus[];
}

const LEVEL_RANK: Record<BudgetLevel, number> = { ok: 0, warn75: 1, warn90: 2, exceeded: 3 };
const ACTION_RANK: Record<BudgetAction, number> = { 'force-local': 1, hold: 2, refuse: 3 };

/**
 * The budgets' verdict for a task about to be admitted or placed. `spend` maps `scopeKey:periodKey` (see
 * spendKey) to what live/budget-spend.ts read.
 */
export function evaluateBudgets(
  budgets: readonly Budget[],
  spend: ReadonlyMap<string, ScopeSpend>,
  task: BudgetSubject,
  now: number,
): BudgetVerdict {
  const statuses = budgets
    .filter((b) => budgetApplies(b, task))
    .map((b) => budgetStatus(b, spend.get(spendKey(scopeKey(b.scope), periodOf(b.period, now).key)) ?? zero(), now));
  if (statuses.length === 0) return { level: 'ok', message: 'no budget applies', statuses };
  const worst = statuses.reduce((a, b) => (LEVEL_RANK[b.level] > LEVEL_RANK[a.level] ? b : a));
  const remainingUsd = Math.max(0, Math.min(...statuses.map((s) => s.limitUsd - s.spentUsd - s.committedUsd)));
  const exceeded = statuses.filter((s) => s.level === 'exceeded');
  if (exceeded.length === 0) {
    const pct = Math.round(worst.used * 100);
    return {
      level: worst.level,
      budgetId: worst.budgetId,
      remainingUsd,
      message:
        worst.level === 'ok'
          ? `within budget (${worst.budgetId} at ${pct} %)`
          : `budget ${worst.budgetId} at ${pct} % of $${worst.limitUsd} this ${worst.period}`,
      statuses,
    };
  }
  const decider = exceeded.reduce((a, b) => {
    const byAction = ACTION_RANK[b.onExceeded] - ACTION_RANK[a.onExceeded];
    return byAction > 0 || (byAction === 0 && b.resetsAt > a.resetsAt) ? b : a;
  });
  const pct = Math.round(decider.used * 100);
  const what: Record<BudgetAction, string> = {
    'force-local': 'new tasks run LOCAL',
    hold: `new tasks wait until ${decider.resetsAt}`,
    refuse: 'new tasks are refused',
  };
  return {
    level: 'exceeded',
    action: decider.onExceeded,
    holdUntil: decider.onExceeded === 'hold' ? decider.resetsAt : undefined,
    budgetId: decider.budgetId,
    remainingUsd: 0,
    message: `budget ${decider.budgetId} is at ${pct} % of $${decider.limitUsd} this ${decider.period}: ${what[decider.onExceeded]}`,
    statuses,
  };
}

export function spendKey(scope: string, periodKey: string): string {
  return `${scope}:${periodKey}`;
}

function zero(): ScopeSpend {
  return { spentUsd: 0, committedUsd: 0 };
}

/** The warning levels a budget crossed between two readings: each is published once, when it is crossed. */
export function crossedLevels(before: number, after: number): BudgetLevel[] {
  const out: BudgetLevel[] = [];
  if (before < WARN_LEVELS[0] && after >= WARN_LEVELS[0]) out.push('warn75');
  if (before < WARN_LEVELS[1] && after >= WARN_LEVELS[1]) out.push('warn90');
  if (before < 1 && after >= 1) out.push('exceeded');
  return out;
}
