// Small helpers shared by the pipelines unit tests.
import { StatesError } from '../../../pipelines/errors';

/** The StatesError a call throws, as plain data; `{ threw: … }` for anything else, `undefined` when nothing. */
export function statesErrorOf(fn: () => unknown): { error: string; cause: string } | { threw: unknown } | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof StatesError ? { error: err.error, cause: err.cause } : { threw: err };
  }
  return undefined;
}

export async function statesErrorOfAsync(
  fn: () => Promise<unknown>,
): Promise<{ error: string; cause: string } | { threw: unknown } | undefined> {
  try {
    await fn();
  } catch (err) {
    return err instanceof StatesError ? { error: err.error, cause: err.cause } : { threw: err };
  }
  return undefined;
}

/** A random source that replays fixed values, so jitter and MathRandom are predictable. */
export function fixedRandom(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

export function countingUuid(prefix = '00000000-0000-4000-8000-'): () => string {
  let n = 0;
  return () => `${prefix}${String(++n).padStart(12, '0')}`;
}
