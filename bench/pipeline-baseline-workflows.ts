// The pipeline section's baseline: a raw Temporal workflow that runs `n` no-op activities one after another, the
// least a chain of n Task states can cost on Temporal.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './baseline-activities';

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export async function baselineSequence(n: number): Promise<number> {
  for (let i = 0; i < n; i++) await noop(`step-${i}`);
  return n;
}
