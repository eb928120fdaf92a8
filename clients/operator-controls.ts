// Reading and changing the operator controls, whose record is the `spillway-controls` workflow. Readers (the API at
// submission, placement, each Lambda attempt) see them through a query, cached for a second per process, so a pause
// or a drain reaches every instance within about a second and costs one query a second, not one per task.
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { CONTROLS_QUERY, CONTROLS_WORKFLOW_ID, CONTROLS_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE } from '../domain/constants';
import { EMPTY_CONTROLS, type ControlsState } from '../domain/operator-controls';

/** What current() answers when the controls could not be read: none, but a reader that must know can tell. */
export const UNREADABLE_CONTROLS: ControlsState = Object.freeze({ ...EMPTY_CONTROLS });

export interface ControlsReader {
  current(): Promise<ControlsState>;
  /** Forgets the cached state: the next read asks the workflow (after a change made here). */
  invalidate(): void;
}

/**
 * How long a read may wait for Temporal. Without a deadline the client retries an unreachable server for ~20 s, and
 * every submission waits on the shared read before its own 5 s start deadline: while Temporal was down, a submission
 * then took over 30 s to get its 503 (seen in the Temporal-restart fault case on a loaded machine).
 */
const READ_DEADLINE_MS = 3_000;

export function createControlsReader(client: Client, cacheMs = 1_000, log: (m: string) => void = console.warn) {
  let cached: { at: number; state: Promise<ControlsState> } | undefined;
  const read = async (): Promise<ControlsState> => {
    try {
      return await client.withDeadline(Date.now() + READ_DEADLINE_MS, () =>
        client.workflow.getHandle(CONTROLS_WORKFLOW_ID).query<ControlsState>(CONTROLS_QUERY),
      );
    } catch (err) {
      // Nobody has set a control yet: there are none. Anything else is logged and read as none, so a Temporal
      // hiccup cannot pause the world; the task attempts themselves need Temporal anyway.
      if (err instanceof WorkflowNotFoundError) return EMPTY_CONTROLS;
      log(`operator controls unreadable: ${(err as Error).message}`);
      return UNREADABLE_CONTROLS;
    }
  };
  const reader: ControlsReader = {
    current() {
      if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), state: read() };
      return cached.state;
    },
    invalidate() {
      cached = undefined;
    },
  };
  return reader;
}

/** Applies one change through an update, starting the controls workflow the first time. */
export async function changeControls<Args extends unknown[]>(
  client: Client,
  update: string,
  args: Args,
): Promise<ControlsState> {
  return client.workflow.executeUpdateWithStart<() => Promise<void>, ControlsState, Args>(update, {
    args,
    startWorkflowOperation: new WithStartWorkflowOperation(CONTROLS_WORKFLOW_TYPE, {
      workflowId: CONTROLS_WORKFLOW_ID,
      taskQueue: WORKFLOW_TASK_QUEUE,
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [],
    }),
  });
}
