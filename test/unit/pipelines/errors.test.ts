// ErrorEquals matching, retry selection and delays, and catch selection, as the developer guide ("Handling errors
// in Step Functions workflows") describes them, including its "complex retry scenarios" example.
import type { Catcher, Retrier } from '../../../pipelines/definition';
import type { RetryCounters, RetryDecision } from '../../../pipelines/errors';
import {
  decideRetry,
  errorNameMatches,
  MATCH_ONLY_STATES_ERRORS,
  NO_RETRIES,
  retryDelaySeconds,
  selectCatcher,
  STATES_ERRORS,
} from '../../../pipelines/errors';
import { validateDefinition } from '../../../pipelines/validate';
import { fixedRandom } from './helpers';

describe('errorNameMatches', () => {
  test.each([
    ['States.ALL', 'MyError', true],
    ['States.ALL', 'States.Timeout', true],
    ['States.ALL', 'States.TaskFailed', true],
    ['States.ALL', 'Lambda.Unknown', true],
    ['States.ALL', 'States.Runtime', false],
    ['States.ALL', 'States.DataLimitExceeded', false],
    ['States.TaskFailed', 'MyError', true],
    ['States.TaskFailed', 'Lambda.Unknown', true],
    ['States.TaskFailed', 'States.Permissions', true],
    ['States.TaskFailed', 'States.Timeout', false],
    ['States.TaskFailed', 'States.HeartbeatTimeout', false],
    ['States.TaskFailed', 'States.Runtime', false],
    ['States.Timeout', 'States.Timeout', true],
    ['States.Timeout', 'States.HeartbeatTimeout', true],
    ['States.HeartbeatTimeout', 'States.Timeout', false],
    ['States.DataLimitExceeded', 'States.DataLimitExceeded', true],
    ['States.Runtime', 'States.Runtime', false],
    ['MyError', 'MyError', true],
    ['MyError', 'myerror', false],
    ['MyError', 'MyErrorX', false],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(errorNameMatches(pattern, name)).toBe(expected);
  });
});

describe('retryDelaySeconds', () => {
  test.each<[string, Retrier, number, number]>([
    ['defaults: 1 s, ×2', { ErrorEquals: ['X'] }, 1, 1],
    ['defaults, third retry', { ErrorEquals: ['X'] }, 3, 4],
    ["the guide's 3 s ×1.5, first", { ErrorEquals: ['X'], IntervalSeconds: 3, BackoffRate: 1.5 }, 1, 3],
    ["the guide's 3 s ×1.5, second", { ErrorEquals: ['X'], IntervalSeconds: 3, BackoffRate: 1.5 }, 2, 4.5],
    ['BackoffRate 1 keeps the interval', { ErrorEquals: ['X'], IntervalSeconds: 7, BackoffRate: 1 }, 5, 7],
    ['MaxDelaySeconds caps', { ErrorEquals: ['X'], IntervalSeconds: 10, MaxDelaySeconds: 25 }, 3, 25],
    ['below the cap', { ErrorEquals: ['X'], IntervalSeconds: 10, MaxDelaySeconds: 25 }, 2, 20],
    ['JitterStrategy NONE', { ErrorEquals: ['X'], IntervalSeconds: 4, JitterStrategy: 'NONE' }, 2, 8],
    [
      'JitterStrategy FULL draws from [0, delay)',
      { ErrorEquals: ['X'], IntervalSeconds: 4, JitterStrategy: 'FULL' },
      2,
      4,
    ],
    [
      'FULL jitter applies after the cap',
      { ErrorEquals: ['X'], IntervalSeconds: 4, MaxDelaySeconds: 6, JitterStrategy: 'FULL' },
      3,
      3,
    ],
  ])('%s', (_label, retrier, retryNumber, seconds) => {
    expect(retryDelaySeconds(retrier, retryNumber, fixedRandom(0.5))).toBe(seconds);
  });
});

describe('decideRetry', () => {
  test("the guide's complex retry scenario: ErrorA, ErrorB, ErrorC, ErrorB, ErrorB", () => {
    const retriers: Retrier[] = [
      { ErrorEquals: ['ErrorA', 'ErrorB'], IntervalSeconds: 1, BackoffRate: 2.0, MaxAttempts: 2 },
      { ErrorEquals: ['ErrorC'], IntervalSeconds: 5 },
    ];
    let counters: RetryCounters = NO_RETRIES;
    const decisions: RetryDecision[] = [];
    for (const error of ['ErrorA', 'ErrorB', 'ErrorC', 'ErrorB', 'ErrorB']) {
      const decision = decideRetry(retriers, error, counters, fixedRandom(0));
      decisions.push(decision);
      if (decision.kind === 'retry') counters = decision.counters;
    }
    // Waits of 1 and 2 s, then 5 s, then 4 s; the fifth error finds the first retrier used up (MaxAttempts 2
    // counts ErrorA and ErrorB together), so the error goes on to Catch.
    expect(decisions).toEqual([
      { kind: 'retry', retrierIndex: 0, retryNumber: 1, delayMs: 1000, counters: { 0: 1 } },
      { kind: 'retry', retrierIndex: 0, retryNumber: 2, delayMs: 2000, counters: { 0: 2 } },
      { kind: 'retry', retrierIndex: 1, retryNumber: 1, delayMs: 5000, counters: { 0: 2, 1: 1 } },
      { kind: 'no-retry', retrierIndex: 0 },
      { kind: 'no-retry', retrierIndex: 0 },
    ]);
  });

  test.each<[string, Retrier[] | undefined, string, RetryCounters, RetryDecision]>([
    ['no Retry field', undefined, 'X', NO_RETRIES, { kind: 'no-retry' }],
    ['no matching retrier', [{ ErrorEquals: ['A'] }], 'X', NO_RETRIES, { kind: 'no-retry' }],
    [
      'MaxAttempts 0 never retries and stops the scan (the guide: retry everything but States.Timeout)',
      [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 0 }, { ErrorEquals: ['States.ALL'] }],
      'States.Timeout',
      NO_RETRIES,
      { kind: 'no-retry', retrierIndex: 0 },
    ],
    [
      '… and other errors reach the States.ALL retrier',
      [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 0 }, { ErrorEquals: ['States.ALL'] }],
      'Boom',
      NO_RETRIES,
      { kind: 'retry', retrierIndex: 1, retryNumber: 1, delayMs: 1000, counters: { 1: 1 } },
    ],
    ['default MaxAttempts is 3', [{ ErrorEquals: ['X'] }], 'X', { 0: 3 }, { kind: 'no-retry', retrierIndex: 0 }],
    [
      'the third of three retries waits 4 s by default',
      [{ ErrorEquals: ['X'] }],
      'X',
      { 0: 2 },
      { kind: 'retry', retrierIndex: 0, retryNumber: 3, delayMs: 4000, counters: { 0: 3 } },
    ],
    [
      'a later retrier is not consulted when the first match is used up',
      [
        { ErrorEquals: ['X'], MaxAttempts: 1 },
        { ErrorEquals: ['X'], MaxAttempts: 5 },
      ],
      'X',
      { 0: 1 },
      { kind: 'no-retry', retrierIndex: 0 },
    ],
    [
      'States.Runtime is never retried',
      [{ ErrorEquals: ['States.ALL'] }],
      'States.Runtime',
      NO_RETRIES,
      { kind: 'no-retry' },
    ],
    [
      'States.TaskFailed does not retry a timeout',
      [{ ErrorEquals: ['States.TaskFailed'] }],
      STATES_ERRORS.Timeout,
      NO_RETRIES,
      { kind: 'no-retry' },
    ],
    [
      'FULL jitter uses the injected random source',
      [{ ErrorEquals: ['X'], IntervalSeconds: 10, JitterStrategy: 'FULL' }],
      'X',
      NO_RETRIES,
      { kind: 'retry', retrierIndex: 0, retryNumber: 1, delayMs: 2500, counters: { 0: 1 } },
    ],
  ])('%s', (_label, retriers, error, counters, expected) => {
    expect(decideRetry(retriers, error, counters, fixedRandom(0.25))).toEqual(expected);
  });
});

describe('selectCatcher', () => {
  const catchers: Catcher[] = [
    { ErrorEquals: ['java.lang.Exception'], ResultPath: '$.error-info', Next: 'RecoveryState' },
    { ErrorEquals: ['States.TaskFailed'], Next: 'TaskFailedState' },
    { ErrorEquals: ['States.ALL'], Next: 'EverythingElse' },
  ];

  test.each([
    ['java.lang.Exception', 0, 'RecoveryState'],
    ['CustomError', 1, 'TaskFailedState'],
    ['States.Timeout', 2, 'EverythingElse'],
    ['States.HeartbeatTimeout', 2, 'EverythingElse'],
  ])('%s is caught by catcher %i (%s)', (error, index, next) => {
    const caught = selectCatcher(catchers, error);
    expect({ index: caught?.index, next: caught?.catcher.Next }).toEqual({ index, next });
  });

  test.each(['States.Runtime', 'States.DataLimitExceeded'])('%s is never caught by the wildcards', (error) => {
    expect(selectCatcher(catchers, error)).toBeUndefined();
  });
});

describe('predefined names that nothing in Spillway raises', () => {
  test('are not among the names it raises', () => {
    const raised = new Set<string>(Object.values(STATES_ERRORS));
    expect(MATCH_ONLY_STATES_ERRORS.filter((n) => raised.has(n))).toEqual([]);
    expect([...MATCH_ONLY_STATES_ERRORS]).toEqual(
      expect.arrayContaining(['States.BranchFailed', 'States.Permissions']),
    );
  });

  test.each([...MATCH_ONLY_STATES_ERRORS])(
    '%s may still be named in Retry and Catch (AWS definitions validate)',
    (n) => {
      const definition = {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'noop',
            Retry: [{ ErrorEquals: [n], MaxAttempts: 1 }],
            Catch: [{ ErrorEquals: [n], Next: 'Done' }],
            End: true,
          },
          Done: { Type: 'Succeed' },
        },
      };
      expect(validateDefinition(definition)).toEqual({ valid: true, problems: [] });
    },
  );

  test('a made-up States. name is still refused', () => {
    const result = validateDefinition({
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'noop', Catch: [{ ErrorEquals: ['States.Nope'], Next: 'T' }], End: true },
      },
    });
    expect(result.valid).toBe(false);
    expect(result.problems.map((p) => p.message)).toEqual([expect.stringContaining('"States.Nope"')]);
  });
});
