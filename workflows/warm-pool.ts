// warmPool: run by the `spillway-warm-pool` schedule (and on demand) to keep Lambda environments warm.
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { TASK_ATTEMPTS_KEY, TASK_COLD_STARTS_KEY, TASK_COST_KEY } from '../domain/search-attributes';
import type { WarmPoolActivities } from '../activities/types';
import type { WarmPoolResult } from '../domain/warm-pool-result';

export interface WarmPoolInput {
  trigger: 'schedule' | 'manual';
}

export type { WarmPoolResult };

const { planWarmPool } = proxyActivities<WarmPoolActivities>({
  startToCloseTimeout: 10_000,
  retry: { maximumAttempts: 3 },
});
// A warm-up that fails is not worth retrying: the next scheduled run warms again.
const { warmFunction } = proxyActivities<WarmPoolActivities>({
  startToCloseTimeout: 120_000,
  retry: { maximumAttempts: 1 },
});

export async function warmPool(input: WarmPoolInput = { trigger: 'schedule' }): Promise<WarmPoolResult> {
  const startedAt = new Date().toISOString();
  const targets = await planWarmPool();
  const functions = await Promise.all(targets.map((target) => warmFunction(target)));
  const totalCostUsd = functions.reduce((sum, f) => sum + f.costUsd, 0);
  // The run's totals in visibility, so reconcile can rebuild the projection's warm-up counts from Temporal.
  upsertSearchAttributes([
    { key: TASK_COST_KEY, value: totalCostUsd },
    { key: TASK_ATTEMPTS_KEY, value: functions.reduce((sum, f) => sum + f.warmed, 0) },
    { key: TASK_COLD_STARTS_KEY, value: functions.reduce((sum, f) => sum + f.coldStarts, 0) },
  ]);
  return { trigger: input.trigger, startedAt, finishedAt: new Date().toISOString(), functions, totalCostUsd };
}
