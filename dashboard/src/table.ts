// The tasks table: one server page at a time (cursor pagination with a stack of the cursors behind us), filters
// that go to the server, a name search over the loaded rows, and live updates merged into the visible rows.
import { describeError, http, unwrap } from './api';
import { byId, h } from './dom';
import { DASH, fmtDateTime, fmtMs, fmtTime, titleCase } from './format';
import type { ListTasksQuery } from '../../client';
import type { CreatedTask, TaskSummary, TransitionEvent } from './types';
import { isFinalStatus } from './types';

const PAGE_SIZE = 50;
/** Rows the live feed may add above a page before the oldest extra ones drop off. */
const MAX_ROWS = 200;
/** A row learned from the feed survives a refresh that does not list it yet (visibility lags) this long. */
const LOCAL_ROW_GRACE_MS = 15_000;

export interface Filters {
  status: string;
  mode: string;
  type: string;
}

interface Row extends TaskSummary {
  /** When the dashboard itself added or last changed the row. */
  seenAt?: number;
  fresh?: boolean;
}

export interface TableHandlers {
  onOpen(id: string): void;
  onCancel(id: string, name: string, button: HTMLButtonElement): void;
}

export class TaskTable {
  filters: Filters = { status: '', mode: '', type: '' };
  private query = '';
  private rows: Row[] = [];
  private cursor: string | undefined;
  private readonly previous: (string | undefined)[] = [];
  private nextCursor: string | null = null;
  private requestSeq = 0;
  private readonly rowEls = new Map<string, { tr: HTMLTableRowElement; sig: string }>();
  private readonly tbody = byId<HTMLTableSectionElement>('task-rows');
  private readonly empty = byId<HTMLParagraphElement>('tasks-empty');
  private readonly count = byId('tasks-count');
  private readonly prev = byId<HTMLButtonElement>('page-prev');
  private readonly next = byId<HTMLButtonElement>('page-next');
  private readonly pageLabel = byId('page-label');
  private loadError: string | null = null;
  private loaded = false;

  constructor(private readonly handlers: TableHandlers) {
    this.prev.addEventListener('click', () => void this.goPrevious());
    this.next.addEventListener('click', () => void this.goNext());
    this.tbody.addEventListener('click', (e) => {
      const target = e.target as HTMLElement;
      if (target.closest('button, a')) return;
      const tr = target.closest<HTMLTableRowElement>('tr[data-id]');
      if (tr?.dataset.id) this.handlers.onOpen(tr.dataset.id);
    });
    window.setInterval(() => this.tickRunning(), 1000);
  }

  get onFirstPage(): boolean {
    return this.previous.length === 0;
  }

  setQuery(query: string): void {
    this.query = query.trim().toLowerCase();
    this.render();
  }

  findLoaded(id: string): TaskSummary | undefined {
    return this.rows.find((r) => r.id === id);
  }

  async setFilters(filters: Filters): Promise<void> {
    this.filters = filters;
    this.cursor = undefined;
    this.previous.length = 0;
    await this.load();
  }

  /** Loads the current page again; on the first page, rows the feed added and the list lacks yet are kept. */
  async load(): Promise<boolean> {
    const seq = ++this.requestSeq;
    const query: ListTasksQuery = { limit: String(PAGE_SIZE) };
    if (this.filters.status) query.status = this.filters.status as ListTasksQuery['status'];
    if (this.filters.mode) query.mode = this.filters.mode as ListTasksQuery['mode'];
    if (this.filters.type) query.type = this.filters.type;
    if (this.cursor) query.cursor = this.cursor;
    this.tbody.closest('table')?.setAttribute('aria-busy', 'true');
    try {
      const data = await unwrap(http.GET('/api/tasks', { params: { query } }));
      if (seq !== this.requestSeq) return true;
      const listed = new Set(data.tasks.map((t) => t.id));
      const now = Date.now();
      const keep = this.onFirstPage
        ? this.rows.filter((r) => !listed.has(r.id) && r.seenAt && now - r.seenAt < LOCAL_ROW_GRACE_MS)
        : [];
      const known = new Map(this.rows.map((r) => [r.id, r]));
      const merged = data.tasks.map((t): Row => {
        const mine = known.get(t.id);
        // A live update newer than the (lagging) list wins over it.
        if (mine?.seenAt && now - mine.seenAt < LOCAL_ROW_GRACE_MS && rank(mine.status) > rank(t.status)) {
          return { ...t, ...pick(mine), seenAt: mine.seenAt };
        }
        return t;
      });
      this.rows = [...keep, ...merged];
      this.nextCursor = data.nextCursor;
      this.loadError = null;
      this.loaded = true;
      this.render();
      return true;
    } catch (err) {
      if (seq !== this.requestSeq) return false;
      this.loadError = `Could not load tasks: ${describeError(err)}`;
      this.render();
      return false;
    } finally {
      if (seq === this.requestSeq) this.tbody.closest('table')?.removeAttribute('aria-busy');
    }
  }

  private async goNext(): Promise<void> {
    if (!this.nextCursor) return;
    this.previous.push(this.cursor);
    this.cursor = this.nextCursor;
    this.rows = [];
    await this.load();
    byId('tasks-heading').focus({ preventScroll: true });
  }

  private async goPrevious(): Promise<void> {
    if (!this.previous.length) return;
    this.cursor = this.previous.pop();
    this.rows = [];
    await this.load();
  }

  /** Tasks this dashboard just created: shown at the top at once, before the feed or the list reports them. */
  addCreated(tasks: CreatedTask[]): void {
    if (!this.onFirstPage) return;
    const now = Date.now();
    const fresh: Row[] = tasks
      .filter((t) => !this.rows.some((r) => r.id === t.id))
      .map((t) => ({
        id: t.id,
        name: t.name,
        type: t.type,
        executionMode: t.executionMode,
        status: t.status,
        submittedAt: t.submittedAt,
        seenAt: now,
        fresh: true,
      }))
      .filter((r) => this.matchesFilters(r));
    if (!fresh.length) return;
    this.rows = [...fresh, ...this.rows].slice(0, MAX_ROWS);
    this.render();
  }

  applyEvent(event: TransitionEvent): void {
    const row = this.rows.find((r) => r.id === event.taskId);
    const now = Date.now();
    if (row) {
      if (rank(event.status) < rank(row.status)) return;
      Object.assign(row, {
        status: event.status,
        placement: event.placement ?? row.placement,
        placementReason: event.placementReason ?? row.placementReason,
        durationMs: event.durationMs ?? row.durationMs,
        costUsd: event.costUsd ?? row.costUsd,
        attempts: event.attempts ?? row.attempts,
        seenAt: now,
      });
      if (event.status === 'RUNNING' && !row.startedAt) row.startedAt = event.at;
      if (isFinalStatus(event.status) && !row.finishedAt) row.finishedAt = event.at;
      this.render();
      return;
    }
    if (!this.onFirstPage) return;
    const added: Row = {
      id: event.taskId,
      name: event.name,
      type: event.type,
      executionMode: event.executionMode,
      placement: event.placement,
      placementReason: event.placementReason,
      status: event.status,
      durationMs: event.durationMs,
      submittedAt: event.at,
      startedAt: event.status === 'RUNNING' ? event.at : undefined,
      finishedAt: isFinalStatus(event.status) ? event.at : undefined,
      seenAt: now,
      fresh: true,
    };
    if (!this.matchesFilters(added)) return;
    this.rows = [added, ...this.rows].slice(0, MAX_ROWS);
    this.render();
  }

  private matchesFilters(r: TaskSummary): boolean {
    const f = this.filters;
    return (
      (!f.status || r.status === f.status) && (!f.mode || r.executionMode === f.mode) && (!f.type || r.type === f.type)
    );
  }

  private visibleRows(): Row[] {
    if (!this.query) return this.rows;
    return this.rows.filter(
      (r) => (r.name ?? '').toLowerCase().includes(this.query) || r.id.toLowerCase().includes(this.query),
    );
  }

  private render(): void {
    const rows = this.visibleRows();
    const wanted = new Set(rows.map((r) => r.id));
    for (const [id, { tr }] of this.rowEls) {
      if (!wanted.has(id)) {
        tr.remove();
        this.rowEls.delete(id);
      }
    }
    let cursor: ChildNode | null = this.tbody.firstChild;
    for (const row of rows) {
      const sig = signature(row);
      let entry = this.rowEls.get(row.id);
      if (!entry || entry.sig !== sig) {
        const tr = this.renderRow(row);
        if (entry) {
          const hadFocus = entry.tr.contains(document.activeElement);
          entry.tr.replaceWith(tr);
          if (hadFocus) (tr.querySelector('a') as HTMLElement | null)?.focus();
          if (cursor === entry.tr) cursor = tr;
        }
        entry = { tr, sig };
        this.rowEls.set(row.id, entry);
      }
      if (cursor === entry.tr) cursor = cursor.nextSibling;
      else this.tbody.insertBefore(entry.tr, cursor);
      row.fresh = false;
    }

    this.empty.hidden = rows.length > 0 && !this.loadError;
    if (this.loadError) {
      this.empty.textContent = this.loadError;
      this.empty.classList.add('error-text');
    } else {
      this.empty.classList.remove('error-text');
      this.empty.textContent = !this.loaded
        ? 'Loading tasks…'
        : this.query && this.rows.length
          ? `No loaded task matches “${this.query}”. Press Enter to look it up as a task id.`
          : 'No tasks match these filters yet. Create some with “Create 10 Tasks”.';
    }
    const page = this.previous.length + 1;
    this.pageLabel.textContent = `Page ${page}`;
    this.prev.disabled = this.previous.length === 0;
    this.next.disabled = !this.nextCursor;
    this.count.textContent = this.query
      ? `${rows.length} of ${this.rows.length} loaded match`
      : `${this.rows.length} shown${this.nextCursor ? ' · more on the next page' : ''}`;
  }

  private renderRow(row: Row): HTMLTableRowElement {
    const status = row.status;
    const cancellable = status === 'QUEUED' || status === 'RUNNING';
    const name = row.name || row.id;
    const placement = row.placement
      ? h(
          'span',
          { class: 'placement', title: row.placementReason ?? undefined },
          row.executionMode === 'AUTO' ? h('span', { class: 'mode-auto' }, 'AUTO →') : null,
          h(
            'span',
            { class: `chip chip-${row.placement.toLowerCase()}` },
            row.placement === 'LAMBDA' ? 'Lambda' : 'Local',
          ),
        )
      : h(
          'span',
          { class: 'placement muted' },
          row.executionMode ? `${row.executionMode}` : DASH,
          h('span', { class: 'small' }, ' · pending'),
        );
    const started = row.startedAt ?? row.submittedAt;
    const tr = h(
      'tr',
      { 'data-id': row.id, 'data-status': status, class: row.fresh ? 'row-fresh' : undefined },
      h('td', {}, statusBadge(status)),
      h(
        'td',
        { class: 'cell-task' },
        h('a', { href: `#/tasks/${encodeURIComponent(row.id)}`, class: 'task-link' }, name),
        h('span', { class: 'task-id mono' }, row.id),
      ),
      h('td', { class: 'col-type' }, row.type ? h('span', { class: 'type' }, row.type) : DASH),
      h('td', {}, placement),
      h(
        'td',
        { class: 'col-started' },
        started ? h('time', { datetime: started, title: fmtDateTime(started) }, fmtTime(started)) : DASH,
      ),
      h(
        'td',
        {
          class: 'num duration',
          'data-running-since': status === 'RUNNING' && row.startedAt ? row.startedAt : undefined,
        },
        status === 'RUNNING' && row.startedAt ? fmtMs(Date.now() - Date.parse(row.startedAt)) : fmtMs(row.durationMs),
      ),
      h(
        'td',
        { class: 'cell-actions' },
        cancellable
          ? h(
              'button',
              {
                type: 'button',
                class: 'btn btn-small btn-danger-ghost',
                'aria-label': `Cancel task ${name}`,
                onclick: (e: Event) => this.handlers.onCancel(row.id, name, e.currentTarget as HTMLButtonElement),
              },
              'Cancel',
            )
          : null,
      ),
    );
    return tr;
  }

  private tickRunning(): void {
    const now = Date.now();
    for (const td of this.tbody.querySelectorAll<HTMLElement>('td[data-running-since]')) {
      const since = Date.parse(td.dataset.runningSince ?? '');
      if (!Number.isNaN(since)) td.textContent = fmtMs(Math.max(0, now - since));
    }
  }
}

export function statusBadge(status: string): HTMLSpanElement {
  return h(
    'span',
    { class: `badge status-${status.toLowerCase()}` },
    h('span', { class: 'badge-dot', 'aria-hidden': 'true' }),
    titleCase(status),
  );
}

function rank(status: string): number {
  return status === 'QUEUED' ? 1 : status === 'RUNNING' ? 2 : isFinalStatus(status) ? 3 : 0;
}

function pick(row: Row): Partial<TaskSummary> {
  const { status, placement, placementReason, durationMs, startedAt, finishedAt } = row;
  return Object.fromEntries(
    Object.entries({ status, placement, placementReason, durationMs, startedAt, finishedAt }).filter(
      ([, v]) => v !== undefined,
    ),
  );
}

function signature(r: Row): string {
  return [
    r.status,
    r.name,
    r.type,
    r.executionMode,
    r.placement,
    r.placementReason,
    r.startedAt,
    r.submittedAt,
    r.durationMs,
  ].join('|');
}
