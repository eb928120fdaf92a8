// Publishes a task's transition into the live projection. Redis being down must never fail or stall a task:
// the projection is rebuilt from Temporal by the reconcile step, so a lost event costs nothing lasting.
import { startCounts, taskDurationMs, type TaskState } from '../domain/task-model';
import type { TaskProjection, TransitionEvent } from '../live/task-projection';
import type { BudgetAccounting } from './budget-accounting';
import type { PlacementSamples } from './placement-samples';
import type { TaskTransition } from './types';

/** What the projection is told of a task in `state`: the workflow's publish and a first attempt's own say the same. */
export function transitionOf(taskId: string, state: TaskState): TransitionEvent {
  return {
    taskId,
    status: state.status,
    type: state.type,
    name: state.name,
    executionMode: state.executionMode,
    ...(state.tenant ? { tenant: state.tenant } : {}),
    placement: state.placement?.placement,
    placementReason: state.placement?.reason,
    attempts: state.attempts.length,
    durationMs: taskDurationMs(state.startedAt, state.finishedAt),
    ...startCounts(state.attempts),
    costUsd: state.costUsd,
    error: state.error?.message,
    at: state.finishedAt ?? new Date().toISOString(),
  };
}

export function createPublishTransition(
  projection: TaskProjection | undefined,
  samples?: PlacementSamples,
  budgets?: BudgetAccounting,
  log: (m: string) => void = console.warn,
) {
  return async function publishTransition({ taskId, state }: TaskTransition): Promise<void> {
    // The budget counters take a task once by themselves (live/lua/budget-spend.lua), so they need no projection.
    await budgets?.taskEnded(
      { id: taskId, type: state.type, tenant: state.tenant },
      state.status,
      state.costUsd,
      state.finishedAt,
    );
    if (!projection) return;
    const task = { id: taskId, functionName: state.functionName };
    try {
      // Before the end is published, so the stats pushed with it count this task's Lambda attempts.
      await samples?.ledger(task, state.status, state.attempts);
      // A repeated publish changes nothing, and teaches placement nothing twice.
      if (await projection.record(transitionOf(taskId, state))) {
        await samples?.taskEnded(task, state.status, state.attempts);
      }
    } catch (err) {
      log(
        `live projection unavailable, transition of ${taskId} to ${state.status} not recorded: ${(err as Error).message}`,
      );
    }
  };
}
