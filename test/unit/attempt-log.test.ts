import {
  lastAttemptNumber,
  lostAttemptError,
  reduceAttempts,
  type AttemptContext,
  type AttemptEvent,
} from '../../domain/attempt-log';
import type { AttemptRecord } from '../../domain/task-model';

const ctx: AttemptContext = {
  now: '2026-12-01T10:00:30.000Z',
  taskStartedAt: '2026-12-01T10:00:00.000Z',
  placement: 'LOCAL',
  timeoutSeconds: 10,
  maximumAttempts: 4,
};

const at = (s: number) => new Date(Date.parse('2026-12-01T10:00:00.000Z') + s * 1000).toISOString();
const failed = (attempt: number, from: number, to: number, extra: Partial<AttemptRecord> = {}): AttemptRecord => ({
  attempt,
  placement: 'LOCAL',
  startedAt: at(from),
  finishedAt: at(to),
  outcome: 'failed',
  error: { type: 'Boom', message: 'boom', nonRetryable: false },
  ...extra,
});
const succeeded = (attempt: number, from: number, to: number): AttemptRecord => ({
  attempt,
  placement: 'LOCAL',
  startedAt: at(from),
  finishedAt: at(to),
  outcome: 'succeeded',
});
const throttled = { type: 'LambdaThrottledError', message: 'Rate Exceeded.', nonRetryable: false };
const drained = { type: 'PlacementOverriddenError', message: 'operator override drain-lambda', nonRetryable: false };
const fold = (events: AttemptEvent[], context = ctx) =>
  events.reduce<AttemptRecord[]>((log, event) => reduceAttempts(log, event, context), []);
const summary = (log: AttemptRecord[]) =>
  log.map(
    (a) =>
      `${a.attempt}:${a.outcome}${a.error ? `:${a.error.type}` : ''}${a.backoffMs !== undefined ? `+${a.backoffMs}` : ''}`,
  );

describe('the attempt log', () => {
  const cases: Array<[string, AttemptEvent[], string[]]> = [
    ['a first attempt that succeeds', [{ type: 'reported', record: succeeded(1, 0, 1) }], ['1:succeeded']],
    [
      'two failures, then a success, with the backoff between them',
      [
        { type: 'reported', record: failed(1, 0, 1) },
        { type: 'reported', record: failed(2, 3, 4) },
        { type: 'reported', record: succeeded(3, 8, 9) },
      ],
      ['1:failed:Boom', '2:failed:Boom+2000', '3:succeeded+4000'],
    ],
    [
      'a report that arrives late still lands in order',
      [
        { type: 'reported', record: succeeded(2, 3, 4) },
        { type: 'reported', record: failed(1, 0, 1) },
      ],
      // Attempt 1 was first taken as lost; its own report corrects it.
      ['1:failed:Boom', '2:succeeded+0'],
    ],
    [
      'an attempt that never reported, before one that did, was lost',
      [
        { type: 'reported', record: failed(1, 0, 1) },
        { type: 'reported', record: succeeded(3, 15, 16) },
      ],
      // Nothing says when the lost attempt started: the log takes the previous end, with no backoff.
      ['1:failed:Boom', '2:failed:AttemptTimedOut+0', '3:succeeded+0'],
    ],
    ['a timeout with nothing reported loses the first attempt', [{ type: 'timedOut' }], ['1:failed:AttemptTimedOut']],
    [
      'a timeout after reported failures loses the next attempt',
      [{ type: 'reported', record: failed(1, 0, 1) }, { type: 'timedOut' }],
      ['1:failed:Boom', '2:failed:AttemptTimedOut+0'],
    ],
    [
      'a timeout after the policy ran out loses every attempt that never reported',
      [
        { type: 'reported', record: failed(2, 3, 4) },
        { type: 'timedOut', exhausted: true },
      ],
      ['1:failed:AttemptTimedOut', '2:failed:Boom+0', '3:failed:AttemptTimedOut+0', '4:failed:AttemptTimedOut+0'],
    ],
    [
      'a timeout before the policy ran out loses only the next attempt',
      [
        { type: 'reported', record: failed(2, 3, 4) },
        { type: 'timedOut', exhausted: false },
      ],
      ['1:failed:AttemptTimedOut', '2:failed:Boom+0', '3:failed:AttemptTimedOut+0'],
    ],
    [
      'a throttled Lambda attempt that reported itself is the last on Lambda when the task leaves it',
      [
        { type: 'reported', record: failed(1, 0, 1, { placement: 'LAMBDA', error: throttled }) },
        { type: 'leftLambda', error: throttled },
      ],
      ['1:failed:LambdaThrottledError'],
    ],
    [
      'a drain refuses the next Lambda attempt, which the log records itself',
      [
        { type: 'reported', record: failed(1, 0, 1, { placement: 'LAMBDA' }) },
        { type: 'leftLambda', error: drained },
      ],
      ['1:failed:Boom', '2:failed:PlacementOverriddenError+29000'],
    ],
    [
      'a drain before any Lambda attempt reported records the refused first attempt',
      [{ type: 'leftLambda', error: drained }],
      ['1:failed:PlacementOverriddenError'],
    ],
    [
      'a timeout of the attempt Temporal says is running ends that attempt',
      [{ type: 'running', attempt: 1, placement: 'LOCAL', startedAt: at(2) }, { type: 'timedOut' }],
      ['1:failed:AttemptTimedOut'],
    ],
    [
      'a running attempt after a gap marks the gap lost',
      [
        { type: 'reported', record: failed(1, 0, 1) },
        { type: 'running', attempt: 3, placement: 'LOCAL', startedAt: at(20) },
      ],
      ['1:failed:Boom', '2:failed:AttemptTimedOut+0', '3:running+0'],
    ],
    [
      '"running" never overwrites what an attempt reported',
      [
        { type: 'reported', record: failed(2, 3, 4) },
        { type: 'running', attempt: 2, placement: 'LOCAL', startedAt: at(3) },
      ],
      ['1:failed:AttemptTimedOut', '2:failed:Boom+0'],
    ],
    [
      'the success of the running attempt replaces "running"',
      [
        { type: 'running', attempt: 1, placement: 'LOCAL', startedAt: at(0) },
        { type: 'reported', record: succeeded(1, 0, 2) },
      ],
      ['1:succeeded'],
    ],
  ];

  it.each(cases)('%s', (_name, events, expected) => {
    expect(summary(fold(events))).toEqual(expected);
  });

  it('a lost attempt spans from the previous end to the next start', () => {
    const log = fold([
      { type: 'reported', record: failed(1, 0, 1) },
      { type: 'reported', record: failed(3, 15, 16) },
    ]);
    expect(log[1]).toEqual({
      attempt: 2,
      placement: 'LOCAL',
      startedAt: at(1),
      finishedAt: at(15),
      outcome: 'failed',
      error: lostAttemptError(10),
      backoffMs: 0,
    });
    expect(log[1]?.error?.message).toMatch(/within 10 s/);
  });

  it('a timeout after a fallback to LOCAL counts the policy from the attempts Lambda made', () => {
    // Two Lambda attempts, the second refused by a drain; LOCAL then ran attempts 3 to 5 (three per its policy).
    const fallen = fold([
      { type: 'reported', record: failed(1, 0, 1, { placement: 'LAMBDA' }) },
      { type: 'leftLambda', error: drained },
    ]);
    expect(lastAttemptNumber(fallen)).toBe(2);
    const log = reduceAttempts(
      fallen,
      { type: 'timedOut', exhausted: true },
      { ...ctx, attemptOffset: lastAttemptNumber(fallen), maximumAttempts: 3 },
    );
    expect(summary(log)).toEqual([
      '1:failed:Boom',
      '2:failed:PlacementOverriddenError+29000',
      '3:failed:AttemptTimedOut+0',
      '4:failed:AttemptTimedOut+0',
      '5:failed:AttemptTimedOut+0',
    ]);
  });

  it('a lost first attempt starts with the task', () => {
    const [first] = fold([{ type: 'timedOut' }]);
    expect(first).toMatchObject({ startedAt: ctx.taskStartedAt, finishedAt: ctx.now, placement: 'LOCAL' });
  });

  it('keeps the placement and facts of a Lambda attempt when a later report merges into it', () => {
    const log = fold([
      { type: 'running', attempt: 1, placement: 'LAMBDA', startedAt: at(0) },
      { type: 'reported', record: { ...failed(1, 0, 5), placement: 'LAMBDA', functionVersion: '3' } },
    ]);
    expect(log).toEqual([expect.objectContaining({ attempt: 1, placement: 'LAMBDA', functionVersion: '3' })]);
  });

  it('does not change the log it is given', () => {
    const log = Object.freeze([failed(1, 0, 1)]) as AttemptRecord[];
    const next = reduceAttempts(log, { type: 'reported', record: succeeded(3, 5, 6) }, ctx);
    expect(log).toHaveLength(1);
    expect(next).toHaveLength(3);
  });

  it('says "in time" when the limit is not known', () => {
    expect(lostAttemptError(undefined).message).toMatch(/^no result in time/);
  });
});
