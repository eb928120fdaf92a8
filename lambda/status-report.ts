// GET /_spillway/status: a Spillway extension, not part of the Lambda API. The scheduler polls it for placement
// and warm-pool decisions, so it only reads counters the service keeps anyway.
import type { EventQueue } from './event-queue';
import type { DroppedEvent, FunctionRegistry, UndeliverableRecord } from './function-registry';
import type { EnvironmentCounts, RuntimeHost } from './runtime-host';

export interface VersionStatus {
  version: string;
  environments: EnvironmentCounts;
}

export interface FunctionStatus {
  name: string;
  environments: EnvironmentCounts;
  /** Versions with live environments ($LATEST, 1, 2...). */
  versions: VersionStatus[];
  state: string;
  lastUpdateStatus: string | null;
  codeSha256: string;
  reservedConcurrency: number | null;
  inFlight: number;
  queuedEvents: number;
  throttles: { count: number; lastAt: string | null };
  coldStarts: number;
  warmStarts: number;
  invocations: number;
  droppedEvents: DroppedEvent[];
  /** Invocation records sent to OnSuccess / OnFailure destinations, and the last ones that could not be sent. */
  destinations: { delivered: number; undeliverable: UndeliverableRecord[] };
}

export interface ServiceStatus {
  accountConcurrencyLimit: number;
  unreservedConcurrency: number;
  /** The floor reservations cannot push unreserved concurrency below. */
  unreservedConcurrencyMinimum: number;
  totals: {
    environments: number;
    inFlight: number;
    queuedEvents: number;
    throttles: number;
    invocations: number;
    droppedEvents: number;
    undeliverableRecords: number;
  };
  functions: FunctionStatus[];
}

export function buildStatus(registry: FunctionRegistry, host: RuntimeHost, queue: EventQueue): ServiceStatus {
  const functions = registry.all().map((f): FunctionStatus => ({
    name: f.record.name,
    environments: host.counts(f.record.name),
    versions: host.versions(f.record.name).map((version) => ({
      version,
      environments: host.counts(f.record.name, version),
    })),
    state: f.record.latest.state,
    lastUpdateStatus: f.record.latest.lastUpdateStatus ?? null,
    codeSha256: f.record.latest.codeSha256,
    reservedConcurrency: f.record.reservedConcurrency ?? null,
    inFlight: f.inFlight,
    queuedEvents: queue.waiting(f.record.name),
    throttles: { count: f.stats.throttles, lastAt: f.stats.lastThrottleAt ?? null },
    coldStarts: f.stats.coldStarts,
    warmStarts: f.stats.warmStarts,
    invocations: f.stats.invocations,
    droppedEvents: [...f.stats.droppedEvents],
    destinations: {
      delivered: f.stats.destinations.delivered,
      undeliverable: [...f.stats.destinations.undeliverable],
    },
  }));
  const sum = (pick: (f: FunctionStatus) => number) => functions.reduce((n, f) => n + pick(f), 0);
  return {
    accountConcurrencyLimit: registry.accountConcurrencyLimit,
    unreservedConcurrency: registry.unreservedConcurrency(),
    unreservedConcurrencyMinimum: registry.unreservedMinimum,
    totals: {
      environments: sum((f) => f.environments.total),
      inFlight: sum((f) => f.inFlight),
      queuedEvents: sum((f) => f.queuedEvents),
      throttles: sum((f) => f.throttles.count),
      invocations: sum((f) => f.invocations),
      droppedEvents: sum((f) => f.droppedEvents.length),
      undeliverableRecords: sum((f) => f.destinations.undeliverable.length),
    },
    functions,
  };
}
