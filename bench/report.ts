// The rows of the result table and the target verdicts, shared by every section, and the markdown they print as.

export type Verdict = 'met' | 'missed' | 'not judged';

export interface Row {
  section: string;
  figure: string;
  measured: number | null;
  unit: string;
  baseline: number | null;
  /** What the baseline is, once per row so the table reads on its own. */
  baselineName: string;
  ratio: number | null;
  target?: string;
  verdict?: Verdict;
}

export interface TargetResult {
  section: string;
  target: string;
  measured: string;
  verdict: Verdict;
  note?: string;
}

export function fmt(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (value === 0) return unit ? `0 ${unit}` : '0';
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 1 : abs >= 1 ? 2 : abs >= 0.01 ? 3 : 6;
  const text = value.toFixed(digits);
  return unit ? `${text} ${unit}` : text;
}

export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return `$${value.toPrecision(3)}`;
}

function cell(row: Row, which: 'measured' | 'baseline'): string {
  const value = row[which];
  return row.unit === 'USD' ? usd(value) : fmt(value, row.unit);
}

export function markdownTable(rows: Row[]): string {
  const header = '| section | figure | measured | baseline | ratio | target | verdict |';
  const sep = '| --- | --- | ---: | --- | ---: | --- | --- |';
  const lines = rows.map((r) =>
    [
      r.section,
      r.figure,
      cell(r, 'measured'),
      r.baseline === null ? `– (${r.baselineName})` : `${cell(r, 'baseline')} (${r.baselineName})`,
      r.ratio === null ? '–' : `${fmt(r.ratio)}×`,
      r.target ?? '',
      r.verdict === 'met' ? '✅ met' : r.verdict === 'missed' ? '❌ missed' : (r.verdict ?? ''),
    ]
      .join(' | ')
      .replace(/^/, '| ')
      .concat(' |'),
  );
  return [header, sep, ...lines].join('\n');
}

export function targetsTable(targets: TargetResult[]): string {
  const header = '| section | target | measured | verdict |';
  const sep = '| --- | --- | --- | --- |';
  const lines = targets.map(
    (t) =>
      `| ${t.section} | ${t.target} | ${t.measured}${t.note ? ` (${t.note})` : ''} | ${
        t.verdict === 'met' ? '✅ met' : t.verdict === 'missed' ? '❌ missed' : t.verdict
      } |`,
  );
  return [header, sep, ...lines].join('\n');
}

export function verdict(ok: boolean | null): Verdict {
  return ok === null ? 'not judged' : ok ? 'met' : 'missed';
}
