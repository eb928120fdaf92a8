// The contract between TaskWorkflow and its activities. Workflows import these types only.
import type {
  AttemptRecord,
  PauseRecord,
  Placement,
  PlacementDecision,
  TaskInput,
  TaskState,
} from '../domain/task-model';
import type { WarmResult, WarmTarget } from './warm-pool';

export interface AttemptSuccess {
  result: unknown;
  attempt: AttemptRecord;
  /** The attempt published the task's final transition itself (a LOCAL task done on its first attempt). */
  published?: boolean;
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

export interface SlotRequest {
  taskId: string;
  key: string;
  limit: number;
  /** How long the slot is held at most if the task never gives it back (a terminated workflow). */
  leaseMs: number;
  /** The task's place in line: when it first asked. */
  enqueuedAt: number;
}

export interface SlotAnswer {
  granted: boolean;
  /** 1 = next in line. */
  position: number;
  /** Ask again after this long at the latest (a freed slot also wakes the task with a signal). */
  retryInMs: number;
}

export interface FlowActivities {
  /** Takes a concurrency slot of the task's key, across every worker and placement, or queues the task for one. */
  acquireSlot(request: SlotRequest): Promise<SlotAnswer>;
  /** Gives the slot back and wakes the tasks next in line. */
  releaseSlot(request: Pick<SlotRequest, 'taskId' | 'key' | 'limit'>): Promise<void>;
  /** One permit of the task's rate limit, or how long to wait for it. */
  acquirePermit(request: { taskId: string; key: string; limit: number; periodMs: number }): Promise<{
    granted: boolean;
    waitMs: number;
    /** When the permit was taken (the limiter's own clock), ISO. */
    grantedAt?: string;
    /** The permit's id: the first attempt moves it to the moment it starts. */
    member?: string;
  }>;
  /** Closes the task's debounce window, so the next submission with the key opens a new one. */
  closeDebounce(request: { taskId: string; key: string }): Promise<void>;
  /** The operator controls that apply to a task now: a placement override of its mode, a pause of its type or tenant. */
  readControls(request: { type: string; tenant?: string; executionMode: TaskInput['executionMode'] }): Promise<{
    override?: { placement: Placement; reason: string };
    pause?: PauseRecord;
  }>;
}

export interface WarmPoolActivities {
  /** Which functions to warm and how many environments each, per the warm-pool mode. */
  planWarmPool(): Promise<WarmTarget[]>;
  /** Invokes the function's warm-ups concurrently and reports what they met and cost. */
  warmFunction(target: WarmTarget): Promise<WarmResult>;
}

export type { PipelineActivities } from './pipeline-tasks';
export type { PipelineRemoteActivities } from './pipeline-remote';
export type { PipelineProgressActivities } from './pipeline-progress';
