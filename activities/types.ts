// The contract between TaskWorkflow and its activities. Workflows import these types only.
import type { AttemptRecord, PlacementDecision, TaskInput, TaskState } from '../domain/task-model';
import type { WarmResult, WarmTarget } from './warm-pool';

export interface AttemptSuccess {
  result: unknown;
  attempt: AttemptRecord;
}

export interface TaskTransition {
  taskId: string;
  state: TaskState;
}

export interface TaskActivities {
  /** Runs the task's handler in this worker's local pool. */
  runLocalTask(task: TaskInput): Promise<AttemptSuccess>;
  /** Invokes the task's Lambda function; completes when the function's callback arrives (or at once when sync). */
  invokeLambda(task: TaskInput): Promise<AttemptSuccess>;
  /** Reads the live signals and decides where an AUTO task runs. */
  decidePlacement(task: TaskInput): Promise<PlacementDecision>;
  /** Publishes a task's terminal transition to the live projection. Best effort: never fails the task. */
  publishTransition(transition: TaskTransition): Promise<void>;
}

export interface WarmPoolActivities {
  /** Which functions to warm and how many environments each, per the warm-pool mode. */
  planWarmPool(): Promise<WarmTarget[]>;
  /** Invokes the function's warm-ups concurrently and reports what they met and cost. */
  warmFunction(target: WarmTarget): Promise<WarmResult>;
}

export type { PipelineActivities } from './pipeline-tasks';
export type { PipelineRemoteActivities } from './pipeline-remote';
