// Response schemas of the budgets (domain/budget-policy.ts): GET /api/budgets and the note a created task carries.
import { Type, type Static } from '@sinclair/typebox';
import { BudgetScopeSchema, BUDGET_ACTIONS, BUDGET_PERIODS } from '../../domain/budget-policy';

const Level = Type.Union(['ok', 'warn75', 'warn90', 'exceeded'].map((l) => Type.Literal(l)));
const Action = Type.Union(BUDGET_ACTIONS.map((a) => Type.Literal(a)));

export const BudgetStatusView = Type.Object(
  {
    id: Type.String(),
    scope: BudgetScopeSchema,
    period: Type.Union(BUDGET_PERIODS.map((p) => Type.Literal(p))),
    periodKey: Type.String({ description: 'd2026-12-01 or m2026-12' }),
    periodStart: Type.String({ format: 'date-time' }),
    periodEnd: Type.String({ format: 'date-time', description: 'Exclusive; when a held task starts' }),
    limitUsd: Type.Number(),
    spentUsd: Type.Number({ description: 'Actual cost of the tasks that ended in the period' }),
    committedUsd: Type.Number({ description: 'Estimated cost of tasks placed and not yet ended' }),
    used: Type.Number({ description: '(spent + committed) / limit' }),
    level: Level,
    forecastUsd: Type.Number({ description: "Spent + committed + the period's run rate so far × the time left" }),
    onExceeded: Action,
  },
  { additionalProperties: false },
);
export type BudgetStatusView = Static<typeof BudgetStatusView>;

export const BudgetList = Type.Object(
  { at: Type.String({ format: 'date-time' }), budgets: Type.Array(BudgetStatusView) },
  { additionalProperties: false },
);
export type BudgetList = Static<typeof BudgetList>;

/** What the budgets did to a created task, when one is at 75 % or more. */
export const BudgetNote = Type.Object(
  {
    level: Level,
    budgetId: Type.Optional(Type.String()),
    action: Type.Optional(Action),
    holdUntil: Type.Optional(Type.String({ format: 'date-time' })),
    message: Type.String(),
  },
  { additionalProperties: false },
);
export type BudgetNote = Static<typeof BudgetNote>;
