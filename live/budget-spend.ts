// Budget spend counters in Redis, under the projection prefix: per scope (deployment, tenant, task type) and per UTC
// day and month, the spend of finished tasks and the committed spend (estimates) of tasks placed and not finished.
// Placement commits a task's estimate; its final transition settles it with the actual cost. Both are idempotent
// (live/lua/budget-spend.lua), so a repeated or late transition never counts twice. A projection: the spent figures can
// be summed again from Temporal visibility (TaskCostUsd and CloseTime of the period's tasks).
import type { Redis } from 'ioredis';
import { BUDGET_PERIODS, periodOf, spendKey, type ScopeSpend } from '../domain/budget-policy';
import { scriptCommand } from './redis-scripts';

/** Keys are kept a week past the end of their period, for the dashboard's look back. */
const KEEP_AFTER_PERIOD_MS = 7 * 86_400_000;

export interface SpendChange {
  /** `scope:periodKey`, as evaluateBudgets looks it up. */
  key: string;
  before: ScopeSpend;
  after: ScopeSpend;
}

export interface BudgetSpend {
  /** Adds a placed task's estimate to the committed spend of each scope, in the day and month of `now`. */
  commit(taskId: string, scopes: readonly string[], estimateUsd: number, now: number): Promise<SpendChange[]>;
  /** Moves a finished task's commitment to spent at its actual cost (0 for a task that never ran). */
  settle(taskId: string, scopes: readonly string[], costUsd: number, now: number): Promise<SpendChange[]>;
  /**
   * Spend of each scope in the day and month of `now`, keyed by spendKey(scope, periodKey), in one round trip.
   * With `exceptTask`, that task's own commitment is left out: a placed task is weighed against the others.
   */
  read(scopes: readonly string[], now: number, exceptTask?: string): Promise<Map<string, ScopeSpend>>;
}

export function budgetSpendKey(prefix: string, key: string): string {
  return `${prefix}budget:${key}`;
}

function periodKeys(scopes: readonly string[], now: number) {
  return scopes.flatMap((scope) =>
    BUDGET_PERIODS.map((period) => {
      const p = periodOf(period, now);
      return { key: spendKey(scope, p.key), expireAt: Math.ceil((p.end + KEEP_AFTER_PERIOD_MS) / 1000) };
    }),
  );
}

const clean = (n: string | undefined) => {
  const v = Number(n ?? 0);
  // HINCRBYFLOAT leaves crumbs such as -1e-21 after a commit and its settle.
  return Number.isFinite(v) && Math.abs(v) > 1e-15 ? v : 0;
};

export function createBudgetSpend(redis: Redis, prefix: string): BudgetSpend {
  // The number of keys varies with the scopes, so it is passed first on each call.
  const spend = scriptCommand(redis, 'budget-spend');
  const run = async (op: 'commit' | 'settle', taskId: string, scopes: readonly string[], usd: number, now: number) => {
    const keys = periodKeys(scopes, now);
    if (keys.length === 0) return [];
    const rows = (await spend(
      keys.length,
      ...keys.map((k) => budgetSpendKey(prefix, k.key)),
      op,
      taskId,
      String(usd),
      ...keys.map((k) => String(k.expireAt)),
    )) as string[][];
    return keys.map((k, i) => {
      const row = rows[i] ?? [];
      return {
        key: k.key,
        before: { spentUsd: clean(row[0]), committedUsd: clean(row[1]) },
        after: { spentUsd: clean(row[2]), committedUsd: clean(row[3]) },
      };
    });
  };
  return {
    commit: (taskId, scopes, usd, now) => run('commit', taskId, scopes, usd, now),
    settle: (taskId, scopes, usd, now) => run('settle', taskId, scopes, usd, now),
    async read(scopes, now, exceptTask) {
      const keys = periodKeys(scopes, now);
      const pipeline = redis.pipeline();
      const own = exceptTask === undefined ? [] : [`c:${exceptTask}`];
      for (const k of keys) pipeline.hmget(budgetSpendKey(prefix, k.key), 'spent', 'committed', ...own);
      const results = (await pipeline.exec()) ?? [];
      const out = new Map<string, ScopeSpend>();
      keys.forEach((k, i) => {
        const [err, value] = results[i] ?? [null, []];
        if (err) throw err;
        const [spent, committed, mine] = (value ?? []) as Array<string | null>;
        const committedUsd = clean(committed ?? undefined) - clean(mine ?? undefined);
        out.set(k.key, { spentUsd: clean(spent ?? undefined), committedUsd: Math.max(0, clean(String(committedUsd))) });
      });
      return out;
    },
  };
}
