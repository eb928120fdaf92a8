// Adds a finished task's cost to the budgets it falls under (live/budget-book.ts), from the same two places that tell
// the projection a task ended: the workflow's final publish and a first LOCAL attempt's own. The counters take a
// task once (live/lua/budget-spend.lua), so a repeated publish or a retried activity never counts twice. Best effort,
// like the projection: a budget that misses a task under-counts until the counters are summed again.
import { FINAL_STATUSES, type TaskStatus } from '../domain/task-model';
import type { BudgetBook } from '../live/budget-book';

export interface BudgetAccounting {
  taskEnded(
    task: { id: string; type: string; tenant?: string },
    status: TaskStatus,
    costUsd: number | undefined,
    finishedAt?: string,
  ): Promise<void>;
}

export function createBudgetAccounting(
  book: BudgetBook | undefined,
  log: (m: string) => void = console.warn,
): BudgetAccounting {
  let lastWarning = 0;
  return {
    async taskEnded(task, status, costUsd, finishedAt) {
      if (!book || book.budgets.length === 0 || !FINAL_STATUSES.includes(status)) return;
      // The period is the one the task ended in, so a late repeat of the same end lands on the same counter.
      const at = finishedAt ? Date.parse(finishedAt) : NaN;
      try {
        await book.settle(task, costUsd ?? 0, Number.isFinite(at) ? at : Date.now());
      } catch (err) {
        if (Date.now() - lastWarning > 60_000) {
          lastWarning = Date.now();
          log(`budget spend unavailable, cost of ${task.id} not counted: ${(err as Error).message}`);
        }
      }
    },
  };
}
