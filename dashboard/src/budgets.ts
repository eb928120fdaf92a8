// The budgets panel: each cost budget's spend, committed spend of running tasks, forecast for the period and limit
// (GET /api/budgets), with its level and what happens at 100 %. Reloaded when a task ends or a budget event arrives.
import { http, unwrap } from './api';
import { h } from './dom';
import { fmtDateTime, fmtPct, fmtUsd } from './format';
import { Panel } from './panel';
import type { Budget } from './types';

const LEVEL_LABEL: Record<Budget['level'], string> = {
  ok: 'OK',
  warn75: 'Over 75 %',
  warn90: 'Over 90 %',
  exceeded: 'Exceeded',
};

const ACTION_LABEL: Record<Budget['onExceeded'], string> = {
  'force-local': 'then runs LOCAL',
  hold: 'then holds new tasks',
  refuse: 'then refuses new tasks (402)',
};

function scopeLabel(scope: Budget['scope']): string {
  switch (scope.kind) {
    case 'deployment':
      return 'whole deployment';
    case 'tenant':
      return `tenant ${scope.tenant}`;
    case 'taskType':
      return `type ${scope.taskType}`;
  }
}

/** Spent and committed as shares of the limit; past the limit the bar is full. */
function usageBar(b: Budget): HTMLElement {
  const spent = Math.min(1, b.spentUsd / b.limitUsd);
  const committed = Math.min(1 - spent, b.committedUsd / b.limitUsd);
  return h(
    'div',
    {
      class: `budget-bar level-${b.level}`,
      role: 'img',
      'aria-label': `${fmtPct(b.used)} of the limit used or committed`,
    },
    h('span', { class: 'budget-spent', style: `width:${(spent * 100).toFixed(2)}%` }),
    h('span', { class: 'budget-committed', style: `width:${(committed * 100).toFixed(2)}%` }),
  );
}

export class BudgetsPanel {
  readonly panel: Panel;

  constructor(root: HTMLElement) {
    this.panel = new Panel(
      root,
      { id: 'budgets', title: 'Budgets', hint: 'spend this period against each limit' },
      () => this.fetch(),
    );
  }

  private async fetch(): Promise<void> {
    const data = await unwrap(http.GET('/api/budgets'));
    if (!data.budgets.length) {
      this.panel.show(
        h('p', { class: 'muted' }, 'No budgets configured. Set SPILLWAY_BUDGETS to cap spend per tenant, type or day.'),
      );
      return;
    }
    this.panel.show(
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'ops-table budgets-table' },
          h('caption', { class: 'visually-hidden' }, 'Budgets in their current period'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Budget'),
              h('th', { scope: 'col', class: 'num' }, 'Spent'),
              h('th', { scope: 'col', class: 'num' }, 'Committed'),
              h('th', { scope: 'col', class: 'num' }, 'Forecast'),
              h('th', { scope: 'col', class: 'num' }, 'Limit'),
            ),
          ),
          h(
            'tbody',
            {},
            data.budgets.map((b) =>
              h(
                'tr',
                { 'data-budget': b.id, 'data-level': b.level },
                h(
                  'th',
                  { scope: 'row' },
                  h('span', { class: 'mono' }, b.id),
                  ' ',
                  h('span', { class: `badge budget-level level-${b.level}` }, LEVEL_LABEL[b.level]),
                  h(
                    'span',
                    { class: 'budget-scope muted small', title: `until ${fmtDateTime(b.periodEnd)}` },
                    `${scopeLabel(b.scope)} · per ${b.period} · ${fmtPct(b.used)} · ${ACTION_LABEL[b.onExceeded]}`,
                  ),
                  usageBar(b),
                ),
                h('td', { class: 'num', 'data-field': 'spent' }, fmtUsd(b.spentUsd)),
                h('td', { class: 'num', 'data-field': 'committed' }, fmtUsd(b.committedUsd)),
                h('td', { class: 'num', 'data-field': 'forecast' }, fmtUsd(b.forecastUsd)),
                h('td', { class: 'num', 'data-field': 'limit' }, fmtUsd(b.limitUsd)),
              ),
            ),
          ),
        ),
      ),
    );
  }
}
