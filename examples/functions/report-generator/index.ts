// Builds a report from supplied or generated rows: per-column summary, optional group totals and the rendered
// document (CSV, markdown or JSON), of which only the size, hash and a preview are returned.
import { InvalidPayloadError } from '../../../domain/handler-contract';
import type { HandlerContext } from '../../../domain/handler-contract';
import { wrapHandler } from '../../../sdk/wrap-handler';
import { CHUNK_SIZE, checkpoint } from '../shared/chunks';
import {
  isPlainObject,
  optionalArray,
  optionalEnum,
  optionalInteger,
  optionalObject,
  optionalString,
  payloadObject,
} from '../shared/payload';
import { SALES_COLUMNS, SALES_NUMERIC_COLUMNS, salesGenerator } from './generate';
import { DocumentSink, createRenderer } from './render';
import type { ReportFormat } from './render';
import { ReportAccumulator } from './summary';
import type { ColumnSummary, GroupTotals, Row } from './summary';

export interface ReportGenerationPayload {
  title?: string;
  /** Flat objects (string, number, boolean or null values); at most 100,000. */
  rows?: Record<string, unknown>[];
  generate?: { count: number; seed?: number };
  groupBy?: string;
  format?: ReportFormat;
}

export interface ReportGenerationResult {
  title: string;
  rowCount: number;
  columns: string[];
  summary: Record<string, ColumnSummary>;
  groups?: GroupTotals[];
  document: { format: ReportFormat; bytes: number; sha256: string; preview: string };
}

const MAX_ROWS = 100_000;
const MAX_GENERATED = 1_000_000;

interface Source {
  title: string;
  total: number;
  /** Returns rows in order; called exactly total times. */
  next(index: number): Row;
  /** Only supplied rows need scanning for their columns; generated ones have a fixed schema. */
  scan?: (context: HandlerContext) => Promise<{ columns: string[]; numeric: Set<string> }>;
}

function suppliedSource(rows: unknown[], title: string | undefined): Source {
  return {
    title: title ?? 'Report',
    total: rows.length,
    next: (i) => rows[i] as Row,
    async scan(context) {
      // A column is numeric when every non-null value is a finite number; an all-null column counts as text.
      const seen = new Map<string, 'unknown' | 'number' | 'text'>();
      for (let start = 0; start < rows.length; start += CHUNK_SIZE) {
        const end = Math.min(start + CHUNK_SIZE, rows.length);
        for (let i = start; i < end; i++) {
          const row = rows[i];
          if (!isPlainObject(row)) throw new InvalidPayloadError(`rows[${i}] must be an object`);
          for (const [column, value] of Object.entries(row)) {
            const isNumber = typeof value === 'number' && Number.isFinite(value);
            if (!isNumber && value !== null && typeof value !== 'string' && typeof value !== 'boolean') {
              throw new InvalidPayloadError(
                `rows[${i}].${column} must be a string, finite number, boolean or null (rows must be flat)`,
              );
            }
            const kind = seen.get(column);
            if (value === null) {
              if (kind === undefined) seen.set(column, 'unknown');
            } else if (kind === undefined || kind === 'unknown' || (kind === 'number' && !isNumber)) {
              seen.set(column, isNumber ? 'number' : 'text');
            }
          }
        }
        await checkpoint(context, { stage: 'scanning', processed: end, total: rows.length });
      }
      const columns = [...seen.keys()];
      return { columns, numeric: new Set(columns.filter((c) => seen.get(c) === 'number')) };
    },
  };
}

function parsePayload(payload: unknown) {
  const fields = payloadObject(payload);
  const title = optionalString(fields, 'title');
  const rows = optionalArray(fields, 'rows', MAX_ROWS);
  const generate = optionalObject(fields, 'generate');
  if (rows && generate) throw new InvalidPayloadError('give either rows or generate, not both');

  let source: Source;
  if (rows) {
    source = suppliedSource(rows, title);
  } else {
    const spec = generate ?? { count: 1000, seed: 1 };
    if (spec.count === undefined) throw new InvalidPayloadError('generate.count is required');
    const count = optionalInteger(spec, 'count', 1, MAX_GENERATED) as number;
    const seed = optionalInteger(spec, 'seed', -(2 ** 31), 2 ** 32 - 1) ?? 1;
    const next = salesGenerator(seed);
    source = { title: title ?? 'Sales report', total: count, next };
  }
  return {
    source,
    groupBy: optionalString(fields, 'groupBy'),
    format: optionalEnum<ReportFormat>(fields, 'format', ['csv', 'markdown', 'json']) ?? 'markdown',
  };
}

export const handler = wrapHandler<ReportGenerationPayload, ReportGenerationResult>(async (event, context) => {
  const { source, groupBy, format } = parsePayload(event.payload);
  const { columns, numeric } = source.scan
    ? await source.scan(context)
    : { columns: [...SALES_COLUMNS] as string[], numeric: SALES_NUMERIC_COLUMNS };
  if (groupBy !== undefined && !columns.includes(groupBy)) {
    throw new InvalidPayloadError(`groupBy names the column ${JSON.stringify(groupBy)}, which no row has`);
  }

  const totals = new ReportAccumulator(columns, numeric, groupBy);
  const sink = new DocumentSink();
  const renderer = createRenderer(format, sink);
  renderer.begin({ title: source.title, columns, rowCount: source.total, groupBy });
  for (let start = 0; start < source.total; start += CHUNK_SIZE) {
    const end = Math.min(start + CHUNK_SIZE, source.total);
    for (let i = start; i < end; i++) {
      const row = source.next(i);
      totals.add(row);
      renderer.row(row);
    }
    await checkpoint(context, { stage: 'rendering', processed: end, total: source.total });
  }
  const summary = totals.summary();
  const groups = totals.groupTotals();
  renderer.end(summary, groups);

  return {
    title: source.title,
    rowCount: source.total,
    columns,
    summary,
    ...(groups ? { groups } : {}),
    document: sink.finish(format),
  };
});
