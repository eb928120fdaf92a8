// Wires the dashboard: stats and charts, the tasks table, the detail dialog, actions, the live feed, the API key
// prompt and the theme.
import './styles.css';
import { TASK_ID_PATTERN } from '../../domain/task-id';
import { ApiError, describeError, http, onApiKeyChange, setKeyPrompt, unwrap } from './api';
import { BudgetsPanel } from './budgets';
import { TimeChart } from './charts';
import { ControlsPanel } from './controls';
import { DeadLettersPanel } from './dead-letters';
import { DetailDialog } from './detail';
import { byId, h } from './dom';
import { fmtInt, fmtMs, fmtTime, fmtUsd, titleCase } from './format';
import { LiveFeed, type LiveState } from './live';
import { renderMetricCards, updateMetrics } from './metrics';
import { PipelinesView } from './pipelines';
import { SchedulesPanel } from './schedules';
import { SimulatorPanel } from './simulator';
import { TaskTable } from './table';
import { toast } from './toast';
import type { CreateTaskBody, TaskStats } from './types';
import { EXECUTION_MODES, isFinalStatus, TASK_STATUSES } from './types';

// ---------- theme ----------
// The saved choice is applied first thing (the API's CSP allows no inline script to do it earlier).
const THEME_KEY = 'spillway.theme';
try {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') document.documentElement.dataset.theme = saved;
} catch {
  // Storage disabled: follow the system preference.
}
const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');
const themeButton = byId<HTMLButtonElement>('theme-toggle');

function effectiveTheme(): 'light' | 'dark' {
  const forced = document.documentElement.dataset.theme;
  if (forced === 'light' || forced === 'dark') return forced;
  return darkQuery.matches ? 'dark' : 'light';
}

function syncThemeButton(): void {
  const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
  themeButton.setAttribute('aria-label', `Switch to ${next} theme`);
  themeButton.title = `Switch to ${next} theme`;
  themeButton.dataset.current = effectiveTheme();
}

themeButton.addEventListener('click', () => {
  const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
  document.documentElement.dataset.theme = next;
  try {
    localStorage.setItem(THEME_KEY, next);
  } catch {
    // Not persisted; the choice holds for this page.
  }
  syncThemeButton();
  rebuildCharts();
});
darkQuery.addEventListener('change', () => {
  syncThemeButton();
  rebuildCharts();
});
syncThemeButton();

// ---------- API key ----------
const authDialog = byId<HTMLDialogElement>('auth');
const authKey = byId<HTMLInputElement>('auth-key');
setKeyPrompt(
  (reason) =>
    new Promise((resolve) => {
      byId('auth-reason').textContent = reason || 'This Spillway API asks for a key.';
      authKey.value = '';
      authDialog.returnValue = '';
      authDialog.addEventListener(
        'close',
        () => resolve(authDialog.returnValue === 'ok' && authKey.value.trim() ? authKey.value.trim() : null),
        { once: true },
      );
      if (!authDialog.open) authDialog.showModal();
      authKey.focus();
    }),
);

// ---------- stats & charts ----------
renderMetricCards();
const throughputChart = new TimeChart(byId('chart-throughput'), {
  series: [
    { label: 'Local', color: '--local', fill: true },
    { label: 'Lambda', color: '--lambda', fill: true },
    { label: 'Failed', color: '--failed', dash: [4, 4] },
  ],
  formatY: (v) => (v === null ? '–' : `${v < 10 ? Number(v.toFixed(2)) : Math.round(v)}/s`),
  minMax: 0.5,
});
const latencyChart = new TimeChart(byId('chart-latency'), {
  series: [
    { label: 'Local p95', color: '--local' },
    { label: 'Lambda p95', color: '--lambda' },
  ],
  formatY: (v) => (v === null ? '–' : fmtMs(v)),
  minMax: 50,
});

function rebuildCharts(): void {
  throughputChart.rebuild();
  latencyChart.rebuild();
}

let lastStats: TaskStats | null = null;
let lastStatsAt = 0;

function applyStats(stats: TaskStats): void {
  lastStats = stats;
  lastStatsAt = Date.now();
  updateMetrics(stats);
  const buckets = stats.series?.buckets;
  if (!buckets) {
    const message = 'Time series not reported by the API yet';
    throughputChart.setEmptyMessage(message);
    latencyChart.setEmptyMessage(message);
    return;
  }
  const seconds = stats.series?.bucketSeconds ?? 10;
  const x = buckets.map((b) => b.t / 1000);
  const rate = (n: number | undefined) => (n ?? 0) / seconds;
  throughputChart.update(x, [
    buckets.map((b) => rate(b.completed?.LOCAL)),
    buckets.map((b) => rate(b.completed?.LAMBDA)),
    buckets.map((b) => rate(b.failed)),
  ]);
  latencyChart.update(x, [buckets.map((b) => b.p95Ms?.LOCAL ?? null), buckets.map((b) => b.p95Ms?.LAMBDA ?? null)]);
  const empty = buckets.length ? null : 'No tasks finished recently';
  throughputChart.setEmptyMessage(empty);
  latencyChart.setEmptyMessage(empty);
}

let statsRequest: Promise<boolean> | null = null;
function fetchStats(): Promise<boolean> {
  statsRequest ??= unwrap(http.GET('/api/tasks/stats'))
    .then((data) => {
      // The statistics' schema is open-ended; TaskStats reads the parts the dashboard shows, each optional.
      applyStats(data as TaskStats);
      return true;
    })
    .catch(() => {
      if (!lastStats) updateMetrics({});
      return false;
    })
    .finally(() => {
      statsRequest = null;
    });
  return statsRequest;
}

// A task event with no stats event soon after it (an API that sends none): fetch the stats, at most every 1.5 s.
let statsTimer: number | undefined;
function statsSoon(): void {
  if (statsTimer !== undefined) return;
  statsTimer = window.setTimeout(() => {
    statsTimer = undefined;
    if (Date.now() - lastStatsAt > 1200) void fetchStats();
  }, 1500);
}

// ---------- table & detail ----------
const table = new TaskTable({
  onOpen: (id) => openTask(id),
  onCancel: (id, name, btn) => void cancelTask(id, name, btn),
});
// ---------- operations: controls, budgets, schedules, dead letters, the placement simulator ----------
const controls = new ControlsPanel(byId('controls'), () => void table.load());
const budgets = new BudgetsPanel(byId('budgets'));
const schedules = new SchedulesPanel(byId('schedules'), (id) => openTask(id));
const deadLetters = new DeadLettersPanel(byId('dead-letters'), (id) => openTask(id));
// Not among the panels reloaded with the feed: a replay reads the period's tasks, so it runs when asked.
const simulator = new SimulatorPanel(byId('simulator'));
const opsPanels = [controls.panel, budgets.panel, schedules.panel, deadLetters.panel];
// What the live feed does not announce: schedules fire on their own, other operators act, forecasts move with time.
schedules.panel.every(15_000);
controls.panel.every(30_000);
budgets.panel.every(30_000);
// Task lists are eventually consistent: a failure may not be listed yet when its event arrives.
deadLetters.panel.every(20_000);

const detail = new DetailDialog({
  onCancel: (id, name, btn) => void cancelTask(id, name, btn),
  onOpen: (id) => openTask(id),
  onAction: () => {
    controls.panel.soon(300);
    deadLetters.panel.soon(300);
  },
  // Clears the deep link of the task that was closed, and only that one: a hash that already names another task
  // is a navigation that happened while the close event was on its way, and it must open that task.
  onClosed: (id) => {
    if (taskIdFromHash() === id) history.replaceState(null, '', `${location.pathname}${location.search}`);
  },
});

function taskIdFromHash(): string | null {
  const m = /^#\/tasks\/(.+)$/.exec(location.hash);
  return m?.[1] ? decodeURIComponent(m[1]) : null;
}

function openTask(id: string): void {
  const hash = `#/tasks/${encodeURIComponent(id)}`;
  if (location.hash === hash) void detail.open(id);
  else location.hash = hash;
}

const pipelines = new PipelinesView({ root: byId('pipelines'), onOpenTask: (id) => openTask(id) });

function route(): void {
  const id = taskIdFromHash();
  if (id) void detail.open(id);
  else detail.close();
  const execution = PipelinesView.route(location.hash);
  if (execution) pipelines.open(execution);
}
window.addEventListener('hashchange', route);

const form = byId<HTMLFormElement>('filters');
const fill = (name: string, values: readonly string[], label: (v: string) => string) => {
  const select = form.elements.namedItem(name) as HTMLSelectElement;
  for (const v of values) select.append(h('option', { value: v }, label(v)));
};
fill('status', TASK_STATUSES, titleCase);
fill('mode', EXECUTION_MODES, (v) => v);
// The task types are those of the deployed functions (a team deploys its own), as GET /api/functions lists them.
void unwrap(http.GET('/api/functions'))
  .then((data) => {
    const types = Object.keys(data.taskTypes ?? {}).sort();
    fill('type', types, (v) => v);
    controls.setTaskTypes(types);
    simulator.setTaskTypes(types);
  })
  .catch(() => undefined);

function currentFilters() {
  const data = new FormData(form);
  return {
    status: String(data.get('status') ?? ''),
    mode: String(data.get('mode') ?? ''),
    type: String(data.get('type') ?? ''),
  };
}
form.addEventListener('change', (e) => {
  if ((e.target as HTMLElement).tagName === 'SELECT') void table.setFilters(currentFilters());
});
const search = form.elements.namedItem('q') as HTMLInputElement;
search.addEventListener('input', () => table.setQuery(search.value));
form.addEventListener('submit', (e) => {
  e.preventDefault();
  void findById(search.value.trim());
});

async function findById(query: string): Promise<void> {
  if (!query) return;
  if (table.findLoaded(query)) return openTask(query);
  if (!TASK_ID_PATTERN.test(query)) {
    toast('info', 'Not a task id', 'Task ids have no spaces; the list shows the loaded tasks whose name matches.');
    return;
  }
  try {
    const data = await unwrap(http.GET('/api/tasks/{id}', { params: { path: { id: query } } }));
    openTask(data.id);
  } catch (err) {
    if (err instanceof ApiError && err.statusCode === 404) {
      toast(
        'info',
        `No task with id “${query}”`,
        `${err.message} (${err.code}). Names are matched in the loaded rows.`,
      );
    } else toast('error', 'Lookup failed', describeError(err));
  }
}

// ---------- actions ----------
async function cancelTask(id: string, name: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  const label = button.textContent;
  button.textContent = 'Cancelling…';
  try {
    await unwrap(http.POST('/api/tasks/{id}/cancel', { params: { path: { id } } }));
    toast('success', 'Cancellation requested', `${name} (${id})`);
    detail.changed(id);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'SPILLWAY_TASK_NOT_CANCELLABLE') {
      toast('info', 'Task already ended', `${err.message} (${err.code})`);
    } else toast('error', 'Cancel failed', describeError(err));
    button.disabled = false;
    button.textContent = label;
  }
}

function sampleTasks(): CreateTaskBody[] {
  const imageUrl = `${location.origin}/samples/landscape.jpg`;
  const stamp = fmtTime(Date.now());
  const task = (
    name: string,
    type: string,
    executionMode: CreateTaskBody['executionMode'],
    payload: Record<string, unknown> = {},
    extra: Partial<CreateTaskBody> = {},
  ): CreateTaskBody => ({
    name: `${name} · ${stamp}`,
    type,
    executionMode,
    payload,
    ...extra,
  });
  return [
    task('Ping', 'noop', 'LOCAL'),
    task('Ping', 'noop', 'LAMBDA'),
    task('Sales report', 'report-generation', 'AUTO', {
      title: 'Sales by region',
      generate: { count: 500 },
      groupBy: 'region',
    }),
    task('Sales report', 'report-generation', 'LAMBDA', {
      title: 'Sales by product',
      generate: { count: 2000 },
      groupBy: 'product',
    }),
    task('Aggregate metrics', 'data-aggregation', 'LAMBDA', { generate: { count: 5000, groups: 8 } }),
    task('Aggregate metrics', 'data-aggregation', 'AUTO', { generate: { count: 1000, groups: 4 } }),
    task('Thumbnail 320px', 'image-processing', 'LOCAL', { imageUrl, width: 320, returnImage: true }),
    task('Thumbnail 320px', 'image-processing', 'AUTO', { imageUrl, width: 320, returnImage: true }),
    task(
      'Retry demo',
      'flaky',
      'LOCAL',
      { failAttempts: 1 },
      { retry: { maximumAttempts: 3, initialIntervalMs: 500 } },
    ),
    task(
      'Slow retry demo',
      'flaky',
      'AUTO',
      { failAttempts: 1, sleepMs: 3000 },
      { retry: { maximumAttempts: 3, initialIntervalMs: 1000 } },
    ),
  ];
}

async function busy(button: HTMLButtonElement, text: string, work: () => Promise<void>): Promise<void> {
  if (button.disabled) return;
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = text;
  try {
    await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
  }
}

const createButton = byId<HTMLButtonElement>('create-ten');
createButton.addEventListener(
  'click',
  () =>
    void busy(createButton, 'Creating…', async () => {
      const tasks = sampleTasks();
      try {
        const data = await unwrap(http.POST('/api/tasks/bulk', { body: { tasks } }));
        const created = data.results.flatMap((r) => (r.ok && r.task ? [r.task] : []));
        table.addCreated(created);
        statsSoon();
        if (data.rejected === 0) {
          toast('success', `${data.accepted} created`, `${tasks.length} sample tasks across every type and mode.`);
        } else {
          const failed = data.results.filter((r) => !r.ok);
          toast(
            data.accepted ? 'info' : 'error',
            `${data.accepted} created, ${data.rejected} rejected`,
            h(
              'ul',
              { class: 'toast-list' },
              failed.map((r) => {
                const t = tasks[r.index];
                return h(
                  'li',
                  {},
                  h('strong', {}, `${t?.type ?? '?'} ${t?.executionMode ?? ''}`),
                  `: ${r.error?.message ?? 'rejected'} (${r.error?.code ?? r.statusCode})`,
                );
              }),
            ),
            10_000,
          );
        }
      } catch (err) {
        toast('error', 'Could not create tasks', describeError(err));
      }
    }),
);

const warmButton = byId<HTMLButtonElement>('warm-pool');
warmButton.addEventListener(
  'click',
  () =>
    void busy(warmButton, 'Warming…', async () => {
      try {
        const data = await unwrap(http.POST('/api/tasks/warm-pool'));
        const fns = data.functions ?? [];
        const warmed = fns.reduce((n, f) => n + (f.warmed ?? 0), 0);
        const cold = fns.reduce((n, f) => n + (f.coldStarts ?? 0), 0);
        const problems = fns.flatMap((f) => (f.errors ?? []).map((e) => `${f.name}: ${e}`));
        toast(
          'success',
          `Lambda pool warmed: ${fmtInt(warmed)} environment${warmed === 1 ? '' : 's'}`,
          h(
            'div',
            {},
            h(
              'p',
              {},
              `${fns.length} function${fns.length === 1 ? '' : 's'} · ${fmtInt(cold)} cold start${cold === 1 ? '' : 's'} · ${fmtUsd(data.totalCostUsd)}`,
            ),
            h(
              'table',
              { class: 'toast-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', { scope: 'col' }, 'Function'),
                  h('th', { scope: 'col', class: 'num' }, 'Warm'),
                  h('th', { scope: 'col', class: 'num' }, 'Cold'),
                  h('th', { scope: 'col', class: 'num' }, 'Time'),
                  h('th', { scope: 'col', class: 'num' }, 'Cost'),
                ),
              ),
              h(
                'tbody',
                {},
                fns.map((f) =>
                  h(
                    'tr',
                    {},
                    h('td', { class: 'mono' }, f.name),
                    h('td', { class: 'num' }, `${fmtInt(f.warmed)}/${fmtInt(f.requested)}`),
                    h('td', { class: 'num' }, fmtInt(f.coldStarts)),
                    h('td', { class: 'num' }, fmtMs(f.durationMs)),
                    h('td', { class: 'num' }, fmtUsd(f.costUsd)),
                  ),
                ),
              ),
            ),
            problems.length
              ? h(
                  'ul',
                  { class: 'toast-list error-text' },
                  problems.slice(0, 5).map((p) => h('li', {}, p)),
                )
              : null,
          ),
          12_000,
        );
        statsSoon();
      } catch (err) {
        toast('error', 'Could not warm the Lambda pool', describeError(err));
      }
    }),
);

// ---------- live feed ----------
const liveEl = byId('live');
const LIVE_LABELS: Record<LiveState, string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  polling: 'Polling · 5 s',
};
function showLive(state: LiveState): void {
  liveEl.dataset.state = state;
  const label = liveEl.querySelector('.live-label');
  if (label) label.textContent = LIVE_LABELS[state];
  liveEl.title =
    state === 'live'
      ? 'Following the live event stream'
      : state === 'polling'
        ? 'This API has no event stream; refreshing every 5 seconds'
        : 'The event stream is down; refreshing every 5 seconds until it is back';
}

const feed = new LiveFeed({
  onTask(event) {
    table.applyEvent(event);
    detail.changed(event.taskId);
    pipelines.onTaskEvent(event.taskId);
    statsSoon();
    if (isFinalStatus(event.status)) {
      // A task's end settles its cost against the budgets, and a failed one is a dead letter.
      budgets.panel.soon();
      if (event.status !== 'COMPLETED') deadLetters.panel.soon();
    }
  },
  onStats: applyStats,
  onBudget(event) {
    // Exceeded stays until dismissed: from now on new tasks are refused, held or run LOCAL.
    toast(event.level === 'exceeded' ? 'error' : 'info', `Budget ${event.budgetId}`, event.message, 15_000);
    budgets.panel.soon(300);
  },
  onPipeline: (event) => pipelines.onPipelineEvent(event),
  onState(state) {
    showLive(state);
    pipelines.setLive(state === 'live');
  },
  async refresh() {
    const jobs: Promise<boolean>[] = [fetchStats()];
    if (table.onFirstPage) jobs.push(table.load());
    if (detail.openId && detail.isRunning) void detail.fetch();
    void pipelines.loadList();
    for (const panel of opsPanels) void panel.load();
    const results = await Promise.all(jobs);
    return results.every(Boolean);
  },
});
onApiKeyChange(() => {
  feed.restart();
  void fetchStats();
  void table.load();
  for (const panel of opsPanels) void panel.load();
});

// ---------- start ----------
void fetchStats();
void table.load();
void pipelines.loadList();
for (const panel of opsPanels) void panel.load();
route();
void feed.start();
