import {
  BudgetExceededError,
  budgetStatus,
  BudgetConfigError,
  crossedLevels,
  evaluateBudgets,
  parseBudgets,
  periodOf,
  spendKey,
  spendScopes,
  type Budget,
  type ScopeSpend,
} from '../../../domain/budget-policy';

const NOW = Date.UTC(2026, 10, 9, 12); // 2026-11-09 12:00 UTC
const daily: Budget = {
  id: 'daily',
  scope: { kind: 'deployment' },
  period: 'day',
  limitUsd: 10,
  onExceeded: 'force-local',
};
const acme: Budget = {
  id: 'acme-month',
  scope: { kind: 'tenant', tenant: 'acme' },
  period: 'month',
  limitUsd: 100,
  onExceeded: 'refuse',
};
const images: Budget = {
  id: 'images',
  scope: { kind: 'taskType', taskType: 'image-processing' },
  period: 'day',
  limitUsd: 1,
  onExceeded: 'hold',
};

const spend = (entries: Array<[string, 'day' | 'month', number, number?]>) =>
  new Map<string, ScopeSpend>(
    entries.map(([scope, period, spentUsd, committedUsd = 0]) => [
      spendKey(scope, periodOf(period, NOW).key),
      { spentUsd, committedUsd },
    ]),
  );

const rows: Array<[string, Budget[], Map<string, ScopeSpend>, { tenant?: string; type: string }, object]> = [
  ['no budget', [], spend([]), { type: 'x' }, { level: 'ok', message: 'no budget applies' }],
  [
    '0 %',
    [daily],
    spend([]),
    { type: 'x' },
    { level: 'ok', remainingUsd: 10, message: 'within budget (daily at 0 %)' },
  ],
  [
    '75 % warns',
    [daily],
    spend([['deployment', 'day', 7, 0.5]]),
    { type: 'x' },
    { level: 'warn75', remainingUsd: 2.5, message: 'budget daily at 75 % of $10 this day' },
  ],
  [
    '90 % warns louder',
    [daily],
    spend([['deployment', 'day', 9]]),
    { type: 'x' },
    { level: 'warn90', remainingUsd: 1 },
  ],
  [
    '100 % forces LOCAL',
    [daily],
    spend([['deployment', 'day', 10]]),
    { type: 'x' },
    {
      level: 'exceeded',
      action: 'force-local',
      remainingUsd: 0,
      message: 'budget daily is at 100 % of $10 this day: new tasks run LOCAL',
    },
  ],
  [
    'committed spend counts towards the limit',
    [daily],
    spend([['deployment', 'day', 6, 4]]),
    { type: 'x' },
    { level: 'exceeded', action: 'force-local' },
  ],
  [
    'a held type waits until the next day',
    [images],
    spend([['type:image-processing', 'day', 1.2]]),
    { type: 'image-processing' },
    { level: 'exceeded', action: 'hold', holdUntil: '2026-11-10T00:00:00.000Z', budgetId: 'images' },
  ],
  [
    "another type is not held by the images' budget",
    [images],
    spend([['type:image-processing', 'day', 1.2]]),
    { type: 'report' },
    { level: 'ok', message: 'no budget applies' },
  ],
  [
    'refuse beats force-local when both are exceeded',
    [daily, acme],
    spend([
      ['deployment', 'day', 11],
      ['tenant:acme', 'month', 100],
    ]),
    { tenant: 'acme', type: 'x' },
    { level: 'exceeded', action: 'refuse', budgetId: 'acme-month' },
  ],
  [
    'the worst warning is reported while none is exceeded',
    [daily, acme],
    spend([
      ['deployment', 'day', 8],
      ['tenant:acme', 'month', 95],
    ]),
    { tenant: 'acme', type: 'x' },
    { level: 'warn90', budgetId: 'acme-month', remainingUsd: 2 },
  ],
];

describe('evaluateBudgets', () => {
  it.each(rows)('%s', (_name, budgets, spent, task, expected) => {
    expect(evaluateBudgets(budgets, spent, task, NOW)).toMatchObject(expected);
  });
});

test('status: spend, committed, used, and a forecast at the run rate so far', () => {
  // Half the day gone, $3 spent: $3 more at the same rate, plus $1 committed.
  expect(budgetStatus(daily, { spentUsd: 3, committedUsd: 1 }, NOW)).toEqual({
    budgetId: 'daily',
    scope: { kind: 'deployment' },
    period: 'day',
    periodKey: 'd2026-11-09',
    limitUsd: 10,
    spentUsd: 3,
    committedUsd: 1,
    used: 0.4,
    level: 'ok',
    forecastUsd: 7,
    resetsAt: '2026-11-10T00:00:00.000Z',
    onExceeded: 'force-local',
  });
});

test('periods are UTC days and months', () => {
  expect(periodOf('day', NOW)).toEqual({
    key: 'd2026-11-09',
    start: Date.UTC(2026, 10, 9),
    end: Date.UTC(2026, 10, 10),
  });
  expect(periodOf('month', Date.UTC(2026, 11, 31, 23, 59))).toEqual({
    key: 'm2026-12',
    start: Date.UTC(2026, 11, 1),
    end: Date.UTC(2027, 0, 1),
  });
});

test('a task counts in the scopes of every budget it falls under, once each', () => {
  expect(
    spendScopes([daily, acme, images, { ...daily, id: 'daily-2' }], { tenant: 'acme', type: 'image-processing' }),
  ).toEqual(['deployment', 'tenant:acme', 'type:image-processing']);
});

test('warnings are published when a level is crossed, not again', () => {
  expect(crossedLevels(0.7, 0.8)).toEqual(['warn75']);
  expect(crossedLevels(0.8, 0.85)).toEqual([]);
  expect(crossedLevels(0.5, 1.2)).toEqual(['warn75', 'warn90', 'exceeded']);
});

test('budgets are parsed once with a message that names the problem', () => {
  expect(parseBudgets(JSON.stringify({ budgets: [daily, acme] }))).toEqual([daily, acme]);
  expect(parseBudgets(undefined)).toEqual([]);
  expect(() => parseBudgets('{"budgets":[{"id":"x"}]}')).toThrow(BudgetConfigError);
  expect(() => parseBudgets(JSON.stringify({ budgets: [daily, daily] }))).toThrow(/names the budget "daily" twice/);
  expect(() => parseBudgets(JSON.stringify({ budgets: [{ ...daily, limitUsd: 0 }] }))).toThrow(/limitUsd/);
});

test('a refusal carries the 402 code and the verdict', () => {
  const verdict = evaluateBudgets(
    [{ ...daily, onExceeded: 'refuse' }],
    spend([['deployment', 'day', 10]]),
    { type: 'x' },
    NOW,
  );
  const err = new BudgetExceededError(verdict);
  expect({ name: err.name, code: err.code, statusCode: err.statusCode, message: err.message }).toEqual({
    name: 'BudgetExceededError',
    code: 'SPILLWAY_BUDGET_EXCEEDED',
    statusCode: 402,
    message: 'budget daily is at 100 % of $10 this day: new tasks are refused',
  });
});
