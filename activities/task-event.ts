// What a function is handed for one attempt, the same in both placements: Spillway's task event for functions that
// speak it (the `task` event format of sdk/wrap-handler.ts), the bare payload for a plain Lambda handler.
import type { DeployedFunction } from '../domain/deployed-function';
import type { TaskInput } from '../domain/task-model';

/** `name` or `name:qualifier`, as the function directory resolves it. */
export function functionRef(task: Pick<TaskInput, 'functionName' | 'functionQualifier'>): string {
  return task.functionQualifier ? `${task.functionName}:${task.functionQualifier}` : task.functionName;
}

export function taskEvent(task: TaskInput, attempt: number, fn: DeployedFunction, extra: Record<string, unknown> = {}) {
  if (fn.spillway.event !== 'task') return task.payload ?? {};
  return { taskId: task.id, taskType: task.type, attempt, payload: task.payload ?? {}, ...extra };
}
