// What one task transition (and one warm-pool run) does to the live projection, as pure functions: the one statement
// of the projection's rules. The live path (task-projection.ts, whose Lua script only compares and applies) and the
// rebuild from Temporal visibility (reconcile.ts) both fold transitions and warm-ups through them, so they cannot
// count differently.
import type { Placement, TaskStatus } from '../domain/task-model';

/** What the projection keeps per task (the `task:<id>` hash): enough to make transitions idempotent. */
export interface ProjectedTask {
  status: TaskStatus;
  placement?: Placement;
}

/** The facts of a transition that the counters depend on; a TransitionEvent has them all. */
export interface TransitionFacts {
  status: TaskStatus;
  placement?: Placement;
  /** The mode the task was submitted with: AUTO tasks also count where AUTO sent them. */
  executionMode: string;
  /** The task's tenant (its fairness key): its counts and cost are kept per tenant too. Every transition names it. */
  tenant?: string;
  attempts?: number;
  durationMs?: number;
  costUsd?: number;
  coldStarts?: number;
  warmStarts?: number;
}

export interface TransitionEffect {
  /** False when the transition is a repeat or arrives after a later one: then nothing at all changes. */
  changed: boolean;
  /** The task's projected state afterwards. */
  next: ProjectedTask;
  /** Increments of fields of the `counters` hash (negative to move a task out of a count). */
  counters: Record<string, number>;
  /** Increments of fields of the 10-second bucket the transition falls in (terminal transitions only). */
  series: Record<string, number>;
  /** A completed task's execution time, for the per-placement percentiles. */
  durationSample?: { placement: Placement | 'NONE'; ms: number };
  /** A completion, counted in the last-minute throughput. */
  completed: boolean;
}

/** QUEUED, then RUNNING, then one final status: a transition never goes back. */
const RANK: Record<TaskStatus, number> = { QUEUED: 1, RUNNING: 2, COMPLETED: 3, FAILED: 3, CANCELLED: 3, EXPIRED: 3 };

/** Counter fields whose increments are fractional (USD); every other counter is an integer count. */
export function isFractionalCounter(field: string): boolean {
  return field.startsWith('cost:');
}

/** The counter fields of one tenant: `tenant:<key>:created`, `tenant:<key>:status:<STATUS>` and `cost:tenant:<key>`. */
export const tenantFields = {
  created: (tenant: string) => `tenant:${tenant}:created`,
  status: (tenant: string, status: TaskStatus) => `tenant:${tenant}:status:${status}`,
  cost: (tenant: string) => `cost:tenant:${tenant}`,
};

/** Reads a counter field back as a tenant's: which tenant, and what of it (`created`, a status, `cost`). */
export function parseTenantField(field: string): { tenant: string; what: 'created' | 'cost' | TaskStatus } | undefined {
  if (field.startsWith('cost:tenant:')) return { tenant: field.slice('cost:tenant:'.length), what: 'cost' };
  const match = /^tenant:(.+):(created|status:([A-Z]+))$/.exec(field);
  if (!match) return undefined;
  return { tenant: match[1] as string, what: (match[3] as TaskStatus | undefined) ?? 'created' };
}

const unchanged = (previous: ProjectedTask | undefined, status: TaskStatus): TransitionEffect => ({
  changed: false,
  next: previous ?? { status },
  counters: {},
  series: {},
  completed: false,
});

/**
 * What `facts` does to a task last projected as `previous` (undefined: a task the projection has not seen).
 * A repeat of the same status is a no-op unless it moves the task to another placement (a LAMBDA attempt that fell
 * back to LOCAL); an older status arriving late is a no-op. A task's facts (attempts, cost, cold starts, duration)
 * are counted once, when it reaches its final status.
 */
export function transitionEffect(previous: ProjectedTask | undefined, facts: TransitionFacts): TransitionEffect {
  const { status } = facts;
  if (previous) {
    if (previous.status === status) {
      if (!facts.placement || facts.placement === previous.placement) return unchanged(previous, status);
    } else if (RANK[previous.status] >= RANK[status]) {
      return unchanged(previous, status);
    }
  }
  const counters: Record<string, number> = {};
  const add = (field: string, by: number) => (counters[field] = (counters[field] ?? 0) + by);
  const tenant = facts.tenant;
  if (previous) {
    add(`status:${previous.status}`, -1);
    if (previous.placement) add(`${previous.status}:${previous.placement}`, -1);
    if (tenant) add(tenantFields.status(tenant, previous.status), -1);
  } else {
    add('created', 1);
    if (tenant) add(tenantFields.created(tenant), 1);
  }
  const placement = facts.placement ?? previous?.placement;
  add(`status:${status}`, 1);
  if (placement) add(`${status}:${placement}`, 1);
  if (tenant) add(tenantFields.status(tenant, status), 1);
  for (const [field, by] of Object.entries(counters)) if (by === 0) delete counters[field];

  const effect: TransitionEffect = {
    changed: true,
    next: placement ? { status, placement } : { status },
    counters,
    series: {},
    completed: false,
  };
  const final = RANK[status] === 3 && previous?.status !== status;
  if (!final) return effect;

  const where = placement ?? 'NONE';
  const attempts = facts.attempts ?? 0;
  if (attempts > 0) add(`attempts:${attempts}`, 1);
  if (attempts > 1) add('retried', 1);
  if ((facts.costUsd ?? 0) > 0) {
    add(`cost:${where}`, facts.costUsd ?? 0);
    if (tenant) add(tenantFields.cost(tenant), facts.costUsd ?? 0);
  }
  // Present even at 0, so every final task leaves the cold/warm fields in place, as the stats reader expects.
  counters.cold = (counters.cold ?? 0) + (facts.coldStarts ?? 0);
  counters.warm = (counters.warm ?? 0) + (facts.warmStarts ?? 0);
  if (facts.executionMode === 'AUTO' && placement) add(`auto:${placement}`, 1);
  if (status === 'COMPLETED') {
    effect.series[`completed:${where}`] = 1;
    effect.completed = true;
    if (facts.durationMs !== undefined) {
      effect.durationSample = { placement: where, ms: Math.round(facts.durationMs * 1000) / 1000 };
    }
  } else {
    effect.series[status.toLowerCase()] = 1;
  }
  return effect;
}

/**
 * The state a transition most likely finds, so the live path can usually apply it in one round trip: QUEUED is
 * recorded first, RUNNING after QUEUED, a final status after RUNNING on the same placement. When the guess is wrong
 * the script answers with the real state and the transition is worked out again from that.
 */
export function likelyPrevious(facts: Pick<TransitionFacts, 'status' | 'placement'>): ProjectedTask | undefined {
  switch (facts.status) {
    case 'QUEUED':
      return undefined;
    case 'RUNNING':
      return { status: 'QUEUED' };
    default:
      return facts.placement ? { status: 'RUNNING', placement: facts.placement } : { status: 'RUNNING' };
  }
}

/** What one warm-pool run did, apart from tasks: environments warmed, how many of those were cold, and the cost. */
export interface WarmupFacts {
  warmed: number;
  coldStarts: number;
  costUsd: number;
}

/**
 * What a warm-pool run adds to the `counters` hash. Warm-ups are not tasks: they change no status count, only the
 * warm-up totals and the cost of warming. The live path (recordWarmups) and reconcile (from the run's search
 * attributes) both count a run by this rule.
 */
export function warmupEffect(facts: WarmupFacts): Record<string, number> {
  return { 'cost:warming': facts.costUsd, warmups: facts.warmed, warmupColdStarts: facts.coldStarts };
}

/** Adds one effect's counter increments into a running total (reconcile folds every task this way). */
export function addCounters(total: Record<string, number>, increments: Record<string, number>): void {
  for (const [field, by] of Object.entries(increments)) total[field] = (total[field] ?? 0) + by;
}
