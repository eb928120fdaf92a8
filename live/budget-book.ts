// The configured budgets against their spend counters (live/budget-spend.ts): what the API asks at admission and
// for GET /api/budgets, and what a task's end adds. A warning level crossed by a change of spend is appended to the
// live event stream once, by the change that crossed it (the counters are updated atomically, so two workers never
// both see the same crossing).
import type { Redis } from 'ioredis';
import {
  budgetStatus,
  crossedLevels,
  evaluateBudgets,
  periodOf,
  scopeKey,
  spendKey,
  spendScopes,
  type Budget,
  type BudgetLevel,
  type BudgetStatus,
  type BudgetSubject,
  type BudgetVerdict,
  type ScopeSpend,
} from '../domain/budget-policy';
import { createBudgetSpend, type BudgetSpend, type SpendChange } from './budget-spend';
import { STREAM_MAX_LENGTH } from './task-projection';

/** The stream field of a budget event; task transitions use `event` (live/lua/apply-transition.lua). */
export const BUDGET_EVENT_FIELD = 'budget';

/** A budget event on the live stream: a warning level (or the limit) was reached. */
export interface BudgetEvent {
  kind: 'budget';
  budgetId: string;
  level: BudgetLevel;
  used: number;
  limitUsd: number;
  spentUsd: number;
  committedUsd: number;
  period: Budget['period'];
  periodKey: string;
  message: string;
  at: string;
}

export interface BudgetBook {
  readonly budgets: readonly Budget[];
  /** What the budgets say of a task now; an admitted task (with `id`) is weighed without its own commitment. */
  verdict(task: BudgetSubject & { id?: string }, now?: number): Promise<BudgetVerdict>;
  /** Every configured budget's status now, in configuration order. */
  statuses(now?: number): Promise<BudgetStatus[]>;
  /** Adds an admitted task's estimate to the committed spend of every scope it falls under, once per task. */
  commit(task: BudgetSubject & { id: string }, estimateUsd: number, now?: number): Promise<BudgetEvent[]>;
  /** Adds a finished task's actual cost to every scope it falls under, once per task; returns the levels crossed. */
  settle(task: BudgetSubject & { id: string }, costUsd: number, now?: number): Promise<BudgetEvent[]>;
}

/** The levels each budget crossed in a change of its counters, as events. */
export function crossings(budgets: readonly Budget[], changes: readonly SpendChange[], now: number): BudgetEvent[] {
  const out: BudgetEvent[] = [];
  for (const change of changes) {
    for (const budget of budgets) {
      if (spendKey(scopeKey(budget.scope), periodOf(budget.period, now).key) !== change.key) continue;
      const used = (s: ScopeSpend) => (s.spentUsd + s.committedUsd) / budget.limitUsd;
      for (const level of crossedLevels(used(change.before), used(change.after))) {
        const status = budgetStatus(budget, change.after, now);
        const pct = Math.round(status.used * 100);
        out.push({
          kind: 'budget',
          budgetId: budget.id,
          level,
          used: status.used,
          limitUsd: budget.limitUsd,
          spentUsd: status.spentUsd,
          committedUsd: status.committedUsd,
          period: budget.period,
          periodKey: status.periodKey,
          message:
            level === 'exceeded'
              ? `budget ${budget.id} reached its limit of $${budget.limitUsd} this ${budget.period} (${pct} %): new tasks are ${budget.onExceeded === 'refuse' ? 'refused' : budget.onExceeded === 'hold' ? 'held' : 'run LOCAL'}`
              : `budget ${budget.id} at ${pct} % of $${budget.limitUsd} this ${budget.period}`,
          at: new Date(now).toISOString(),
        });
      }
    }
  }
  return out;
}

export function createBudgetBook(redis: Redis, prefix: string, budgets: readonly Budget[]): BudgetBook {
  const spend: BudgetSpend = createBudgetSpend(redis, prefix);
  const allScopes = [...new Set(budgets.map((b) => scopeKey(b.scope)))];
  const streamKey = `${prefix}events`;
  /** Changes the counters, then appends the levels the change crossed to the stream. */
  const change = async (op: 'commit' | 'settle', task: BudgetSubject & { id: string }, usd: number, now: number) => {
    const scopes = spendScopes(budgets, task);
    if (scopes.length === 0) return [];
    const events = crossings(budgets, await spend[op](task.id, scopes, usd, now), now);
    if (events.length > 0) {
      const pipeline = redis.pipeline();
      for (const e of events) {
        pipeline.xadd(streamKey, 'MAXLEN', '~', STREAM_MAX_LENGTH, '*', BUDGET_EVENT_FIELD, JSON.stringify(e));
      }
      await pipeline.exec();
    }
    return events;
  };
  return {
    budgets,
    async verdict(task, now = Date.now()) {
      const scopes = spendScopes(budgets, task);
      const read = scopes.length > 0 ? await spend.read(scopes, now, task.id) : new Map<string, ScopeSpend>();
      return evaluateBudgets(budgets, read, task, now);
    },
    async statuses(now = Date.now()) {
      const read = allScopes.length > 0 ? await spend.read(allScopes, now) : new Map<string, ScopeSpend>();
      return budgets.map((b) =>
        budgetStatus(
          b,
          read.get(spendKey(scopeKey(b.scope), periodOf(b.period, now).key)) ?? { spentUsd: 0, committedUsd: 0 },
          now,
        ),
      );
    },
    commit: (task, estimateUsd, now = Date.now()) => change('commit', task, estimateUsd, now),
    settle: (task, costUsd, now = Date.now()) => change('settle', task, costUsd, now),
  };
}
