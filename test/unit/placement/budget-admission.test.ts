// What a budget's verdict does to a task at submission, and which levels a change of spend crossed: pure tables.
import { BudgetExceededError, type Budget, type BudgetVerdict } from '../../../domain/budget-policy';
import type { TaskInput } from '../../../domain/task-model';
import { crossings } from '../../../live/budget-book';
import { applyBudgetVerdict } from '../../../api/services/budget-admission';
import type { StartOptions } from '../../../api/services/flow-options';

const NOW = Date.UTC(2026, 11, 1, 16, 0, 0);
const task = (executionMode: TaskInput['executionMode'], extra: Partial<TaskInput> = {}) =>
  ({
    id: 't',
    name: 'n',
    type: 'x',
    executionMode,
    functionName: 'f',
    payload: {},
    submittedAt: '',
    ...extra,
  }) as TaskInput;
const start: StartOptions = { flow: {}, retry: { maximumAttempts: 3 } as StartOptions['retry'] };
const verdict = (over: Partial<BudgetVerdict>): BudgetVerdict => ({
  level: 'exceeded',
  budgetId: 'b',
  message: 'budget b is at 100 % of $1 this day',
  statuses: [],
  ...over,
});

describe('a verdict at submission', () => {
  test('below 100 % the task starts as asked, with a note from 75 %', () => {
    const input = task('LAMBDA');
    expect(applyBudgetVerdict(verdict({ level: 'ok' }), input, start, NOW)).toEqual({ input, start });
    expect(applyBudgetVerdict(verdict({ level: 'warn90', message: 'at 90 %' }), input, start, NOW)).toEqual({
      input,
      start,
      note: { level: 'warn90', budgetId: 'b', message: 'at 90 %' },
    });
  });

  test('refuse throws the error the API maps to 402', () => {
    expect(() => applyBudgetVerdict(verdict({ action: 'refuse' }), task('AUTO'), start, NOW)).toThrow(
      BudgetExceededError,
    );
  });

  test.each(['LAMBDA', 'AUTO'] as const)('force-local overrides a %s task to LOCAL, saying why', (mode) => {
    const out = applyBudgetVerdict(verdict({ action: 'force-local' }), task(mode), start, NOW);
    expect(out.input.placementOverride).toEqual({
      placement: 'LOCAL',
      reason: `budget b is at 100 % of $1 this day (requested ${mode})`,
    });
    expect(out.note).toEqual(expect.objectContaining({ action: 'force-local' }));
  });

  test('force-local leaves a LOCAL task alone', () => {
    const input = task('LOCAL');
    expect(applyBudgetVerdict(verdict({ action: 'force-local' }), input, start, NOW).input).toBe(input);
  });

  test("hold delays the start to the period's end, unless the task already starts later", () => {
    const holdUntil = '2026-12-02T00:00:00.000Z';
    const held = applyBudgetVerdict(verdict({ action: 'hold', holdUntil }), task('AUTO'), start, NOW);
    expect(held.start.startDelayMs).toBe(8 * 3_600_000);
    expect(held.input.startAt).toBe(holdUntil);
    const later = { ...start, startDelayMs: 9 * 3_600_000 };
    expect(applyBudgetVerdict(verdict({ action: 'hold', holdUntil }), task('AUTO'), later, NOW).start).toBe(later);
  });
});

describe('levels crossed by a change of spend', () => {
  const budget: Budget = { id: 'd', scope: { kind: 'deployment' }, period: 'day', limitUsd: 10, onExceeded: 'refuse' };
  const change = (before: number, after: number, key = 'deployment:d2026-12-01') => ({
    key,
    before: { spentUsd: before, committedUsd: 0 },
    after: { spentUsd: after, committedUsd: 0 },
  });
  const levels = (before: number, after: number, key?: string) =>
    crossings([budget], [change(before, after, key)], NOW).map((e) => e.level);

  test.each([
    [0, 7, []],
    [7, 7.5, ['warn75']],
    [7.5, 8.9, []],
    [8.9, 9, ['warn90']],
    [9, 10, ['exceeded']],
    [0, 12, ['warn75', 'warn90', 'exceeded']],
    [12, 13, []],
  ])('from $%d to $%d of $10', (before, after, expected) => {
    expect(levels(before, after)).toEqual(expected);
  });

  test("another period's counter is not this budget's", () => {
    expect(levels(0, 12, 'deployment:m2026-12')).toEqual([]);
  });

  test('the event says what the limit means for new tasks', () => {
    expect(crossings([budget], [change(9, 10)], NOW)).toEqual([
      {
        kind: 'budget',
        budgetId: 'd',
        level: 'exceeded',
        used: 1,
        limitUsd: 10,
        spentUsd: 10,
        committedUsd: 0,
        period: 'day',
        periodKey: 'd2026-12-01',
        message: 'budget d reached its limit of $10 this day (100 %): new tasks are refused',
        at: new Date(NOW).toISOString(),
      },
    ]);
  });
});
