// How a Map run ends, as pure functions the interpreter workflow asks while items finish: whether the failures so
// far exceed the tolerated threshold (then the run stops starting items and aborts the running ones, as Step
// Functions does), how the outcomes fold into the state's result, and how a distributed Map splits its items into
// batches, one child workflow each.

import { errorOutput, STATES_ERRORS } from './errors';
import type { BranchOutcome, MapAction, MapOutcome } from './interpreter';

type Tolerance = Pick<MapAction, 'toleratedFailureCount' | 'toleratedFailurePercentage'>;

export function isTolerant(action: Tolerance): boolean {
  return action.toleratedFailureCount !== undefined || action.toleratedFailurePercentage !== undefined;
}

/**
 * Whether `failures` of `total` items exceed what the Map tolerates. Without a tolerance any failure does; with one,
 * more failures than ToleratedFailureCount, or a larger share than ToleratedFailurePercentage, does.
 */
export function thresholdExceeded(action: Tolerance, failures: number, total: number): boolean {
  if (failures === 0) return false;
  if (!isTolerant(action)) return true;
  const overCount = action.toleratedFailureCount !== undefined && failures > action.toleratedFailureCount;
  const overPercent =
    action.toleratedFailurePercentage !== undefined &&
    total > 0 &&
    (failures / total) * 100 > action.toleratedFailurePercentage;
  return overCount || overPercent;
}

/**
 * The Map state's outcome. `outcomes` are in item order; an item that never ran (the run stopped first) is
 * undefined. `firstFailure` is the failure that came first in time, which fails a Map without a tolerance.
 */
export function foldMapRun(
  action: Tolerance,
  outcomes: readonly (BranchOutcome | undefined)[],
  firstFailure?: { error: string; cause: string },
): MapOutcome {
  const failures = outcomes.filter((o) => o?.status === 'failed') as Extract<BranchOutcome, { status: 'failed' }>[];
  const total = outcomes.length;
  if (thresholdExceeded(action, failures.length, total)) {
    if (isTolerant(action)) {
      return {
        status: 'failed',
        error: STATES_ERRORS.ExceedToleratedFailureThreshold,
        cause: `The specified tolerated failure threshold was exceeded: ${failures.length} of ${total} items failed`,
      };
    }
    const first = firstFailure ?? failures[0]!;
    return { status: 'failed', error: first.error, cause: first.cause };
  }
  return {
    status: 'succeeded',
    outputs: outcomes.map((o) =>
      o === undefined ? null : o.status === 'succeeded' ? o.output : errorOutput(o.error, o.cause),
    ),
  };
}

/** [start, end) ranges of at most `size` items each: the batches of a distributed Map. */
export function batchRanges(count: number, size: number): Array<[number, number]> {
  const step = Math.max(1, Math.floor(size));
  const out: Array<[number, number]> = [];
  for (let start = 0; start < count; start += step) out.push([start, Math.min(count, start + step)]);
  return out;
}

/**
 * How many batches of a distributed Map run at once so that at most `maxConcurrency` items run (0: no limit but
 * `maxBatches`), and how many items run at once inside one batch.
 */
export function batchConcurrency(
  maxConcurrency: number,
  batchSize: number,
  maxBatches: number,
): { batches: number; perBatch: number } {
  if (maxConcurrency <= 0) return { batches: maxBatches, perBatch: batchSize };
  if (maxConcurrency < batchSize) return { batches: 1, perBatch: maxConcurrency };
  return { batches: Math.max(1, Math.min(maxBatches, Math.floor(maxConcurrency / batchSize))), perBatch: batchSize };
}
