// Messages that cross into TaskWorkflow. Activities report attempts that ended in failure here, because Temporal's
// retry policy hides intermediate attempts from workflow code; successful attempts arrive as the activity result.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { ATTEMPT_FAILED_SIGNAL, STATUS_QUERY } from '../domain/constants';
import type { AttemptRecord, TaskState } from '../domain/task-model';

export const statusQuery = defineQuery<TaskState>(STATUS_QUERY);
export const attemptFailedSignal = defineSignal<[AttemptRecord]>(ATTEMPT_FAILED_SIGNAL);
