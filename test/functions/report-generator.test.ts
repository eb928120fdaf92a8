import { TaskCancelledError } from '../../domain/handler-contract';
import { handler } from '../../examples/functions/report-generator';
import type { ReportGenerationResult } from '../../examples/functions/report-generator';
import { sha256Hex } from '../../examples/functions/shared/hash';
import { taskEvent, testContext } from './context';

const run = (payload: unknown, ctx = testContext('report-generator')) =>
  handler(taskEvent('report-generation', payload), ctx.context) as Promise<ReportGenerationResult>;

const table = [
  { name: 'Ann, Jr.', city: 'Oslo', amount: 10, note: 'says "hi"' },
  { name: 'Bob', city: 'Rome', amount: 5.5, note: 'line1\nline2' },
  { name: 'Cy', city: 'Oslo', amount: 4, note: null },
  { name: 'Di | Dee', city: 'Lima', amount: 0.5 },
];

describe('report-generator', () => {
  it('writes CSV with commas, quotes and newlines escaped', async () => {
    const result = await run({ rows: table, format: 'csv' });
    const csv =
      'name,city,amount,note\r\n' +
      '"Ann, Jr.",Oslo,10,"says ""hi"""\r\n' +
      'Bob,Rome,5.5,"line1\nline2"\r\n' +
      'Cy,Oslo,4,\r\n' +
      'Di | Dee,Lima,0.5,\r\n';
    expect(result.document).toEqual({
      format: 'csv',
      bytes: Buffer.byteLength(csv),
      sha256: sha256Hex(csv),
      preview: csv,
    });
  });

  it('summarises columns and totals groups on a hand-made table', async () => {
    const result = await run({ title: 'Cities', rows: table, groupBy: 'city' });
    expect(result.title).toBe('Cities');
    expect(result.rowCount).toBe(4);
    expect(result.columns).toEqual(['name', 'city', 'amount', 'note']);
    expect(result.summary).toEqual({
      name: { type: 'text', count: 4, distinct: 4 },
      city: { type: 'text', count: 4, distinct: 3 },
      amount: { type: 'number', count: 4, sum: 20, min: 0.5, max: 10, mean: 5 },
      note: { type: 'text', count: 2, distinct: 2 },
    });
    expect(result.groups).toEqual([
      { key: 'Lima', rows: 1, totals: { amount: 0.5 } },
      { key: 'Oslo', rows: 2, totals: { amount: 14 } },
      { key: 'Rome', rows: 1, totals: { amount: 5.5 } },
    ]);
    const md = result.document.preview;
    expect(result.document.format).toBe('markdown');
    expect(md.startsWith('# Cities\n\n4 rows, 4 columns.\n')).toBe(true);
    expect(md).toContain('| Di \\| Dee | Lima | 0.5 |  |\n');
    expect(md).toContain('| Bob | Rome | 5.5 | line1<br>line2 |\n');
    expect(md).toContain('## Totals by city');
    expect(md).toContain('| Oslo | 2 | 14 |\n');
    expect(md).toContain('| amount | number | 4 | 20 | 0.50 | 10 | 5 |  |\n');
  });

  it('renders JSON that parses back to the rows and summary', async () => {
    const result = await run({ rows: table, format: 'json', groupBy: 'city' });
    const doc = JSON.parse(result.document.preview) as Record<string, unknown>;
    expect(doc.rows).toEqual(table);
    expect(doc.summary).toEqual(result.summary);
    expect(doc.groups).toEqual(result.groups);
  });

  it('generates 1000 sales rows with seed 1 by default, deterministically', async () => {
    const first = await run({});
    const second = await run({ generate: { count: 1000, seed: 1 } });
    expect(first).toEqual(second);
    expect(first.title).toBe('Sales report');
    expect(first.rowCount).toBe(1000);
    expect(first.columns).toEqual(['date', 'region', 'product', 'units', 'unitPrice', 'revenue']);
    expect(first.summary.units).toMatchObject({ type: 'number', count: 1000 });
    expect(first.summary.region).toEqual({ type: 'text', count: 1000, distinct: 5 });
    const other = await run({ generate: { count: 1000, seed: 2 } });
    expect(other.document.sha256).not.toBe(first.document.sha256);
  });

  it('generates consistent rows whose group totals add up to the column sums', async () => {
    const result = await run({ generate: { count: 3000, seed: 42 }, groupBy: 'region', format: 'csv' });
    const lines = result.document.preview.split('\r\n');
    expect(lines[0]).toBe('date,region,product,units,unitPrice,revenue');
    const [date, region, , units, unitPrice, revenue] = (lines[1] as string).split(',');
    expect(date).toMatch(/^2024-\d\d-\d\d$/);
    expect(['North', 'South', 'East', 'West', 'Central']).toContain(region);
    expect(Number(revenue)).toBeCloseTo(Number(units) * Number(unitPrice), 2);
    const groups = result.groups ?? [];
    expect(groups.map((g) => g.key)).toEqual(['Central', 'East', 'North', 'South', 'West']);
    expect(groups.reduce((n, g) => n + g.rows, 0)).toBe(3000);
    const revenueSum = groups.reduce((n, g) => n + (g.totals.revenue ?? 0), 0);
    const summary = result.summary.revenue;
    expect(summary?.type).toBe('number');
    expect(revenueSum).toBeCloseTo(summary?.type === 'number' ? summary.sum : NaN, 6);
  });

  it('limits the markdown table to 50 rows', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({ i }));
    const result = await run({ rows });
    const tableRows = result.document.preview.split('\n').filter((line) => /^\| \d+ \|$/.test(line));
    expect(tableRows).toHaveLength(50);
    expect(result.document.preview).toContain('## Rows (first 50)');
    expect(result.document.preview).toContain('_… and 70 more rows._');
  });

  it('reports progress between chunks of a large generate', async () => {
    const ctx = testContext();
    const result = await run({ generate: { count: 50_000, seed: 3 }, format: 'csv' }, ctx);
    expect(result.rowCount).toBe(50_000);
    expect(result.document.preview).toHaveLength(2000);
    const rendering = ctx.progress.mock.calls.filter(([d]) => (d as { stage: string }).stage === 'rendering');
    expect(rendering).toHaveLength(10);
    expect(rendering[0]).toEqual([{ stage: 'rendering', processed: 5000, total: 50_000 }]);
  });

  it('throws TaskCancelledError when cancelled before starting', async () => {
    const ctx = testContext();
    ctx.controller.abort();
    await expect(run({ generate: { count: 10 } }, ctx)).rejects.toBeInstanceOf(TaskCancelledError);
    expect(ctx.progress).not.toHaveBeenCalled();
  });

  it('throws TaskCancelledError when cancelled while running', async () => {
    const ctx = testContext();
    ctx.progress.mockImplementationOnce(() => ctx.controller.abort());
    await expect(run({ generate: { count: 1_000_000 } }, ctx)).rejects.toBeInstanceOf(TaskCancelledError);
    expect(ctx.progress).toHaveBeenCalledTimes(1);
  });

  it.each([
    [{ rows: [{ a: 1 }], generate: { count: 1 } }, 'not both'],
    [{ rows: {} }, 'rows must be an array'],
    [{ rows: ['x'] }, 'rows[0] must be an object'],
    [{ rows: [{ a: { nested: 1 } }] }, 'rows[0].a'],
    [{ rows: [{ a: 1 }], groupBy: 'b' }, 'groupBy'],
    [{ generate: { count: 0 } }, 'count'],
    [{ generate: { count: 1_000_001 } }, 'count'],
    [{ generate: { count: 5, seed: 1.5 } }, 'seed'],
    [{ format: 'pdf' }, 'format'],
    [{ title: 7 }, 'title'],
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
