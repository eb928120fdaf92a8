// Timestamps as ASL requires them: the RFC 3339 profile of ISO 8601 with an uppercase `T` between date and time
// and an uppercase `Z` when there is no numeric offset (`2016-08-18T17:33:00Z`, `2016-08-18T19:33:00.5+02:00`).
// Pure arithmetic (Date.UTC), no clock.

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** An instant with nanosecond precision: seconds since the epoch and the nanoseconds within that second. */
export interface Instant {
  readonly epochSeconds: number;
  readonly nanos: number;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Parses an ASL timestamp; undefined when the text is not one. */
export function parseTimestamp(text: unknown): Instant | undefined {
  if (typeof text !== 'string') return undefined;
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  const zone = m[8]!;
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
  const nanos = m[7] ? Number(m[7].padEnd(9, '0')) : 0;
  return { epochSeconds: epochMs / 1000, nanos };
}

export function isTimestamp(text: unknown): boolean {
  return parseTimestamp(text) !== undefined;
}

/** Negative, zero or positive, as a is before, at or after b. */
export function compareInstants(a: Instant, b: Instant): number {
  return a.epochSeconds !== b.epochSeconds ? a.epochSeconds - b.epochSeconds : a.nanos - b.nanos;
}

/** Epoch milliseconds of an instant (sub-millisecond digits dropped). */
export function instantToMillis(instant: Instant): number {
  return instant.epochSeconds * 1000 + Math.floor(instant.nanos / 1_000_000);
}

/** An epoch-milliseconds reading as an ISO 8601 UTC timestamp, e.g. for $$.State.EnteredTime. */
export function millisToIso(ms: number): string {
  return new Date(ms).toISOString();
}
