// Debounce: within a key's period only one task runs. Leading: the first submission's task runs at once and later
// ones answer with its id. Trailing: the first submission's task waits out the period, each later one hands it its
// payload (a workflow update, which the task refuses once its window has closed), so it runs with the last one.
// Redis holds only the pointer from the key to the task whose window is open.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { DEBOUNCE_UPDATE } from '../../domain/constants';
import type { TaskInput } from '../../domain/task-model';
import type { FlowControl } from '../../live/flow-control';
import { Errors } from '../errors';
import type { CreateTaskBody } from '../schemas/task-schemas';

/** The pointer outlives the task's own window a little, so a late submission meets the window's refusal. */
const POINTER_MARGIN_MS = 5_000;
/**
 * The window's owner is started right after it takes the pointer; a submission that finds the pointer but not yet
 * the task waits this long for it (the start's own deadline, and a margin) before it takes the owner for lost.
 */
const OWNER_START_WAIT_MS = 8_000;
const OWNER_POLL_MS = 100;

export interface Debounced {
  id: string;
  status: 'QUEUED';
  name: string;
  type: string;
  executionMode: string;
  functionName: string;
  submittedAt: string;
  idempotentReplay: true;
  debounced: true;
}

export interface DebounceService {
  /** The task this submission joins, or undefined when it is the first of a new window (and must be started). */
  join(input: TaskInput, body: CreateTaskBody): Promise<Debounced | undefined>;
  /** The task of a new window could not be started: its window pointer goes. */
  abandon(input: TaskInput): Promise<void>;
}

export function createDebounceService(deps: { client: Client; flow?: FlowControl }): DebounceService {
  const flow = () => {
    if (!deps.flow) throw Errors.redisUnavailable('debounce needs Redis, and this API has none configured');
    return deps.flow;
  };
  const answer = (id: string, input: TaskInput): Debounced => ({
    id,
    status: 'QUEUED',
    name: input.name,
    type: input.type,
    executionMode: input.executionMode,
    functionName: input.functionName,
    submittedAt: input.submittedAt,
    idempotentReplay: true,
    debounced: true,
  });

  /**
   * Hands the submission's payload to the window's owner. The pointer is taken before the owner's task is started,
   * so a concurrent submission may find it before the task exists: that one waits for the start rather than take
   * the window for closed, which would run two tasks in one window.
   */
  async function handOver(
    owner: string,
    input: TaskInput,
    body: CreateTaskBody,
  ): Promise<'accepted' | 'closed' | 'moved'> {
    const handle = deps.client.workflow.getHandle(owner);
    const deadline = Date.now() + OWNER_START_WAIT_MS;
    for (;;) {
      const exists = await handle.describe().then(
        () => true,
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        },
      );
      if (exists) break;
      if (Date.now() >= deadline) return 'closed';
      await new Promise((resolve) => setTimeout(resolve, OWNER_POLL_MS));
      const d = input.debounce as NonNullable<TaskInput['debounce']>;
      // Its start failed and it let the window go: someone else may own the key now.
      if ((await flow().debounceOwner(d.key)) !== owner) return 'moved';
    }
    return handle.executeUpdate(DEBOUNCE_UPDATE, { args: [{ payload: input.payload, name: body.name }] }).then(
      () => 'accepted' as const,
      () => 'closed' as const,
    );
  }

  async function join(input: TaskInput, body: CreateTaskBody): Promise<Debounced | undefined> {
    const d = input.debounce;
    if (!d) return undefined;
    const periodMs = d.periodSeconds * 1000;
    try {
      if (d.mode === 'leading') {
        const window = await flow().openDebounce(d.key, input.id, periodMs);
        return window.opened ? undefined : answer(window.owner, input);
      }
      for (let tries = 0; tries < 3; tries++) {
        const owner = await flow().debounceOwner(d.key);
        if (!owner) {
          const window = await flow().openDebounce(d.key, input.id, periodMs + POINTER_MARGIN_MS);
          if (window.opened) return undefined;
          continue;
        }
        const handed = await handOver(owner, input, body);
        if (handed === 'accepted') return answer(owner, input);
        // The pointer moved on while this one waited for its owner: look again.
        if (handed === 'moved') continue;
        // Its window has closed (or its task never started): this submission opens the next one.
        if (await flow().replaceDebounce(d.key, owner, input.id, periodMs + POINTER_MARGIN_MS)) return undefined;
      }
    } catch (err) {
      if ((err as { name?: string }).name === 'SpillwayError') throw err;
      throw Errors.redisUnavailable(`debounce needs Redis, which did not answer: ${(err as Error).message}`);
    }
    throw Errors.redisUnavailable(`the debounce window of "${d.key}" kept changing; try again`);
  }

  return {
    join,
    abandon: async (input) => {
      if (input.debounce) await deps.flow?.closeDebounce(input.debounce.key, input.id).catch(() => undefined);
    },
  };
}
