// Recurring tasks, backed by Temporal Schedules: Temporal owns the timing (cron or interval, time zone, jitter,
// overlap, pause, backfill), so `temporal schedule list` shows them too and they survive every restart. The
// schedule's action starts TaskWorkflow from a template checked like any submission; each run's task id is the id
// Temporal gives the run, and it carries the label schedule:<id>.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleSpec,
  type ScheduleSummary,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { TASK_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE } from '../../domain/constants';
import { labelClause, TASK_STATUS_KEY } from '../../domain/search-attributes';
import { parseDurationMs } from '../../domain/task-options';
import { taskStatusOf } from '../../domain/task-status';
import { Errors } from '../errors';
import type { CreateScheduleBody } from '../schemas/schedule-schemas';
import { taskSearchAttributes } from '../../domain/search-attributes';
import type { TaskService } from './task-service';

export const OVERLAP_POLICIES = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'buffer-all': ScheduleOverlapPolicy.BUFFER_ALL,
  'cancel-other': ScheduleOverlapPolicy.CANCEL_OTHER,
  'terminate-other': ScheduleOverlapPolicy.TERMINATE_OTHER,
  'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
} as const;

/** Marks the schedules this API made, so listing leaves Spillway's own (the warm pool) and others' alone. */
const MEMO_KIND = 'spillway-task-schedule';
const RECENT_TASKS = 20;
/** The list shows each schedule's newest runs; the schedule's own view shows up to RECENT_TASKS. */
const RECENT_TASKS_LISTED = 5;
/** Ids per visibility query when the list reads its runs' statuses. */
const IDS_PER_QUERY = 100;

export function createScheduleService(deps: { client: Client; tasks: TaskService; uiUrl: string; namespace: string }) {
  const { client, tasks } = deps;

  function spec(body: Pick<CreateScheduleBody, 'cron' | 'every' | 'timezone' | 'jitterSeconds'>): ScheduleSpec {
    if ((body.cron === undefined) === (body.every === undefined)) {
      throw Errors.invalidSchedule('give exactly one of cron ("0 2 * * *") and every ("15m")');
    }
    return {
      ...(body.cron
        ? { cronExpressions: [body.cron] }
        : { intervals: [{ every: parseDurationMs(body.every as string) }] }),
      ...(body.timezone ? { timezone: body.timezone } : {}),
      ...(body.jitterSeconds ? { jitter: body.jitterSeconds * 1000 } : {}),
    };
  }

  /** A listed run's task status, as the task list reports it. */
  const statusOf = (info: WorkflowExecutionInfo) =>
    taskStatusOf(info.status.name, info.typedSearchAttributes.get(TASK_STATUS_KEY));

  async function view(description: ScheduleDescription) {
    const memo = (description.memo ?? {}) as { name?: string; task?: unknown; spec?: unknown };
    const recent: Array<{ id: string; status: string; scheduledAt?: string }> = [];
    for await (const info of client.workflow.list({
      query: `WorkflowType = '${TASK_WORKFLOW_TYPE}' AND ${labelClause('schedule', description.scheduleId)}`,
    })) {
      recent.push({
        id: info.workflowId,
        status: statusOf(info),
        scheduledAt: info.startTime.toISOString(),
      });
      if (recent.length >= RECENT_TASKS) break;
    }
    return {
      id: description.scheduleId,
      name: memo.name ?? description.scheduleId,
      paused: description.state.paused,
      note: description.state.note ?? null,
      spec: memo.spec ?? null,
      task: memo.task ?? null,
      nextRuns: description.info.nextActionTimes.map((d) => d.toISOString()),
      recentTasks: recent,
      links: {
        self: `/api/schedules/${encodeURIComponent(description.scheduleId)}`,
        temporalUi: `${deps.uiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/schedules/${encodeURIComponent(description.scheduleId)}`,
      },
    };
  }

  async function taskStatuses(ids: string[]): Promise<Map<string, string>> {
    const statuses = new Map<string, string>();
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      // Run ids are made by Temporal from schedule names, which cannot hold a quote; the filter drops any anyway.
      const list = ids
        .slice(i, i + IDS_PER_QUERY)
        .map((id) => `'${id.replace(/'/g, '')}'`)
        .join(', ');
      for await (const info of client.workflow.list({ query: `WorkflowId IN (${list})` })) {
        statuses.set(info.workflowId, statusOf(info));
      }
    }
    return statuses;
  }

  async function describe(id: string) {
    try {
      const description = await client.schedule.getHandle(id).describe();
      if ((description.memo as { kind?: string } | undefined)?.kind !== MEMO_KIND)
        throw new ScheduleNotFoundError('not ours', id);
      return description;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw Errors.scheduleNotFound(`no schedule with id "${id}"`);
      throw err;
    }
  }

  return {
    async create(body: CreateScheduleBody) {
      const id = body.name;
      for (const field of ['idempotencyKey', 'debounce', 'startAt', 'delaySeconds', 'expiresAt'] as const) {
        if (body.task[field] !== undefined)
          throw Errors.invalidSchedule(`task.${field} has no meaning for a recurring task`);
      }
      const scheduleSpec = spec(body);
      // Checked like any submission; the id and submission time are each run's own. The operator controls in force
      // now are not the template's: each run reads the ones in force when it places (a drain, a pause of its type).
      const { input } = await tasks.toTaskInput(body.task, '', { scheduleId: id });
      const { placementOverride: _override, startPaused: _paused, ...controlFree } = input;
      const template = { ...controlFree, id: '', submittedAt: '' };
      try {
        await client.schedule.create({
          scheduleId: id,
          spec: scheduleSpec,
          action: {
            type: 'startWorkflow',
            workflowType: TASK_WORKFLOW_TYPE,
            taskQueue: WORKFLOW_TASK_QUEUE,
            workflowId: `task-sched-${id}`,
            args: [template],
            typedSearchAttributes: taskSearchAttributes(template),
          },
          policies: { overlap: OVERLAP_POLICIES[body.overlap ?? 'skip'], catchupWindow: '1 minute' },
          state: { paused: body.paused ?? false, note: body.paused ? 'created paused' : undefined },
          memo: {
            kind: MEMO_KIND,
            name: body.name,
            task: body.task,
            spec: { cron: body.cron, every: body.every, timezone: body.timezone, jitterSeconds: body.jitterSeconds },
          },
        });
      } catch (err) {
        if (err instanceof ScheduleAlreadyRunning)
          throw Errors.scheduleExists(`a schedule named "${id}" already exists`);
        throw err;
      }
      return view(await describe(id));
    },
    async list() {
      const ours: ScheduleSummary[] = [];
      for await (const summary of client.schedule.list()) {
        if ((summary.memo as { kind?: string } | undefined)?.kind === MEMO_KIND) ours.push(summary);
      }
      // Each schedule's last runs come with the list (Temporal keeps its recent actions), latest due first; their
      // statuses come from one visibility query per hundred runs, not one per schedule.
      const runs = new Map(
        ours.map((summary) => [
          summary,
          (summary.info?.recentActions ?? [])
            .slice(-RECENT_TASKS_LISTED)
            .sort((a, b) => b.scheduledAt.getTime() - a.scheduledAt.getTime()),
        ]),
      );
      const statuses = await taskStatuses([...runs.values()].flat().map((r) => r.action.workflow.workflowId));
      const schedules = ours.map((summary) => ({
        id: summary.scheduleId,
        name: (summary.memo as { name?: string }).name ?? summary.scheduleId,
        paused: summary.state.paused,
        nextRuns: summary.info?.nextActionTimes.map((d) => d.toISOString()) ?? [],
        recentTasks: (runs.get(summary) ?? []).map((r) => ({
          id: r.action.workflow.workflowId,
          // Not yet in visibility: the run was started a moment ago.
          status: statuses.get(r.action.workflow.workflowId) ?? 'QUEUED',
          scheduledAt: r.scheduledAt.toISOString(),
        })),
        links: { self: `/api/schedules/${encodeURIComponent(summary.scheduleId)}` },
      }));
      return { schedules };
    },
    get: async (id: string) => view(await describe(id)),
    async pause(id: string, note: string) {
      await describe(id);
      await client.schedule.getHandle(id).pause(note);
      return view(await describe(id));
    },
    async unpause(id: string, note: string) {
      await describe(id);
      await client.schedule.getHandle(id).unpause(note);
      return view(await describe(id));
    },
    async trigger(id: string) {
      await describe(id);
      await client.schedule.getHandle(id).trigger();
      return { id, triggered: true };
    },
    async backfill(id: string, range: { start: string; end: string; overlap?: keyof typeof OVERLAP_POLICIES }) {
      await describe(id);
      const start = new Date(range.start);
      const end = new Date(range.end);
      if (!(end > start)) throw Errors.invalidSchedule('backfill end must be after its start');
      await client.schedule
        .getHandle(id)
        .backfill({ start, end, overlap: OVERLAP_POLICIES[range.overlap ?? 'allow-all'] });
      return { id, backfilled: { start: start.toISOString(), end: end.toISOString() } };
    },
    async remove(id: string) {
      await describe(id);
      await client.schedule.getHandle(id).delete();
      return { id, deleted: true };
    },
  };
}

export type ScheduleService = ReturnType<typeof createScheduleService>;
