// What the budgets do to a task at submission (POST /api/tasks): nothing below 100 %; at 100 % the strictest action
// of the exceeded budgets: refuse (402 SPILLWAY_BUDGET_EXCEEDED), hold (Temporal's start delay until the period
// ends) or force LOCAL (the placement override, which the workflow obeys for LAMBDA and AUTO alike and which the
// task's placement reason shows). Budgets read Redis: when it is away the task is admitted, since spend is a
// projection and must not stop work.
import { BudgetExceededError, type BudgetVerdict } from '../../domain/budget-policy';
import { estimateCosts, type PriceTable } from '../../domain/cost-model';
import type { DeployedFunction } from '../../domain/deployed-function';
import type { TaskInput } from '../../domain/task-model';
import type { BudgetBook } from '../../live/budget-book';
import type { BudgetNote } from '../schemas/budget-schemas';
import type { StartOptions } from './flow-options';

export interface Admitted {
  input: TaskInput;
  start: StartOptions;
  note?: BudgetNote;
}

/** Pure: the verdict applied to a task about to start. Throws BudgetExceededError for `refuse`. */
export function applyBudgetVerdict(
  verdict: BudgetVerdict,
  input: TaskInput,
  start: StartOptions,
  nowMs: number,
): Admitted {
  if (verdict.level === 'ok') return { input, start };
  const note: BudgetNote = {
    level: verdict.level,
    budgetId: verdict.budgetId,
    action: verdict.action,
    holdUntil: verdict.holdUntil,
    message: verdict.message,
  };
  switch (verdict.action) {
    case undefined:
      return { input, start, note };
    case 'refuse':
      throw new BudgetExceededError(verdict);
    case 'force-local':
      // An operator's LOCAL override already keeps it off Lambda; a LOCAL task costs no Lambda.
      if (input.executionMode === 'LOCAL' || input.placementOverride?.placement === 'LOCAL')
        return { input, start, note };
      return {
        input: {
          ...input,
          placementOverride: { placement: 'LOCAL', reason: `${verdict.message} (requested ${input.executionMode})` },
        },
        start,
        note,
      };
    case 'hold': {
      const until = Date.parse(verdict.holdUntil ?? '');
      const delayMs = until - nowMs;
      if (!Number.isFinite(delayMs) || delayMs <= (start.startDelayMs ?? 0)) return { input, start, note };
      return {
        input: { ...input, startAt: new Date(until).toISOString() },
        start: { ...start, startDelayMs: delayMs, flow: { ...start.flow, startAt: new Date(until).toISOString() } },
        note,
      };
    }
  }
}

export async function admitUnderBudget(
  book: BudgetBook | undefined,
  input: TaskInput,
  start: StartOptions,
  log: (m: string) => void,
  nowMs = Date.now(),
): Promise<Admitted> {
  if (!book || book.budgets.length === 0) return { input, start };
  let verdict: BudgetVerdict;
  try {
    verdict = await book.verdict({ type: input.type, tenant: input.fairness?.key }, nowMs);
  } catch (err) {
    log(`budgets unavailable, ${input.id} admitted unchecked: ${(err as Error).message}`);
    return { input, start };
  }
  return applyBudgetVerdict(verdict, input, start, nowMs);
}

/**
 * The estimate an admitted task commits until its end settles it: LOCAL's for a task that runs LOCAL, else Lambda's
 * on the function's architecture (an AUTO task may yet run LOCAL, for less).
 */
export function committedEstimate(input: TaskInput, fn: DeployedFunction, prices: PriceTable): number {
  const estimate = estimateCosts(prices, fn.spillway.expectedDurationMs, fn.memoryMB);
  const local = input.executionMode === 'LOCAL' || input.placementOverride?.placement === 'LOCAL';
  return local ? estimate.local : estimate.lambda[fn.architecture];
}

/** Commits the admitted task's estimate; best effort, like every budget write. */
export async function commitEstimate(
  book: BudgetBook | undefined,
  input: TaskInput,
  fn: DeployedFunction,
  prices: PriceTable,
  log: (m: string) => void,
): Promise<void> {
  if (!book || book.budgets.length === 0) return;
  try {
    await book.commit(
      { id: input.id, type: input.type, tenant: input.fairness?.key },
      committedEstimate(input, fn, prices),
    );
  } catch (err) {
    log(`budgets unavailable, the estimate of ${input.id} is not committed: ${(err as Error).message}`);
  }
}
