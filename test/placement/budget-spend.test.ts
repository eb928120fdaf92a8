// Budget spend counters against the real Redis of the test stack, under a unique prefix per test.
import { Redis } from 'ioredis';
import { evaluateBudgets, periodOf, spendKey, type Budget } from '../../domain/budget-policy';
import { budgetSpendKey, createBudgetSpend } from '../../live/budget-spend';
import { testConfig } from '../support/test-stack';

// Redis expires the counters by the real clock, so the test's moment is now.
const NOW = Date.now();
const DAY = periodOf('day', NOW).key;
const MONTH = periodOf('month', NOW).key;
let redis: Redis;
let prefix: string;

beforeEach(() => {
  const config = testConfig();
  prefix = config.redis.prefix;
  redis = new Redis(config.redis.url, { connectionName: 'spillway-test-budget-spend', maxRetriesPerRequest: 1 });
});

afterEach(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

test('a placed task is committed, and settled at its actual cost once', async () => {
  const spend = createBudgetSpend(redis, prefix);
  await spend.commit('task-1', ['deployment'], 0.5, NOW);
  await spend.commit('task-1', ['deployment'], 0.5, NOW); // a retried placement
  expect((await spend.read(['deployment'], NOW)).get(spendKey('deployment', DAY))).toEqual({
    spentUsd: 0,
    committedUsd: 0.5,
  });
  const changes = await spend.settle('task-1', ['deployment'], 0.25, NOW);
  expect(changes).toEqual([
    {
      key: spendKey('deployment', DAY),
      before: { spentUsd: 0, committedUsd: 0.5 },
      after: { spentUsd: 0.25, committedUsd: 0 },
    },
    {
      key: spendKey('deployment', MONTH),
      before: { spentUsd: 0, committedUsd: 0.5 },
      after: { spentUsd: 0.25, committedUsd: 0 },
    },
  ]);
  await spend.settle('task-1', ['deployment'], 0.25, NOW); // a repeated final transition
  await spend.commit('task-1', ['deployment'], 0.5, NOW); // a late placement event
  expect(Object.fromEntries(await spend.read(['deployment'], NOW))).toEqual({
    [spendKey('deployment', DAY)]: { spentUsd: 0.25, committedUsd: 0 },
    [spendKey('deployment', MONTH)]: { spentUsd: 0.25, committedUsd: 0 },
  });
});

test('every scope of the task counts, and the counters expire after their period', async () => {
  const spend = createBudgetSpend(redis, prefix);
  await spend.settle('task-2', ['deployment', 'tenant:acme'], 1.5, NOW);
  await spend.settle('task-3', ['deployment'], 1, NOW);
  const read = await spend.read(['deployment', 'tenant:acme'], NOW);
  expect(read.get(spendKey('deployment', DAY))).toEqual({ spentUsd: 2.5, committedUsd: 0 });
  expect(read.get(spendKey('tenant:acme', MONTH))).toEqual({ spentUsd: 1.5, committedUsd: 0 });
  const ttl = await redis.ttl(budgetSpendKey(prefix, spendKey('deployment', DAY)));
  // Kept a week past the end of the day.
  expect(ttl).toBeGreaterThan(7 * 86_400 - 60);
  expect(ttl).toBeLessThanOrEqual(8 * 86_400);
});

test('what was read decides the verdict: a budget at 100 % forces LOCAL', async () => {
  const spend = createBudgetSpend(redis, prefix);
  const budget: Budget = {
    id: 'daily',
    scope: { kind: 'deployment' },
    period: 'day',
    limitUsd: 1,
    onExceeded: 'force-local',
  };
  await spend.settle('task-4', ['deployment'], 0.8, NOW);
  await spend.commit('task-5', ['deployment'], 0.2, NOW);
  const verdict = evaluateBudgets([budget], await spend.read(['deployment'], NOW), { type: 'x' }, NOW);
  expect(verdict).toMatchObject({ level: 'exceeded', action: 'force-local', budgetId: 'daily' });
});

test("a task's own commitment can be left out of a reading, so a placed task is weighed against the others", async () => {
  const spend = createBudgetSpend(redis, prefix);
  await spend.commit('task-4', ['deployment'], 0.5, NOW);
  await spend.commit('task-5', ['deployment'], 0.25, NOW);
  expect((await spend.read(['deployment'], NOW, 'task-4')).get(spendKey('deployment', DAY))).toEqual({
    spentUsd: 0,
    committedUsd: 0.25,
  });
  expect((await spend.read(['deployment'], NOW, 'task-6')).get(spendKey('deployment', DAY))).toEqual({
    spentUsd: 0,
    committedUsd: 0.75,
  });
});
