// Payload validation shared by the handlers. Every failure is an InvalidPayloadError, which Temporal treats as
// non-retryable: a payload that is wrong now will be just as wrong on the next attempt.
import { InvalidPayloadError } from '../../../domain/handler-contract';

export type Fields = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The payload itself must be an object; a missing payload counts as an empty one so all-defaults calls work. */
export function payloadObject(payload: unknown): Fields {
  if (payload === undefined || payload === null) return {};
  if (!isPlainObject(payload)) throw new InvalidPayloadError('the payload must be a JSON object');
  return payload;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string'
    ? `the string ${JSON.stringify(value.slice(0, 40))}`
    : `${typeof value} ${String(value)}`;
}

export function requiredString(fields: Fields, name: string): string {
  const value = fields[name];
  if (value === undefined) throw new InvalidPayloadError(`${name} is required`);
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidPayloadError(`${name} must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

export function optionalString(fields: Fields, name: string): string | undefined {
  return fields[name] === undefined ? undefined : requiredString(fields, name);
}

export function optionalBoolean(fields: Fields, name: string): boolean | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new InvalidPayloadError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

export function optionalInteger(fields: Fields, name: string, min: number, max: number): number | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidPayloadError(`${name} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

export function optionalEnum<T extends string>(fields: Fields, name: string, allowed: readonly T[]): T | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidPayloadError(`${name} must be one of ${allowed.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

export function optionalObject(fields: Fields, name: string): Fields | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new InvalidPayloadError(`${name} must be an object, got ${describe(value)}`);
  return value;
}

export function optionalArray(fields: Fields, name: string, maxLength: number): unknown[] | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new InvalidPayloadError(`${name} must be an array, got ${describe(value)}`);
  if (value.length > maxLength) {
    throw new InvalidPayloadError(`${name} may hold at most ${maxLength} items, got ${value.length}`);
  }
  return value;
}
