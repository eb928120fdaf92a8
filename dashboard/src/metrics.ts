// Headline metric cards and the side panels (AUTO split, per-placement table, cost, retries, warming per function),
// from the stats.
import { byId, clear, h } from './dom';
import { DASH, fmtDecimal, fmtInt, fmtMs, fmtPct, fmtTime, fmtUsd } from './format';
import type { TaskStats, WarmingLedger } from './types';

interface Card {
  key: string;
  label: string;
  value: (s: TaskStats) => string;
  /** Omitted (blank) while the API does not report what it needs. */
  sub?: (s: TaskStats) => string | undefined;
  tone?: string;
}

const CARDS: Card[] = [
  {
    key: 'created',
    label: 'Created',
    value: (s) => fmtInt(s.totals?.created),
    sub: (s) => (s.totals?.queued === undefined ? undefined : `${fmtInt(s.totals.queued)} queued`),
  },
  {
    key: 'running',
    label: 'Running',
    tone: 'running',
    value: (s) => fmtInt(s.totals?.running),
    sub: (s) =>
      s.byPlacement
        ? `${fmtInt(s.byPlacement.LOCAL?.running ?? 0)} local · ${fmtInt(s.byPlacement.LAMBDA?.running ?? 0)} Lambda`
        : undefined,
  },
  {
    key: 'completed',
    label: 'Completed',
    tone: 'completed',
    value: (s) => fmtInt(s.totals?.completed),
    sub: (s) => (s.totals?.cancelled === undefined ? undefined : `${fmtInt(s.totals.cancelled)} cancelled`),
  },
  {
    key: 'failed',
    label: 'Failed',
    tone: 'failed',
    value: (s) => fmtInt(s.totals?.failed),
    sub: (s) => (s.retries?.tasksRetried === undefined ? undefined : `${fmtInt(s.retries.tasksRetried)} tasks retried`),
  },
  {
    key: 'throughput',
    label: 'Throughput',
    value: (s) => fmtInt(s.throughput?.lastMinute),
    sub: (s) => (s.throughput ? `last minute · ${fmtDecimal(s.throughput.perSecond)}/s` : undefined),
  },
  {
    key: 'cost',
    label: 'Total cost',
    value: (s) => fmtUsd(s.cost?.totalUsd),
    sub: (s) => (s.coldStarts ? `cold starts ${fmtPct(s.coldStarts.ratio)}` : undefined),
  },
];

const cardEls = new Map<string, { value: HTMLElement; sub: HTMLElement }>();

export function renderMetricCards(): void {
  const root = byId('metrics');
  clear(root);
  for (const card of CARDS) {
    const value = h('span', { class: 'metric-value', 'data-metric': card.key }, DASH);
    const sub = h('span', { class: 'metric-sub' }, '');
    root.append(
      h(
        'div',
        { class: `metric${card.tone ? ` tone-${card.tone}` : ''}` },
        h('span', { class: 'metric-label' }, card.label),
        value,
        sub,
      ),
    );
    cardEls.set(card.key, { value, sub });
  }
}

export function updateMetrics(stats: TaskStats): void {
  for (const card of CARDS) {
    const els = cardEls.get(card.key);
    if (!els) continue;
    const value = card.value(stats);
    if (els.value.textContent !== value) {
      els.value.textContent = value;
      els.value.classList.remove('bump');
      void els.value.offsetWidth;
      els.value.classList.add('bump');
    }
    els.sub.textContent = card.sub?.(stats) ?? '';
  }
  renderAutoSplit(stats);
  renderPlacementTable(stats);
  renderCost(stats);
  renderRetries(stats);
  renderWarming(stats);
}

function renderAutoSplit(stats: TaskStats): void {
  const root = byId('auto-split');
  const local = stats.autoPlacement?.LOCAL;
  const lambda = stats.autoPlacement?.LAMBDA;
  clear(root);
  if (local === undefined && lambda === undefined) {
    root.append(h('p', { class: 'empty small' }, 'Not reported by the API yet.'));
    return;
  }
  const l = local ?? 0;
  const m = lambda ?? 0;
  const total = l + m;
  const pct = (n: number) => (total ? (n / total) * 100 : 0);
  root.append(
    h(
      'div',
      {
        class: 'split-bar',
        role: 'img',
        'aria-label': `AUTO placement: ${l} local, ${m} Lambda`,
      },
      total === 0
        ? h('span', { class: 'split-empty' }, 'No AUTO tasks yet')
        : [
            h('span', { class: 'split-seg seg-local', style: `flex-grow:${pct(l)}` }),
            h('span', { class: 'split-seg seg-lambda', style: `flex-grow:${pct(m)}` }),
          ],
    ),
    h(
      'dl',
      { class: 'split-legend' },
      h(
        'div',
        {},
        h('dt', {}, h('span', { class: 'swatch seg-local' }), 'Local'),
        h('dd', {}, `${fmtInt(local)} · ${total ? pct(l).toFixed(0) : 0}%`),
      ),
      h(
        'div',
        {},
        h('dt', {}, h('span', { class: 'swatch seg-lambda' }), 'Lambda'),
        h('dd', {}, `${fmtInt(lambda)} · ${total ? pct(m).toFixed(0) : 0}%`),
      ),
    ),
  );
}

function renderPlacementTable(stats: TaskStats): void {
  const root = byId('placement-table');
  clear(root);
  if (!stats.byPlacement && !stats.executionTimeMs) {
    root.append(h('p', { class: 'empty small' }, 'Not reported by the API yet.'));
    return;
  }
  const rows: [string, (p: 'LOCAL' | 'LAMBDA') => string][] = [
    ['Running', (p) => fmtInt(stats.byPlacement?.[p]?.running)],
    ['Completed', (p) => fmtInt(stats.byPlacement?.[p]?.completed)],
    ['Failed', (p) => fmtInt(stats.byPlacement?.[p]?.failed)],
    ['Cancelled', (p) => fmtInt(stats.byPlacement?.[p]?.cancelled)],
    ['Executions', (p) => fmtInt(stats.executionTimeMs?.[p]?.count)],
    ['p50', (p) => fmtMs(stats.executionTimeMs?.[p]?.p50)],
    ['p95', (p) => fmtMs(stats.executionTimeMs?.[p]?.p95)],
    ['p99', (p) => fmtMs(stats.executionTimeMs?.[p]?.p99)],
  ];
  root.append(
    h(
      'table',
      { class: 'mini-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Metric')),
          h('th', { scope: 'col', class: 'num' }, h('span', { class: 'swatch seg-local' }), 'Local'),
          h('th', { scope: 'col', class: 'num' }, h('span', { class: 'swatch seg-lambda' }), 'Lambda'),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map(([label, get]) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, label),
            h('td', { class: 'num' }, get('LOCAL')),
            h('td', { class: 'num' }, get('LAMBDA')),
          ),
        ),
      ),
    ),
  );
}

function renderCost(stats: TaskStats): void {
  const root = byId('cost');
  clear(root);
  const c = stats.cost;
  if (!c) {
    root.append(h('p', { class: 'empty small' }, 'Not reported by the API yet.'));
    return;
  }
  const items: [string, number | undefined, string][] = [
    ['Lambda execution', c?.lambdaExecutionUsd, 'seg-lambda'],
    ['Warming', c?.warmingUsd, 'seg-warm'],
    ['Local', c?.localUsd, 'seg-local'],
  ];
  const total = items.reduce((sum, [, v]) => sum + (v ?? 0), 0);
  root.append(
    h(
      'p',
      { class: 'cost-total' },
      h('span', { class: 'big-number' }, fmtUsd(c?.totalUsd)),
      h('span', { class: 'muted small' }, ' total'),
    ),
    h(
      'div',
      { class: 'split-bar thin', 'aria-hidden': 'true' },
      total > 0
        ? items.map(([, v, cls]) =>
            h('span', { class: `split-seg ${cls}`, style: `flex-grow:${((v ?? 0) / total) * 100}` }),
          )
        : null,
    ),
    h(
      'dl',
      { class: 'kv' },
      items.map(([label, v, cls]) =>
        h('div', {}, h('dt', {}, h('span', { class: `swatch ${cls}` }), label), h('dd', { class: 'num' }, fmtUsd(v))),
      ),
    ),
  );
}

function renderRetries(stats: TaskStats): void {
  const root = byId('retries');
  clear(root);
  if (!stats.retries && !stats.coldStarts) {
    root.append(h('p', { class: 'empty small' }, 'Not reported by the API yet.'));
    return;
  }
  const hist = stats.retries?.attemptsHistogram;
  const entries = hist ? Object.entries(hist).sort(([a], [b]) => Number(a) - Number(b)) : [];
  const max = Math.max(1, ...entries.map(([, n]) => n));
  root.append(
    h(
      'dl',
      { class: 'kv' },
      h('div', {}, h('dt', {}, 'Tasks retried'), h('dd', { class: 'num' }, fmtInt(stats.retries?.tasksRetried))),
      h(
        'div',
        {},
        h('dt', {}, 'Cold / warm starts'),
        h('dd', { class: 'num' }, `${fmtInt(stats.coldStarts?.cold)} / ${fmtInt(stats.coldStarts?.warm)}`),
      ),
      h('div', {}, h('dt', {}, 'Cold-start ratio'), h('dd', { class: 'num' }, fmtPct(stats.coldStarts?.ratio))),
      stats.warmPool
        ? h('div', {}, h('dt', {}, 'Warm-pool warm-ups'), h('dd', { class: 'num' }, fmtInt(stats.warmPool.warmups)))
        : null,
    ),
    entries.length
      ? h(
          'div',
          {
            class: 'histogram',
            role: 'img',
            'aria-label': `Attempts per task: ${entries.map(([k, n]) => `${n} with ${k}`).join(', ')}`,
          },
          entries.map(([attempts, n]) =>
            h(
              'div',
              {
                class: 'hist-col',
                title: `${n} task${n === 1 ? '' : 's'} took ${attempts} attempt${attempts === '1' ? '' : 's'}`,
              },
              h('span', { class: 'hist-n' }, fmtInt(n)),
              h('span', { class: 'hist-bar', style: `height:${Math.max(4, (n / max) * 56)}px` }),
              h('span', { class: 'hist-k' }, `${attempts}×`),
            ),
          ),
        )
      : h(
          'p',
          { class: 'empty small' },
          hist ? 'No finished tasks yet.' : 'Attempt histogram not reported by the API yet.',
        ),
  );
}

/** Whether warming pays for a function: what its saved cold starts are worth against what its warm-ups cost. */
function warmingVerdict(w: WarmingLedger): { label: string; tone: 'pays' | 'loses' | 'none' } {
  if (w.warmups === 0) return { label: 'not warmed', tone: 'none' };
  if (w.netUsd > 0) return { label: 'pays', tone: 'pays' };
  if (w.lambdaAttempts === 0) return { label: 'no tasks yet', tone: 'none' };
  return { label: 'costs more than it saves', tone: 'loses' };
}

function signedUsd(n: number): string {
  return n > 0 ? `+${fmtUsd(n)}` : fmtUsd(n);
}

function renderWarming(stats: TaskStats): void {
  const root = byId('warming');
  clear(root);
  const functions = stats.warming?.functions;
  if (!functions) {
    root.append(h('p', { class: 'empty small' }, 'Not reported by the API yet.'));
    return;
  }
  if (!functions.length) {
    root.append(
      h('p', { class: 'empty small' }, 'No function warmed or run on Lambda yet. “Warm Lambda Pool” warms them now.'),
    );
    return;
  }
  root.append(
    h(
      'table',
      { class: 'ops-table warming-table' },
      h('caption', { class: 'visually-hidden' }, 'Warming per function: what it cost and what it saved real tasks'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Function'),
          h(
            'th',
            { scope: 'col', class: 'num', title: 'Real Lambda attempts that found a warm environment' },
            'Warm hits',
          ),
          h('th', { scope: 'col', class: 'num', title: 'Environments warmed, over warm-pool runs' }, 'Warm-ups'),
          h('th', { scope: 'col', class: 'num' }, 'Warming cost'),
          h(
            'th',
            { scope: 'col', class: 'num', title: 'Warm hits on environments the warm pool kept' },
            'Cold starts saved',
          ),
          h('th', { scope: 'col', class: 'num', title: 'The saved cold starts’ init time' }, 'Time saved'),
          h('th', { scope: 'col', class: 'num', title: 'The saved cold starts under the objective' }, 'Worth'),
          h('th', { scope: 'col', class: 'num', title: 'Worth less warming cost' }, 'Net'),
          h('th', { scope: 'col' }, 'Pays?'),
          h('th', { scope: 'col' }, 'Last decision'),
        ),
      ),
      h(
        'tbody',
        {},
        functions.map((w) => {
          const verdict = warmingVerdict(w);
          return h(
            'tr',
            { 'data-function': w.functionName, 'data-verdict': verdict.tone },
            h('th', { scope: 'row', class: 'mono' }, w.functionName),
            h(
              'td',
              { class: 'num' },
              h('span', { 'data-field': 'warm-hit-ratio' }, fmtPct(w.warmHitRatio)),
              h(
                'span',
                { class: 'muted small cell-sub', 'data-field': 'warm-hits' },
                `${fmtInt(w.warmHits)} of ${fmtInt(w.lambdaAttempts)}`,
              ),
            ),
            h(
              'td',
              { class: 'num' },
              h('span', { 'data-field': 'warmups' }, fmtInt(w.warmups)),
              h(
                'span',
                { class: 'muted small cell-sub', 'data-field': 'runs' },
                `${fmtInt(w.runs)} run${w.runs === 1 ? '' : 's'}`,
              ),
            ),
            h('td', { class: 'num', 'data-field': 'warming-cost' }, fmtUsd(w.warmingUsd)),
            h('td', { class: 'num', 'data-field': 'saved-cold-starts' }, fmtInt(w.savedColdStarts)),
            h('td', { class: 'num', 'data-field': 'saved-time' }, fmtMs(w.savedMs)),
            h('td', { class: 'num', 'data-field': 'saved-value' }, fmtUsd(w.savedValueUsd)),
            h('td', { class: 'num', 'data-field': 'net' }, signedUsd(w.netUsd)),
            h(
              'td',
              {},
              h(
                'span',
                { class: `tag warming-verdict verdict-${verdict.tone}`, 'data-field': 'verdict' },
                verdict.label,
              ),
            ),
            h(
              'td',
              { class: 'warming-last' },
              w.last
                ? [
                    h(
                      'span',
                      { 'data-field': 'last' },
                      `${w.last.mode} · ${fmtInt(w.last.size)} at ${fmtTime(w.last.at)}`,
                    ),
                    h('span', { class: 'muted small cell-sub' }, w.last.reason),
                  ]
                : h('span', { class: 'muted', 'data-field': 'last' }, DASH),
            ),
          );
        }),
      ),
    ),
  );
}
