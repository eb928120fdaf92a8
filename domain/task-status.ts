// A task's status from Temporal's own execution status, with our TaskStatus search attribute for open executions.
import type { TaskStatus } from './task-model';

export function taskStatusOf(executionStatus: string, taskStatusAttribute: string | undefined): TaskStatus {
  switch (executionStatus) {
    case 'COMPLETED':
      return 'COMPLETED';
    case 'FAILED':
      // An expired task ends its workflow failed; its own status says why.
      return taskStatusAttribute === 'EXPIRED' ? 'EXPIRED' : 'FAILED';
    case 'TIMED_OUT':
    case 'TERMINATED':
      return 'FAILED';
    case 'CANCELLED':
      return 'CANCELLED';
    default:
      return (taskStatusAttribute as TaskStatus | undefined) ?? 'QUEUED';
  }
}
