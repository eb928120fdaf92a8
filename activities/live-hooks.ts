// What activities tell the live projection while an attempt runs: RUNNING transitions for the dashboard and the
// in-flight leases that AUTO placement reads. Every hook swallows Redis failures: the projection may lag or be
// rebuilt, but it must never fail or slow a task.
import type { AttemptRecord, TaskInput } from '../domain/task-model';
import type { BudgetAccounting } from './budget-accounting';
import type { PlacementSamples } from './placement-samples';
import { transitionOf } from './publish-transition';
import type { PlacementLeases } from '../live/placement-leases';
import type { PlacementStats } from '../live/placement-stats';
import { DEFAULT_EXPECTED_DURATION_MS } from '../domain/function-manifest';
import type { TaskProjection } from '../live/task-projection';

/** A running local attempt's lease outlives a few missed refreshes, and lapses soon after a worker dies. */
export const LOCAL_LEASE_TTL_MS = 30_000;

export interface LiveHooks {
  localStarted(task: TaskInput): Promise<void>;
  localAlive(task: TaskInput): Promise<void>;
  localFinished(task: TaskInput): Promise<void>;
  /**
   * The task's end, told by the attempt that ended it (a first LOCAL attempt that succeeded), so the workflow need
   * not publish it. False when the projection could not be told: then the workflow does.
   */
  localCompleted(task: TaskInput, attempt: AttemptRecord): Promise<boolean>;
  /** Answers the function's Lambda attempts in flight, this one included; undefined when Redis cannot say. */
  lambdaInvoked(task: TaskInput, ttlMs: number): Promise<number | undefined>;
  lambdaFinished(task: TaskInput): Promise<void>;
  throttled(functionName: string): Promise<void>;
}

export function createLiveHooks(
  projection: TaskProjection | undefined,
  leases: PlacementLeases | undefined,
  samples?: PlacementSamples,
  budgets?: BudgetAccounting,
  log: (m: string) => void = console.warn,
  /** Where a running local attempt's expected end is kept, for predictive AUTO's slot-by-slot wait. */
  stats?: PlacementStats,
): LiveHooks {
  let lastWarning = 0;
  const quietly = async (what: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (err) {
      // One line a minute is enough to say Redis is away; the reconcile step repairs what was missed.
      if (Date.now() - lastWarning > 60_000) {
        lastWarning = Date.now();
        log(`live projection unavailable (${what}): ${(err as Error).message}`);
      }
    }
  };
  const running = (task: TaskInput, placement: 'LOCAL' | 'LAMBDA') =>
    projection?.record({
      taskId: task.id,
      status: 'RUNNING',
      type: task.type,
      name: task.name,
      executionMode: task.executionMode,
      ...(task.fairness ? { tenant: task.fairness.key } : {}),
      placement,
      at: new Date().toISOString(),
    });
  return {
    localStarted: (task) =>
      quietly('local start', () =>
        Promise.all([
          leases?.holdLocal(task.id, LOCAL_LEASE_TTL_MS),
          running(task, 'LOCAL'),
          stats?.localStartedFor(task.id, task.functionName, DEFAULT_EXPECTED_DURATION_MS, Date.now()),
        ]),
      ),
    localAlive: (task) => quietly('local lease', async () => leases?.holdLocal(task.id, LOCAL_LEASE_TTL_MS)),
    localFinished: (task) =>
      quietly('local finish', () => Promise.all([leases?.releaseLocal(task.id), stats?.localFinished(task.id)])),
    localCompleted: async (task, attempt) => {
      if (!projection) return true;
      let told = false;
      await quietly('local completion', async () => {
        const changed = await projection.record(
          transitionOf(task.id, {
            id: task.id,
            name: task.name,
            type: task.type,
            executionMode: task.executionMode,
            functionName: task.functionName,
            tenant: task.fairness?.key,
            status: 'COMPLETED',
            placement: { placement: 'LOCAL', reason: task.placed?.reason ?? `requested ${task.executionMode}` },
            attempts: [attempt],
            submittedAt: task.submittedAt,
            startedAt: task.placed?.at,
            finishedAt: attempt.finishedAt,
            costUsd: attempt.costUsd,
          }),
        );
        told = true;
        // The task's end, told once: the workflow does not publish it again (and a repeat changes nothing).
        if (changed) await samples?.taskEnded(task, 'COMPLETED', [attempt]);
      });
      // Counted once per task by the counters themselves, so even when the projection was away.
      await budgets?.taskEnded(
        { id: task.id, type: task.type, tenant: task.fairness?.key },
        'COMPLETED',
        attempt.costUsd,
        attempt.finishedAt,
      );
      return told;
    },
    lambdaInvoked: async (task, ttlMs) => {
      let load: number | undefined;
      await quietly('lambda invoke', async () => {
        [load] = await Promise.all([leases?.holdLambda(task.functionName, task.id, ttlMs), running(task, 'LAMBDA')]);
      });
      return load;
    },
    lambdaFinished: (task) => quietly('lambda finish', async () => leases?.releaseLambda(task.functionName, task.id)),
    throttled: (functionName) => quietly('throttle', async () => leases?.recordThrottle(functionName)),
  };
}
