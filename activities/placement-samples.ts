// Feeds finished attempts to the learned placement figures (live/placement-stats.ts). Every task's end reaches the
// live projection exactly once as a transition that changes it (the workflow's publish, or the first LOCAL attempt's
// own), whichever placement ran it; the samples are taken there, from that task's attempts, so an attempt is counted
// once even when a publish is repeated. Best effort, like the projection: a lost sample only slows the learning.
// The same end feeds the ledger of warming (how each Lambda attempt started), just before it is published.
import { FINAL_STATUSES, type AttemptRecord, type TaskStatus } from '../domain/task-model';
import { attemptSample, type PlacementStats } from '../live/placement-stats';
import type { WarmingStats } from '../live/warming-stats';

export interface PlacementSamples {
  /**
   * The task reached `status`: count how its Lambda attempts started in the ledger of warming. Told before the
   * task's end is published, so the stats that go out with it include them; each attempt counts once however often
   * it is told.
   */
  ledger(
    task: { id: string; functionName: string },
    status: TaskStatus,
    attempts: readonly AttemptRecord[],
  ): Promise<void>;
  /** The task reached `status` and the projection took it as new: learn from its succeeded attempts. */
  taskEnded(
    task: { id: string; functionName: string },
    status: TaskStatus,
    attempts: readonly AttemptRecord[],
  ): Promise<void>;
}

export function createPlacementSamples(
  stats: PlacementStats | undefined,
  log: (m: string) => void = console.warn,
  /** The ledger of warming: every Lambda attempt that says how it started counts as a warm hit or a cold start. */
  warming?: WarmingStats,
  defaultInitMs = 250,
): PlacementSamples {
  let lastWarning = 0;
  return {
    async ledger(task, status, attempts) {
      if (!warming || !FINAL_STATUSES.includes(status)) return;
      for (const a of attempts) {
        if (a.placement !== 'LAMBDA' || a.coldStart === undefined) continue;
        await warming
          .recordAttempt(task.functionName, `${task.id}#${a.attempt}`, a.coldStart, defaultInitMs)
          .catch(() => undefined);
      }
    },
    async taskEnded(task, status, attempts) {
      if (!FINAL_STATUSES.includes(status) || !stats) return;
      for (const attempt of attempts) {
        const sample = attemptSample(task, attempt);
        if (!sample) continue;
        try {
          await stats.record(sample);
        } catch (err) {
          if (Date.now() - lastWarning > 60_000) {
            lastWarning = Date.now();
            log(`placement stats unavailable, sample of ${sample.attemptId} not recorded: ${(err as Error).message}`);
          }
        }
      }
    },
  };
}
