// The task detail dialog: facts, a timeline (queued → placed → attempts with their errors and backoffs → the end),
// the result or error, and a link to the Temporal Web UI. Deep-linkable as #/tasks/<id>.
import { api, ApiError, describeError } from './api';
import { byId, clear, h } from './dom';
import { DASH, fmtDateTime, fmtMs, fmtTime, fmtUsd, prettyJson, titleCase } from './format';
import { statusBadge } from './table';
import type { Attempt, TaskDetail } from './types';
import { isFinalStatus } from './types';

export interface DetailHandlers {
  onCancel(id: string, name: string, button: HTMLButtonElement): void;
  /** The detail of task `id` was closed (by the user, or because the route moved away from it). */
  onClosed(id: string): void;
}

export class DetailDialog {
  private readonly dialog = byId<HTMLDialogElement>('detail');
  private readonly body = byId('detail-body');
  private readonly title = byId('detail-title');
  private readonly sub = byId('detail-sub');
  private currentId: string | null = null;
  private task: TaskDetail | null = null;
  private returnFocus: HTMLElement | null = null;
  private refreshTimer: number | undefined;
  private lastFetch = 0;
  private seq = 0;
  private resultOpen = true;

  constructor(private readonly handlers: DetailHandlers) {
    // The close event is dispatched a moment after the dialog hides. By then the page may have moved on: a new
    // #/tasks/<id> may already be in the address bar, or even shown in the reopened dialog. Only a close that still
    // describes the dialog's state is acted on, and it names the task that was closed.
    this.dialog.addEventListener('close', () => {
      if (this.dialog.open) return;
      const closed = this.currentId;
      this.currentId = null;
      this.task = null;
      window.clearTimeout(this.refreshTimer);
      if (closed) this.handlers.onClosed(closed);
      // The row may have been redrawn by a live update meanwhile: then focus its new link.
      let target = this.returnFocus;
      if (target && !target.isConnected && target instanceof HTMLAnchorElement) {
        target = document.querySelector<HTMLElement>(
          `a.task-link[href="${CSS.escape(target.getAttribute('href') ?? '')}"]`,
        );
      }
      target?.focus();
      this.returnFocus = null;
    });
    this.dialog.addEventListener('click', (e) => {
      if (e.target === this.dialog) this.dialog.close();
    });
    this.dialog.querySelector('[data-close]')?.addEventListener('click', () => this.dialog.close());
  }

  get openId(): string | null {
    return this.currentId;
  }

  get isRunning(): boolean {
    return !!this.task && !isFinalStatus(this.task.status);
  }

  close(): void {
    if (this.dialog.open) this.dialog.close();
  }

  async open(id: string): Promise<void> {
    if (this.currentId === id && this.dialog.open) return;
    this.currentId = id;
    this.task = null;
    this.resultOpen = true;
    this.title.textContent = 'Task';
    this.sub.textContent = id;
    clear(this.body);
    this.body.append(h('p', { class: 'muted' }, 'Loading…'));
    if (!this.dialog.open) {
      const active = document.activeElement;
      this.returnFocus = active instanceof HTMLElement && active !== document.body ? active : null;
      this.dialog.showModal();
    }
    await this.fetch();
  }

  /** Something happened to this task: fetch it again soon (at most a few times a second). */
  changed(id: string): void {
    if (id !== this.currentId) return;
    window.clearTimeout(this.refreshTimer);
    const wait = Math.max(150, 600 - (Date.now() - this.lastFetch));
    this.refreshTimer = window.setTimeout(() => void this.fetch(), wait);
  }

  async fetch(): Promise<void> {
    const id = this.currentId;
    if (!id) return;
    const seq = ++this.seq;
    this.lastFetch = Date.now();
    try {
      const { data } = await api<TaskDetail>(`/api/tasks/${encodeURIComponent(id)}`);
      if (seq !== this.seq || id !== this.currentId) return;
      this.task = data;
      this.render(data);
    } catch (err) {
      if (seq !== this.seq || id !== this.currentId) return;
      if (this.task) return; // keep showing what we have; the next update retries
      clear(this.body);
      const notFound = err instanceof ApiError && err.statusCode === 404;
      this.title.textContent = notFound ? 'Task not found' : 'Task unavailable';
      this.body.append(h('p', { class: 'error-text', role: 'alert' }, describeError(err)));
    }
  }

  private render(task: TaskDetail): void {
    const scroll = this.body.scrollTop;
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.focusKey;
    this.title.textContent = task.name || task.id;
    this.sub.textContent = task.id;
    clear(this.body);

    const running = !isFinalStatus(task.status);
    const lambdaAttempts = task.attempts.filter((a) => a.placement === 'LAMBDA');
    const last = task.attempts[task.attempts.length - 1];
    const billed = sum(task.attempts.map((a) => a.billedDurationMs));
    const cost = task.costUsd ?? sum(task.attempts.map((a) => a.costUsd));
    const cold = lambdaAttempts.length
      ? lambdaAttempts.map((a) => (a.coldStart === undefined ? '?' : a.coldStart ? 'cold' : 'warm')).join(', ')
      : undefined;

    const actions = h(
      'div',
      { class: 'detail-actions' },
      h(
        'a',
        {
          class: 'btn',
          href: task.links.temporalUi,
          target: '_blank',
          rel: 'noopener noreferrer',
          'data-focus-key': 'temporal',
        },
        'Open in Temporal Web UI',
        h('span', { 'aria-hidden': 'true' }, ' ↗'),
      ),
      running
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-danger',
              'data-focus-key': 'cancel',
              onclick: (e: Event) => this.handlers.onCancel(task.id, task.name, e.currentTarget as HTMLButtonElement),
            },
            'Cancel task',
          )
        : null,
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-ghost',
          'data-focus-key': 'copy',
          onclick: (e: Event) => {
            const btn = e.currentTarget as HTMLButtonElement;
            void navigator.clipboard?.writeText(task.id).then(
              () => (btn.textContent = 'Copied'),
              () => (btn.textContent = 'Copy failed'),
            );
          },
        },
        'Copy id',
      ),
    );

    const facts = h(
      'dl',
      { class: 'facts' },
      fact(
        'Status',
        h(
          'span',
          { class: 'fact-status' },
          statusBadge(task.status),
          task.temporalStatus ? h('span', { class: 'fact-note' }, `Temporal: ${task.temporalStatus}`) : null,
        ),
      ),
      fact(
        'Type',
        h('span', { class: 'type' }, task.type),
        h('span', { class: 'muted small' }, ` ${task.functionName}`),
      ),
      fact(
        'Mode → placement',
        `${task.executionMode}`,
        task.placement
          ? [
              ' → ',
              h(
                'span',
                { class: `chip chip-${task.placement.placement.toLowerCase()}` },
                task.placement.placement === 'LAMBDA' ? 'Lambda' : 'Local',
              ),
            ]
          : h('span', { class: 'muted' }, ' → pending'),
      ),
      fact('Submitted', timeEl(task.submittedAt)),
      fact(
        'Duration',
        running && task.startedAt ? `${fmtMs(Date.now() - Date.parse(task.startedAt))} so far` : fmtMs(task.durationMs),
      ),
      fact('Attempts', String(task.attemptCount ?? task.attempts.length)),
      fact('Cold / warm', cold ?? DASH),
      fact('Billed duration', billed === undefined ? DASH : fmtMs(billed)),
      fact('Cost', h('span', { class: 'num' }, fmtUsd(cost)), estimate(task.costEstimate)),
    );

    this.body.append(actions, facts, h('h3', { class: 'section-title' }, 'Timeline'), timeline(task));

    if (task.error) {
      this.body.append(
        h('h3', { class: 'section-title' }, 'Error'),
        h(
          'div',
          { class: 'error-box', role: 'note' },
          h('strong', {}, task.error.type),
          task.error.nonRetryable ? h('span', { class: 'tag' }, 'non-retryable') : null,
          h('p', {}, task.error.message),
        ),
      );
    }
    if (task.resultObject) {
      // Too large to return: the result is in the object store, and the API downloads it.
      const ref = task.resultObject;
      this.body.append(
        h(
          'p',
          { class: 'result-object' },
          h('strong', {}, 'Result '),
          `kept in the object store: s3://${ref.bucket}/${ref.key}, ${kilobytes(ref.sizeBytes)} `,
          h(
            'a',
            { href: `/api/tasks/${encodeURIComponent(task.id)}/result`, download: `${task.id}-result.json` },
            'Download',
          ),
        ),
      );
    } else if (task.result !== undefined) {
      const image = imageOf(task.result);
      const details = h(
        'details',
        { class: 'result', open: this.resultOpen },
        h('summary', {}, 'Result'),
        image ? h('img', { class: 'result-image', src: image, alt: 'Processed image returned by the task' }) : null,
        h('pre', { class: 'json', tabindex: '0' }, prettyJson(task.result)),
      );
      details.addEventListener('toggle', () => (this.resultOpen = details.open));
      this.body.append(details);
    } else if (running) {
      this.body.append(h('p', { class: 'muted small' }, 'The result appears here when the task completes.'));
    }
    if (last?.outcome === 'running') this.changedLater();

    this.body.scrollTop = scroll;
    if (focusKey) (this.body.querySelector(`[data-focus-key="${focusKey}"]`) as HTMLElement | null)?.focus();
  }

  /** While an attempt runs the running time in the facts grows; refresh it gently. */
  private changedLater(): void {
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => void this.fetch(), 5_000);
  }
}

function fact(label: string, ...value: (Node | string | null | (Node | string)[])[]): HTMLDivElement {
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', {}, ...value));
}

function timeEl(iso: string | undefined): Node | string {
  return iso ? h('time', { datetime: iso, title: fmtDateTime(iso) }, fmtTime(iso)) : DASH;
}

function sum(values: (number | undefined)[]): number | undefined {
  const present = values.filter((v): v is number => typeof v === 'number');
  return present.length ? present.reduce((a, b) => a + b, 0) : undefined;
}

function estimate(value: unknown): Node | null {
  if (typeof value === 'number') return h('span', { class: 'muted small' }, ` (est. ${fmtUsd(value)})`);
  if (value && typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([k, v]) => typeof v === 'number' && /usd$/i.test(k))
      .map(([k, v]) => `${k.replace(/Usd$/i, '')} ${fmtUsd(v)}`);
    if (parts.length) return h('span', { class: 'muted small' }, ` (est. ${parts.join(', ')})`);
  }
  return null;
}

function kilobytes(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / (1024 * 1024)).toFixed(2)} MB`;
}

function imageOf(result: unknown): string | undefined {
  const image = (result as { image?: unknown } | null)?.image;
  return typeof image === 'string' && /^data:image\/(png|jpeg|webp);base64,/.test(image) ? image : undefined;
}

type Kind = 'queued' | 'placed' | 'running' | 'succeeded' | 'failed' | 'backoff' | 'completed' | 'cancelled';

function item(
  kind: Kind,
  title: (Node | string)[] | string,
  when: string | undefined,
  ...body: (Node | string | null)[]
): HTMLLIElement {
  return h(
    'li',
    { class: `tl-item tl-${kind}` },
    h('span', { class: 'tl-dot', 'aria-hidden': 'true' }),
    h(
      'div',
      { class: 'tl-content' },
      h(
        'div',
        { class: 'tl-head' },
        h('span', { class: 'tl-title' }, title),
        when ? h('span', { class: 'tl-when' }, timeEl(when)) : null,
      ),
      ...body,
    ),
  );
}

function attemptMeta(a: Attempt): Node {
  const bits: (Node | string)[] = [];
  if (a.durationMs !== undefined) bits.push(`ran ${fmtMs(a.durationMs)}`);
  else if (a.outcome === 'running') bits.push(`running for ${fmtMs(Date.now() - Date.parse(a.startedAt))}`);
  if (a.coldStart !== undefined) {
    bits.push(
      h('span', { class: `tag ${a.coldStart ? 'tag-cold' : 'tag-warm'}` }, a.coldStart ? 'cold start' : 'warm'),
    );
  }
  if (a.initDurationMs !== undefined) bits.push(`init ${fmtMs(a.initDurationMs)}`);
  if (a.billedDurationMs !== undefined) bits.push(`billed ${fmtMs(a.billedDurationMs)}`);
  if (a.memoryMB !== undefined)
    bits.push(`${a.memoryMB} MB${a.maxMemoryUsedMB !== undefined ? ` (used ${a.maxMemoryUsedMB})` : ''}`);
  if (a.costUsd !== undefined) bits.push(fmtUsd(a.costUsd));
  const line = h('div', { class: 'tl-meta' });
  bits.forEach((b, i) => {
    if (i) line.append(h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'));
    line.append(b);
  });
  return line;
}

function timeline(task: TaskDetail): HTMLOListElement {
  const list = h('ol', { class: 'timeline' });
  list.append(
    item('queued', 'Queued', task.submittedAt, h('div', { class: 'tl-meta' }, `requested ${task.executionMode}`)),
  );
  if (task.placement) {
    list.append(
      item(
        'placed',
        [
          'Placed on ',
          h(
            'span',
            { class: `chip chip-${task.placement.placement.toLowerCase()}` },
            task.placement.placement === 'LAMBDA' ? 'Lambda' : 'Local',
          ),
        ],
        task.attempts[0]?.startedAt,
        h('div', { class: 'tl-meta' }, task.placement.reason),
        inputs(task.placement.inputs),
      ),
    );
  }
  task.attempts.forEach((a, i) => {
    if (a.backoffMs !== undefined && (i > 0 || a.backoffMs > 0)) {
      list.append(
        item(
          'backoff',
          `Backoff ${fmtMs(a.backoffMs)}`,
          undefined,
          h('div', { class: 'tl-meta' }, `retry policy wait before attempt ${a.attempt}`),
        ),
      );
    }
    const outcome = a.outcome === 'succeeded' ? 'succeeded' : a.outcome === 'failed' ? 'failed' : 'running';
    list.append(
      item(
        outcome,
        [
          `Attempt ${a.attempt} `,
          h(
            'span',
            { class: 'muted' },
            `on ${a.placement === 'LAMBDA' ? 'Lambda' : a.placement === 'LOCAL' ? 'local pool' : a.placement}`,
          ),
          ` · ${outcome}`,
        ],
        a.startedAt,
        attemptMeta(a),
        a.error
          ? h(
              'div',
              { class: 'tl-error' },
              h('strong', {}, a.error.type),
              a.error.nonRetryable ? h('span', { class: 'tag' }, 'non-retryable') : null,
              ' ',
              a.error.message,
            )
          : null,
      ),
    );
  });
  if (task.status === 'COMPLETED' || task.status === 'FAILED' || task.status === 'CANCELLED') {
    const kind: Kind = task.status === 'COMPLETED' ? 'completed' : task.status === 'FAILED' ? 'failed' : 'cancelled';
    list.append(
      item(
        kind,
        titleCase(task.status),
        task.finishedAt,
        h('div', { class: 'tl-meta' }, `total ${fmtMs(task.durationMs)}`),
      ),
    );
  } else {
    list.append(item('running', task.status === 'QUEUED' ? 'Waiting to start…' : 'In progress…', undefined));
  }
  return list;
}

function inputs(value: unknown): Node | null {
  if (!value || typeof value !== 'object') return null;
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.length) return null;
  return h(
    'details',
    { class: 'tl-inputs' },
    h('summary', {}, 'Decision inputs'),
    h('pre', { class: 'json small' }, prettyJson(value)),
  );
}
