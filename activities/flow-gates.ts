// The activities behind flow control: concurrency slots and rate permits on Redis leases (live/flow-control.ts).
// A freed slot wakes the tasks next in line with a signal, so waiting costs no polling; a holder whose workflow has
// closed (terminated from outside) is evicted as soon as a waiter is first in line, so a slot is never lost for good.
import type { Client } from '@temporalio/client';
import { UNREADABLE_CONTROLS, type ControlsReader } from '../clients/operator-controls';
import { WAKE_SIGNAL } from '../domain/constants';
import { overridePlacement, pauseFor } from '../domain/operator-controls';
import type { FlowControl } from '../live/flow-control';
import type { FlowActivities } from './types';

export function createFlowActivities(deps: {
  flow?: FlowControl;
  client: Client;
  controls?: ControlsReader;
  log?: (message: string) => void;
}): FlowActivities {
  const log = deps.log ?? console.warn;
  const flow = () => {
    if (!deps.flow) throw new Error('flow control needs Redis, and this worker has none configured');
    return deps.flow;
  };

  /** Holders whose workflow is no longer running give their slot back. */
  async function evictClosedHolders(key: string): Promise<number> {
    let evicted = 0;
    for (const holder of await flow().holders(key)) {
      const running = await deps.client.workflow
        .getHandle(holder)
        .describe()
        .then((d) => d.status.name === 'RUNNING')
        .catch((err: { name?: string }) => err.name !== 'WorkflowNotFoundError');
      if (!running) {
        await flow().evict(key, holder);
        evicted++;
      }
    }
    return evicted;
  }

  return {
    async acquireSlot(request) {
      let answer = await flow().acquireSlot(
        request.key,
        request.taskId,
        request.limit,
        request.leaseMs,
        request.enqueuedAt,
      );
      if (!answer.granted && answer.position === 1 && (await evictClosedHolders(request.key)) > 0) {
        answer = await flow().acquireSlot(
          request.key,
          request.taskId,
          request.limit,
          request.leaseMs,
          request.enqueuedAt,
        );
      }
      // First in line asks again soon, in case a holder closed without giving its slot back; the rest wait to be woken.
      return { ...answer, retryInMs: answer.position === 1 ? 10_000 : 30_000 };
    },
    async releaseSlot(request) {
      const next = await flow().releaseSlot(request.key, request.taskId, request.limit);
      await Promise.all(
        next.map((id) =>
          deps.client.workflow
            .getHandle(id)
            .signal(WAKE_SIGNAL)
            .catch((err: Error) => log(`could not wake ${id} for a slot of "${request.key}": ${err.message}`)),
        ),
      );
    },
    async acquirePermit(request) {
      const at = Date.now();
      const member = `${request.taskId}:${at}`;
      const answer = await flow().permit(request.key, request.limit, request.periodMs, member, at);
      return answer.granted ? { ...answer, grantedAt: new Date(at).toISOString(), member } : answer;
    },
    async closeDebounce(request) {
      await flow().closeDebounce(request.key, request.taskId);
    },
    async readControls(request) {
      if (!deps.controls) return {};
      const controls = await deps.controls.current();
      // Failing keeps the task on what held at its submission, rather than reading "no pause" into a hiccup.
      if (controls === UNREADABLE_CONTROLS) throw new Error('the operator controls could not be read');
      const override = overridePlacement(controls, request.executionMode);
      const pause = pauseFor(controls, request.type, request.tenant);
      return {
        ...(override ? { override } : {}),
        ...(pause ? { pause: { by: pause.by, at: pause.at, reason: pause.reason, scope: pause.scope } } : {}),
      };
    },
  };
}
