// Cooperative chunking for long handlers: between chunks they report progress (a Temporal heartbeat in the local
// worker) and stop if the task was cancelled.
import { throwIfCancelled } from '../../../domain/handler-contract';
import type { HandlerContext } from '../../../domain/handler-contract';

export const CHUNK_SIZE = 5000;

/**
 * Ends a chunk of work. Yielding to the event loop matters: without it a synchronous loop would never let the
 * abort event (or the heartbeat timer) run, so cancellation could only be seen after all the work was done.
 */
export async function checkpoint(context: HandlerContext, details: unknown): Promise<void> {
  throwIfCancelled(context);
  context.progress?.(details);
  await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfCancelled(context);
}
