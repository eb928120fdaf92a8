// warmPool: run by the `spillway-warm-pool` schedule (and on demand) to keep Lambda environments warm.
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { TASK_COST_KEY } from '../domain/search-attributes';
import type { WarmPoolActivities } from '../activities/types';
import type { WarmResult } from '../activities/warm-pool';

export interface WarmPoolInput {
  trigger: 'schedule' | 'manual';
}

export interface WarmPoolResult {
  trigger: 'schedule' | 'manual';
  startedAt: string;
  finishedAt: string;
  functions: WarmResult[];
  totalCostUsd: number;
}

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
  upsertSearchAttributes([{ key: TASK_COST_KEY, value: totalCostUsd }]);
  return { trigger: input.trigger, startedAt, finishedAt: new Date().toISOString(), functions, totalCostUsd };
}
