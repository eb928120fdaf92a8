// Operator controls through the API: pause and resume one task, or every task of a type or tenant, and override
// placement (drain Lambda, force Lambda). Pausing a running attempt is Temporal's own (PauseActivity: the attempt
// finishes, the next is not scheduled until resumed); the task's workflow remembers the pause for its status and
// does not start while paused. Every change is audited in the controls workflow: who, when and why.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { changeControls, type ControlsReader } from '../../clients/operator-controls';
import {
  AUDIT_UPDATE,
  PAUSE_SIGNAL,
  RESUME_SIGNAL,
  SEARCH_ATTRIBUTES,
  SET_PAUSE_UPDATE,
  SET_PLACEMENT_OVERRIDE_UPDATE,
  TASK_WORKFLOW_TYPE,
} from '../../domain/constants';
import type { ControlsState, PauseScope, PlacementOverrideMode } from '../../domain/operator-controls';
import { labelClause } from '../../domain/search-attributes';
import { Errors } from '../errors';

export interface Actor {
  by: string;
  reason: string;
}

/** A scope pause reaches at most this many open tasks at once; later ones see the pause when they start. */
const SCOPE_BATCH_LIMIT = 2_000;

export function createOperatorService(deps: { client: Client; namespace: string; controls: ControlsReader }) {
  const { client } = deps;
  const identity = 'spillway-api';

  async function pendingActivityIds(taskId: string): Promise<string[]> {
    const description = await client.workflow.getHandle(taskId).describe();
    if (description.type !== TASK_WORKFLOW_TYPE) throw Errors.taskNotFound(`no task with id "${taskId}"`);
    if (description.status.name !== 'RUNNING') {
      throw Errors.taskNotPausable(`task "${taskId}" has already ended (${description.status.name})`);
    }
    return (description.raw.pendingActivities ?? []).map((a) => a.activityId ?? '').filter(Boolean);
  }

  async function pauseOne(taskId: string, actor: Actor, scope?: string): Promise<void> {
    const activities = await pendingActivityIds(taskId);
    await client.workflow.getHandle(taskId).signal(PAUSE_SIGNAL, { ...actor, scope });
    for (const id of activities) {
      await client.workflowService.pauseActivity({
        namespace: deps.namespace,
        execution: { workflowId: taskId },
        id,
        identity,
        reason: `${actor.by}: ${actor.reason}`.slice(0, 500),
        requestId: randomUUID(),
      });
    }
  }

  async function resumeOne(taskId: string, actor: Actor): Promise<void> {
    const activities = await pendingActivityIds(taskId);
    await client.workflow.getHandle(taskId).signal(RESUME_SIGNAL, actor);
    for (const id of activities) {
      await client.workflowService.unpauseActivity({
        namespace: deps.namespace,
        execution: { workflowId: taskId },
        id,
        identity,
        resetAttempts: false,
        resetHeartbeat: false,
      });
    }
  }

  async function audit(action: string, target: string, actor: Actor): Promise<void> {
    await changeControls(client, AUDIT_UPDATE, [{ action, target, by: actor.by, reason: actor.reason }]);
  }

  /** Open tasks of a type or tenant, for a scope pause to reach those already running. */
  async function openTasks(scope: PauseScope): Promise<string[]> {
    const [facet, value] = [scope.slice(0, scope.indexOf(':')), scope.slice(scope.indexOf(':') + 1)];
    const clause =
      facet === 'type' ? `${SEARCH_ATTRIBUTES.taskType} = '${value.replace(/'/g, '')}'` : labelClause('tenant', value);
    const ids: string[] = [];
    for await (const info of client.workflow.list({
      query: `WorkflowType = '${TASK_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND ${clause}`,
    })) {
      ids.push(info.workflowId);
      if (ids.length >= SCOPE_BATCH_LIMIT) break;
    }
    return ids;
  }

  return {
    async pauseTask(taskId: string, actor: Actor) {
      await pauseOne(taskId, actor);
      await audit('pause-task', taskId, actor);
      return { id: taskId, paused: true };
    },
    async resumeTask(taskId: string, actor: Actor) {
      await resumeOne(taskId, actor);
      await audit('resume-task', taskId, actor);
      return { id: taskId, paused: false };
    },
    /** Pauses or resumes every task of the scope: the ones running now, and new ones when they start. */
    async setScopePause(
      scope: PauseScope,
      paused: boolean,
      actor: Actor,
    ): Promise<{ controls: ControlsState; affected: number }> {
      const controls = await changeControls(client, SET_PAUSE_UPDATE, [{ scope, paused, ...actor }]);
      deps.controls.invalidate();
      let affected = 0;
      for (const id of await openTasks(scope)) {
        const done = await (paused ? pauseOne(id, actor, scope) : resumeOne(id, actor)).then(
          () => true,
          // A task that ended in between is not an error of the operator's.
          () => false,
        );
        if (done) affected++;
      }
      return { controls, affected };
    },
    async setPlacementOverride(mode: PlacementOverrideMode | 'none', actor: Actor): Promise<ControlsState> {
      const controls = await changeControls(client, SET_PLACEMENT_OVERRIDE_UPDATE, [{ mode, ...actor }]);
      deps.controls.invalidate();
      return controls;
    },
    controls: () => deps.controls.current(),
  };
}

export type OperatorService = ReturnType<typeof createOperatorService>;
