// The projection's rules as a table: what each transition does to the counters, from each state it can find.
import {
  addCounters,
  isFractionalCounter,
  likelyPrevious,
  parseTenantField,
  transitionEffect,
  warmupEffect,
  type ProjectedTask,
  type TransitionFacts,
} from '../../live/projection-rules';

const facts = (f: Partial<TransitionFacts> & Pick<TransitionFacts, 'status'>): TransitionFacts => ({
  executionMode: 'LOCAL',
  ...f,
});

describe('transitionEffect', () => {
  const cases: Array<{
    name: string;
    previous: ProjectedTask | undefined;
    facts: TransitionFacts;
    changed: boolean;
    counters: Record<string, number>;
    next?: ProjectedTask;
  }> = [
    {
      name: 'a new task is created and queued',
      previous: undefined,
      facts: facts({ status: 'QUEUED' }),
      changed: true,
      counters: { created: 1, 'status:QUEUED': 1 },
      next: { status: 'QUEUED' },
    },
    {
      name: 'queued → running takes the placement',
      previous: { status: 'QUEUED' },
      facts: facts({ status: 'RUNNING', placement: 'LAMBDA' }),
      changed: true,
      counters: { 'status:QUEUED': -1, 'status:RUNNING': 1, 'RUNNING:LAMBDA': 1 },
      next: { status: 'RUNNING', placement: 'LAMBDA' },
    },
    {
      name: 'a repeated RUNNING (the next attempt) changes nothing',
      previous: { status: 'RUNNING', placement: 'LOCAL' },
      facts: facts({ status: 'RUNNING', placement: 'LOCAL' }),
      changed: false,
      counters: {},
      next: { status: 'RUNNING', placement: 'LOCAL' },
    },
    {
      name: 'a throttled LAMBDA attempt falling back to LOCAL moves the running count',
      previous: { status: 'RUNNING', placement: 'LAMBDA' },
      facts: facts({ status: 'RUNNING', placement: 'LOCAL', executionMode: 'AUTO' }),
      changed: true,
      counters: { 'RUNNING:LAMBDA': -1, 'RUNNING:LOCAL': 1 },
      next: { status: 'RUNNING', placement: 'LOCAL' },
    },
    {
      name: 'a late RUNNING after the end changes nothing',
      previous: { status: 'COMPLETED', placement: 'LOCAL' },
      facts: facts({ status: 'RUNNING', placement: 'LOCAL' }),
      changed: false,
      counters: {},
    },
    {
      name: 'a late QUEUED after RUNNING changes nothing',
      previous: { status: 'RUNNING', placement: 'LOCAL' },
      facts: facts({ status: 'QUEUED' }),
      changed: false,
      counters: {},
    },
    {
      name: 'a second final status changes nothing',
      previous: { status: 'FAILED', placement: 'LOCAL' },
      facts: facts({ status: 'COMPLETED', placement: 'LOCAL', attempts: 2 }),
      changed: false,
      counters: {},
    },
    {
      name: 'completion counts the facts once: attempts, retry, cost, cold and warm starts',
      previous: { status: 'RUNNING', placement: 'LAMBDA' },
      facts: facts({
        status: 'COMPLETED',
        placement: 'LAMBDA',
        attempts: 3,
        costUsd: 0.00002,
        coldStarts: 1,
        warmStarts: 2,
        durationMs: 12.3456,
      }),
      changed: true,
      counters: {
        'status:RUNNING': -1,
        'RUNNING:LAMBDA': -1,
        'status:COMPLETED': 1,
        'COMPLETED:LAMBDA': 1,
        'attempts:3': 1,
        retried: 1,
        'cost:LAMBDA': 0.00002,
        cold: 1,
        warm: 2,
      },
    },
    {
      name: 'an AUTO task also counts where AUTO sent it',
      previous: { status: 'RUNNING', placement: 'LOCAL' },
      facts: facts({ status: 'COMPLETED', placement: 'LOCAL', executionMode: 'AUTO', attempts: 1 }),
      changed: true,
      counters: {
        'status:RUNNING': -1,
        'RUNNING:LOCAL': -1,
        'status:COMPLETED': 1,
        'COMPLETED:LOCAL': 1,
        'attempts:1': 1,
        cold: 0,
        warm: 0,
        'auto:LOCAL': 1,
      },
    },
    {
      name: 'a final event without a placement keeps the recorded one',
      previous: { status: 'RUNNING', placement: 'LAMBDA' },
      facts: facts({ status: 'CANCELLED', attempts: 1 }),
      changed: true,
      counters: {
        'status:RUNNING': -1,
        'RUNNING:LAMBDA': -1,
        'status:CANCELLED': 1,
        'CANCELLED:LAMBDA': 1,
        'attempts:1': 1,
        cold: 0,
        warm: 0,
      },
      next: { status: 'CANCELLED', placement: 'LAMBDA' },
    },
    {
      name: 'a task cancelled while queued has no placement',
      previous: { status: 'QUEUED' },
      facts: facts({ status: 'CANCELLED' }),
      changed: true,
      counters: { 'status:QUEUED': -1, 'status:CANCELLED': 1, cold: 0, warm: 0 },
      next: { status: 'CANCELLED' },
    },
    {
      name: 'a task first seen finished (reconcile) is created straight into its final status',
      previous: undefined,
      facts: facts({ status: 'FAILED', placement: 'LOCAL', attempts: 5, costUsd: 0 }),
      changed: true,
      counters: {
        created: 1,
        'status:FAILED': 1,
        'FAILED:LOCAL': 1,
        'attempts:5': 1,
        retried: 1,
        cold: 0,
        warm: 0,
      },
    },
    {
      name: "a tenant's task is created into its tenant's counts too",
      previous: undefined,
      facts: facts({ status: 'QUEUED', tenant: 'acme' }),
      changed: true,
      counters: { created: 1, 'status:QUEUED': 1, 'tenant:acme:created': 1, 'tenant:acme:status:QUEUED': 1 },
    },
    {
      name: "a tenant's task moves between its tenant's statuses",
      previous: { status: 'QUEUED' },
      facts: facts({ status: 'RUNNING', placement: 'LOCAL', tenant: 'acme' }),
      changed: true,
      counters: {
        'status:QUEUED': -1,
        'status:RUNNING': 1,
        'RUNNING:LOCAL': 1,
        'tenant:acme:status:QUEUED': -1,
        'tenant:acme:status:RUNNING': 1,
      },
    },
    {
      name: "a tenant's expired task counts as EXPIRED for its tenant, with its cost",
      previous: { status: 'RUNNING', placement: 'LOCAL' },
      facts: facts({ status: 'EXPIRED', placement: 'LOCAL', tenant: 'acme:eu', costUsd: 0.25 }),
      changed: true,
      counters: {
        'status:RUNNING': -1,
        'RUNNING:LOCAL': -1,
        'status:EXPIRED': 1,
        'EXPIRED:LOCAL': 1,
        'tenant:acme:eu:status:RUNNING': -1,
        'tenant:acme:eu:status:EXPIRED': 1,
        'cost:LOCAL': 0.25,
        'cost:tenant:acme:eu': 0.25,
        cold: 0,
        warm: 0,
      },
    },
    {
      name: "a fallback to LOCAL leaves the tenant's running count as it was",
      previous: { status: 'RUNNING', placement: 'LAMBDA' },
      facts: facts({ status: 'RUNNING', placement: 'LOCAL', executionMode: 'AUTO', tenant: 'acme' }),
      changed: true,
      counters: { 'RUNNING:LAMBDA': -1, 'RUNNING:LOCAL': 1 },
    },
  ];

  test.each(cases)('$name', ({ previous, facts: f, changed, counters, next }) => {
    const effect = transitionEffect(previous, f);
    expect(effect.changed).toBe(changed);
    expect(effect.counters).toEqual(counters);
    if (next) expect(effect.next).toEqual(next);
  });

  test('a completion adds a series point, a duration sample and a throughput entry', () => {
    const effect = transitionEffect(
      { status: 'RUNNING', placement: 'LOCAL' },
      facts({ status: 'COMPLETED', placement: 'LOCAL', durationMs: 12.34567 }),
    );
    expect(effect.series).toEqual({ 'completed:LOCAL': 1 });
    expect(effect.durationSample).toEqual({ placement: 'LOCAL', ms: 12.346 });
    expect(effect.completed).toBe(true);
  });

  test('a failure adds to the failed series and to no duration or throughput', () => {
    const effect = transitionEffect(
      { status: 'RUNNING', placement: 'LAMBDA' },
      facts({ status: 'FAILED', placement: 'LAMBDA', durationMs: 40 }),
    );
    expect(effect.series).toEqual({ failed: 1 });
    expect(effect.durationSample).toBeUndefined();
    expect(effect.completed).toBe(false);
  });

  test('non-final transitions add to no series', () => {
    expect(transitionEffect(undefined, facts({ status: 'QUEUED' })).series).toEqual({});
    expect(transitionEffect({ status: 'QUEUED' }, facts({ status: 'RUNNING', placement: 'LOCAL' })).series).toEqual({});
  });

  test('folding a whole life gives the counts of one finished task', () => {
    const total: Record<string, number> = {};
    let state: ProjectedTask | undefined;
    for (const f of [
      facts({ status: 'QUEUED' }),
      facts({ status: 'RUNNING', placement: 'LAMBDA', executionMode: 'AUTO' }),
      facts({ status: 'RUNNING', placement: 'LOCAL', executionMode: 'AUTO' }),
      facts({ status: 'RUNNING', placement: 'LOCAL', executionMode: 'AUTO' }),
      facts({ status: 'COMPLETED', placement: 'LOCAL', executionMode: 'AUTO', attempts: 2, costUsd: 0.5 }),
      facts({ status: 'COMPLETED', placement: 'LOCAL', executionMode: 'AUTO', attempts: 2, costUsd: 0.5 }),
    ]) {
      const effect = transitionEffect(state, f);
      addCounters(total, effect.counters);
      state = effect.next;
    }
    const nonZero = Object.fromEntries(Object.entries(total).filter(([, v]) => v !== 0));
    // The same as reconcile's single fold from nothing straight into the final state.
    const direct = transitionEffect(
      undefined,
      facts({ status: 'COMPLETED', placement: 'LOCAL', executionMode: 'AUTO', attempts: 2, costUsd: 0.5 }),
    );
    expect(nonZero).toEqual(Object.fromEntries(Object.entries(direct.counters).filter(([, v]) => v !== 0)));
    expect(state).toEqual({ status: 'COMPLETED', placement: 'LOCAL' });
  });
});

describe('tenant counter fields', () => {
  test.each([
    ['tenant:acme:created', { tenant: 'acme', what: 'created' }],
    ['tenant:acme:status:FAILED', { tenant: 'acme', what: 'FAILED' }],
    // A tenant key may hold colons of its own.
    ['tenant:org:team:status:EXPIRED', { tenant: 'org:team', what: 'EXPIRED' }],
    ['cost:tenant:org:team', { tenant: 'org:team', what: 'cost' }],
    ['status:FAILED', undefined],
    ['cost:LOCAL', undefined],
  ])('%s', (field, parsed) => {
    expect(parseTenantField(field)).toEqual(parsed);
  });

  test('every field the rule writes for a tenant reads back as that tenant', () => {
    const effect = transitionEffect(
      { status: 'RUNNING', placement: 'LOCAL' },
      facts({ status: 'COMPLETED', placement: 'LOCAL', tenant: 'a:b', costUsd: 1 }),
    );
    const tenants = Object.keys(effect.counters)
      .map(parseTenantField)
      .filter((p) => p !== undefined)
      .map((p) => p.tenant);
    expect(new Set(tenants)).toEqual(new Set(['a:b']));
    expect(tenants).toHaveLength(3);
  });
});

describe('likelyPrevious', () => {
  test.each([
    [{ status: 'QUEUED' as const }, undefined],
    [{ status: 'RUNNING' as const, placement: 'LOCAL' as const }, { status: 'QUEUED' }],
    [
      { status: 'COMPLETED' as const, placement: 'LAMBDA' as const },
      { status: 'RUNNING', placement: 'LAMBDA' },
    ],
    [{ status: 'CANCELLED' as const }, { status: 'RUNNING' }],
  ])('%j most likely follows %j', (f, expected) => {
    expect(likelyPrevious(f)).toEqual(expected);
  });

  test('every guess is a state from which the transition changes something', () => {
    for (const status of ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const) {
      for (const placement of [undefined, 'LOCAL', 'LAMBDA'] as const) {
        const f = facts({ status, placement });
        expect({ status, placement, changed: transitionEffect(likelyPrevious(f), f).changed }).toEqual({
          status,
          placement,
          changed: true,
        });
      }
    }
  });
});

test('only cost counters are fractional', () => {
  expect(['cost:LOCAL', 'cost:warming', 'cold', 'status:QUEUED', 'attempts:2'].map(isFractionalCounter)).toEqual([
    true,
    true,
    false,
    false,
    false,
  ]);
});

describe('warmupEffect', () => {
  test('a warm-pool run adds its warm-ups, cold starts and cost, and no task count', () => {
    expect(warmupEffect({ warmed: 3, coldStarts: 1, costUsd: 0.0000021 })).toEqual({
      warmups: 3,
      warmupColdStarts: 1,
      'cost:warming': 0.0000021,
    });
  });

  test('runs fold by addition, as reconcile folds every run in visibility', () => {
    const total: Record<string, number> = {};
    addCounters(total, warmupEffect({ warmed: 2, coldStarts: 2, costUsd: 0.5 }));
    addCounters(total, warmupEffect({ warmed: 1, coldStarts: 0, costUsd: 0.25 }));
    expect(total).toEqual({ warmups: 3, warmupColdStarts: 2, 'cost:warming': 0.75 });
  });
});
