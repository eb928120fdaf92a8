// The task detail dialog: facts, a timeline (queued → placed → attempts with their errors and backoffs → the end),
// the result or error, and a link to the Temporal Web UI. Deep-linkable as #/tasks/<id>.
import { ApiError, describeError, http, unwrap } from './api';
import { confirmAction } from './confirm';
import { byId, clear, h } from './dom';
import { DASH, fmtDateTime, fmtMs, fmtTime, fmtUsd, prettyJson, titleCase } from './format';
import { placementExplanation } from './placement-explain';
import { statusBadge } from './table';
import { toast } from './toast';
import type { Attempt, BatchView, TaskDetail, TaskStatus } from './types';
import { isFinalStatus } from './types';

/** The statuses a task can be redriven from (POST /api/tasks/:id/redrive). */
const REDRIVABLE: readonly TaskStatus[] = ['FAILED', 'CANCELLED', 'EXPIRED'];
/** A batch's counts are read again at most this often while its detail is open. */
const BATCH_REFRESH_MS = 5_000;

export interface DetailHandlers {
  onCancel(id: string, name: string, button: HTMLButtonElement): void;
  /** Open another task (a redrive's new task, the one a redrive replaces). */
  onOpen(id: string): void;
  /** An operator action changed the controls or the dead letters. */
  onAction(): void;
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
  private batch: { id: string; view: BatchView | null; at: number } | null = null;

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
      const data = await unwrap(http.GET('/api/tasks/{id}', { params: { path: { id } } }));
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
      running
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn',
              'data-focus-key': task.paused ? 'resume' : 'pause',
              onclick: (e: Event) => void this.setPaused(task, !task.paused, e.currentTarget as HTMLButtonElement),
            },
            task.paused ? 'Resume task' : 'Pause task',
          )
        : null,
      REDRIVABLE.includes(task.status)
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn',
              'data-focus-key': 'redrive',
              onclick: (e: Event) => void this.redrive(task, e.currentTarget as HTMLButtonElement),
            },
            'Redrive',
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

    const flow = flowFacts(task, (id) => this.handlers.onOpen(id), this.batchLine(task));
    const explanation = placementExplanation(task.placement);
    this.body.append(
      actions,
      ...notices(task),
      facts,
      ...(flow ? [h('h3', { class: 'section-title' }, 'Flow control'), flow] : []),
      ...(explanation ? [h('h3', { class: 'section-title' }, 'Why it went there'), explanation] : []),
      h('h3', { class: 'section-title' }, 'Timeline'),
      timeline(task),
    );

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
    // An open task may change with no event to say so (a wait ends, an attempt is paused): read it again now and then.
    if (running) this.changedLater();

    this.body.scrollTop = scroll;
    if (focusKey) (this.body.querySelector(`[data-focus-key="${focusKey}"]`) as HTMLElement | null)?.focus();
  }

  private async setPaused(task: TaskDetail, pause: boolean, button: HTMLButtonElement): Promise<void> {
    const answer = await confirmAction({
      title: `${pause ? 'Pause' : 'Resume'} ${task.name || task.id}`,
      message: pause
        ? 'The attempt that runs now finishes; the next one waits until the task is resumed.'
        : 'The task goes on: its next attempt is scheduled.',
      confirm: pause ? 'Pause task' : 'Resume task',
      danger: pause,
      reason: 'required',
    });
    if (!answer) return;
    button.disabled = true;
    try {
      const request = { params: { path: { id: task.id } }, body: { reason: answer.reason ?? '', by: answer.by } };
      await unwrap(pause ? http.POST('/api/tasks/{id}/pause', request) : http.POST('/api/tasks/{id}/resume', request));
      toast('success', pause ? 'Task paused' : 'Task resumed', `${task.name} (${task.id})`);
      this.handlers.onAction();
      await this.fetch();
    } catch (err) {
      toast('error', pause ? 'Could not pause the task' : 'Could not resume the task', describeError(err));
      button.disabled = false;
    }
  }

  private async redrive(task: TaskDetail, button: HTMLButtonElement): Promise<void> {
    const answer = await confirmAction({
      title: `Redrive ${task.name || task.id}`,
      message: 'Runs it again as a new task, linked to this one.',
      confirm: 'Redrive',
      modes: true,
    });
    if (!answer) return;
    button.disabled = true;
    try {
      const data = await unwrap(
        http.POST('/api/tasks/{id}/redrive', {
          params: { path: { id: task.id } },
          body: answer.executionMode ? { executionMode: answer.executionMode } : {},
        }),
      );
      toast('success', 'Redriven', `${task.name} runs again as ${data.id}`);
      this.handlers.onAction();
      this.handlers.onOpen(data.id);
    } catch (err) {
      toast('error', 'Could not redrive the task', describeError(err));
      button.disabled = false;
    }
  }

  /** The task's batch, with its counts by status (read now and then) and a redrive of its failed items. */
  private batchLine(task: TaskDetail): HTMLElement | null {
    const id = task.batchId;
    if (!id) return null;
    if (this.batch?.id !== id) this.batch = { id, view: null, at: 0 };
    const batch = this.batch;
    if (Date.now() - batch.at > BATCH_REFRESH_MS) {
      batch.at = Date.now();
      void unwrap(http.GET('/api/batches/{id}', { params: { path: { id } } })).then(
        (data) => {
          if (this.batch !== batch) return;
          batch.view = data;
          if (this.task) this.render(this.task);
          // Items still open change with no event of this task's: look again while there are any.
          if (data.counts.QUEUED + data.counts.RUNNING > 0) {
            window.setTimeout(() => {
              if (this.batch === batch && this.task && this.dialog.open) this.render(this.task);
            }, BATCH_REFRESH_MS + 100);
          }
        },
        () => undefined,
      );
    }
    const view = batch.view;
    const failed = view ? REDRIVABLE.reduce((n, s) => n + (view.counts[s] ?? 0), 0) : 0;
    const counts = view
      ? Object.entries(view.counts)
          .filter(([, n]) => n > 0)
          .map(([s, n]) => `${n} ${s.toLowerCase()}`)
          .join(', ')
      : '';
    return h(
      'span',
      { class: 'batch-line' },
      h('span', { class: 'mono' }, id),
      view
        ? h(
            'span',
            { class: 'muted small', 'data-field': 'batch-counts' },
            ` · ${view.total} item${view.total === 1 ? '' : 's'}: ${counts}${view.redriven ? ` · ${view.redriven} redriven` : ''}`,
          )
        : null,
      failed > 0
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small',
              'data-focus-key': 'redrive-batch',
              onclick: (e: Event) => void this.redriveBatch(id, failed, e.currentTarget as HTMLButtonElement),
            },
            `Redrive ${failed} failed`,
          )
        : null,
    );
  }

  private async redriveBatch(id: string, failed: number, button: HTMLButtonElement): Promise<void> {
    const answer = await confirmAction({
      title: `Redrive batch ${id}`,
      message: `Re-runs only its ${failed} item${failed === 1 ? '' : 's'} that failed, were cancelled or expired.`,
      confirm: 'Redrive',
      modes: true,
    });
    if (!answer) return;
    button.disabled = true;
    try {
      const data = await unwrap(
        http.POST('/api/batches/{id}/redrive', {
          params: { path: { id } },
          body: answer.executionMode ? { executionMode: answer.executionMode } : {},
        }),
      );
      toast(data.failed ? 'error' : 'success', `Redrove ${data.redriven} of batch ${id}`);
      if (this.batch?.id === id) this.batch.at = 0;
      this.handlers.onAction();
      await this.fetch();
    } catch (err) {
      toast('error', 'Could not redrive the batch', describeError(err));
      button.disabled = false;
    }
  }

  /** While the task runs, its running time grows and its waits change; refresh it gently. */
  private changedLater(): void {
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => void this.fetch(), 5_000);
  }
}

function fact(label: string, ...value: (Node | string | null | (Node | string)[])[]): HTMLDivElement {
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', {}, ...value));
}

/** A fact that takes a whole row of the grid (a long id and its actions). */
function wide(el: HTMLDivElement): HTMLDivElement {
  el.classList.add('fact-wide');
  return el;
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

/** The function version and the start of the CodeSha256 an attempt ran; marked when the code changed since the last. */
function codeOf(a: Attempt, previous: Attempt | undefined): Node | null {
  if (!a.functionVersion && !a.codeSha256) return null;
  const changed = previous?.codeSha256 && a.codeSha256 && previous.codeSha256 !== a.codeSha256;
  return h(
    'span',
    { class: 'attempt-code', 'data-version': a.functionVersion, 'data-sha': a.codeSha256 },
    a.functionVersion ? `version ${a.functionVersion}` : null,
    a.functionVersion && a.codeSha256 ? ' ' : null,
    a.codeSha256
      ? h('code', { class: 'mono code-sha', title: `CodeSha256 ${a.codeSha256}` }, shortSha(a.codeSha256))
      : null,
    changed ? h('span', { class: 'tag tag-changed' }, 'new code') : null,
  );
}

/** CodeSha256 is base64 (44 characters); its first 10 tell packages apart, as a short git hash does. */
export function shortSha(sha: string): string {
  return sha.length > 10 ? sha.slice(0, 10) : sha;
}

function attemptMeta(a: Attempt, previous?: Attempt): Node {
  const bits: (Node | string)[] = [];
  const code = codeOf(a, previous);
  if (code) bits.push(code);
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
        attemptMeta(a, task.attempts[i - 1]),
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
  if (isFinalStatus(task.status)) {
    const kind: Kind = task.status === 'COMPLETED' ? 'completed' : task.status === 'FAILED' ? 'failed' : 'cancelled';
    list.append(
      item(
        kind,
        titleCase(task.status),
        task.finishedAt,
        h(
          'div',
          { class: 'tl-meta' },
          task.status === 'EXPIRED' ? `not started by ${fmtTime(task.expiresAt)}` : `total ${fmtMs(task.durationMs)}`,
        ),
      ),
    );
  } else {
    const waiting = task.waiting ? ` (${WAIT_LABEL[task.waiting.reason]})` : '';
    const title = task.paused
      ? 'Paused until resumed'
      : task.status === 'QUEUED'
        ? `Waiting to start…${waiting}`
        : 'In progress…';
    list.append(item('running', title, undefined));
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

const WAIT_LABEL: Record<NonNullable<TaskDetail['waiting']>['reason'], string> = {
  concurrency: 'for a concurrency slot',
  'rate-limit': 'for a rate-limit permit',
  paused: 'for a resume',
  debounce: 'for its debounce window to close',
};

/** Why the task is not moving: it waits (for a slot, a permit, its window, a resume) or an operator paused it. */
function notices(task: TaskDetail): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (task.paused && !isFinalStatus(task.status)) {
    const p = task.paused;
    out.push(
      h(
        'p',
        { class: 'notice notice-warn', role: 'status', 'data-notice': 'paused' },
        h('strong', {}, 'Paused'),
        p.scope ? ` with ${p.scope.replace(':', ' ')}` : '',
        ` by ${p.by} since `,
        timeEl(p.at),
        `: ${p.reason}`,
        task.attemptPaused
          ? h('span', { class: 'muted' }, ' · Temporal holds its next attempt until it resumes')
          : null,
      ),
    );
  }
  if (task.waiting && !isFinalStatus(task.status)) {
    const w = task.waiting;
    out.push(
      h(
        'p',
        { class: 'notice', role: 'status', 'data-notice': 'waiting', 'data-reason': w.reason },
        h('strong', {}, `Waiting ${WAIT_LABEL[w.reason]}`),
        ` since `,
        timeEl(w.since),
        w.detail ? h('span', { class: 'muted' }, ` · ${w.detail}`) : null,
      ),
    );
  }
  return out;
}

/** The task's flow options and links (priority, tenant, keys, start and expiry, schedule, batch, redrive), if any. */
function flowFacts(task: TaskDetail, open: (id: string) => void, batch: HTMLElement | null): HTMLElement | null {
  const taskLink = (id: string) => {
    const a = h('a', { href: `#/tasks/${encodeURIComponent(id)}`, class: 'mono' }, id);
    a.addEventListener('click', (e) => {
      e.preventDefault();
      open(id);
    });
    return a;
  };
  const rows = [
    task.priority !== undefined
      ? fact('Priority', `${task.priority}`, h('span', { class: 'muted small' }, ' (1 runs first, 5 last)'))
      : null,
    task.tenant ? fact('Tenant (fairness)', h('span', { class: 'mono' }, task.tenant)) : null,
    task.concurrencyKey ? fact('Concurrency key', h('span', { class: 'mono' }, task.concurrencyKey)) : null,
    task.rateLimitKey
      ? fact(
          'Rate-limit key',
          h('span', { class: 'mono' }, task.rateLimitKey),
          task.permitGrantedAt
            ? h('span', { class: 'muted small' }, ` permit at ${fmtTime(task.permitGrantedAt)}`)
            : null,
        )
      : null,
    task.debounceKey ? fact('Debounce key', h('span', { class: 'mono' }, task.debounceKey)) : null,
    task.startAt ? fact('Start at', timeEl(task.startAt)) : null,
    task.expiresAt ? fact('Expires at', timeEl(task.expiresAt)) : null,
    task.scheduleId ? fact('Schedule', h('span', { class: 'mono' }, task.scheduleId)) : null,
    task.redriveOf ? fact('Redrive of', taskLink(task.redriveOf)) : null,
    batch ? wide(fact('Batch', batch)) : null,
  ].filter((r): r is HTMLDivElement => r !== null);
  return rows.length ? h('dl', { class: 'facts flow-facts' }, rows) : null;
}
