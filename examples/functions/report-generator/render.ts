// Document renderers. They write into a DocumentSink that hashes and measures as it goes and keeps only a
// preview, so a million-row CSV is never held in memory as one string.
import { createHash } from 'node:crypto';
import type { Cell, ColumnSummary, GroupTotals, Row } from './summary';

export type ReportFormat = 'csv' | 'markdown' | 'json';

export const PREVIEW_CHARS = 2000;
export const MARKDOWN_ROW_LIMIT = 50;

export class DocumentSink {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private preview = '';

  write(text: string): void {
    this.hash.update(text, 'utf8');
    this.bytes += Buffer.byteLength(text, 'utf8');
    if (this.preview.length < PREVIEW_CHARS) this.preview += text.slice(0, PREVIEW_CHARS - this.preview.length);
  }

  finish(format: ReportFormat) {
    return { format, bytes: this.bytes, sha256: this.hash.digest('hex'), preview: this.preview };
  }
}

export interface ReportHeader {
  title: string;
  columns: readonly string[];
  rowCount: number;
  groupBy?: string;
}

export interface Renderer {
  begin(header: ReportHeader): void;
  row(row: Row): void;
  end(summary: Record<string, ColumnSummary>, groups: GroupTotals[] | undefined): void;
}

/** RFC 4180: quote a field holding a comma, quote or line break (and one with edge spaces, which some readers trim). */
export function csvField(value: Cell | undefined): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

class CsvRenderer implements Renderer {
  private columns: readonly string[] = [];
  constructor(private readonly sink: DocumentSink) {}

  begin(header: ReportHeader): void {
    this.columns = header.columns;
    this.sink.write(this.columns.map(csvField).join(',') + '\r\n');
  }

  row(row: Row): void {
    this.sink.write(this.columns.map((c) => csvField(row[c])).join(',') + '\r\n');
  }

  end(): void {}
}

function mdCell(value: Cell | undefined): string {
  if (value === undefined || value === null) return '';
  return String(value)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n|\r/g, '<br>');
}

export function formatNumber(value: number | null): string {
  if (value === null) return '';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function mdTable(headings: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |\n`;
  return line(headings) + line(headings.map(() => '---')) + rows.map(line).join('');
}

class MarkdownRenderer implements Renderer {
  private header: ReportHeader = { title: '', columns: [], rowCount: 0 };
  private written = 0;
  constructor(private readonly sink: DocumentSink) {}

  begin(header: ReportHeader): void {
    this.header = header;
    const shown = Math.min(header.rowCount, MARKDOWN_ROW_LIMIT);
    this.sink.write(`# ${mdCell(header.title)}\n\n${header.rowCount} rows, ${header.columns.length} columns.\n\n`);
    this.sink.write(`## Rows${shown < header.rowCount ? ` (first ${shown})` : ''}\n\n`);
    this.sink.write(mdTable(header.columns.map(mdCell), []));
  }

  row(row: Row): void {
    if (this.written >= MARKDOWN_ROW_LIMIT) return;
    this.written += 1;
    this.sink.write(`| ${this.header.columns.map((c) => mdCell(row[c])).join(' | ')} |\n`);
  }

  end(summary: Record<string, ColumnSummary>, groups: GroupTotals[] | undefined): void {
    const hidden = this.header.rowCount - this.written;
    if (hidden > 0) this.sink.write(`\n_… and ${hidden} more rows._\n`);
    this.sink.write('\n## Summary\n\n');
    this.sink.write(
      mdTable(
        ['Column', 'Type', 'Count', 'Sum', 'Min', 'Max', 'Mean', 'Distinct'],
        Object.entries(summary).map(([column, s]) =>
          s.type === 'number'
            ? [
                mdCell(column),
                'number',
                String(s.count),
                formatNumber(s.sum),
                formatNumber(s.min),
                formatNumber(s.max),
                formatNumber(s.mean),
                '',
              ]
            : [mdCell(column), 'text', String(s.count), '', '', '', '', String(s.distinct)],
        ),
      ),
    );
    if (!groups) return;
    const numeric = Object.keys(summary).filter((c) => summary[c]?.type === 'number');
    this.sink.write(`\n## Totals by ${mdCell(this.header.groupBy ?? '')}\n\n`);
    this.sink.write(
      mdTable(
        [mdCell(this.header.groupBy ?? ''), 'Rows', ...numeric.map(mdCell)],
        groups.map((g) => [mdCell(g.key), String(g.rows), ...numeric.map((c) => formatNumber(g.totals[c] ?? 0))]),
      ),
    );
  }
}

class JsonRenderer implements Renderer {
  private first = true;
  constructor(private readonly sink: DocumentSink) {}

  begin(header: ReportHeader): void {
    this.sink.write(`{"title":${JSON.stringify(header.title)},"columns":${JSON.stringify(header.columns)},"rows":[`);
  }

  row(row: Row): void {
    this.sink.write((this.first ? '' : ',') + JSON.stringify(row));
    this.first = false;
  }

  end(summary: Record<string, ColumnSummary>, groups: GroupTotals[] | undefined): void {
    const tail = groups ? `,"groups":${JSON.stringify(groups)}` : '';
    this.sink.write(`],"summary":${JSON.stringify(summary)}${tail}}`);
  }
}

export function createRenderer(format: ReportFormat, sink: DocumentSink): Renderer {
  switch (format) {
    case 'csv':
      return new CsvRenderer(sink);
    case 'json':
      return new JsonRenderer(sink);
    case 'markdown':
      return new MarkdownRenderer(sink);
  }
}
