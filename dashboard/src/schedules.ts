// The schedules panel: every recurring task (Temporal Schedules, GET /api/schedules) with its rule, next runs and the
// tasks it started lately, and Pause / Resume, Run now and Delete. Schedules fire on their own, so it also reloads on
// an interval.
import { describeError, http, unwrap } from './api';
import { confirmAction } from './confirm';
import { h } from './dom';
import { fmtDateTime, fmtTime } from './format';
import { actionButton, Panel } from './panel';
import { statusBadge } from './table';
import { toast } from './toast';
import type { ScheduleView } from './types';

/** How many schedules are read in detail (each is one more request); the rest are listed by name. */
const DETAILED = 20;
/** After "Run now", the run is looked for this many times, a second apart (task lists are eventually consistent). */
const FOLLOW_TRIES = 10;

interface Spec {
  cron?: string;
  every?: string;
  timezone?: string;
  jitterSeconds?: number;
}

interface TaskTemplate {
  type?: string;
  executionMode?: string;
}

function ruleText(spec: unknown): string {
  const s = (spec ?? {}) as Spec;
  const rule = s.cron ? `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ''}` : s.every ? `every ${s.every}` : '';
  return `${rule}${s.jitterSeconds ? ` · jitter ${s.jitterSeconds}s` : ''}`;
}

export class SchedulesPanel {
  readonly panel: Panel;
  private readonly views = new Map<string, ScheduleView>();

  constructor(
    root: HTMLElement,
    private readonly onOpenTask: (id: string) => void,
  ) {
    this.panel = new Panel(
      root,
      { id: 'schedules', title: 'Schedules', hint: 'recurring tasks on Temporal Schedules' },
      () => this.fetch(),
    );
  }

  private async fetch(): Promise<void> {
    const data = await unwrap(http.GET('/api/schedules'));
    const views = await Promise.all(
      data.schedules.slice(0, DETAILED).map((s) =>
        unwrap(http.GET('/api/schedules/{id}', { params: { path: { id: s.id } } })).then(
          (view) => view,
          // Deleted between the list and the read (the list is eventually consistent): not shown.
          () => null,
        ),
      ),
    );
    const shown = views.filter((v): v is ScheduleView => v !== null);
    this.views.clear();
    for (const v of shown) this.views.set(v.id, v);
    if (!shown.length) {
      this.panel.show(
        h('p', { class: 'muted' }, 'No schedules yet. POST /api/schedules with a cron or an interval and a task.'),
      );
      return;
    }
    const more = data.schedules.length - DETAILED;
    this.panel.show(
      h(
        'ul',
        { class: 'ops-list schedule-list' },
        shown.map((s) => this.item(s)),
      ),
      more > 0 ? h('p', { class: 'muted small' }, `and ${more} more (GET /api/schedules)`) : null,
    );
  }

  /** Reloads until the run just started is among the schedule's recent tasks, so it shows without waiting. */
  private async followRun(before: ScheduleView): Promise<void> {
    const known = new Set(before.recentTasks.map((t) => t.id));
    for (let i = 0; i < FOLLOW_TRIES; i++) {
      await this.panel.load();
      const now = this.views.get(before.id);
      if (!now || now.recentTasks.some((t) => !known.has(t.id))) return;
      await new Promise((resolve) => window.setTimeout(resolve, 1000));
    }
  }

  private item(s: ScheduleView): HTMLLIElement {
    const task = (s.task ?? {}) as TaskTemplate;
    const name = s.name;
    const act = async (action: 'pause' | 'unpause' | 'trigger' | 'delete') => {
      const answer =
        action === 'delete'
          ? await confirmAction({
              title: `Delete schedule ${name}`,
              message: 'It starts no more tasks. The tasks it started stay.',
              confirm: 'Delete',
              danger: true,
            })
          : action === 'pause'
            ? await confirmAction({
                title: `Pause schedule ${name}`,
                message: 'It starts nothing until it is resumed.',
                confirm: 'Pause',
                reason: 'optional',
              })
            : {};
      if (!answer) return;
      try {
        const path = { params: { path: { id: s.id } } };
        const body = answer.reason ? { note: answer.reason } : {};
        await unwrap(
          action === 'delete'
            ? http.DELETE('/api/schedules/{id}', path)
            : action === 'trigger'
              ? http.POST('/api/schedules/{id}/trigger', path)
              : action === 'pause'
                ? http.POST('/api/schedules/{id}/pause', { ...path, body })
                : http.POST('/api/schedules/{id}/unpause', { ...path, body }),
        );
        const done = { pause: 'Paused', unpause: 'Resumed', trigger: 'Started a run of', delete: 'Deleted' }[action];
        toast('success', `${done} ${name}`);
      } catch (err) {
        toast('error', `Could not ${action} ${name}`, describeError(err));
      }
      if (action === 'trigger') await this.followRun(s);
      else await this.panel.load();
    };
    return h(
      'li',
      { 'data-schedule': s.id, 'data-paused': String(s.paused) },
      h(
        'div',
        { class: 'ops-line' },
        h('strong', { class: 'mono' }, name),
        h(
          'span',
          { class: `badge ${s.paused ? 'status-cancelled' : 'status-completed'}` },
          s.paused ? 'Paused' : 'Active',
        ),
        h('span', { class: 'muted small' }, ruleText(s.spec)),
        task.type ? h('span', { class: 'type' }, task.type) : null,
        task.executionMode ? h('span', { class: 'muted small' }, task.executionMode) : null,
        h(
          'span',
          { class: 'ops-actions' },
          s.paused
            ? actionButton('Resume', { 'aria-label': `Resume schedule ${name}` }, () => act('unpause'))
            : actionButton('Pause', { 'aria-label': `Pause schedule ${name}` }, () => act('pause')),
          actionButton('Run now', { 'aria-label': `Run schedule ${name} now` }, () => act('trigger')),
          actionButton(
            'Delete',
            { 'aria-label': `Delete schedule ${name}`, class: 'btn btn-small btn-danger-ghost' },
            () => act('delete'),
          ),
        ),
      ),
      s.paused && s.note ? h('p', { class: 'muted small ops-note' }, s.note) : null,
      h(
        'div',
        { class: 'ops-meta' },
        h('span', { class: 'muted' }, 'Next: '),
        s.paused || !s.nextRuns.length
          ? h('span', { class: 'muted' }, s.paused ? 'none while paused' : 'none')
          : s.nextRuns
              .slice(0, 3)
              .map((t, i) => [
                i ? ', ' : '',
                h('time', { datetime: t, title: fmtDateTime(t), class: 'next-run' }, fmtTime(t)),
              ])
              .flat(),
      ),
      h(
        'div',
        { class: 'ops-meta recent-tasks' },
        h('span', { class: 'muted' }, 'Recent: '),
        s.recentTasks.length
          ? s.recentTasks.slice(0, 6).map((t) => {
              const link = h(
                'a',
                {
                  href: `#/tasks/${encodeURIComponent(t.id)}`,
                  class: 'recent-task',
                  'data-task': t.id,
                  title: `${t.id}${t.scheduledAt ? ` · ${fmtDateTime(t.scheduledAt)}` : ''}`,
                },
                statusBadge(t.status),
              );
              link.addEventListener('click', (e) => {
                e.preventDefault();
                this.onOpenTask(t.id);
              });
              return link;
            })
          : h('span', { class: 'muted' }, 'no runs yet'),
      ),
    );
  }
}
