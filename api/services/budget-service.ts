// GET /api/budgets: every configured budget's status in its current period, from the spend counters in Redis.
import { periodOf, type Budget, type BudgetStatus } from '../../domain/budget-policy';
import type { BudgetBook } from '../../live/budget-book';
import { Errors } from '../errors';
import type { BudgetList, BudgetStatusView } from '../schemas/budget-schemas';

export interface BudgetService {
  list(now?: number): Promise<BudgetList>;
  /** The statuses alone, for /metrics; empty when there are no budgets or Redis cannot say. */
  statuses(now?: number): Promise<BudgetStatus[]>;
}

export function viewOf(budget: Budget, status: BudgetStatus, now: number): BudgetStatusView {
  const p = periodOf(budget.period, now);
  return {
    id: budget.id,
    scope: budget.scope,
    period: budget.period,
    periodKey: status.periodKey,
    periodStart: new Date(p.start).toISOString(),
    periodEnd: new Date(p.end).toISOString(),
    limitUsd: budget.limitUsd,
    spentUsd: status.spentUsd,
    committedUsd: status.committedUsd,
    used: status.used,
    level: status.level,
    forecastUsd: status.forecastUsd,
    onExceeded: budget.onExceeded,
  };
}

export function createBudgetService(budgets: readonly Budget[], book: BudgetBook | undefined): BudgetService {
  return {
    async list(now = Date.now()) {
      if (budgets.length === 0) return { at: new Date(now).toISOString(), budgets: [] };
      if (!book) throw Errors.redisUnavailable('budgets are configured but no Redis holds their spend');
      let statuses: BudgetStatus[];
      try {
        statuses = await book.statuses(now);
      } catch (err) {
        throw Errors.redisUnavailable(`budget spend unavailable: ${(err as Error).message}`);
      }
      return {
        at: new Date(now).toISOString(),
        budgets: budgets.map((b, i) => viewOf(b, statuses[i] as BudgetStatus, now)),
      };
    },
    async statuses(now = Date.now()) {
      if (!book || budgets.length === 0) return [];
      return book.statuses(now).catch(() => []);
    },
  };
}
