// The baseline workflow: the least a Temporal task can be, one workflow calling one no-op activity. Compared with
// Spillway's runTask on the same server, the difference is Spillway's own overhead.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './baseline-activities';

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export async function baselineNoop(id: string): Promise<string> {
  return noop(id);
}
