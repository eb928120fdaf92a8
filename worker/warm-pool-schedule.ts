// Creates the `spillway-warm-pool` Temporal Schedule once, and keeps its interval in line with config. Temporal
// owns the timing, so the warm pool keeps running with any number of workers and survives restarts.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { WARM_POOL_SCHEDULE_ID, WARM_POOL_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE } from '../domain/constants';
import type { SpillwayConfig } from '../domain/config';

export async function ensureWarmPoolSchedule(
  client: Client,
  config: SpillwayConfig['scheduler'],
): Promise<'created' | 'updated' | 'unchanged'> {
  const every = config.warmPoolIntervalSeconds * 1000;
  try {
    await client.schedule.create({
      scheduleId: WARM_POOL_SCHEDULE_ID,
      spec: { intervals: [{ every }] },
      action: {
        type: 'startWorkflow',
        workflowType: WARM_POOL_WORKFLOW_TYPE,
        taskQueue: WORKFLOW_TASK_QUEUE,
        args: [{ trigger: 'schedule' }],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      memo: { description: 'Keeps Spillway Lambda functions warm' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(WARM_POOL_SCHEDULE_ID);
  const description = await handle.describe();
  const current = description.spec.intervals?.[0]?.every;
  if (current === config.warmPoolIntervalSeconds * 1000) return 'unchanged';
  await handle.update((previous) => ({ ...previous, spec: { intervals: [{ every }] } }));
  return 'updated';
}
