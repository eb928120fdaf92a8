// The dead letters panel: tasks that FAILED (or were CANCELLED or EXPIRED) and were not redriven, grouped by type and
// error with the last error (GET /api/dead-letters), and a Redrive per group that re-runs every task of it, optionally
// in another mode (POST /api/dead-letters/redrive). Reloaded when a task ends.
import { describeError, http, unwrap } from './api';
import { confirmAction } from './confirm';
import { h } from './dom';
import { fmtDateTime, fmtInt } from './format';
import { actionButton, Panel } from './panel';
import { toast } from './toast';
import type { DeadLetterGroup } from './types';

export class DeadLettersPanel {
  readonly panel: Panel;

  constructor(
    root: HTMLElement,
    private readonly onOpenTask: (id: string) => void,
  ) {
    this.panel = new Panel(
      root,
      { id: 'dead-letters', title: 'Dead letters', hint: 'failed tasks by type and error, not yet redriven' },
      () => this.fetch(),
    );
  }

  private async fetch(): Promise<void> {
    const data = await unwrap(http.GET('/api/dead-letters'));
    if (!data.groups.length) {
      this.panel.show(
        h('p', { class: 'muted' }, 'No dead letters: every failed task has been redriven, or none failed.'),
      );
      return;
    }
    this.panel.show(
      h(
        'ul',
        { class: 'ops-list dead-letter-list' },
        data.groups.map((g) => this.item(g)),
      ),
    );
  }

  private async redrive(g: DeadLetterGroup): Promise<void> {
    const answer = await confirmAction({
      title: `Redrive ${g.type} · ${g.errorType}`,
      message: `Re-runs the ${g.count} task${g.count === 1 ? '' : 's'} of this group as new tasks, each linked to the one it replaces.`,
      confirm: 'Redrive',
      modes: true,
    });
    if (!answer) return;
    try {
      const data = await unwrap(
        http.POST('/api/dead-letters/redrive', {
          body: { type: g.type, errorType: g.errorType, executionMode: answer.executionMode },
        }),
      );
      toast(
        data.failed ? 'error' : 'success',
        `Redrove ${data.redriven} task${data.redriven === 1 ? '' : 's'}`,
        data.failed
          ? `${data.failed} could not be redriven: ${data.results.find((r) => !r.ok)?.error?.message ?? ''}`
          : `${g.type} · ${g.errorType}`,
      );
    } catch (err) {
      toast('error', `Could not redrive ${g.type} · ${g.errorType}`, describeError(err));
    }
    await this.panel.load();
  }

  private item(g: DeadLetterGroup): HTMLLIElement {
    const last = g.examples.find((e) => e.lastError) ?? g.examples[0];
    return h(
      'li',
      { 'data-type': g.type, 'data-error': g.errorType },
      h(
        'div',
        { class: 'ops-line' },
        h('span', { class: 'type' }, g.type),
        h('strong', { class: 'error-type' }, g.errorType),
        h('span', { class: 'badge status-failed', 'data-count': String(g.count) }, `× ${fmtInt(g.count)}`),
        h(
          'span',
          { class: 'ops-actions' },
          actionButton('Redrive', { 'aria-label': `Redrive ${g.type} ${g.errorType}` }, () => this.redrive(g)),
        ),
      ),
      last?.lastError
        ? h(
            'p',
            { class: 'last-error' },
            h('span', { class: 'muted' }, 'Last error: '),
            last.lastError,
            last.finishedAt ? h('span', { class: 'muted small' }, ` · ${fmtDateTime(last.finishedAt)}`) : null,
          )
        : null,
      h(
        'div',
        { class: 'ops-meta' },
        g.examples.map((e) => {
          const link = h(
            'a',
            { href: `#/tasks/${encodeURIComponent(e.id)}`, class: 'mono small', 'data-task': e.id, title: e.id },
            e.name || e.id,
          );
          link.addEventListener('click', (ev) => {
            ev.preventDefault();
            this.onOpenTask(e.id);
          });
          return h('span', { class: 'example' }, link, ' ');
        }),
        g.count > g.examples.length
          ? h('span', { class: 'muted small' }, `and ${g.count - g.examples.length} more`)
          : null,
      ),
    );
  }
}
