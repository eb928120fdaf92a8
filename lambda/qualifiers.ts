// Function names as the Lambda API accepts them: a name, a partial ARN (`123456789012:function:name`) or a full
// ARN, each optionally with `:qualifier`, plus the separate `Qualifier` query parameter. A qualifier is `$LATEST`,
// a version number or an alias name; which one is decided against the function's versions and aliases.
import { InvalidParameterValueError } from './errors';

export const LATEST = '$LATEST';

const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const QUALIFIER_PATTERN = /^(\$LATEST|[a-zA-Z0-9_-]{1,128})$/;
export const ALIAS_NAME_PATTERN = /^(?!^[0-9]+$)[a-zA-Z0-9_-]{1,128}$/;

export interface FunctionRef {
  name: string;
  qualifier?: string;
}

function badName(raw: string): InvalidParameterValueError {
  return new InvalidParameterValueError(
    `1 validation error detected: Value '${raw}' at 'functionName' failed to satisfy constraint: Member must ` +
      `satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?` +
      `(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`,
  );
}

/** Splits a FunctionName path parameter into the name and the qualifier it carries, if any. */
export function parseFunctionRef(raw: string): FunctionRef {
  const parts = raw.split(':');
  let rest: string[];
  if (parts[0] === 'arn') {
    // arn:aws:lambda:region:account:function:name[:qualifier]
    if (parts.length < 7 || parts[2] !== 'lambda' || parts[5] !== 'function') throw badName(raw);
    rest = parts.slice(6);
  } else if (parts.length >= 3 && parts[1] === 'function') {
    rest = parts.slice(2);
  } else {
    rest = parts;
  }
  const [name, qualifier, ...extra] = rest;
  if (!name || !NAME_PATTERN.test(name) || extra.length > 0) throw badName(raw);
  if (qualifier !== undefined && !QUALIFIER_PATTERN.test(qualifier)) throw badName(raw);
  return qualifier === undefined ? { name } : { name, qualifier };
}

/** The qualifier an operation applies to, from the name and the Qualifier parameter, which must agree. */
export function combineQualifier(ref: FunctionRef, queryQualifier: string | null | undefined): FunctionRef {
  const q = queryQualifier ?? undefined;
  if (q !== undefined && !QUALIFIER_PATTERN.test(q)) {
    throw new InvalidParameterValueError(
      `1 validation error detected: Value '${q}' at 'qualifier' failed to satisfy constraint: Member must ` +
        `satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)`,
    );
  }
  if (q !== undefined && ref.qualifier !== undefined && q !== ref.qualifier) {
    throw new InvalidParameterValueError(
      'The derived qualifier from the function name does not match the specified qualifier.',
    );
  }
  const qualifier = q ?? ref.qualifier;
  return qualifier === undefined ? { name: ref.name } : { name: ref.name, qualifier };
}

export function isVersionNumber(qualifier: string): boolean {
  return /^[0-9]+$/.test(qualifier);
}
