// Column summaries and group totals, built incrementally so rows never need to be held all at once.

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface NumberColumnSummary {
  type: 'number';
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  mean: number | null;
}

export interface TextColumnSummary {
  type: 'text';
  count: number;
  distinct: number;
}

export type ColumnSummary = NumberColumnSummary | TextColumnSummary;

export interface GroupTotals {
  key: string;
  rows: number;
  /** Sums of every numeric column over the group's rows. */
  totals: Record<string, number>;
}

/** Rows with no value for the group-by column are grouped under this key. */
export const MISSING_GROUP = '(none)';

function present(value: Cell | undefined): value is string | number | boolean {
  return value !== undefined && value !== null && value !== '';
}

export class ReportAccumulator {
  private readonly numbers = new Map<string, { count: number; sum: number; min: number; max: number }>();
  private readonly texts = new Map<string, { count: number; distinct: Set<string> }>();
  private readonly groups = new Map<string, GroupTotals>();

  constructor(
    readonly columns: readonly string[],
    private readonly numeric: ReadonlySet<string>,
    private readonly groupBy: string | undefined,
  ) {
    for (const c of columns) {
      if (numeric.has(c)) this.numbers.set(c, { count: 0, sum: 0, min: Infinity, max: -Infinity });
      else this.texts.set(c, { count: 0, distinct: new Set() });
    }
  }

  add(row: Row): void {
    for (const [column, s] of this.numbers) {
      const value = row[column];
      if (typeof value !== 'number') continue;
      s.count += 1;
      s.sum += value;
      if (value < s.min) s.min = value;
      if (value > s.max) s.max = value;
    }
    for (const [column, s] of this.texts) {
      const value = row[column];
      if (!present(value)) continue;
      s.count += 1;
      s.distinct.add(String(value));
    }
    if (this.groupBy === undefined) return;
    const value = row[this.groupBy];
    const key = present(value) ? String(value) : MISSING_GROUP;
    let group = this.groups.get(key);
    if (!group) {
      group = { key, rows: 0, totals: Object.fromEntries([...this.numbers.keys()].map((c) => [c, 0])) };
      this.groups.set(key, group);
    }
    group.rows += 1;
    for (const column of this.numbers.keys()) {
      const v = row[column];
      if (typeof v === 'number') group.totals[column] = (group.totals[column] ?? 0) + v;
    }
  }

  summary(): Record<string, ColumnSummary> {
    const out: Record<string, ColumnSummary> = {};
    for (const c of this.columns) {
      const n = this.numbers.get(c);
      const t = this.texts.get(c);
      if (n) {
        const empty = n.count === 0;
        out[c] = {
          type: 'number',
          count: n.count,
          sum: n.sum,
          min: empty ? null : n.min,
          max: empty ? null : n.max,
          mean: empty ? null : n.sum / n.count,
        };
      } else if (t) {
        out[c] = { type: 'text', count: t.count, distinct: t.distinct.size };
      }
    }
    return out;
  }

  /** Groups sorted by key, so the output does not depend on the order rows arrived in. */
  groupTotals(): GroupTotals[] | undefined {
    if (this.groupBy === undefined) return undefined;
    return [...this.groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
