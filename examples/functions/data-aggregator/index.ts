// Groups records by a key and computes exact statistics of one numeric field per group and overall.
import { InvalidPayloadError } from '../../../domain/handler-contract';
import { wrapHandler } from '../../../sdk/wrap-handler';
import { CHUNK_SIZE, checkpoint } from '../shared/chunks';
import {
  isPlainObject,
  optionalArray,
  optionalInteger,
  optionalObject,
  optionalString,
  payloadObject,
} from '../shared/payload';
import { recordGenerator } from './generate';
import { Accumulator } from './stats';
import type { Stats } from './stats';

export interface DataAggregationPayload {
  records?: Record<string, unknown>[];
  generate?: { count: number; seed?: number; groups?: number };
  /** Required with records; 'group' for generated records. */
  groupBy?: string;
  /** The numeric field to aggregate; default 'value'. */
  field?: string;
  /** Each in (0, 100]; default [50, 95, 99]. */
  percentiles?: number[];
}

export interface DataAggregationResult {
  groupBy: string;
  field: string;
  groups: Record<string, Stats>;
  overall: Stats;
  /** Records whose field is missing or not a finite number. */
  skipped: number;
  recordCount: number;
}

export type { Stats };

const MAX_RECORDS = 1_000_000;
const MAX_PERCENTILES = 20;
const DEFAULT_PERCENTILES = [50, 95, 99];
/** The group of records that have no value for the group-by field. */
export const MISSING_GROUP = '(none)';

interface Source {
  total: number;
  next(index: number): unknown;
}

function parsePayload(payload: unknown) {
  const fields = payloadObject(payload);
  const records = optionalArray(fields, 'records', MAX_RECORDS);
  const generate = optionalObject(fields, 'generate');
  if (records && generate) throw new InvalidPayloadError('give either records or generate, not both');

  let source: Source;
  let groupBy = optionalString(fields, 'groupBy');
  if (records) {
    if (groupBy === undefined) throw new InvalidPayloadError('groupBy is required when records are given');
    source = { total: records.length, next: (i) => records[i] };
  } else {
    const spec = generate ?? { count: 1000 };
    if (spec.count === undefined) throw new InvalidPayloadError('generate.count is required');
    const count = optionalInteger(spec, 'count', 1, MAX_RECORDS) as number;
    const seed = optionalInteger(spec, 'seed', -(2 ** 31), 2 ** 32 - 1) ?? 1;
    const groups = optionalInteger(spec, 'groups', 1, 1000) ?? 8;
    const next = recordGenerator(seed, groups);
    source = { total: count, next };
    groupBy ??= 'group';
  }

  const percentiles = optionalArray(fields, 'percentiles', MAX_PERCENTILES) ?? DEFAULT_PERCENTILES;
  for (const p of percentiles) {
    if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0 || p > 100) {
      throw new InvalidPayloadError(`percentiles must be numbers in (0, 100], got ${JSON.stringify(p)}`);
    }
  }
  return { source, groupBy, field: optionalString(fields, 'field') ?? 'value', percentiles: percentiles as number[] };
}

function groupKey(value: unknown): string {
  if (value === undefined || value === null) return MISSING_GROUP;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export const handler = wrapHandler<DataAggregationPayload, DataAggregationResult>(async (event, context) => {
  const { source, groupBy, field, percentiles } = parsePayload(event.payload);
  const groups = new Map<string, Accumulator>();
  const overall = new Accumulator();
  let skipped = 0;

  for (let start = 0; start < source.total; start += CHUNK_SIZE) {
    const end = Math.min(start + CHUNK_SIZE, source.total);
    for (let i = start; i < end; i++) {
      const record = source.next(i);
      if (!isPlainObject(record)) throw new InvalidPayloadError(`records[${i}] must be an object`);
      const key = groupKey(record[groupBy]);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = new Accumulator()));
      const value = record[field];
      // Numeric strings are not coerced: a string here usually means the data is not what the caller thinks.
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        skipped += 1;
        continue;
      }
      group.add(value);
      overall.add(value);
    }
    await checkpoint(context, { stage: 'aggregating', processed: end, total: source.total });
  }

  // Sorting for the percentiles is the other expensive step, so it is chunked per group.
  const result: Record<string, Stats> = {};
  for (const key of [...groups.keys()].sort()) {
    result[key] = (groups.get(key) as Accumulator).finish(percentiles);
    await checkpoint(context, { stage: 'summarising', group: key });
  }

  return {
    groupBy,
    field,
    groups: result,
    overall: overall.finish(percentiles),
    skipped,
    recordCount: source.total,
  };
});
