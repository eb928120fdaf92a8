// The pipelines view: every pipeline and its recent executions (and those followed on AWS Step Functions), and for
// one execution (`#/pipelines/<name>/<exec>`) the graph of its states drawn from the definition (plain SVG), each
// state's status, placement, attempts and cost, the failed state with its error, Map progress, and Stop and Redrive.
// It follows the execution on the live event stream: every `pipeline` event carries the states that changed, newer
// than what REST answered (by the record's revision), and is drawn at once. REST is read when the execution opens,
// when the stream (re)connects, once the execution has ended (for its output and whether it can be redriven), and
// now and then in case an event was lost; only while the stream is down is a running execution polled, every 2 s.
import type { MapCounts, StateView } from '../../pipelines/execution-record';
import type { PipelineProgress } from '../../pipelines/progress';
import { ApiError, describeError, http, unwrap } from './api';
import { append, clear, h } from './dom';
import { fmtDateTime, fmtUsd, titleCase } from './format';
import { toast } from './toast';

interface PipelineSummary {
  name: string;
  arn: string;
  type: string;
  creationDate: string;
}

interface ExecutionSummary {
  name: string;
  status: string;
  startDate: string;
  stopDate?: string;
  links: { self: string };
}

interface RemoteExecution {
  executionArn: string;
  workflowId: string;
  status: string;
  startDate?: string;
  stopDate?: string;
}

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Array<{ Next?: string }>;
  Catch?: Array<{ Next: string }>;
  Branches?: AslMachine[];
  ItemProcessor?: AslMachine;
  Iterator?: AslMachine;
  Resource?: string;
  Spillway?: { ExecutionMode?: string };
}

interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
}

interface MapRun {
  stateName: string;
  status: string;
  items: MapCounts;
  mapRunArn: string;
}

interface ExecutionDetail {
  name: string;
  executionArn: string;
  status: string;
  revision?: number;
  costUsd?: number;
  transitions?: number;
  startDate: string;
  stopDate?: string;
  error?: string;
  cause?: string;
  output?: unknown;
  redriveCount: number;
  redriveStatus: string;
  definition?: AslMachine;
  defaultExecutionMode?: string;
  states: Record<string, StateView>;
  mapRuns: MapRun[];
  links: { self: string; stop: string; redrive: string; temporalUi: string };
}

const NODE_W = 220;
const NODE_H = 64;
const GAP_X = 36;
const GAP_Y = 44;
const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** The states a state can go to next, in the order the definition names them. */
export function successors(state: AslState): string[] {
  const out = [
    ...(state.Next ? [state.Next] : []),
    ...(state.Choices ?? []).map((c) => c.Next).filter((n): n is string => Boolean(n)),
    ...(state.Default ? [state.Default] : []),
    ...(state.Catch ?? []).map((c) => c.Next),
  ];
  return [...new Set(out)];
}

/** Rows of state names: the start first, each state one row below the first state that leads to it. */
export function layers(machine: AslMachine): string[][] {
  const depth = new Map<string, number>([[machine.StartAt, 0]]);
  const queue = [machine.StartAt];
  while (queue.length) {
    const name = queue.shift()!;
    const state = machine.States[name];
    if (!state) continue;
    for (const next of successors(state)) {
      if (!depth.has(next)) {
        depth.set(next, depth.get(name)! + 1);
        queue.push(next);
      }
    }
  }
  // States nothing reaches still get drawn, at the bottom.
  let max = Math.max(0, ...depth.values());
  for (const name of Object.keys(machine.States)) if (!depth.has(name)) depth.set(name, ++max);
  const rows: string[][] = [];
  for (const [name, d] of depth) (rows[d] ??= []).push(name);
  return rows.filter(Boolean);
}

/** The states inside a Parallel or Map state, for its summary line. */
function innerStates(state: AslState): string[] {
  const machines = [
    ...(state.Branches ?? []),
    ...(state.ItemProcessor ? [state.ItemProcessor] : []),
    ...(state.Iterator ? [state.Iterator] : []),
  ];
  return machines.flatMap((m) => Object.entries(m.States).flatMap(([n, s]) => [n, ...innerStates(s)]));
}

function placementText(view: StateView | undefined, state: AslState, fallback: string | undefined): string {
  const placed = Object.entries(view?.placements ?? {})
    .map(([p, n]) => `${p}×${n}`)
    .join(' ');
  if (placed) return placed;
  if (state.Type !== 'Task') return '';
  return state.Spillway?.ExecutionMode ?? fallback ?? 'LOCAL';
}

function mapText(counts: MapCounts | undefined): string {
  if (!counts) return '';
  const done = counts.succeeded + counts.failed + counts.aborted;
  return `${done}/${counts.total} done · ${counts.failed} failed · ${counts.running} running`;
}

function statusClass(status: string | undefined): string {
  switch (status) {
    case 'SUCCEEDED':
      return 'completed';
    case 'FAILED':
    case 'TIMED_OUT':
      return 'failed';
    case 'CAUGHT':
    case 'ABORTED':
      return 'cancelled';
    case 'RUNNING':
    case 'RETRYING':
      return 'running';
    default:
      return 'queued';
  }
}

/** The SVG graph of a machine's top-level states, coloured by what each did in this execution. */
export function drawGraph(detail: ExecutionDetail): SVGSVGElement | HTMLElement {
  const machine = detail.definition;
  if (!machine) return h('p', { class: 'muted' }, 'The definition is not available (no worker answered the query).');
  const rows = layers(machine);
  const width = Math.max(...rows.map((r) => r.length)) * (NODE_W + GAP_X) + GAP_X;
  const height = rows.length * (NODE_H + GAP_Y) + GAP_Y;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'pl-graph', role: 'img' });
  root.setAttribute('aria-label', `States of ${detail.name}`);
  const pos = new Map<string, { x: number; y: number }>();
  rows.forEach((row, r) => {
    const rowWidth = row.length * (NODE_W + GAP_X) - GAP_X;
    row.forEach((name, i) => {
      pos.set(name, { x: (width - rowWidth) / 2 + i * (NODE_W + GAP_X), y: GAP_Y / 2 + r * (NODE_H + GAP_Y) });
    });
  });
  const edges = svg('g', { class: 'pl-edges' });
  for (const [name, state] of Object.entries(machine.States)) {
    const from = pos.get(name)!;
    for (const next of successors(state)) {
      const to = pos.get(next);
      if (!to) continue;
      const caught = (state.Catch ?? []).some((c) => c.Next === next);
      const x1 = from.x + NODE_W / 2;
      const y1 = from.y + NODE_H;
      const x2 = to.x + NODE_W / 2;
      const y2 = to.y;
      const path = svg('path', {
        d:
          y2 > y1
            ? `M${x1},${y1} C${x1},${y1 + GAP_Y / 2} ${x2},${y2 - GAP_Y / 2} ${x2},${y2}`
            : `M${x1},${y1} L${x2},${y2}`,
        class: caught ? 'pl-edge pl-edge-catch' : 'pl-edge',
      });
      edges.append(path);
    }
  }
  root.append(edges);
  for (const [name, state] of Object.entries(machine.States)) {
    const p = pos.get(name)!;
    const view = detail.states[name];
    const inner = innerStates(state)
      .map((n) => detail.states[n])
      .filter((v): v is StateView => Boolean(v));
    const innerFailed = inner.find((v) => v.status === 'FAILED');
    const g = svg('g', { class: `pl-node pl-${statusClass(view?.status)}`, transform: `translate(${p.x},${p.y})` });
    g.setAttribute('data-state', name);
    g.append(svg('rect', { width: NODE_W, height: NODE_H, rx: 10 }));
    const title = svg('text', { x: 12, y: 20, class: 'pl-name' });
    title.textContent = name.length > 26 ? `${name.slice(0, 25)}…` : name;
    const kind = svg('text', { x: NODE_W - 12, y: 20, class: 'pl-type', 'text-anchor': 'end' });
    kind.textContent = `${state.Type} · ${titleCase(view?.status ?? 'NOT_STARTED')}`;
    const line1 = svg('text', { x: 12, y: 38, class: 'pl-line' });
    const line2 = svg('text', { x: 12, y: 54, class: 'pl-line' });
    const mapRun = detail.mapRuns.filter((m) => m.stateName === name).at(-1);
    if (state.Type === 'Map') {
      line1.textContent = mapText(mapRun?.items ?? view?.map) || 'no items yet';
      const cost = inner.reduce((s, v) => s + v.costUsd, 0);
      const attempts = inner.reduce((s, v) => s + v.attempts, 0);
      line2.textContent = `${attempts} task attempts · ${fmtUsd(cost)}${innerFailed ? ` · ${innerFailed.error ?? ''}` : ''}`;
    } else if (state.Type === 'Parallel') {
      line1.textContent = `${state.Branches?.length ?? 0} branches · ${inner.filter((v) => v.status === 'SUCCEEDED').length}/${innerStates(state).length} states done`;
      line2.textContent = innerFailed ? `${innerFailed.name}: ${innerFailed.error ?? ''}` : (view?.error ?? '');
    } else if (state.Type === 'Task') {
      line1.textContent = `${placementText(view, state, detail.defaultExecutionMode)} · ${view?.attempts ?? 0} attempt${view?.attempts === 1 ? '' : 's'} · ${fmtUsd(view?.costUsd ?? 0)}`;
      line2.textContent = view?.error
        ? `${view.error}${view.retries ? ` (${view.retries} retries)` : ''}`
        : view?.retries
          ? `${view.retries} retries`
          : '';
    } else {
      line1.textContent = view ? `entered ${view.entered}×` : '';
      line2.textContent = view?.error ?? '';
    }
    const tip = svg('title', {});
    tip.textContent = [name, view?.error, view?.cause].filter(Boolean).join('\n');
    g.append(tip, title, kind, line1, line2);
    root.append(g);
  }
  return root;
}

export interface PipelinesViewOptions {
  root: HTMLElement;
  onOpenTask: (id: string) => void;
}

/** While the stream is live, a running execution is still read from REST this often, in case an event was lost. */
const SAFETY_REFRESH_MS = 15_000;
/** Without the stream, a running execution is polled this often. */
const POLL_MS = 2_000;

export class PipelinesView {
  private openKey: { machine: string; execution: string } | null = null;
  private detail: ExecutionDetail | null = null;
  private timer: number | undefined;
  private listTimer: number | undefined;
  private settleTimer: number | undefined;
  private taskIds = new Set<string>();
  private live = false;
  /** REST reads of the open execution under way: events wait for them, then apply on top where newer. */
  private fetching = 0;
  private pending: PipelineProgress[] = [];
  /** The status each listed execution was last seen with, so the list reloads when one changes. */
  private readonly listed = new Map<string, string>();
  private readonly listEl: HTMLElement;
  private readonly detailEl: HTMLElement;

  constructor(private readonly options: PipelinesViewOptions) {
    this.listEl = h('div', { class: 'pl-list' });
    this.detailEl = h('div', { class: 'pl-detail' });
    append(options.root, [
      h(
        'header',
        { class: 'card-head' },
        h('h2', { id: 'pipelines-heading' }, 'Pipelines'),
        h('span', { class: 'card-hint' }, 'Amazon States Language on Temporal; every Task state is a task'),
      ),
      this.listEl,
      this.detailEl,
    ]);
  }

  /** `#/pipelines/<machine>/<execution>` → the execution; anything else closes it. */
  static route(hash: string): { machine: string; execution: string } | null {
    const m = /^#\/pipelines\/([^/]+)\/([^/]+)$/.exec(hash);
    return m?.[1] && m[2] ? { machine: decodeURIComponent(m[1]), execution: decodeURIComponent(m[2]) } : null;
  }

  async loadList(): Promise<void> {
    try {
      const [data, remote] = await Promise.all([
        unwrap(http.GET('/api/pipelines', { params: { query: { limit: '20' } } })),
        unwrap(http.GET('/api/pipelines/remote/executions'))
          .then((r): RemoteExecution[] => r.executions)
          .catch(() => [] as RemoteExecution[]),
      ]);
      const rows = await Promise.all(
        data.pipelines.map(async (p) => {
          const executions: ExecutionSummary[] = await unwrap(
            http.GET('/api/pipelines/{name}/executions', { params: { path: { name: p.name }, query: { limit: '5' } } }),
          ).then(
            (r) => r.executions,
            () => [],
          );
          const summary: PipelineSummary = p;
          return { p: summary, executions };
        }),
      );
      clear(this.listEl);
      for (const { p, executions } of rows) {
        for (const e of executions) this.listed.set(`${p.name}/${e.name}`, e.status);
      }
      if (rows.length === 0 && remote.length === 0) {
        append(this.listEl, [
          h('p', { class: 'muted' }, 'No pipelines yet: node examples/pipelines/run.mjs regional-reports'),
        ]);
        return;
      }
      append(this.listEl, [
        h(
          'ul',
          { class: 'pl-machines' },
          rows.map(({ p, executions }) =>
            h(
              'li',
              {},
              h('strong', { class: 'mono' }, p.name),
              h('span', { class: 'muted' }, ` ${p.type} · ${fmtDateTime(p.creationDate)}`),
              h(
                'span',
                { class: 'pl-execs' },
                executions.map((e) =>
                  h(
                    'a',
                    {
                      href: `#/pipelines/${encodeURIComponent(p.name)}/${encodeURIComponent(e.name)}`,
                      class: `badge status-${statusClass(e.status)}`,
                      title: `${e.name} · started ${fmtDateTime(e.startDate)}`,
                    },
                    `${e.name.slice(0, 12)} ${titleCase(e.status)}`,
                  ),
                ),
              ),
            ),
          ),
        ),
        remote.length
          ? h(
              'div',
              { class: 'pl-remote', 'data-testid': 'pl-remote' },
              h('h3', {}, 'On AWS Step Functions'),
              h(
                'ul',
                { class: 'pl-machines' },
                remote.slice(0, 10).map((r) => {
                  const [machine, name] = r.executionArn.split(':').slice(-2);
                  return h(
                    'li',
                    {},
                    h('strong', { class: 'mono' }, machine ?? r.executionArn),
                    ' ',
                    h(
                      'span',
                      { class: `badge status-${statusClass(r.status)}`, title: r.executionArn },
                      `${(name ?? '').slice(0, 12)} ${titleCase(r.status)}`,
                    ),
                    h('span', { class: 'muted' }, r.startDate ? ` started ${fmtDateTime(r.startDate)}` : ''),
                  );
                }),
              ),
            )
          : null,
      ]);
    } catch (err) {
      clear(this.listEl);
      append(this.listEl, [h('p', { class: 'error-text' }, `Pipelines unavailable: ${describeError(err)}`)]);
    }
  }

  /** Reloads the list soon, once for a burst of changes. */
  private listSoon(): void {
    if (this.listTimer !== undefined) return;
    this.listTimer = window.setTimeout(() => {
      this.listTimer = undefined;
      void this.loadList();
    }, 500);
  }

  open(key: { machine: string; execution: string } | null): void {
    this.openKey = key;
    window.clearTimeout(this.timer);
    window.clearTimeout(this.settleTimer);
    this.detail = null;
    this.pending = [];
    if (!key) {
      clear(this.detailEl);
      return;
    }
    void this.fetch();
    this.options.root.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  /** Whether the live stream is up: while it is, events keep the open execution current and polling stops. */
  setLive(live: boolean): void {
    const was = this.live;
    this.live = live;
    // Back on the stream: read once what may have been missed; off it: poll.
    if (live !== was && this.openKey) void this.fetch();
  }

  /** A task event from the live feed: refresh the open execution if the task is one of its states'. */
  onTaskEvent(taskId: string): void {
    // The pipeline's own events say more, and sooner; task events matter only without them (an older worker).
    if (this.live || !this.openKey || !taskId.startsWith('pl-')) return;
    const prefix = [...this.taskIds][0]?.split('-').slice(0, 2).join('-');
    if (this.taskIds.has(taskId) || (prefix && taskId.startsWith(`${prefix}-`))) void this.fetch();
  }

  /** A pipeline's progress from the live feed. */
  onPipelineEvent(event: PipelineProgress): void {
    const key = `${event.stateMachineName}/${event.executionName}`;
    if (this.listed.get(key) !== event.status) {
      this.listed.set(key, event.status);
      this.listSoon();
    }
    const open = this.openKey;
    if (!open || open.machine !== event.stateMachineName || open.execution !== event.executionName) return;
    if (this.fetching > 0 || !this.detail) {
      this.pending.push(event);
      return;
    }
    if (this.apply(event)) this.render();
  }

  /** Draws an event's changes into the open execution; false when what is shown is already as new. */
  private apply(event: PipelineProgress): boolean {
    const d = this.detail;
    if (!d || event.revision <= (d.revision ?? -1)) return false;
    const states = { ...d.states };
    for (const view of event.states) states[view.name] = view;
    const { error: _error, cause: _cause, ...rest } = d;
    this.detail = {
      ...rest,
      status: event.status,
      revision: event.revision,
      costUsd: event.costUsd,
      transitions: event.transitions,
      redriveCount: event.redriveCount,
      states,
      mapRuns: event.mapRuns.map((m) => ({ ...m })),
      ...(event.error !== undefined ? { error: event.error } : {}),
      ...(event.cause !== undefined ? { cause: event.cause } : {}),
      // Whether it can be redriven is REST's to say, once it has ended.
      ...(event.status === 'RUNNING' ? { redriveStatus: 'NOT_REDRIVABLE' } : {}),
    };
    this.taskIds = new Set(Object.values(states).flatMap((s) => s.taskIds));
    if (event.status !== 'RUNNING') this.settle();
    return true;
  }

  /** After the end: read REST until it says so too, for the output and the Redrive button. */
  private settle(tries = 0): void {
    window.clearTimeout(this.settleTimer);
    const key = this.openKey;
    this.settleTimer = window.setTimeout(
      () => {
        if (this.openKey !== key) return;
        void this.read().then((data) => {
          if (!data || this.openKey !== key) return;
          if (data.status === 'RUNNING' && this.detail?.status !== 'RUNNING') {
            if (tries < 40) this.settle(tries + 1);
            return;
          }
          this.adopt(data);
        });
      },
      tries === 0 ? 0 : 500,
    );
  }

  private async read(): Promise<ExecutionDetail | undefined> {
    const key = this.openKey;
    if (!key) return undefined;
    try {
      const data = await unwrap(
        http.GET('/api/pipelines/{name}/executions/{execution}', {
          params: { path: { name: key.machine, execution: key.execution } },
        }),
      );
      // Three fields are open-ended in the API's document: the definition (any ASL document, validated when the
      // pipeline was created), and the state views and Map runs (pipelines/execution-record.ts declares them as
      // plain interfaces, not schemas).
      const detail: ExecutionDetail = {
        ...data,
        definition: data.definition as AslMachine | undefined,
        states: data.states as Record<string, StateView>,
        mapRuns: data.mapRuns as MapRun[],
      };
      return this.openKey === key ? detail : undefined;
    } catch (err) {
      // Keep what the stream drew; say so only when there is nothing to show.
      if (!this.detail && this.openKey === key) {
        clear(this.detailEl);
        append(this.detailEl, [h('p', { class: 'error-text' }, `Execution unavailable: ${describeError(err)}`)]);
      }
      return undefined;
    }
  }

  /** Shows a REST answer, then the events that came while it was read, where they are newer. */
  private adopt(data: ExecutionDetail): void {
    const statusChanged = this.detail?.status !== data.status;
    this.detail = data;
    this.taskIds = new Set(Object.values(data.states).flatMap((s) => s.taskIds));
    const pending = this.pending;
    this.pending = [];
    for (const event of pending) this.apply(event);
    if (statusChanged) this.listSoon();
    this.render();
    this.schedule();
  }

  /** The next REST read of a running execution: soon without the stream, now and then with it. */
  private schedule(): void {
    window.clearTimeout(this.timer);
    if (this.detail?.status !== 'RUNNING') return;
    this.timer = window.setTimeout(() => void this.fetch(), this.live ? SAFETY_REFRESH_MS : POLL_MS);
  }

  async fetch(): Promise<void> {
    if (!this.openKey) return;
    this.fetching++;
    let data: ExecutionDetail | undefined;
    try {
      data = await this.read();
    } finally {
      this.fetching--;
    }
    if (data) this.adopt(data);
    else if (this.detail) {
      // Nothing new from REST: what the stream sent meanwhile still counts.
      const pending = this.pending;
      this.pending = [];
      if (pending.map((e) => this.apply(e)).some(Boolean)) this.render();
      this.schedule();
    }
  }

  private async act(action: 'stop' | 'redrive', button: HTMLButtonElement): Promise<void> {
    const d = this.detail;
    const key = this.openKey;
    if (!d || !key) return;
    button.disabled = true;
    try {
      const path = { path: { name: key.machine, execution: key.execution } };
      await unwrap(
        action === 'stop'
          ? http.POST('/api/pipelines/{name}/executions/{execution}/stop', {
              params: path,
              body: { error: 'Stopped', cause: 'stopped from the dashboard' },
            })
          : http.POST('/api/pipelines/{name}/executions/{execution}/redrive', { params: path }),
      );
      toast('success', action === 'stop' ? 'Stop requested' : 'Redriven', d.name);
      // The stream brings what follows (ABORTED, or the redriven run); REST now for what the stream does not carry.
      await this.fetch();
      void this.loadList();
    } catch (err) {
      toast(
        'error',
        action === 'stop' ? 'Stop failed' : 'Redrive failed',
        err instanceof ApiError ? `${err.message} (${err.code})` : describeError(err),
      );
    } finally {
      button.disabled = false;
    }
  }

  private render(): void {
    const d = this.detail;
    if (!d) return;
    clear(this.detailEl);
    const failed = Object.values(d.states).find((s) => s.status === 'FAILED');
    const stop = h('button', { class: 'btn', type: 'button', disabled: d.status !== 'RUNNING' }, 'Stop');
    stop.addEventListener('click', () => void this.act('stop', stop));
    const redrive = h(
      'button',
      { class: 'btn btn-primary', type: 'button', disabled: d.redriveStatus !== 'REDRIVABLE' },
      'Redrive',
    );
    redrive.addEventListener('click', () => void this.act('redrive', redrive));
    const tasks = Object.values(d.states).filter((s) => s.type === 'Task' && s.taskIds.length > 0);
    append(this.detailEl, [
      h(
        'div',
        { class: 'pl-head' },
        h('h3', { class: 'mono' }, d.name),
        h('span', { class: `badge status-${statusClass(d.status)}`, 'data-testid': 'pl-status' }, titleCase(d.status)),
        h(
          'span',
          { class: 'muted' },
          ` started ${fmtDateTime(d.startDate)}${d.stopDate ? ` · ended ${fmtDateTime(d.stopDate)}` : ''}${d.redriveCount ? ` · redriven ${d.redriveCount}×` : ''}`,
        ),
        h(
          'span',
          { class: 'muted', 'data-testid': 'pl-cost', title: "What the execution's task attempts cost" },
          ` · ${fmtUsd(d.costUsd ?? 0)}`,
        ),
        h(
          'span',
          { class: 'pl-actions' },
          stop,
          redrive,
          h(
            'a',
            { href: d.links.temporalUi, target: '_blank', rel: 'noopener', class: 'btn btn-ghost' },
            'Temporal UI',
          ),
        ),
      ),
      d.error
        ? h(
            'p',
            { class: 'error-text pl-error' },
            `${failed ? `${failed.name}: ` : ''}${d.error}${d.cause ? ` — ${d.cause.slice(0, 400)}` : ''}`,
          )
        : null,
      h('div', { class: 'pl-graph-wrap' }, drawGraph(d)),
      tasks.length
        ? h(
            'details',
            { class: 'pl-tasks' },
            h('summary', {}, `Tasks of ${tasks.length} Task state${tasks.length === 1 ? '' : 's'}`),
            h(
              'ul',
              {},
              tasks.map((s) =>
                h(
                  'li',
                  {},
                  h('strong', {}, s.name),
                  ' ',
                  s.taskIds.map((id) => {
                    const a = h(
                      'a',
                      { href: `#/tasks/${encodeURIComponent(id)}`, class: 'mono' },
                      id.split('-').slice(2).join('-'),
                    );
                    a.addEventListener('click', (e) => {
                      e.preventDefault();
                      this.options.onOpenTask(id);
                    });
                    return h('span', { class: 'pl-task' }, a, ' ');
                  }),
                ),
              ),
            ),
          )
        : null,
    ]);
  }
}
