// Why a predictive AUTO task went where it went, from its recorded decision (domain/placement-predictor.ts): each
// target's estimated completion time and cost, the objective's score, which one won, the runner-up and the margin.
import { h } from './dom';
import { fmtMs, fmtPct, fmtUsd } from './format';
import type { PlacementDecision, TargetEstimate } from './types';

/** The objective's score: milliseconds under `latency`, dollars under `cost` and `balanced`. */
function fmtScore(score: number, objective: PlacementDecision['objective']): string {
  return objective === 'latency' ? fmtMs(score) : fmtUsd(score);
}

function signed(value: number, format: (n: number) => string): string {
  return `${value < 0 ? '−' : '+'}${format(Math.abs(value))}`;
}

/** The margin is runner-up minus chosen: positive means the runner-up was slower (or dearer). */
function later(ms: number): string {
  return ms === 0 ? 'at the same time' : `${fmtMs(Math.abs(ms))} ${ms > 0 ? 'later' : 'sooner'}`;
}

function dearer(usd: number): string {
  return usd === 0 ? 'the same' : `${fmtUsd(Math.abs(usd))} ${usd > 0 ? 'more' : 'less'}`;
}

function isWinner(e: TargetEstimate, decision: PlacementDecision): boolean {
  if (e.placement !== decision.placement) return false;
  return decision.placement === 'LOCAL' || !decision.target || e.target === decision.target.name;
}

function note(e: TargetEstimate, winner: boolean, runnerUp: boolean): (Node | string)[] {
  const bits: (Node | string)[] = [];
  if (winner) bits.push(h('span', { class: 'tag tag-chosen' }, 'chosen'));
  if (runnerUp) bits.push(h('span', { class: 'tag' }, 'runner-up'));
  if (e.excluded) bits.push(h('span', { class: 'muted' }, e.excluded));
  if (e.meetsDeadline === false) bits.push(h('span', { class: 'muted' }, 'misses the deadline'));
  if (e.viaS3) bits.push(h('span', { class: 'muted' }, 'payload via S3'));
  if (e.placement === 'LAMBDA' && e.breakdown.coldStartProbability > 0) {
    bits.push(h('span', { class: 'muted' }, `cold start ${fmtPct(e.breakdown.coldStartProbability)}`));
  }
  if (e.breakdown.queueMs > 0) bits.push(h('span', { class: 'muted' }, `queue ${fmtMs(e.breakdown.queueMs)}`));
  return bits;
}

/** The explanation section, or null for a decision without estimates (LOCAL/LAMBDA, the threshold rule, overrides). */
export function placementExplanation(decision: PlacementDecision | undefined): HTMLElement | null {
  const estimates = decision?.estimates;
  if (!decision || !estimates?.length) return null;
  const objective = decision.objective;
  const winner = estimates.find((e) => isWinner(e, decision));
  const runnerUp = estimates.find((e) => e.target === decision.runnerUp);
  const margin = decision.margin;
  return h(
    'section',
    { class: 'explain', 'aria-label': 'Placement decision' },
    h(
      'p',
      { class: 'explain-head' },
      h('strong', {}, 'Predictive AUTO'),
      h('span', { class: 'muted' }, ` · ${objective ?? 'balanced'} objective`),
      decision.deadlineMs !== undefined
        ? h('span', { class: 'muted' }, ` · deadline ${fmtMs(decision.deadlineMs)}`)
        : null,
    ),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'ops-table explain-table' },
        h('caption', { class: 'visually-hidden' }, 'Estimated completion and cost of each target'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Target'),
            h('th', { scope: 'col', class: 'num' }, 'Finishes in'),
            h('th', { scope: 'col', class: 'num' }, 'Cost'),
            h('th', { scope: 'col', class: 'num' }, 'Score'),
            h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Notes')),
          ),
        ),
        h(
          'tbody',
          {},
          estimates.map((e) => {
            const won = e === winner;
            const second = e === runnerUp;
            return h(
              'tr',
              {
                'data-target': e.target,
                class: [won ? 'est-chosen' : '', second ? 'est-runner-up' : '', e.feasible ? '' : 'est-excluded']
                  .filter(Boolean)
                  .join(' '),
              },
              h(
                'th',
                { scope: 'row' },
                h(
                  'span',
                  { class: `chip chip-${e.placement.toLowerCase()}` },
                  e.placement === 'LAMBDA' ? 'Lambda' : 'Local',
                ),
                // A Lambda target by its name; its region when the name does not say it already.
                e.target === 'LOCAL' ? null : h('span', { class: 'mono' }, ` ${e.target}`),
                e.target === e.region ? null : h('span', { class: 'muted small' }, ` ${e.region}`),
              ),
              h('td', { class: 'num', 'data-field': 'completion' }, fmtMs(e.completionMs)),
              h('td', { class: 'num', 'data-field': 'cost' }, fmtUsd(e.costUsd)),
              h('td', { class: 'num', 'data-field': 'score' }, e.feasible ? fmtScore(e.score, objective) : '–'),
              h('td', { class: 'est-notes' }, note(e, won, second)),
            );
          }),
        ),
      ),
    ),
    margin && decision.runnerUp
      ? h(
          'p',
          { class: 'explain-margin' },
          'The runner-up, ',
          h('span', { class: 'mono' }, decision.runnerUp === 'LOCAL' ? 'the local pool' : decision.runnerUp),
          ', would have finished ',
          h('strong', { 'data-field': 'margin-completion' }, later(margin.completionMs)),
          ' and cost ',
          h('strong', { 'data-field': 'margin-cost' }, dearer(margin.costUsd)),
          ` (score margin ${signed(margin.score, (n) => fmtScore(n, objective))}).`,
        )
      : h('p', { class: 'explain-margin muted' }, 'No runner-up: every other target was ruled out.'),
    decision.budget ? h('p', { class: 'muted small' }, `Budget: ${decision.budget.message}`) : null,
  );
}
