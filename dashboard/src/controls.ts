// The operator controls panel (GET /api/controls): the placement override in force (drain Lambda, force Lambda),
// the paused task types and tenants, the audit of who did what and why, and the actions that change them. Every
// action asks for its reason first (confirm.ts), as the API keeps it in the audit.
import { describeError, http, unwrap } from './api';
import { confirmAction } from './confirm';
import { h } from './dom';
import { fmtDateTime, fmtTime } from './format';
import { actionButton, Panel } from './panel';
import { toast } from './toast';
import type { ControlsView } from './types';

const OVERRIDES = {
  'drain-lambda': { label: 'Drain Lambda', effect: 'AUTO and LAMBDA tasks go LOCAL' },
  'force-lambda': { label: 'Force Lambda', effect: 'AUTO tasks go to Lambda' },
} as const;
type OverrideMode = keyof typeof OVERRIDES;

/** How many audit entries are shown, newest first (the API keeps more). */
const AUDIT_SHOWN = 10;

function scopeText(scope: string): string {
  const [facet, ...rest] = scope.split(':');
  return `${facet === 'type' ? 'type' : facet === 'tenant' ? 'tenant' : facet} ${rest.join(':')}`;
}

export class ControlsPanel {
  readonly panel: Panel;
  private readonly taskTypes = h('datalist', { id: 'controls-types' });
  // Built once and filled on each load, so what an operator types in the form, and the audit's open state, survive it.
  private readonly form: HTMLFormElement;
  private readonly placementEl = h('div', { class: 'controls-placement' });
  private readonly pausesEl = h('div');
  private readonly auditEl = h('details', { class: 'controls-audit', open: true });
  private mounted = false;

  constructor(
    root: HTMLElement,
    private readonly onChanged: () => void,
  ) {
    this.panel = new Panel(
      root,
      { id: 'controls', title: 'Operator controls', hint: 'pauses and placement overrides, audited' },
      () => this.fetch(),
    );
    root.append(this.taskTypes);
    const facet = h(
      'select',
      { name: 'facet', 'aria-label': 'Pause by' },
      h('option', { value: 'type' }, 'Type'),
      h('option', { value: 'tenant' }, 'Tenant'),
    );
    const value = h('input', {
      name: 'value',
      type: 'text',
      required: true,
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: 'image-processing, tenant-a',
      'aria-label': 'Type or tenant',
      list: 'controls-types',
    });
    facet.addEventListener('change', () => value.setAttribute('list', facet.value === 'type' ? 'controls-types' : ''));
    this.form = h(
      'form',
      { class: 'ops-form', 'aria-label': 'Pause or resume a type or tenant' },
      facet,
      value,
      h('button', { type: 'submit', class: 'btn btn-small', value: 'pause' }, 'Pause'),
      h('button', { type: 'submit', class: 'btn btn-small', value: 'resume' }, 'Resume'),
    );
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
      void this.setPause(submitter?.value !== 'resume', facet.value as 'type' | 'tenant', value.value.trim());
    });
  }

  /** The deployed task types, offered when pausing a type. */
  setTaskTypes(types: readonly string[]): void {
    this.taskTypes.replaceChildren(...types.map((t) => h('option', { value: t })));
  }

  private async fetch(): Promise<void> {
    const data = await unwrap(http.GET('/api/controls'));
    this.render(data);
  }

  private async setOverride(mode: OverrideMode | 'none'): Promise<void> {
    const current = mode === 'none' ? null : OVERRIDES[mode];
    const answer = await confirmAction({
      title: current ? current.label : 'Clear the placement override',
      message: current
        ? `${current.effect}, from now on, until the override is cleared. The reason appears in each affected task's placement.`
        : 'Placement goes back to each task’s own mode and the AUTO policy.',
      confirm: current ? current.label : 'Clear override',
      danger: mode !== 'none',
      reason: 'required',
    });
    if (!answer) return;
    try {
      await unwrap(
        http.POST('/api/controls/placement', { body: { mode, reason: answer.reason ?? '', by: answer.by } }),
      );
      toast('success', current ? `${current.label}: on` : 'Placement override cleared', answer.reason);
      this.onChanged();
      // Through the panel's load, so a reload that was under way cannot show the state from before.
      await this.panel.load();
    } catch (err) {
      toast('error', 'Could not change the placement override', describeError(err));
    }
  }

  private async setPause(paused: boolean, facet: 'type' | 'tenant', value: string): Promise<void> {
    const what = `${facet} ${value}`;
    const answer = await confirmAction({
      title: paused ? `Pause ${what}` : `Resume ${what}`,
      message: paused
        ? `Every task of ${what} waits: running ones finish their current attempt first, new ones do not start.`
        : `Tasks of ${what} run again.`,
      confirm: paused ? 'Pause' : 'Resume',
      danger: paused,
      reason: 'required',
    });
    if (!answer) return;
    try {
      const body = { [facet]: value, reason: answer.reason ?? '', by: answer.by };
      const data = await unwrap(
        paused ? http.POST('/api/controls/pause', { body }) : http.POST('/api/controls/resume', { body }),
      );
      toast(
        'success',
        `${paused ? 'Paused' : 'Resumed'} ${what}`,
        `${data.affected} running task${data.affected === 1 ? '' : 's'} ${paused ? 'paused' : 'resumed'}`,
      );
      this.onChanged();
      await this.panel.load();
    } catch (err) {
      toast('error', `Could not ${paused ? 'pause' : 'resume'} ${what}`, describeError(err));
    }
  }

  private render(data: ControlsView): void {
    if (!this.mounted) {
      this.panel.show(
        this.placementEl,
        h(
          'div',
          { class: 'controls-pauses' },
          h('h3', { class: 'ops-subtitle' }, 'Paused types and tenants'),
          this.pausesEl,
          this.form,
        ),
        this.auditEl,
      );
      this.mounted = true;
    }
    const override = data.placementOverride;
    const overrideMode = override?.mode as OverrideMode | undefined;
    const pauses = Object.entries(data.pauses);

    this.placementEl.dataset.override = overrideMode ?? 'none';
    this.placementEl.replaceChildren(
      h('h3', { class: 'ops-subtitle' }, 'Placement'),
      override
        ? h(
            'p',
            { class: 'notice notice-warn' },
            h('strong', {}, OVERRIDES[overrideMode as OverrideMode]?.label ?? override.mode),
            ` since ${fmtTime(override.at)} by ${override.by}: ${override.reason}`,
          )
        : h('p', { class: 'muted' }, 'No override: each task’s mode and the AUTO policy decide.'),
      h(
        'div',
        { class: 'ops-actions' },
        (Object.keys(OVERRIDES) as OverrideMode[])
          .filter((m) => m !== overrideMode)
          .map((m) => actionButton(OVERRIDES[m].label, {}, () => this.setOverride(m))),
        override ? actionButton('Clear override', {}, () => this.setOverride('none')) : null,
      ),
    );

    this.pausesEl.replaceChildren(
      pauses.length
        ? h(
            'ul',
            { class: 'ops-list' },
            pauses.map(([scope, p]) => {
              const [kind, ...rest] = scope.split(':');
              return h(
                'li',
                { 'data-scope': scope },
                h(
                  'div',
                  { class: 'ops-line' },
                  h('strong', {}, scopeText(scope)),
                  h('span', { class: 'muted small' }, ` since ${fmtTime(p.at)} by ${p.by}: ${p.reason}`),
                  h(
                    'span',
                    { class: 'ops-actions' },
                    actionButton('Resume', { 'aria-label': `Resume ${scopeText(scope)}` }, () =>
                      this.setPause(false, kind === 'tenant' ? 'tenant' : 'type', rest.join(':')),
                    ),
                  ),
                ),
              );
            }),
          )
        : h('p', { class: 'muted' }, 'Nothing paused.'),
    );

    const recent = data.audit.slice(-AUDIT_SHOWN).reverse();
    this.auditEl.replaceChildren(
      h('summary', {}, `Audit (latest ${recent.length})`),
      recent.length
        ? h(
            'ol',
            { class: 'ops-list audit-list' },
            recent.map((a) =>
              h(
                'li',
                {},
                h('time', { datetime: a.at, title: fmtDateTime(a.at) }, fmtTime(a.at)),
                ' ',
                h('strong', {}, a.action),
                ` ${a.target} · ${a.by}: `,
                h('span', { class: 'muted' }, a.reason),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No operator action yet.'),
    );
  }
}
