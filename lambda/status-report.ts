// GET /_spillway/status: a Spillway extension, not part of the Lambda API. The scheduler polls it for placement
// and warm-pool decisions, so it only reads counters the service keeps anyway.
import type { EnvironmentPool } from './environment-pool';
import type { EventQueue } from './event-queue';
import type { DroppedEvent, FunctionRegistry } from './function-registry';

export interface FunctionStatus {
  name: string;
  environments: { total: number; idle: number; busy: number };
  reservedConcurrency: number | null;
  inFlight: number;
  queuedEvents: number;
  throttles: { count: number; lastAt: string | null };
  coldStarts: number;
  warmStarts: number;
  invocations: number;
  droppedEvents: DroppedEvent[];
}

export interface ServiceStatus {
  accountConcurrencyLimit: number;
  unreservedConcurrency: number;
  totals: {
    environments: number;
    inFlight: number;
    queuedEvents: number;
    throttles: number;
    invocations: number;
    droppedEvents: number;
  };
  functions: FunctionStatus[];
}

export function buildStatus(registry: FunctionRegistry, pool: EnvironmentPool, queue: EventQueue): ServiceStatus {
  const functions = registry.all().map((f): FunctionStatus => ({
    name: f.spec.name,
    environments: pool.counts(f.spec.name),
    reservedConcurrency: f.reservedConcurrency ?? null,
    inFlight: f.inFlight,
    queuedEvents: queue.waiting(f.spec.name),
    throttles: { count: f.stats.throttles, lastAt: f.stats.lastThrottleAt ?? null },
    coldStarts: f.stats.coldStarts,
    warmStarts: f.stats.warmStarts,
    invocations: f.stats.invocations,
    droppedEvents: [...f.stats.droppedEvents],
  }));
  const sum = (pick: (f: FunctionStatus) => number) => functions.reduce((n, f) => n + pick(f), 0);
  return {
    accountConcurrencyLimit: registry.accountConcurrencyLimit,
    unreservedConcurrency: registry.unreservedConcurrency(),
    totals: {
      environments: sum((f) => f.environments.total),
      inFlight: sum((f) => f.inFlight),
      queuedEvents: sum((f) => f.queuedEvents),
      throttles: sum((f) => f.throttles.count),
      invocations: sum((f) => f.invocations),
      droppedEvents: sum((f) => f.droppedEvents.length),
    },
    functions,
  };
}
