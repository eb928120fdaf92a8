// GET /_spillway/status: a Spillway extension, not part of the Lambda API. The scheduler polls it for placement
// and warm-pool decisions, so it only reads counters the service keeps anyway.
import type { FunctionStatus, ServiceStatus } from '../domain/lambda-status';
import type { EventQueue } from './event-queue';
import type { FunctionRegistry } from './function-registry';
import type { RuntimeHost } from './runtime-host';

// The report's shape is declared once, as schemas, in domain/lambda-status.ts.
export type { FunctionStatus, ServiceStatus };

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
