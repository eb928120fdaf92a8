import { TaskCancelledError } from '../../domain/handler-contract';
import { handler } from '../../examples/functions/data-aggregator';
import type { DataAggregationResult } from '../../examples/functions/data-aggregator';
import { taskEvent, testContext } from './context';

const run = (payload: unknown, ctx = testContext('data-aggregator')) =>
  handler(taskEvent('data-aggregation', payload), ctx.context) as Promise<DataAggregationResult>;

// Group a: 1, 2, 3, 4. Group b: 10, 20. Plus two records that must be skipped.
const records = [
  { team: 'a', ms: 3 },
  { team: 'b', ms: 20 },
  { team: 'a', ms: 1 },
  { team: 'a', ms: 'slow' },
  { team: 'a', ms: 4 },
  { team: 'b', ms: 10 },
  { team: 'b' },
  { team: 'a', ms: 2, extra: true },
];

describe('data-aggregator', () => {
  it('computes exact statistics per group and overall', async () => {
    const result = await run({ records, groupBy: 'team', field: 'ms', percentiles: [25, 50, 95, 100] });
    expect(result.groupBy).toBe('team');
    expect(result.field).toBe('ms');
    expect(result.recordCount).toBe(8);
    expect(result.skipped).toBe(2);
    expect(Object.keys(result.groups)).toEqual(['a', 'b']);

    const a = result.groups.a!;
    expect(a).toMatchObject({ count: 4, sum: 10, min: 1, max: 4, mean: 2.5 });
    // Population stddev: sqrt(((1.5^2 + 0.5^2) * 2) / 4) = sqrt(1.25).
    expect(a.stddev).toBeCloseTo(1.118033989, 9);
    // Linear interpolation at position (n - 1) * p / 100 = 3p/100 of [1, 2, 3, 4].
    expect(a.percentiles.p25).toBeCloseTo(1.75, 12);
    expect(a.percentiles.p50).toBeCloseTo(2.5, 12);
    expect(a.percentiles.p95).toBeCloseTo(3.85, 12);
    expect(a.percentiles.p100).toBe(4);

    const b = result.groups.b!;
    expect(b).toMatchObject({ count: 2, sum: 30, min: 10, max: 20, mean: 15, stddev: 5 });
    expect(b.percentiles.p50).toBe(15);
    expect(b.percentiles.p95).toBeCloseTo(19.5, 12);

    // Overall [1, 2, 3, 4, 10, 20]: mean 40/6, variance 263.333.../6.
    expect(result.overall).toMatchObject({ count: 6, sum: 40, min: 1, max: 20 });
    expect(result.overall.mean).toBeCloseTo(6.666666667, 9);
    expect(result.overall.stddev).toBeCloseTo(Math.sqrt(263.3333333333 / 6), 9);
    expect(result.overall.percentiles.p50).toBeCloseTo(3.5, 12);
    expect(result.overall.percentiles.p95).toBeCloseTo(17.5, 12);
  });

  it('defaults to value, [50, 95, 99] and groups records without the key under (none)', async () => {
    const result = await run({ records: [{ k: 'x', value: 5 }, { value: 7 }, { k: null, value: 9 }], groupBy: 'k' });
    expect(Object.keys(result.overall.percentiles)).toEqual(['p50', 'p95', 'p99']);
    expect(result.groups['(none)']).toMatchObject({ count: 2, sum: 16, mean: 8 });
    expect(result.groups.x).toMatchObject({ count: 1, sum: 5, stddev: 0, percentiles: { p50: 5, p99: 5 } });
  });

  it('reports nulls for a group whose values were all skipped', async () => {
    const result = await run({
      records: [
        { g: 'z', value: 'n/a' },
        { g: 'z', value: Number.NaN },
      ],
      groupBy: 'g',
    });
    expect(result.skipped).toBe(2);
    expect(result.groups.z).toEqual({
      count: 0,
      sum: 0,
      min: null,
      max: null,
      mean: null,
      stddev: null,
      percentiles: { p50: null, p95: null, p99: null },
    });
  });

  it('generates reproducible records from a seed', async () => {
    const payload = { generate: { count: 12_000, seed: 7, groups: 4 } };
    const first = await run(payload);
    const second = await run(payload);
    expect(first).toEqual(second);
    expect(first.groupBy).toBe('group');
    expect(first.recordCount).toBe(12_000);
    expect(first.skipped).toBe(0);
    expect(Object.keys(first.groups)).toEqual(['group-1', 'group-2', 'group-3', 'group-4']);
    const total = Object.values(first.groups).reduce((sum, g) => sum + g.count, 0);
    expect(total).toBe(12_000);
    expect(first.overall.percentiles.p50!).toBeLessThan(first.overall.percentiles.p99!);
    const other = await run({ generate: { count: 12_000, seed: 8, groups: 4 } });
    expect(other.overall.sum).not.toBe(first.overall.sum);
  });

  it('reports progress between chunks and stops when cancelled', async () => {
    const ctx = testContext();
    await run({ generate: { count: 20_000 } }, ctx);
    expect(ctx.progress).toHaveBeenCalledWith({ stage: 'aggregating', processed: 5000, total: 20_000 });
    expect(ctx.progress).toHaveBeenCalledWith({ stage: 'aggregating', processed: 20_000, total: 20_000 });

    const cancelled = testContext();
    const pending = run({ generate: { count: 1_000_000 } }, cancelled);
    setImmediate(() => cancelled.controller.abort());
    await expect(pending).rejects.toBeInstanceOf(TaskCancelledError);
    expect(cancelled.progress.mock.calls.length).toBeLessThan(10);
  });

  it.each([
    [{ records: [{ a: 1 }] }, 'groupBy is required'],
    [{ records: 'x', groupBy: 'a' }, 'records must be an array'],
    [{ records: [1, 2], groupBy: 'a' }, 'records[0] must be an object'],
    [{ records: [], generate: { count: 1 }, groupBy: 'a' }, 'not both'],
    [{ generate: { count: 0 } }, 'count'],
    [{ generate: {} }, 'generate.count is required'],
    [{ generate: { count: 10, groups: 0 } }, 'groups'],
    [{ percentiles: [0] }, 'percentiles'],
    [{ percentiles: [101] }, 'percentiles'],
    [{ percentiles: ['50'] }, 'percentiles'],
    [{ field: 5 }, 'field'],
    [[1, 2], 'payload'],
  ])('rejects the bad payload %j', async (payload, message) => {
    await expect(run(payload)).rejects.toMatchObject({
      name: 'InvalidPayloadError',
      message: expect.stringContaining(message),
    });
  });

  it('answers a warm-up event without running', async () => {
    await expect(handler({ spillway: { warmup: true } }, testContext().context)).resolves.toMatchObject({
      warmed: true,
    });
  });
});
