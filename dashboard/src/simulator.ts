// The placement simulator panel: replays the period's finished tasks through the placement policies
// (POST /api/placement/simulate, the model of domain/placement-simulator.ts) and shows each policy's makespan,
// latency, cost and share per target beside what really happened. Nothing runs: the figures come from the model.
// It runs when asked, as a replay reads up to thousands of tasks from Temporal visibility.
import { describeError, http, unwrap } from './api';
import { h } from './dom';
import { fmtDateTime, fmtInt, fmtMs, fmtPct, fmtUsd } from './format';
import { Panel } from './panel';
import { toast } from './toast';
import type { AutoObjective, SimulatedPolicy, SimulateRequest, SimulateResult, SimulationSummary } from './types';

// Keyed by the request's own unions: a policy or objective the API gains fails the type check until it is offered.
const POLICIES: Record<SimulatedPolicy, string> = {
  local: 'All LOCAL',
  lambda: 'All LAMBDA',
  threshold: 'Threshold',
  predictive: 'Predictive',
};
const OBJECTIVES: Record<AutoObjective, string> = { balanced: 'Balanced', latency: 'Latency', cost: 'Cost' };
const PERIODS = ['15m', '1h', '6h', '24h', '7d', '30d'];

export class SimulatorPanel {
  readonly panel: Panel;
  private readonly form: HTMLFormElement;
  private readonly policyBoxes: HTMLInputElement[];
  private readonly threshold: HTMLInputElement;
  private readonly objective: HTMLSelectElement;
  private readonly since: HTMLInputElement;
  private readonly type: HTMLSelectElement;
  private readonly name: HTMLInputElement;
  private readonly run: HTMLButtonElement;
  private readonly results = h(
    'div',
    { class: 'sim-results' },
    h(
      'p',
      { class: 'muted' },
      'Replays the finished tasks of the period through each policy, beside what really happened. Nothing is run.',
    ),
  );

  constructor(root: HTMLElement) {
    this.policyBoxes = (Object.keys(POLICIES) as SimulatedPolicy[]).map((p) =>
      h('input', { type: 'checkbox', name: 'policies', value: p, checked: true }),
    );
    this.threshold = h('input', {
      name: 'threshold',
      type: 'number',
      min: 0,
      max: 100_000,
      step: 1,
      inputmode: 'numeric',
      placeholder: 'configured',
    });
    this.objective = h(
      'select',
      { name: 'objective' },
      h('option', { value: '' }, 'Configured'),
      (Object.keys(OBJECTIVES) as AutoObjective[]).map((o) => h('option', { value: o }, OBJECTIVES[o])),
    );
    this.since = h('input', {
      name: 'since',
      type: 'text',
      required: true,
      value: '24h',
      // The route's pattern; how far back visibility reaches is the API's to say (SPILLWAY_INVALID_SIMULATION).
      pattern: '[0-9]{1,4}[smhd]',
      title: 'A duration back from now: 90m, 24h, 7d',
      list: 'simulator-periods',
      autocomplete: 'off',
      spellcheck: 'false',
    });
    this.type = h('select', { name: 'type' }, h('option', { value: '' }, 'All'));
    this.name = h('input', {
      name: 'name',
      type: 'text',
      maxlength: 200,
      pattern: '[^\'"\\\\]+',
      title: 'The name the tasks were submitted with; no quotes or backslashes',
      placeholder: 'all tasks',
      autocomplete: 'off',
      spellcheck: 'false',
    });
    this.run = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Simulate');
    const field = (label: string, control: HTMLElement, extra = '') =>
      h('label', { class: `field${extra ? ` ${extra}` : ''}` }, h('span', {}, label), control);
    this.form = h(
      'form',
      { class: 'filters sim-form', 'aria-label': 'Simulate placement policies' },
      h(
        'fieldset',
        { class: 'sim-policies' },
        h('legend', {}, 'Policies'),
        this.policyBoxes.map((box) => h('label', { class: 'check' }, box, POLICIES[box.value as SimulatedPolicy])),
      ),
      field('Threshold', this.threshold, 'field-narrow'),
      field('Objective', this.objective),
      field('Since', this.since, 'field-narrow'),
      h(
        'datalist',
        { id: 'simulator-periods' },
        PERIODS.map((p) => h('option', { value: p })),
      ),
      field('Type', this.type),
      field('Name', this.name, 'field-grow'),
      this.run,
    );
    this.form.addEventListener('change', () => this.syncFields());
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.panel.load();
    });
    this.syncFields();
    this.panel = new Panel(
      root,
      {
        id: 'simulator',
        title: 'Placement simulator',
        hint: 'what each policy would have done with the recorded tasks',
        initial: [this.form, this.results],
      },
      () => this.simulate(),
    );
  }

  /** The deployed task types, to replay one type only. */
  setTaskTypes(types: readonly string[]): void {
    this.type.replaceChildren(h('option', { value: '' }, 'All'), ...types.map((t) => h('option', { value: t }, t)));
  }

  /** The threshold and the objective matter to one policy each; at least one policy is asked for. */
  private syncFields(): void {
    const chosen = this.chosenPolicies();
    this.threshold.disabled = !chosen.includes('threshold');
    this.objective.disabled = !chosen.includes('predictive');
    this.policyBoxes[0]?.setCustomValidity(chosen.length ? '' : 'Pick at least one policy');
  }

  private chosenPolicies(): SimulatedPolicy[] {
    return this.policyBoxes.filter((b) => b.checked).map((b) => b.value as SimulatedPolicy);
  }

  /** The request the form describes: what is left blank is the API's default (the deployment's configuration). */
  private request(): SimulateRequest {
    const body: SimulateRequest = { since: this.since.value.trim(), policies: this.chosenPolicies() };
    if (!this.threshold.disabled && this.threshold.value !== '') body.threshold = Number(this.threshold.value);
    if (!this.objective.disabled && this.objective.value) body.objective = this.objective.value as AutoObjective;
    if (this.type.value) body.type = this.type.value;
    const name = this.name.value.trim();
    if (name) body.name = name;
    return body;
  }

  private async simulate(): Promise<void> {
    const body = this.request();
    const label = this.run.textContent;
    this.run.disabled = true;
    this.run.textContent = 'Simulating…';
    try {
      const data = await unwrap(http.POST('/api/placement/simulate', { body }));
      this.results.replaceChildren(...this.render(data));
    } catch (err) {
      // What was shown stays: it is the answer to the last request that succeeded.
      toast('error', 'Simulation failed', describeError(err));
    } finally {
      this.run.disabled = false;
      this.run.textContent = label;
    }
  }

  private render(data: SimulateResult): HTMLElement[] {
    const s = data.settings;
    const period = h('span', { 'data-field': 'since' }, fmtDateTime(data.since));
    if (!data.actual || data.tasks === 0) {
      return [h('p', { class: 'muted sim-summary' }, 'No finished tasks to replay since ', period, '.')];
    }
    const lambda = s.lambda;
    return [
      h(
        'p',
        { class: 'sim-summary' },
        h('strong', { 'data-field': 'tasks' }, `${fmtInt(data.tasks)} task${data.tasks === 1 ? '' : 's'}`),
        ' finished since ',
        period,
        h(
          'span',
          { class: 'muted small sim-settings' },
          `Local pool: ${fmtInt(s.localPoolSize)} slot${s.localPoolSize === 1 ? '' : 's'}, ` +
            `${fmtMs(s.localOverheadMs)} per task beyond its run${s.calibrated ? ' (fitted to the recorded LOCAL tasks)' : ''}` +
            ` · Lambda: concurrency ${fmtInt(lambda.concurrency)}, cold start ${fmtMs(lambda.initMs)}, ` +
            `invoke ${fmtMs(lambda.overheadMs)}, warm for ${fmtMs(lambda.idleLifetimeMs)} idle`,
        ),
      ),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'ops-table sim-table' },
          h('caption', { class: 'visually-hidden' }, 'Each policy replayed over the recorded tasks, and what happened'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Policy'),
              h('th', { scope: 'col', class: 'num' }, 'Makespan'),
              h('th', { scope: 'col', class: 'num' }, 'p50'),
              h('th', { scope: 'col', class: 'num' }, 'p95'),
              h('th', { scope: 'col', class: 'num' }, 'Cost'),
              h('th', { scope: 'col' }, 'Share per target'),
              h('th', { scope: 'col', class: 'num' }, 'Cold starts'),
            ),
          ),
          h(
            'tbody',
            {},
            row(data.actual, true),
            data.results.map((r) => row(r, false)),
          ),
        ),
      ),
    ];
  }
}

function row(r: SimulationSummary, actual: boolean): HTMLElement {
  const local = fmtPct(r.share.LOCAL);
  const lambda = fmtPct(r.share.LAMBDA);
  return h(
    'tr',
    { 'data-policy': r.policy, class: actual ? 'sim-actual' : undefined },
    h('th', { scope: 'row' }, actual ? h('strong', {}, 'What happened') : r.policy),
    h('td', { class: 'num', 'data-field': 'makespan' }, fmtMs(r.makespanMs)),
    h('td', { class: 'num', 'data-field': 'p50' }, fmtMs(r.latencyMs.p50)),
    h('td', { class: 'num', 'data-field': 'p95' }, fmtMs(r.latencyMs.p95)),
    h('td', { class: 'num', 'data-field': 'cost' }, fmtUsd(r.costUsd)),
    h(
      'td',
      { class: 'sim-share', title: `${fmtInt(r.placed.LOCAL)} local, ${fmtInt(r.placed.LAMBDA)} on Lambda` },
      h(
        'div',
        { class: 'split-bar thin', 'aria-hidden': 'true' },
        r.share.LOCAL > 0
          ? h('span', { class: 'split-seg seg-local', style: `flex-grow:${r.share.LOCAL * 100}` })
          : null,
        r.share.LAMBDA > 0
          ? h('span', { class: 'split-seg seg-lambda', style: `flex-grow:${r.share.LAMBDA * 100}` })
          : null,
      ),
      h('span', { class: 'small', 'data-field': 'share' }, `${local} local · ${lambda} Lambda`),
    ),
    h('td', { class: 'num', 'data-field': 'cold-starts' }, fmtInt(r.coldStarts)),
  );
}
