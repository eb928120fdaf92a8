// The search attributes a task starts with: what visibility queries, the dashboard's list and reconcile read before
// the workflow has said anything itself.
import {
  EXECUTION_MODE_KEY,
  PLACEMENT_KEY,
  REQUESTED_MODE_KEY,
  TASK_LABELS_KEY,
  TASK_NAME_KEY,
  TASK_STATUS_KEY,
  TASK_TYPE_KEY,
  REDRIVE_LABEL,
  taskLabel,
} from '../../domain/search-attributes';
import type { TaskInput } from '../../domain/task-model';
import type { SearchAttributePair } from '@temporalio/common';

export function taskLabels(input: Pick<TaskInput, 'fairness' | 'batchId' | 'scheduleId' | 'redriveOf'>): string[] {
  return [
    ...(input.fairness ? [taskLabel('tenant', input.fairness.key)] : []),
    ...(input.batchId ? [taskLabel('batch', input.batchId)] : []),
    ...(input.scheduleId ? [taskLabel('schedule', input.scheduleId)] : []),
    ...(input.redriveOf ? [taskLabel('redrive-of', input.redriveOf), REDRIVE_LABEL] : []),
  ];
}

export function taskSearchAttributes(input: TaskInput): SearchAttributePair[] {
  const labels = taskLabels(input);
  const placed =
    input.placementOverride?.placement ?? (input.executionMode === 'AUTO' ? undefined : input.executionMode);
  return [
    { key: TASK_TYPE_KEY, value: input.type },
    { key: EXECUTION_MODE_KEY, value: placed ?? input.executionMode },
    { key: REQUESTED_MODE_KEY, value: input.executionMode },
    ...(placed
      ? [{ key: PLACEMENT_KEY, value: (input.placementOverride?.reason ?? `requested ${placed}`).slice(0, 200) }]
      : []),
    { key: TASK_STATUS_KEY, value: 'QUEUED' },
    { key: TASK_NAME_KEY, value: input.name.slice(0, 200) },
    ...(labels.length ? [{ key: TASK_LABELS_KEY, value: labels }] : []),
  ];
}
