// The signal that stops a running attempt. Temporal delivers an operator's pause of an activity (PauseActivity) as a
// cancellation on the next heartbeat, but a pause means "finish this attempt, hold the next one": Temporal already
// holds the retry of a paused activity, so the attempt itself must run on, and end as it would have.
import type { Context } from '@temporalio/activity';

/** Aborts with Temporal's cancellation of the attempt, except one that only says the activity was paused. */
export function attemptAbortSignal(ctx: Context): AbortSignal {
  const controller = new AbortController();
  const onCancel = () => {
    if (!ctx.cancellationDetails?.paused) controller.abort(ctx.cancellationSignal.reason);
  };
  if (ctx.cancellationSignal.aborted) onCancel();
  else ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
  return controller.signal;
}
