// Number, money, duration and time formatting. Anything missing renders as an en dash.

export const DASH = '–';

const intFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

const isNum = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

export function fmtInt(n: unknown): string {
  return isNum(n) ? intFormat.format(n) : DASH;
}

export function fmtDecimal(n: unknown): string {
  return isNum(n) ? oneDecimal.format(n) : DASH;
}

/** Dollars with enough decimals for Lambda-sized amounts: $0.000012, $0.0421, $3.14; below a micro-dollar <$0.000001. */
export function fmtUsd(n: unknown): string {
  if (!isNum(n)) return DASH;
  if (n === 0) return '$0.00';
  const abs = Math.abs(n);
  let decimals = 2;
  if (abs < 1) decimals = 4;
  if (abs < 0.01) decimals = 6;
  if (abs < 0.0000005) return `${n < 0 ? '>-' : '<'}$0.000001`;
  return `${n < 0 ? '-' : ''}$${abs.toFixed(decimals)}`;
}

export function fmtMs(ms: unknown): string {
  if (!isNum(ms)) return DASH;
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  if (minutes < 60) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

export function fmtPct(ratio: unknown): string {
  return isNum(ratio) ? `${(ratio * 100).toFixed(ratio < 0.1 && ratio > 0 ? 1 : 0)}%` : DASH;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

function toDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Time of day, with the date too when it is not today. */
export function fmtTime(value: unknown): string {
  const d = toDate(value);
  if (!d) return DASH;
  return d.toDateString() === new Date().toDateString() ? timeFormat.format(d) : dateTimeFormat.format(d);
}

export function fmtDateTime(value: unknown): string {
  const d = toDate(value);
  return d ? dateTimeFormat.format(d) : DASH;
}

export function fmtAgo(value: unknown, now = Date.now()): string {
  const d = toDate(value);
  if (!d) return DASH;
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return fmtDateTime(value);
}

export function titleCase(status: string): string {
  return status.charAt(0) + status.slice(1).toLowerCase();
}

/** Pretty JSON with long strings (data: URLs, base64) cut so the panel stays readable. */
export function prettyJson(value: unknown, maxString = 240): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) =>
      typeof v === 'string' && v.length > maxString ? `${v.slice(0, maxString)}… (${v.length} chars)` : v,
    2,
  );
}
